"""Researchers see only their teams' surveys in the admin; anything else is a 404, never a 403."""

from __future__ import annotations

import pytest
from django.test import Client

from surveys import services
from surveys.models import Questionnaire, Survey
from tests.factories import GroupFactory, SurveyFactory
from tests.surveys.admin_helpers import admin_url, draft_of, published_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign_objects(foreign_survey: Survey) -> dict[str, object]:
    """Another team's survey with a draft, a published version, a wave and a check run."""
    draft = draft_of(foreign_survey)
    published = published_of(foreign_survey)
    wave = services.wave_create(questionnaire=published, name="Their wave")
    run = draft.check_runs.create()
    return {"survey": foreign_survey, "draft": draft, "published": published, "wave": wave, "run": run}


def test_changelists_list_only_the_researchers_team_surveys(
    researcher_client: Client, own_survey, foreign_objects
):
    # given a survey of the researcher's team and one of another team (in foreign_objects)
    draft_of(own_survey)

    # when / then
    surveys = researcher_client.get(admin_url("survey_changelist"))
    assert surveys.status_code == 200
    assert b"north-panel" in surveys.content
    assert b"south-secret" not in surveys.content
    versions = researcher_client.get(admin_url("questionnaire_changelist"))
    assert b"north-panel v" in versions.content
    assert b"south-secret" not in versions.content
    for changelist in ("section", "choicelist", "question", "wave", "checkrun"):
        response = researcher_client.get(admin_url(f"{changelist}_changelist"))
        assert response.status_code == 200
        assert b"south-secret" not in response.content, changelist


def test_superuser_sees_every_team_survey(superuser_client: Client, own_survey, foreign_survey):
    response = superuser_client.get(admin_url("survey_changelist"))

    assert b"north-panel" in response.content
    assert b"south-secret" in response.content


def test_other_teams_change_pages_are_not_found(researcher_client: Client, foreign_objects):
    draft = foreign_objects["draft"]
    pages = [
        admin_url("survey_change", foreign_objects["survey"].pk),
        admin_url("survey_history", foreign_objects["survey"].pk),
        admin_url("survey_delete", foreign_objects["survey"].pk),
        admin_url("questionnaire_change", draft.pk),
        admin_url("questionnaire_change", foreign_objects["published"].pk),
        admin_url("section_change", draft.sections.first().pk),
        admin_url("choicelist_change", draft.choice_lists.first().pk),
        admin_url("question_change", draft.questions.first().pk),
        admin_url("wave_change", foreign_objects["wave"].pk),
        admin_url("checkrun_change", foreign_objects["run"].pk),
    ]
    for page in pages:
        assert researcher_client.get(page).status_code == 404, page
    # a missing object is indistinguishable from another team's
    assert researcher_client.get(admin_url("survey_change", 999_999)).status_code == 404


def test_other_teams_custom_views_and_download_are_not_found(researcher_client: Client, foreign_objects):
    draft, published, wave = foreign_objects["draft"], foreign_objects["published"], foreign_objects["wave"]
    survey_id = foreign_objects["survey"].pk
    gets = [
        admin_url("survey_import", survey_id),
        admin_url("survey_new_version", survey_id),
        admin_url("questionnaire_download", draft.pk),
        admin_url("questionnaire_translations", draft.pk),
        admin_url("questionnaire_preview", draft.pk, "en"),
        admin_url("questionnaire_publish", draft.pk),
        admin_url("questionnaire_wave_create", published.pk),
        admin_url("checkrun_status", foreign_objects["run"].pk),
    ]
    posts = [
        admin_url("survey_import", survey_id),
        admin_url("survey_new_version", survey_id),
        admin_url("questionnaire_translations", draft.pk),
        admin_url("questionnaire_publish", draft.pk),
        admin_url("questionnaire_checks", draft.pk),
        admin_url("questionnaire_wave_create", published.pk),
        admin_url("wave_open", wave.pk),
        admin_url("wave_close", wave.pk),
    ]
    for url in gets:
        assert researcher_client.get(url).status_code == 404, url
    for url in posts:
        assert researcher_client.post(url, {"name": "x", "source": ""}).status_code == 404, url
    # and nothing changed
    assert Questionnaire.objects.filter(survey_id=survey_id).count() == 2
    draft.refresh_from_db()
    wave.refresh_from_db()
    assert draft.status == "draft"
    assert wave.status == "draft"


def test_new_survey_form_offers_only_the_researchers_own_teams(researcher_client: Client, other_team):
    response = researcher_client.get(admin_url("survey_add"))

    team_choices = [label for _value, label in response.context["adminform"].form.fields["team"].choices]
    assert "team-north" in team_choices
    assert "team-south" not in team_choices


def test_creating_a_survey_for_another_team_is_refused(researcher_client: Client, other_team):
    response = researcher_client.post(
        admin_url("survey_add"),
        {
            "slug": "sneaky",
            "title": "Sneaky",
            "languages": "en",
            "default_language": "en",
            "team": other_team.pk,
            "date_precision": "day",
            "small_cell_k": 5,
        },
    )

    assert response.status_code == 200  # the form comes back with an error
    assert "team" in response.context["adminform"].form.errors
    assert not Survey.objects.filter(slug="sneaky").exists()


def test_a_researcher_in_two_teams_sees_both(researcher, researcher_client: Client, own_survey):
    second = GroupFactory(name="team-east")
    researcher.groups.add(second)
    SurveyFactory(slug="east-study", team=second)

    response = researcher_client.get(admin_url("survey_changelist"))

    assert b"north-panel" in response.content
    assert b"east-study" in response.content


def test_version_choices_in_filters_do_not_leak_other_teams(
    researcher_client: Client, own_survey, foreign_objects
):
    draft_of(own_survey)

    response = researcher_client.get(admin_url("questionnaire_changelist"))

    assert b"south-secret" not in response.content
