"""Write a questionnaire version as an XLSForm (.xlsx) that imports back into the same questionnaire.

Every survey language gets its own ``label::English (en)``-style columns. Text is always written as
text: a label starting with "=" stays a string, never a formula.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

from surveys.models import Question, Questionnaire, Section
from surveys.translation import text_in
from surveys.xlsform.columns import ENDS_SURVEY_COLUMN, language_name

_SIMPLE_TYPES = {
    Question.Type.NOTE: "note",
    Question.Type.TEXT: "text",
    Question.Type.INTEGER: "integer",
    Question.Type.DECIMAL: "decimal",
    Question.Type.DATE: "date",
}
_LIST_TYPES = {
    Question.Type.SELECT_ONE: "select_one",
    Question.Type.SELECT_MULTIPLE: "select_multiple",
    Question.Type.RANKING: "rank",
}
_TRANSLATED = ("label", "hint", "constraint_message")


def xlsform_export(questionnaire: Questionnaire) -> bytes:
    """The questionnaire as an .xlsx XLSForm: survey, choices and settings sheets."""
    survey = questionnaire.survey
    languages = list(survey.languages)
    book = Workbook()
    book.remove(book.active)
    _write_survey(book.create_sheet("survey"), questionnaire, languages)
    _write_choices(book.create_sheet("choices"), questionnaire, languages)
    settings = {
        "form_title": text_in(survey.title, survey.default_language),
        "form_id": re.sub(r"\W", "_", survey.slug),
        "version": str(questionnaire.number),
        "default_language": language_name(survey.default_language),
    }
    _write_rows(book.create_sheet("settings"), list(settings), [settings])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _survey_headers(languages: list[str]) -> list[str]:
    def texts(field: str) -> list[str]:
        return [f"{field}::{language_name(code)}" for code in languages]

    return [
        "type",
        "name",
        *texts("label"),
        *texts("hint"),
        "required",
        "relevant",
        "constraint",
        *texts("constraint_message"),
        "appearance",
        "parameters",
        ENDS_SURVEY_COLUMN,
    ]


def _write_survey(sheet: Worksheet, questionnaire: Questionnaire, languages: list[str]) -> None:
    questions = list(questionnaire.questions.select_related("choice_list").order_by("position", "id"))
    items: dict[int, list[Question]] = {}
    for question in questions:
        if question.parent_id:
            items.setdefault(question.parent_id, []).append(question)
    rows: list[dict[str, str]] = []
    for section in questionnaire.sections.order_by("position", "id"):
        rows.append(_section_row(section, languages))
        for question in questions:
            if question.section_id == section.pk and not question.parent_id:
                rows.extend(_question_rows(question, items.get(question.pk, []), languages))
        rows.append({"type": "end_group", "name": section.name})
    _write_rows(sheet, _survey_headers(languages), rows)


def _section_row(section: Section, languages: list[str]) -> dict[str, str]:
    row = {
        "type": "begin_group",
        "name": section.name,
        "relevant": section.relevant,
        "appearance": "field-list",
        ENDS_SURVEY_COLUMN: "yes" if section.ends_survey else "",
    }
    row.update(_texts("label", section.title, languages))
    return row


def _question_rows(question: Question, items: list[Question], languages: list[str]) -> list[dict[str, str]]:
    if question.type == Question.Type.MATRIX:
        others = [word for word in question.appearance.split() if word != "table-list"]
        begin = {
            "type": "begin_group",
            "name": question.name,
            "relevant": question.relevant,
            "required": "yes" if question.required else "",
            "appearance": " ".join(["table-list", *others]),
        }
        begin.update(_texts("label", question.label, languages))
        begin.update(_texts("hint", question.hint, languages))
        rows = [begin, *(_item_row(item, languages) for item in items)]
        return [*rows, {"type": "end_group", "name": question.name}]
    return [_question_row(question, languages)]


def _item_row(item: Question, languages: list[str]) -> dict[str, str]:
    """A grid row: the respondent flow uses no constraint or "other" on grid rows, so none is written."""
    row = _question_row(item, languages)
    row["type"] = row["type"].removesuffix(" or_other")
    row["constraint"] = ""
    row.update(_texts("constraint_message", {}, languages))
    return row


def _question_row(question: Question, languages: list[str]) -> dict[str, str]:
    if question.type in _LIST_TYPES:
        list_name = question.choice_list.name if question.choice_list_id else ""
        question_type = f"{_LIST_TYPES[question.type]} {list_name}"
        if question.has_other:
            question_type += " or_other"
    else:
        question_type = _SIMPLE_TYPES[question.type]
    row = {
        "type": question_type,
        "name": question.name,
        "required": "yes" if question.required else "",
        "relevant": question.relevant,
        "constraint": question.constraint,
        "appearance": question.appearance,
        "parameters": "randomize=true" if question.randomize else "",
    }
    for field in _TRANSLATED:
        row.update(_texts(field, getattr(question, field), languages))
    return row


def _write_choices(sheet: Worksheet, questionnaire: Questionnaire, languages: list[str]) -> None:
    headers = ["list_name", "name", *(f"label::{language_name(code)}" for code in languages)]
    rows = []
    for choice_list in questionnaire.choice_lists.order_by("name").prefetch_related("choices"):
        for choice in choice_list.choices.all():
            row = {"list_name": choice_list.name, "name": choice.code}
            row.update(_texts("label", choice.label, languages))
            rows.append(row)
    _write_rows(sheet, headers, rows)


def _texts(field: str, texts: dict[str, Any] | None, languages: list[str]) -> dict[str, str]:
    return {f"{field}::{language_name(code)}": str((texts or {}).get(code) or "") for code in languages}


def _write_rows(sheet: Worksheet, headers: list[str], rows: Iterable[dict[str, str]]) -> None:
    sheet.append(headers)
    for row_number, row in enumerate(rows, start=2):
        for column, header in enumerate(headers, start=1):
            value = ILLEGAL_CHARACTERS_RE.sub("", row.get(header) or "")
            if value:
                cell = sheet.cell(row=row_number, column=column, value=value)
                cell.data_type = "s"  # never a formula, even when the text starts with "="
