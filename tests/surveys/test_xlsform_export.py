"""XLSForm export: an exported version imports back into the same questionnaire."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from surveys.models import Question, Questionnaire
from surveys.snapshot import questionnaire_compile
from surveys.xlsform import xlsform_export, xlsform_import
from tests.factories import ChoiceFactory, ChoiceListFactory, QuestionFactory, SurveyFactory
from tests.surveys.conftest import build_small_questionnaire
from tests.xlsform_helpers import CHOICES_HEADER, SURVEY_HEADER, cell_types, make_xlsform, read_sheet

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "surveys" / "demo" / "emigrants_2022.xlsx"


def compiled_without_version(questionnaire: Questionnaire) -> dict[str, Any]:
    snapshot = questionnaire_compile(questionnaire)
    snapshot.pop("version")
    return snapshot


def reimported(questionnaire: Questionnaire) -> Questionnaire:
    return xlsform_import(
        survey=questionnaire.survey, file_bytes=xlsform_export(questionnaire), filename="exported.xlsx"
    )


RICH_HEADER = [
    *SURVEY_HEADER,
    "hint::English (en)",
    "hint::Russian (ru)",
    "required",
    "relevant",
    "constraint",
    "constraint_message::English (en)",
    "constraint_message::Russian (ru)",
    "appearance",
    "parameters",
    "volna::ends_survey",
]


def row(row_type: str, name: str, en: str = "", ru: str = "", **columns: str) -> list[str]:
    """One survey row under RICH_HEADER; ``columns`` by header."""
    values = {"type": row_type, "name": name, "label::English (en)": en, "label::Russian (ru)": ru}
    values.update(columns)
    return [values.get(header, "") for header in RICH_HEADER]


def rich_form() -> bytes:
    """Every feature the exporter must carry: grid, or_other, randomize, ends_survey, automatic page."""
    rows = [
        RICH_HEADER,
        row("note", "hello", "=Welcome", "=Привет"),
        row("begin_group", "main", "Main", "Главная", appearance="field-list"),
        row(
            "select_one yes_no or_other",
            "pet",
            "Pet?",
            "Питомец?",
            required="yes",
            appearance="minimal",
            parameters="randomize=true",
            **{"hint::English (en)": "A hint", "hint::Russian (ru)": "Подсказка"},
        ),
        row(
            "integer",
            "age",
            "Age",
            "Возраст",
            relevant="${pet} = 'yes'",
            constraint=". > 0",
            **{
                "constraint_message::English (en)": "Positive",
                "constraint_message::Russian (ru)": "Больше нуля",
            },
        ),
        row("rank agree", "order", "Order", "Порядок"),
        row("begin_group", "grid", "Grid", "Сетка", relevant="${age} > 17", appearance="table-list"),
        row("select_one agree", "g1", "One", "Один", required="yes"),
        row("select_one agree", "g2", "Two", "Два", relevant="${age} > 20"),
        row("end_group", "grid"),
        row("text", "story", "Story", "История", appearance="multiline"),
        row("end_group", "main"),
        row("begin_group", "out", "Out", "Выход", relevant="${pet} = 'no'", **{"volna::ends_survey": "yes"}),
        row("note", "bye", "Bye", "Пока"),
        row("end_group", "out"),
    ]
    choices = [
        CHOICES_HEADER,
        ["yes_no", "yes", "Yes", "Да"],
        ["yes_no", "no", "No", "Нет"],
        ["agree", "1", "Agree", "Согласен"],
        ["agree", "2", "Disagree", "Не согласен"],
        ["unused", "x", "X", "Икс"],
    ]
    return make_xlsform(rows, choices)


def test_the_demo_form_survives_export_and_reimport():
    survey = SurveyFactory(slug="emigrants-2022")
    original = xlsform_import(survey=survey, file_bytes=DEMO.read_bytes(), filename=DEMO.name)

    copy = reimported(original)

    assert copy.number == original.number + 1
    assert compiled_without_version(copy) == compiled_without_version(original)


def test_grids_other_randomize_and_ending_pages_survive_export_and_reimport():
    original = xlsform_import(survey=SurveyFactory(), file_bytes=rich_form(), filename="rich.xlsx")

    copy = reimported(original)

    snapshot = compiled_without_version(copy)
    assert snapshot == compiled_without_version(original)
    assert [s["name"] for s in snapshot["sections"]] == ["page_1", "main", "out"]
    grid = snapshot["sections"][1]["questions"][3]
    assert (grid["type"], [i["name"] for i in grid["items"]]) == ("matrix", ["g1", "g2"])
    pet = snapshot["sections"][1]["questions"][0]
    assert (pet["has_other"], pet["randomize"]) == (True, True)
    assert snapshot["sections"][2]["ends_survey"] is True


def test_a_questionnaire_built_in_the_admin_survives_export_and_reimport():
    original = build_small_questionnaire()

    copy = reimported(original)

    assert compiled_without_version(copy) == compiled_without_version(original)


def test_a_matrix_built_in_the_admin_survives_export_and_reimport():
    original = build_small_questionnaire()
    section = original.sections.get(name="about")
    agree = ChoiceListFactory(questionnaire=original, name="agree")
    ChoiceFactory(choice_list=agree, code="1", label={"en": "Agree", "ru": "Согласен"})
    matrix = QuestionFactory(
        section=section, name="trust", type=Question.Type.MATRIX, choice_list=agree, required=True
    )
    for name in ("trust_media", "trust_courts"):
        QuestionFactory(
            section=section, parent=matrix, name=name, type=Question.Type.SELECT_ONE, choice_list=agree
        )

    copy = reimported(original)

    assert compiled_without_version(copy) == compiled_without_version(original)
    assert copy.questions.get(name="trust").items.count() == 2


def test_every_survey_language_gets_its_own_columns():
    survey = SurveyFactory(languages=["en", "ru", "xx"])
    questionnaire = xlsform_import(survey=survey, file_bytes=rich_form(), filename="rich.xlsx")

    file_bytes = xlsform_export(questionnaire)

    survey_rows = read_sheet(file_bytes, "survey")
    headers = list(survey_rows[0])
    assert [h for h in headers if h.startswith("label::")] == [
        "label::English (en)",
        "label::Russian (ru)",
        "label::xx (xx)",
    ]
    assert list(read_sheet(file_bytes, "choices")[0]) == [
        "list_name",
        "name",
        "label::English (en)",
        "label::Russian (ru)",
        "label::xx (xx)",
    ]
    settings = read_sheet(file_bytes, "settings")
    assert settings == [
        {
            "form_title": survey.title["en"],
            "form_id": survey.slug.replace("-", "_"),
            "version": "1",
            "default_language": "English (en)",
        }
    ]


def test_text_starting_with_an_equals_sign_is_written_as_text_not_a_formula():
    questionnaire = xlsform_import(survey=SurveyFactory(), file_bytes=rich_form(), filename="rich.xlsx")

    file_bytes = xlsform_export(questionnaire)

    hello = read_sheet(file_bytes, "survey")[1]
    assert (hello["name"], hello["label::English (en)"]) == ("hello", "=Welcome")
    assert set(cell_types(file_bytes, "survey").values()) == {"s"}
    assert reimported(questionnaire).questions.get(name="hello").label == {"en": "=Welcome", "ru": "=Привет"}


def test_the_other_choice_is_written_as_a_normal_choice():
    questionnaire = xlsform_import(survey=SurveyFactory(), file_bytes=rich_form(), filename="rich.xlsx")

    choices = read_sheet(xlsform_export(questionnaire), "choices")

    yes_no = [(row["name"], row["label::Russian (ru)"]) for row in choices if row["list_name"] == "yes_no"]
    assert yes_no == [("yes", "Да"), ("no", "Нет"), ("other", "Другое")]
