"""Which column holds what: translated text columns and their languages, and unsupported columns.

``label::English (en)`` holds the label in language ``en``: the code in parentheses (a bare code,
``label::en``, works too). A column without a code (``label``, ``label::English``) holds the form's
default language: the code of the settings sheet's ``default_language`` when it names one, else the
survey's default language. Only one language may go without a code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from surveys.models import Survey
from surveys.translation import LANGUAGE_CODE_RE
from surveys.xlsform.errors import XLSFormProblem
from surveys.xlsform.workbook import Sheet

LANGUAGE_NAMES = {
    "en": "English",
    "ru": "Russian",
    "uk": "Ukrainian",
    "be": "Belarusian",
    "kk": "Kazakh",
    "ka": "Georgian",
    "hy": "Armenian",
    "tr": "Turkish",
    "he": "Hebrew",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "pl": "Polish",
    "fi": "Finnish",
    "sr": "Serbian",
}
SURVEY_TEXT_FIELDS = {
    "label": "label",
    "caption": "label",
    "hint": "hint",
    "constraint_message": "constraint_message",
    "constraint message": "constraint_message",
    "constraining_message": "constraint_message",
    "jr:constraintmsg": "constraint_message",
}
CHOICE_TEXT_FIELDS = {"label": "label", "caption": "label"}
# Columns whose content Volna would otherwise drop silently: a form using them is refused.
UNSUPPORTED_SURVEY_COLUMNS = {
    "calculation": "calculations",
    "calculate": "calculations",
    "choice_filter": "cascading selects (choice_filter)",
    "default": "default answers",
    "repeat_count": "repeats",
    "jr:count": "repeats",
    "count": "repeats",
    "trigger": "triggers",
    "read_only": "read-only questions",
    "readonly": "read-only questions",
    "image": "media",
    "big-image": "media",
    "audio": "media",
    "video": "media",
    "media": "media",
}
UNSUPPORTED_CHOICE_COLUMNS = {key: "media" for key in ("image", "big-image", "audio", "video", "media")}
ENDS_SURVEY_COLUMN = "volna::ends_survey"
_CODE_IN_NAME_RE = re.compile(r"\(\s*([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\s*\)\s*$")


def language_name(code: str) -> str:
    """The XLSForm language name for a code: ``English (en)``; unknown codes fall back to the code."""
    return f"{LANGUAGE_NAMES.get(code, code)} ({code})"


def language_code(name: str) -> str | None:
    """The code in parentheses at the end of an XLSForm language name (or a bare code), or None."""
    if LANGUAGE_CODE_RE.match(name):
        return name
    match = _CODE_IN_NAME_RE.search(name)
    if not match:
        return None
    primary, *rest = match.group(1).split("-")
    return "-".join([primary.lower(), *rest])


@dataclass(frozen=True)
class TextColumn:
    """A column holding one translated field in one language."""

    header: str
    field: str
    language: str


def base_name(header: str) -> str:
    """The column name before any ``::language`` suffix, lower-case."""
    return header.split("::", 1)[0].strip().lower()


def form_default_language(settings_sheet: Sheet | None, survey: Survey) -> str:
    """The language of columns without a code (see the module docstring)."""
    if settings_sheet and settings_sheet.rows:
        header = settings_sheet.header("default_language")
        code = language_code(settings_sheet.rows[0].get(header))
        if code:
            return code
    return survey.default_language


def text_columns(
    sheet: Sheet, fields: dict[str, str], survey: Survey, default_code: str
) -> tuple[list[TextColumn], list[XLSFormProblem]]:
    """The translated text columns of a sheet, with problems about their languages."""
    columns: list[TextColumn] = []
    problems: list[XLSFormProblem] = []
    codeless: dict[str, str] = {}  # language name without a code -> first header using it
    taken: dict[tuple[str, str], str] = {}
    for header in sheet.headers:
        base, _sep, language = header.partition("::")
        field = fields.get(base.strip().lower())
        if field is None or not any(row.get(header) for row in sheet.rows):
            continue
        language = language.strip()
        code = language_code(language)
        if code is None:
            codeless.setdefault(language, header)
            if len(codeless) > 1:
                problems.append(_second_codeless_problem(sheet, header, codeless, default_code))
                continue
            code = default_code
        problem = _language_problem(sheet, header, code, survey, taken.get((field, code)))
        if problem:
            problems.append(problem)
            continue
        taken[(field, code)] = header
        columns.append(TextColumn(header=header, field=field, language=code))
    return columns, problems


def _second_codeless_problem(
    sheet: Sheet, header: str, codeless: dict[str, str], default_code: str
) -> XLSFormProblem:
    first = next(iter(codeless.values()))
    return sheet.problem(
        f'no language code in parentheses; "{first}" is already read as language "{default_code}". '
        f'Name the language with its code, e.g. "label::{language_name("ru")}"',
        row=1,
        column=header,
    )


def _language_problem(
    sheet: Sheet, header: str, code: str, survey: Survey, taken_by: str | None
) -> XLSFormProblem | None:
    if code not in survey.languages:
        return sheet.problem(
            f'language "{code}" is not one of the survey\'s languages ({", ".join(survey.languages)}); '
            "add it to the survey first, or remove this column",
            row=1,
            column=header,
        )
    if taken_by:
        return sheet.problem(
            f'"{taken_by}" already holds this text in language "{code}"', row=1, column=header
        )
    return None


def unsupported_column_problems(sheet: Sheet, unsupported: dict[str, str]) -> list[XLSFormProblem]:
    """A problem for each unsupported column that has content (at its first filled row)."""
    problems = []
    for header in sheet.headers:
        feature = unsupported.get(base_name(header))
        if feature is None:
            continue
        first = next((row for row in sheet.rows if row.get(header)), None)
        if first is not None:
            problems.append(
                sheet.problem(f"Volna does not support {feature}; clear this column", first.number, header)
            )
    return problems
