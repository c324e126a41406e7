"""CSV: one row per response (or per panel member), UTF-8, header row of column names.

Two paths write the same bytes (a test compares them):

- on PostgreSQL, one ``SELECT`` computes every cell in the database (``exports.sql``) and
  ``COPY … TO STDOUT (FORMAT csv)`` streams it row by row to the file: this is what keeps a million
  rows within the budget, with flat memory;
- elsewhere (SQLite), the csv module writes the typed rows of ``exports.rows.iter_rows``.

Both follow the csv module's rules, which are PostgreSQL's: a field is quoted when it holds the
delimiter, a double quote (doubled inside), CR or LF; rows end with LF; an empty cell is empty. Text
cells are neutralised against formulas (``exports.neutralise``); numbers are numbers; dates ISO.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from django.conf import settings
from django.db import connection

from exports.columns import Column, Kind
from exports.neutralise import neutralise, neutralise_code
from exports.rows import (
    ExportOptions,
    column_names,
    format_number,
    iter_rows,
    meta_columns,
    survey_of,
)
from exports.sql import select_sql
from surveys.models import Wave

BOM = "\ufeff".encode()
PROGRESS_EVERY_ROWS = 10_000
PYTHON_BATCH_ROWS = 2000
Progress = Callable[[int], None]  # called with the number of rows written so far


def uses_sql() -> bool:
    """Whether the fast path (PostgreSQL ``COPY``) is available on the default database."""
    return connection.vendor == "postgresql" and connection.Database.__name__ == "psycopg2"


def write_csv(
    out: IO[bytes] | IO[str],
    *,
    waves: Sequence[Wave],
    plan: list[Column],
    options: ExportOptions,
    progress: Progress | None = None,
    engine: str | None = None,
) -> int:
    """Write the export as CSV to ``out`` (binary or text); return the number of rows written.

    ``engine`` forces "sql" or "python" (tests); by default PostgreSQL uses "sql". ``progress`` is
    called with the rows written so far, from inside the ``COPY`` on the SQL path: it must not use
    the database connection (the job service only records the count; a heartbeat thread saves it).
    """
    engine = engine or ("sql" if uses_sql() else "python")
    sink = _Sink(out, progress)
    if options.bom:
        sink.write_raw(BOM)
    if engine == "sql":
        return _copy(sink, waves=waves, plan=plan, options=options)
    for chunk, rows in _python_chunks(waves, plan, options):
        sink.write_raw(chunk)
        sink.advance(rows)
    return sink.rows


def csv_chunks(*, waves: Sequence[Wave], plan: list[Column], options: ExportOptions) -> Iterator[bytes]:
    """The CSV as byte chunks of whole rows (BOM, header, batches), for a streamed response.

    Always the Python path: it is a generator with constant memory on any database; a ``COPY``
    cannot be paused between chunks. Large exports go through a job instead.
    """
    if options.bom:
        yield BOM
    for chunk, _rows in _python_chunks(waves, plan, options):
        yield chunk


class _Sink:
    """Writes bytes to a binary or text file and counts rows for ``progress``."""

    def __init__(self, out: IO[bytes] | IO[str], progress: Progress | None) -> None:
        self.out = out
        self.text = isinstance(out, io.TextIOBase)
        self.progress = progress
        self.rows = 0
        self.lines = 0

    def write_raw(self, chunk: bytes) -> None:
        self.out.write(chunk.decode("utf-8") if self.text else chunk)  # type: ignore[arg-type]

    def advance(self, rows: int) -> None:
        if rows:
            self.rows += rows
            if self.progress is not None:
                self.progress(self.rows)

    def write(self, data: bytes) -> None:
        """Called by psycopg2's ``copy_expert`` once per line COPY sends (the header, then each row)."""
        self.write_raw(data)
        self.lines += 1
        if self.lines > 1 and (self.lines - 1) % PROGRESS_EVERY_ROWS == 0:
            self.advance(PROGRESS_EVERY_ROWS)


# -- PostgreSQL ---------------------------------------------------------------------------------


def _copy(sink: _Sink, *, waves: Sequence[Wave], plan: list[Column], options: ExportOptions) -> int:
    """Stream the export's one SELECT through ``COPY … TO STDOUT``; return the rows written."""
    names = column_names(waves=waves, plan=plan, options=options)
    sql, params = select_sql(waves=waves, plan=plan, options=options, names=names)
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # the psycopg2 cursor: mogrify and copy_expert
        cursor.execute("SHOW DateStyle")
        if not cursor.fetchone()[0].startswith("ISO"):
            cursor.execute("SET DateStyle TO ISO")  # dates as YYYY-MM-DD, like the Python path
        query = cursor.mogrify(sql, params).decode("utf-8")
        # Rows leave in response-ID order: with PostgreSQL's default work_mem (4 MB) that sort spills
        # to disk and a million-row export takes 1.8x the plain COPY; in memory it takes 1.2x
        # (docs/benchmarks.md). Only this session, only for this statement.
        cursor.execute("SET work_mem = %s", [settings.VOLNA_EXPORT_WORK_MEM])
        copy = f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true, DELIMITER '{options.delimiter}')"
        try:
            cursor.copy_expert(copy, sink)
            rows = max(cursor.rowcount, 0)  # read before RESET, which resets the count
        finally:
            cursor.execute("RESET work_mem")
    sink.advance(rows - sink.rows)
    return rows


# -- Python -------------------------------------------------------------------------------------


class _Line:
    """A file that keeps the one line the csv writer just wrote."""

    line = ""

    def write(self, line: str) -> None:
        self.line = line


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value)
    return str(value)


def _text(value: Any) -> str:
    return "" if value is None else neutralise(_plain(value))


def _code(value: Any) -> str:
    return "" if value is None else neutralise_code(_plain(value))


def _date(value: Any) -> str:
    return _plain(value) if isinstance(value, datetime.date) else _text(value)


FORMATTERS: dict[str, Callable[[Any], str]] = {
    Kind.TEXT: _text,
    Kind.CODE: _code,
    Kind.RANK: _code,
    Kind.DATE: _date,
    Kind.DUMMY: _plain,
    Kind.INTEGER: _plain,
    Kind.DECIMAL: _plain,
}


def row_formatters(*, waves: Sequence[Wave], plan: list[Column], options: ExportOptions) -> list[Callable]:
    """How each cell becomes text: meta cells as they are (Volna writes them), answers by kind."""
    meta = meta_columns(survey_of(waves), options.layout, waves)
    return [_plain] * len(meta) + [FORMATTERS[column.kind] for column in plan]


def _python_chunks(
    waves: Sequence[Wave], plan: list[Column], options: ExportOptions
) -> Iterator[tuple[bytes, int]]:
    line = _Line()
    # CRLF makes the csv module quote fields holding CR as well as LF; rows then end with LF alone,
    # as PostgreSQL writes them.
    writer = csv.writer(line, delimiter=options.delimiter, lineterminator="\r\n")
    writer.writerow(column_names(waves=waves, plan=plan, options=options))
    yield (line.line[:-2] + "\n").encode("utf-8"), 0
    formatters = row_formatters(waves=waves, plan=plan, options=options)
    lines: list[str] = []
    for row in iter_rows(waves=waves, plan=plan, options=options):
        writer.writerow([format_cell(value) for format_cell, value in zip(formatters, row, strict=True)])
        lines.append(line.line[:-2] + "\n")
        if len(lines) >= PYTHON_BATCH_ROWS:
            yield "".join(lines).encode("utf-8"), len(lines)
            lines = []
    if lines:
        yield "".join(lines).encode("utf-8"), len(lines)
