"""The building blocks of the dashboard's tables: cells, tables, how numbers and labels are shown, and
how a table is written as HTML and as a CSV file.

The figures arrive already suppressed (a cell below the survey's k has no count and no share), so this
only decides how to *show* them: a suppressed cell reads "< k", never 0 or blank; shares are
percentages with one decimal place (localised on the page, with a dot in CSV files); labels come in the
admin user's language when the survey has it. CSV text goes through ``exports.neutralise`` where the
tables are built (``exports.dashboard.tables``).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language_info

BOM = "\ufeff"
DASH = "—"
MINUS = "−"  # typographic minus on the page; CSV files keep ASCII "-" so spreadsheets read numbers

CsvValue = str | int | float


@dataclass(frozen=True)
class Cell:
    """One table cell: its text on the page, a quieter second line, and how it looks."""

    text: str
    detail: str = ""
    kind: str = "num"  # "num", "text", "code", "suppressed", "missing"


@dataclass
class Table:
    """A table of the page and its CSV twin (rows of plain values, written with a header line)."""

    key: str
    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    foot: list[list[Cell]] = field(default_factory=list)  # base, no answer, not shown: set apart
    caption: str = ""
    csv_header: list[str] = field(default_factory=list)
    csv_rows: list[list[CsvValue]] = field(default_factory=list)

    @property
    def columns(self) -> list[tuple[str, str]]:
        """(header, kind) pairs: a header is aligned like the cells under it."""
        first = self.rows[0] if self.rows else []
        kinds = [cell.kind if cell.kind in ("text", "code") else "num" for cell in first]
        kinds += ["num"] * (len(self.headers) - len(kinds))
        return list(zip(self.headers, kinds, strict=False))

    @property
    def html(self) -> SafeString:
        return table_html(self)


# -- HTML -----------------------------------------------------------------------------------------------
# Tables are written here rather than in a template loop: a demo-sized page has thousands of cells, and
# the template engine spent most of the page's time on them. Every text goes through escape().


def _cell_html(cell: Cell, *, header: bool) -> str:
    detail = f'<span class="volna-cell-detail">{escape(cell.detail)}</span>' if cell.detail else ""
    if header:
        return f'<th scope="row">{escape(cell.text)}{" " + detail if detail else ""}</th>'
    return f'<td class="volna-{escape(cell.kind)}">{escape(cell.text)}{detail}</td>'


def _rows_html(rows: list[list[Cell]]) -> str:
    return "".join(
        "<tr>" + "".join(_cell_html(cell, header=index == 0) for index, cell in enumerate(row)) + "</tr>"
        for row in rows
    )


def table_html(table: Table) -> SafeString:
    """The ``<table>`` of a Table: a header row, the body, the foot rows in a body of their own."""
    headers = "".join(
        (f'<th scope="col" class="volna-col-{kind}">' if index else '<th scope="col">')
        + f"{escape(header)}</th>"
        for index, (header, kind) in enumerate(table.columns)
    )
    parts = [
        f'<table class="volna-dashboard-table" data-table="{escape(table.key)}">',
        f"<caption>{escape(table.caption)}</caption>" if table.caption else "",
        f"<thead><tr>{headers}</tr></thead>",
        f"<tbody>{_rows_html(table.rows)}</tbody>",
        f'<tbody class="volna-table-foot">{_rows_html(table.foot)}</tbody>' if table.foot else "",
        "</table>",
    ]
    return mark_safe("".join(parts))  # noqa: S308 (every text above went through escape())


class Formatter:
    """Labels in one language (with a fallback) and numbers as the dashboard shows them."""

    def __init__(self, *, language: str, fallback: str, k: int) -> None:
        self.language = language
        self.fallback = fallback
        self.k = k
        # The separators of the active language, looked up once: a page formats thousands of
        # numbers, and formats.number_format looks them up (and truncates) on every call.
        self.decimal_separator = str(formats.get_format("DECIMAL_SEPARATOR"))
        self.thousand_separator = str(formats.get_format("THOUSAND_SEPARATOR"))
        self.grouped = formats.get_format("NUMBER_GROUPING") == 3

    @property
    def suppressed(self) -> str:
        return f"< {self.k}"

    def label(self, texts: Any, default: str = "") -> str:
        """The text in the user's language, else the survey's default language, else any, else ``default``."""
        if isinstance(texts, str):
            return texts or default
        if not isinstance(texts, Mapping):
            return default
        for language in (self.language, self.fallback):
            if texts.get(language):
                return str(texts[language])
        return next((str(text) for text in texts.values() if text), default)

    # -- on the page --------------------------------------------------------------------------------

    def number(self, value: float | int | None, places: int = 0) -> str:
        """``value`` rounded to ``places`` (33.89 reads 33.9) with the language's separators."""
        if value is None:
            return DASH
        text = f"{value:,.{places}f}" if self.grouped else f"{value:.{places}f}"
        text = text.replace(",", "\0").replace(".", self.decimal_separator)
        return text.replace("\0", self.thousand_separator)

    def percent(self, share: float | None) -> str:
        if share is None:
            return DASH
        return self.signed(share * 100, sign=False) + "%"

    def signed(self, points: float, *, sign: bool = True) -> str:
        text = self.number(abs(points), 1)
        if round(points, 1) < 0:
            return MINUS + text
        return ("+" + text) if sign and round(points, 1) > 0 else text

    def count_cell(self, cell: Mapping[str, Any] | None) -> Cell:
        if cell is None:
            return Cell(DASH, kind="missing")
        if cell.get("suppressed"):
            return Cell(self.suppressed, kind="suppressed")
        return Cell(self.number(cell.get("count")))

    def share_cell(self, cell: Mapping[str, Any] | None, *, with_count: bool = False) -> Cell:
        """The share of a cell ("52.3%"), with its count as a second line when asked."""
        if cell is None:
            return Cell(DASH, kind="missing")
        if cell.get("suppressed"):
            return Cell(self.suppressed, kind="suppressed")
        detail = self.number(cell.get("count")) if with_count else ""
        return Cell(self.percent(cell.get("share")), detail=detail)

    def ci_text(self, ci: Any) -> str:
        if not ci or len(ci) != 2 or ci[0] is None or ci[1] is None:
            return ""
        return f"{self.signed(ci[0] * 100, sign=False)}–{self.percent(ci[1])}"

    # -- in CSV files -------------------------------------------------------------------------------

    def csv_count(self, cell: Mapping[str, Any] | None) -> CsvValue:
        if cell is None:
            return ""
        if cell.get("suppressed"):
            return self.suppressed
        count = cell.get("count")
        return "" if count is None else int(count)

    def csv_share(self, cell_or_share: Mapping[str, Any] | float | None) -> CsvValue:
        """A share as a percentage with one decimal place ("52.3%"), "< k" when suppressed."""
        if isinstance(cell_or_share, Mapping):
            if cell_or_share.get("suppressed"):
                return self.suppressed
            cell_or_share = cell_or_share.get("share")
        if cell_or_share is None:
            return ""
        return f"{cell_or_share * 100:.1f}%"


def text_cell(text: str) -> Cell:
    return Cell(text, kind="text")


def percent_or_dash(fmt: Formatter, share: float | None) -> Cell:
    return Cell(fmt.percent(share), kind="num" if share is not None else "missing")


def language_name(code: str) -> str:
    try:
        return f"{get_language_info(code)['name_local']} ({code})"
    except KeyError:
        return code


# -- files ----------------------------------------------------------------------------------------------


def table_csv(table: Table) -> bytes:
    """The table as UTF-8 CSV with a byte order mark (so Excel reads Cyrillic), comma-separated."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.csv_header)
    writer.writerows(table.csv_rows)
    return buffer.getvalue().encode("utf-8")


def file_stem(key: str) -> str:
    """A file name from a table key ("frequencies:gender" → "frequencies-gender")."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", key).strip("-") or "table"


def tables_zip(tables: Iterable[Table]) -> bytes:
    """Every table as its own CSV file in one ZIP archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in tables:
            archive.writestr(f"{file_stem(table.key)}.csv", table_csv(table))
    return buffer.getvalue()
