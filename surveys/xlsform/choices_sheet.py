"""Read the choices sheet into choice lists."""

from __future__ import annotations

import re

from surveys.models import CODE_PATTERN
from surveys.xlsform.columns import TextColumn
from surveys.xlsform.drafts import ChoiceDraft, ListDraft
from surveys.xlsform.errors import XLSFormProblem
from surveys.xlsform.workbook import Row, Sheet

_CODE_RE = re.compile(CODE_PATTERN)
_CODE_RULE = "use 1 to 64 letters, digits, '_', '.' or '-' (no spaces)"


def read_choices(
    sheet: Sheet | None, texts: list[TextColumn]
) -> tuple[dict[str, ListDraft], list[XLSFormProblem]]:
    """Choice lists by name, in sheet order, and every problem found."""
    if sheet is None or not sheet.rows:
        return {}, []
    list_header = sheet.header("list_name") or sheet.header("list name")
    code_header = sheet.header("name") or sheet.header("value")
    label_header = next((t.header for t in texts if t.field == "label"), None)
    problems = [
        sheet.problem(f'the sheet has no "{name}" column', row=1)
        for name, header in (("list_name", list_header), ("name", code_header), ("label", label_header))
        if header is None
    ]
    if problems:
        return {}, problems
    lists: dict[str, ListDraft] = {}
    first_rows: dict[tuple[str, str], int] = {}
    for row in sheet.rows:
        list_name, code = row.get(list_header), row.get(code_header)
        problem = _row_problem(sheet, row, list_header, code_header, first_rows)
        if problem:
            problems.append(problem)
            continue
        label = {t.language: row.get(t.header) for t in texts if t.field == "label" and row.get(t.header)}
        if not label:
            problems.append(sheet.problem("the choice has no label", row.number, label_header))
        first_rows[(list_name, code)] = row.number
        choices = lists.setdefault(list_name, ListDraft(name=list_name, row=row.number))
        choices.choices.append(ChoiceDraft(code=code, label=label, row=row.number))
    return lists, problems


def _row_problem(
    sheet: Sheet, row: Row, list_header: str, code_header: str, first_rows: dict[tuple[str, str], int]
) -> XLSFormProblem | None:
    list_name, code = row.get(list_header), row.get(code_header)
    if not list_name:
        return sheet.problem("the list_name is empty", row.number, list_header)
    if not _CODE_RE.match(list_name):
        return sheet.problem(f'list name "{list_name}" is not valid: {_CODE_RULE}', row.number, list_header)
    if not code:
        return sheet.problem("the choice name (its code) is empty", row.number, code_header)
    if not _CODE_RE.match(code):
        return sheet.problem(f'choice code "{code}" is not valid: {_CODE_RULE}', row.number, code_header)
    if (list_name, code) in first_rows:
        return sheet.problem(
            f'duplicate choice code "{code}" in list "{list_name}" (first in row '
            f"{first_rows[(list_name, code)]})",
            row.number,
            code_header,
        )
    return None
