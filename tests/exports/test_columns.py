"""The column plan: names, kinds and labels of every export column."""

from __future__ import annotations

import pytest

from exports.columns import Kind, clean_code, column_plan
from surveys.services import questionnaire_publish
from surveys.xlsform import xlsform_import
from tests.factories import SurveyFactory

pytestmark = pytest.mark.django_db

DEMO = "surveys/demo/emigrants_2022.xlsx"


@pytest.fixture
def demo_snapshot():
    from pathlib import Path

    survey = SurveyFactory(slug="emigrants", languages=["en", "ru"])
    draft = xlsform_import(survey=survey, file_bytes=Path(DEMO).read_bytes(), filename="demo.xlsx")
    return questionnaire_publish(questionnaire=draft).snapshot


def test_demo_plan_has_one_column_per_variable_and_dummies_per_choice(demo_snapshot):
    plan = column_plan([demo_snapshot])

    names = [column.name for column in plan]
    assert names[:3] == ["consent", "country", "country_other"]
    assert "act_before_rally" in names and "act_after_none" in names
    assert "intro" not in names  # a note has no column
    assert len(names) == len(set(names))
    rally = next(column for column in plan if column.name == "act_after_rally")
    assert rally.kind == Kind.DUMMY and rally.choice == "rally" and rally.variable == "act_after"
    assert rally.label["ru"].startswith("Что из перечисленного вы делали после отъезда")
    country = next(column for column in plan if column.name == "country")
    assert country.value_labels["GE"] == {"en": "Georgia", "ru": "Грузия"}


def test_column_values_follow_the_conventions(demo_snapshot):
    plan = {column.name: column for column in column_plan([demo_snapshot])}
    answers = {"country": "GE", "act_after": ["rally", "donate"], "birth_year": 1990}

    assert plan["country"].value(answers) == "GE"
    assert plan["act_after_rally"].value(answers) == 1
    assert plan["act_after_petition"].value(answers) == 0
    assert plan["act_before_rally"].value(answers) is None  # not answered: empty, not 0
    assert plan["birth_year"].value(answers) == 1990


def test_codes_become_valid_name_fragments():
    assert clean_code("GE") == "ge"
    assert clean_code("Don't know!") == "don_t_know"
    assert clean_code("---") == "x"


def test_plans_of_two_versions_align_by_variable_name(demo_snapshot):
    later = {
        **demo_snapshot,
        "sections": [
            *demo_snapshot["sections"],
            {
                "name": "extra",
                "title": {},
                "relevant": None,
                "relevant_ast": None,
                "ends_survey": False,
                "questions": [
                    {
                        **demo_snapshot["sections"][2]["questions"][0],
                        "name": "new_q",
                        "type": "text",
                        "choice_list": None,
                        "other_name": None,
                    },
                ],
            },
        ],
    }

    plan = column_plan([demo_snapshot, later])

    names = [column.name for column in plan]
    assert names.count("consent") == 1
    assert names[-1] == "new_q"
