"""Whole-form checks on a read form: names, choice lists, expressions; and pyxform's own checks."""

from __future__ import annotations

import re

from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from surveys import expressions
from surveys.models import VARIABLE_NAME_PATTERN, Question
from surveys.xlsform.drafts import ChoiceDraft, FormDraft, QuestionDraft
from surveys.xlsform.errors import XLSFormProblem
from surveys.xlsform.workbook import Sheet

_NAME_RE = re.compile(VARIABLE_NAME_PATTERN)
_PYXFORM_ROW_RE = re.compile(r"^\s*\[row\s*:\s*(\d+)\]\s*")
_PYXFORM_SHEET_RE = re.compile(r"'(survey|choices|settings)' sheet")
_PYXFORM_COLUMN_RE = re.compile(r"the '([\w:]+)' value")
# The label of the choice Volna adds for "or_other" when the list has none; other languages are left
# empty so publishing lists them as missing translations.
OTHER_LABELS = {"en": "Other", "ru": "Другое", "uk": "Інше", "de": "Andere", "fr": "Autre", "es": "Otro"}


def name_problems(form: FormDraft, sheet: Sheet) -> list[XLSFormProblem]:
    """Names valid for SPSS and Stata and unique in the whole form; automatic pages get free names."""
    problems: list[XLSFormProblem] = []
    name_header = sheet.header("name")
    first_rows: dict[str, int] = {}
    rows: list[tuple[str, int]] = [(s.name, s.row) for s in form.sections if s.row is not None]
    rows += [(q.name, q.row) for q in form.questions()]
    for name, row in sorted(rows, key=lambda pair: pair[1]):
        if not name:
            continue  # reported when read
        if not _NAME_RE.match(name):
            problems.append(sheet.problem(_bad_name(name), row, name_header))
        elif name in first_rows:
            problems.append(
                sheet.problem(
                    f'duplicate name "{name}" (first used in row {first_rows[name]})', row, name_header
                )
            )
        first_rows.setdefault(name, row)
    problems += _other_name_problems(form, sheet, first_rows)
    _name_automatic_sections(form, set(first_rows))
    return problems


def _other_name_problems(form: FormDraft, sheet: Sheet, first_rows: dict[str, int]) -> list[XLSFormProblem]:
    """The "other, specify" answer of ``name`` is stored as ``name_other``: it must be valid and free."""
    problems: list[XLSFormProblem] = []
    name_header = sheet.header("name")
    for question in form.questions():
        other = f"{question.name}_other"
        if question.has_other and _NAME_RE.match(question.name) and not _NAME_RE.match(other):
            problems.append(
                sheet.problem(
                    f'with or_other the name may have at most 26 characters: "{other}" (its "other, '
                    'specify" answer) must also be a valid variable name',
                    question.row,
                    name_header,
                )
            )
        if question.has_other and other in first_rows:
            problems.append(
                sheet.problem(
                    f'"{other}" is the name of the "other, specify" answer of "{question.name}" '
                    f"(row {question.row}); rename this row",
                    first_rows[other],
                    name_header,
                )
            )
    return problems


def _bad_name(name: str) -> str:
    length = f" (it has {len(name)} characters)" if len(name) > 32 else ""
    return (
        f'"{name}" is not a valid variable name for SPSS and Stata{length}: use 1 to 32 characters, '
        "a lower-case letter first, then lower-case letters, digits or _"
    )


def _name_automatic_sections(form: FormDraft, taken: set[str]) -> None:
    for position, section in enumerate(form.sections, start=1):
        if section.row is None:
            name, suffix = f"page_{position}", 1
            while name in taken:
                name, suffix = f"page_{position}_{suffix}", suffix + 1
            section.name = name
            taken.add(name)


def choice_list_problems(form: FormDraft, sheet: Sheet, languages: list[str]) -> list[XLSFormProblem]:
    """Every choice question names a list on the choices sheet; or_other lists get an 'other' choice."""
    problems = []
    other_label = {code: OTHER_LABELS[code] for code in languages if code in OTHER_LABELS}
    for question in form.questions():
        if question.list_name is None or question.type == Question.Type.MATRIX:
            continue  # a grid's list is checked on its rows
        choices = form.lists.get(question.list_name)
        if choices is None:
            problems.append(
                sheet.problem(
                    f'choice list "{question.list_name}" is not on the choices sheet',
                    question.row,
                    sheet.header("type"),
                )
            )
        elif question.has_other and not any(c.code == "other" for c in choices.choices):
            choices.choices.append(ChoiceDraft(code="other", label=dict(other_label), row=None))
    return problems


def expression_problems(form: FormDraft, sheet: Sheet) -> list[XLSFormProblem]:
    """Every relevant and constraint parses and refers only to questions that have answers."""
    answers = {name for question in form.questions() for name in question.answer_names}
    no_answer = {q.name: _what(q) for q in form.questions() if not q.answer_names}
    no_answer.update({s.name: "a page" for s in form.sections})
    relevant_header = sheet.header("relevant") or sheet.header("relevance")
    constraint_header = sheet.header("constraint")
    problems: list[XLSFormProblem] = []

    def check(source: str, row: int | None, header: str | None) -> None:
        for message in _expression_messages(source, answers, no_answer):
            problems.append(sheet.problem(message, row, header))

    for section in form.sections:
        check(section.relevant, section.row, relevant_header)
    for question in form.questions():
        check(question.relevant, question.row, relevant_header)
        check(question.constraint, question.row, constraint_header)
    return problems


def _what(question: QuestionDraft) -> str:
    return "a note" if question.type == Question.Type.NOTE else "a grid (refer to its rows)"


def _expression_messages(source: str, answers: set[str], no_answer: dict[str, str]) -> list[str]:
    if not source.strip():
        return []
    try:
        names = expressions.references(expressions.parse(source))
    except expressions.ExpressionError as error:
        where = f" (at character {error.position + 1})" if error.position >= 0 else ""
        return [f"the expression does not parse: {error.message}{where}"]
    messages = []
    for name in sorted(set(names) - answers):
        if name in no_answer:
            messages.append(f"${{{name}}} is {no_answer[name]}, which has no answer")
        else:
            messages.append(f"${{{name}}} refers to no question in this form")
    return messages


def pyxform_problems(file_bytes: bytes, sheets: dict[str, Sheet]) -> list[XLSFormProblem]:
    """pyxform's verdict on the workbook as an XLSForm (it stops at its first error)."""
    try:
        workbook_to_json(get_xlsform(file_bytes, file_type=".xlsx"), warnings=[])
    except PyXFormError as error:
        return [_locate(error, sheets)]
    except Exception as error:  # pyxform raises plain exceptions on some malformed input
        return [XLSFormProblem(f"pyxform could not read the form: {error}")]
    return []


def _locate(error: PyXFormError, sheets: dict[str, Sheet]) -> XLSFormProblem:
    """pyxform's message, keeping its text, with the sheet, row and column it names."""
    text = str(error)
    context = getattr(error, "context", None) or {}
    row = context.get("row") or _first_group(_PYXFORM_ROW_RE, text)
    row = int(row) if row else None
    sheet_key = context.get("sheet") or _first_group(_PYXFORM_SHEET_RE, text) or ("survey" if row else None)
    column = context.get("column") or _first_group(_PYXFORM_COLUMN_RE, text)
    message = _PYXFORM_ROW_RE.sub("", text, count=1)
    sheet = sheets.get(sheet_key or "")
    if sheet is None:
        return XLSFormProblem(message, sheet=sheet_key, row=row)
    return sheet.problem(message, row, sheet.header(column) if column else None)


def _first_group(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(1) if match else None
