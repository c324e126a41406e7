"""Read and check a whole XLSForm without touching the database."""

from __future__ import annotations

from surveys.models import Survey
from surveys.xlsform.checks import (
    choice_list_problems,
    expression_problems,
    name_problems,
    pyxform_problems,
)
from surveys.xlsform.choices_sheet import read_choices
from surveys.xlsform.columns import (
    CHOICE_TEXT_FIELDS,
    SURVEY_TEXT_FIELDS,
    UNSUPPORTED_CHOICE_COLUMNS,
    UNSUPPORTED_SURVEY_COLUMNS,
    TextColumn,
    form_default_language,
    text_columns,
    unsupported_column_problems,
)
from surveys.xlsform.drafts import FormDraft
from surveys.xlsform.errors import XLSFormError, XLSFormProblem
from surveys.xlsform.survey_sheet import SurveySheetReader
from surveys.xlsform.workbook import read_workbook


def xlsform_read(*, survey: Survey, file_bytes: bytes, filename: str) -> FormDraft:
    """The form in ``file_bytes`` as drafts, or XLSFormError listing every problem found.

    Problems are collected sheet-wide so the researcher can fix them in one pass; pyxform's own
    checks run last (it stops at its first error), only on a form that passed Volna's.
    """
    sheets = read_workbook(file_bytes, filename)
    survey_sheet, choices_sheet = sheets["survey"], sheets.get("choices")
    default_code = form_default_language(sheets.get("settings"), survey)
    survey_texts, problems = text_columns(survey_sheet, SURVEY_TEXT_FIELDS, survey, default_code)
    problems += unsupported_column_problems(survey_sheet, UNSUPPORTED_SURVEY_COLUMNS)
    choice_texts: list[TextColumn] = []
    if choices_sheet is not None:
        choice_texts, choice_text_problems = text_columns(
            choices_sheet, CHOICE_TEXT_FIELDS, survey, default_code
        )
        problems += choice_text_problems
        problems += unsupported_column_problems(choices_sheet, UNSUPPORTED_CHOICE_COLUMNS)
    sections, sheet_problems = SurveySheetReader(survey_sheet, survey_texts).read()
    lists, list_problems = read_choices(choices_sheet, choice_texts)
    problems += sheet_problems + list_problems
    form = FormDraft(sections=sections, lists=lists)
    problems += name_problems(form, survey_sheet)
    problems += choice_list_problems(form, survey_sheet, list(survey.languages))
    problems += expression_problems(form, survey_sheet)
    if not any(section.questions for section in sections) and not problems:
        problems.append(survey_sheet.problem("the form has no questions"))
    if problems:
        raise XLSFormError(_in_sheet_order(problems))
    problems = pyxform_problems(file_bytes, sheets)
    if problems:
        raise XLSFormError(problems)
    return form


def _in_sheet_order(problems: list[XLSFormProblem]) -> list[XLSFormProblem]:
    sheet_order = {"survey": 0, "choices": 1, "settings": 2}
    return sorted(
        problems,
        key=lambda p: (
            p.sheet is not None,
            sheet_order.get((p.sheet or "").lower(), 3),
            p.row or 0,
            len(p.letter or ""),
            p.letter or "",
        ),
    )
