from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from surveys.models import Question, Survey
from surveys.services import questionnaire_publish
from tests.factories import (
    ChoiceFactory,
    ChoiceListFactory,
    GroupFactory,
    QuestionFactory,
    SectionFactory,
    SurveyFactory,
    UserFactory,
)


def build_small_questionnaire(questionnaire=None):
    """A two-page bilingual draft: consent (yes/no), then a page shown only to those who agreed."""
    first = SectionFactory(**({"questionnaire": questionnaire} if questionnaire else {}), name="start")
    questionnaire = first.questionnaire
    yes_no = ChoiceListFactory(questionnaire=questionnaire, name="yes_no")
    ChoiceFactory(choice_list=yes_no, code="yes", label={"en": "Yes", "ru": "Да"})
    ChoiceFactory(choice_list=yes_no, code="no", label={"en": "No", "ru": "Нет"})
    QuestionFactory(
        section=first, name="consent", type=Question.Type.SELECT_ONE, choice_list=yes_no, required=True
    )
    second = SectionFactory(questionnaire=questionnaire, name="about", relevant="${consent} = 'yes'")
    QuestionFactory(
        section=second,
        name="birth_year",
        type=Question.Type.INTEGER,
        constraint=". >= 1930 and . <= 2008",
        constraint_message={"en": "Between 1930 and 2008", "ru": "От 1930 до 2008"},
    )
    return questionnaire


@pytest.fixture
def draft_questionnaire(db):
    return build_small_questionnaire()


@pytest.fixture
def published_questionnaire(draft_questionnaire):
    return questionnaire_publish(questionnaire=draft_questionnaire)


# Admin: a researcher of one team, and another team whose survey they must not see.


@pytest.fixture
def team(db) -> Group:
    return GroupFactory(name="team-north")


@pytest.fixture
def other_team(db) -> Group:
    return GroupFactory(name="team-south")


@pytest.fixture
def researcher(team: Group) -> User:
    user = UserFactory(username="anna")
    user.groups.add(team)
    from tests.surveys.admin_helpers import grant_survey_permissions

    grant_survey_permissions(user)
    return user


@pytest.fixture
def researcher_client(researcher: User) -> Client:
    client = Client()
    client.force_login(researcher)
    return client


@pytest.fixture
def superuser_client(db) -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_superuser=True))
    return client


@pytest.fixture
def own_survey(team: Group) -> Survey:
    return SurveyFactory(slug="north-panel", team=team)


@pytest.fixture
def foreign_survey(other_team: Group) -> Survey:
    return SurveyFactory(slug="south-secret", team=other_team)
