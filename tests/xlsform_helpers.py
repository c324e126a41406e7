"""Build small XLSForm workbooks in tests."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook, load_workbook

SURVEY_HEADER = ["type", "name", "label::English (en)", "label::Russian (ru)"]
CHOICES_HEADER = ["list_name", "name", "label::English (en)", "label::Russian (ru)"]
YES_NO = [CHOICES_HEADER, ["yes_no", "yes", "Yes", "Да"], ["yes_no", "no", "No", "Нет"]]

Rows = Sequence[Sequence[object]]


def make_xlsform(
    survey_rows: Rows, choices_rows: Rows | None = None, settings_rows: Rows | None = None
) -> bytes:
    """An .xlsx with the given sheets; each list of rows starts with its header row."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in (("survey", survey_rows), ("choices", choices_rows), ("settings", settings_rows)):
        if rows is None:
            continue
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text typed in Excel, not a formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_column(rows: Rows, header: str, values: dict[int, str]) -> list[list[object]]:
    """``rows`` with one more column: ``values`` maps a 1-based spreadsheet row to its cell text."""
    widened = [list(row) + [""] * (len(rows[0]) - len(row)) for row in rows]
    widened[0].append(header)
    for number, row in enumerate(widened[1:], start=2):
        row.append(values.get(number, ""))
    return widened


def read_sheet(file_bytes: bytes, title: str) -> list[dict[str, object]]:
    """A sheet of a workbook as one dict per row, keyed by header."""
    sheet = load_workbook(io.BytesIO(file_bytes))[title]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def cell_types(file_bytes: bytes, title: str) -> dict[str, str]:
    """Each non-empty cell's openpyxl data type ('s' text, 'f' formula, 'n' number), by coordinate."""
    sheet = load_workbook(io.BytesIO(file_bytes))[title]
    return {
        cell.coordinate: cell.data_type for row in sheet.iter_rows() for cell in row if cell.value is not None
    }
