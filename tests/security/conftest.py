"""Fixtures of the security tests: two teams, each with one of everything a researcher can reach."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.utils import timezone

from exports import services as export_services
from exports.models import AggregateSnapshot, ExportJob
from respondents import services as respondent_services
from respondents.models import PanelMember, Response
from surveys import services
from surveys.models import CheckRun, Choice, ChoiceList, Question, Questionnaire, Section, Survey, Wave
from tests.exports.dashboard_fixtures import figures
from tests.factories import GroupFactory, QuestionnaireFactory, SurveyFactory, UserFactory
from tests.surveys.conftest import build_small_questionnaire

# What a researcher may do: every permission of Volna's own apps, none of auth (users, groups).
RESEARCHER_APPS = ("surveys", "respondents", "exports")


@dataclass
class TeamWorld:
    """One team's survey with a draft and a published version, an open wave with a response, a
    check run, a finished export with its file, a dashboard snapshot and a panel invitation."""

    team: Group
    researcher: User
    client: Client
    survey: Survey
    draft: Questionnaire
    published: Questionnaire
    section: Section
    question: Question
    choice_list: ChoiceList
    choice: Choice
    wave: Wave
    check_run: CheckRun
    export_job: ExportJob
    snapshot: AggregateSnapshot
    response: Response
    member: PanelMember
    resume_code: str
    invitation_token: str

    def instances(self) -> list[Any]:
        """Every object of this team that an admin URL can name."""
        return [
            self.survey,
            self.draft,
            self.published,
            self.section,
            self.question,
            self.choice_list,
            self.wave,
            self.check_run,
            self.export_job,
            self.snapshot,
            self.team,
            self.researcher,
        ]


def make_researcher(username: str, team: Group) -> tuple[User, Client]:
    user = UserFactory(username=username)
    user.groups.add(team)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=RESEARCHER_APPS))
    client = Client()
    client.force_login(user)
    return user, client


def build_team_world(team_name: str, slug: str, username: str) -> TeamWorld:
    team = GroupFactory(name=team_name)
    researcher, client = make_researcher(username, team)
    survey = SurveyFactory(slug=slug, team=team, is_panel=True)
    draft = build_small_questionnaire(QuestionnaireFactory(survey=survey))
    published = services.questionnaire_publish(
        questionnaire=build_small_questionnaire(QuestionnaireFactory(survey=survey))
    )
    wave = services.wave_open(wave=services.wave_create(questionnaire=published, name=f"{team_name} wave"))
    response = Response.objects.create(
        wave=wave,
        questionnaire=published,
        language="en",
        answers={"consent": "yes"},
        current_section="about",
        trail=["start"],
    )
    resume_code = respondent_services.resume_code_issue(response=response)
    ((_pseudonym, token),) = respondent_services.invitations_create(wave=wave, count=1)
    job = export_services.export_job_create(
        survey=survey, waves=[wave], format=ExportJob.Format.CSV, options={}, user=researcher
    )
    job = export_services.export_job_run(job_id=job.pk)
    assert job is not None and job.status == ExportJob.Status.DONE and job.file_path
    snapshot = AggregateSnapshot.objects.create(
        wave=wave,
        status=AggregateSnapshot.Status.DONE,
        computed_at=timezone.now(),
        progress=100,
        responses=200,
        figures=figures(wave_id=wave.pk),
    )
    question = draft.questions.get(name="consent")
    return TeamWorld(
        team=team,
        researcher=researcher,
        client=client,
        survey=survey,
        draft=draft,
        published=published,
        section=draft.sections.get(name="start"),
        question=question,
        choice_list=question.choice_list,
        choice=question.choice_list.choices.first(),
        wave=wave,
        check_run=draft.check_runs.create(),
        export_job=job,
        snapshot=snapshot,
        response=response,
        member=PanelMember.objects.get(survey=survey),
        resume_code=resume_code,
        invitation_token=token,
    )


@pytest.fixture
def private_root(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def team_a(db, private_root: Path) -> TeamWorld:
    return build_team_world("team-a", "team-a-survey", "alice")


@pytest.fixture
def team_b(db, private_root: Path) -> TeamWorld:
    return build_team_world("team-b", "team-b-survey", "bob")
