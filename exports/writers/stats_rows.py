"""The rows of an SPSS or Stata file as CSV, and what the file's dictionary must know first.

Both formats write their dictionary before the data, and the dictionary depends on every row: the
width of a string variable is its longest value, and a code found in the answers but missing from
its list needs a number and a value label. Those facts (``RowFacts``) are gathered first; the writer
then reads the rows as CSV in chunks (``exports.writers.stats``), so memory stays flat.

- **PostgreSQL**: one aggregate over the export's rows gives the facts (``exports.sql.typed_stats_sql``),
  then ``COPY (typed_select_sql) TO STDOUT (FORMAT csv)`` streams the rows through a pipe while the
  writer packs them. Both statements run in one REPEATABLE READ snapshot, so the facts hold for every
  row even while the wave is still open.
- **elsewhere** (SQLite, the demo): ``iter_rows`` with codes, written to a temporary file (the spool)
  with the csv module; the facts are gathered on the way.

Cells (both paths): numbers as numbers, codes as their numbers (``labels.code_numbers``), a date as
the number YYYYMMDD (when the stored text starts with YYYY-MM-DD), text exactly as stored; an empty
cell is a missing value (an empty string for text). The Python path meets an unlisted code before it
knows them all, so it spools a provisional number (``RowFacts.provisional``) that the writer replaces.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime
import fcntl
import io
import os
import re
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.db import DatabaseError, connection

from exports.columns import Column, Kind
from exports.rows import ExportOptions, column_kinds, column_names, iter_rows
from exports.sql import typed_select_sql, typed_stats_sql
from exports.writers import labels
from exports.writers.csv import uses_sql
from surveys.models import Wave

F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")  # the start of a date answer


@dataclass
class RowFacts:
    """What the dictionary of an SPSS or Stata file needs to know about all of its rows."""

    rows: int = 0
    text_bytes: dict[str, int] = field(default_factory=dict)  # text column → longest value, UTF-8 bytes
    text_total: int = 0  # bytes of all the text cells
    unlisted: dict[str, set[str]] = field(default_factory=dict)  # labelled column → codes not in its list
    provisional: dict[str, dict[float, str]] = field(default_factory=dict)  # column → spooled number → code

    def numbers(self, spec: RowSpec) -> dict[str, dict[str, int]]:
        """The number of every code of every labelled column: its list's, then the unlisted ones."""
        found = self.unlisted
        return {name: labels.code_numbers(codes, found.get(name, ())) for name, codes in spec.lists.items()}


@dataclass(frozen=True)
class RowSpec:
    """The columns of the rows: names, kinds, which are text and which carry a list of codes."""

    names: list[str]
    kinds: list[str]
    lists: dict[str, list[str]]  # labelled column → its list's codes, in list order

    @classmethod
    def of(cls, *, waves: Sequence[Wave], plan: list[Column], options: ExportOptions) -> RowSpec:
        lists = {column.name: list(column.value_labels) for column in plan if column.kind in Kind.LABELLED}
        return cls(
            names=column_names(waves=waves, plan=plan, options=options),
            kinds=column_kinds(waves=waves, plan=plan, options=options),
            lists=lists,
        )

    @property
    def texts(self) -> list[str]:
        return [name for name, kind in zip(self.names, self.kinds, strict=True) if kind == Kind.TEXT]


@contextlib.contextmanager
def typed_rows(
    *,
    waves: Sequence[Wave],
    plan: list[Column],
    options: ExportOptions,
    engine: str | None = None,
    find_unlisted: bool = False,
) -> Iterator[tuple[RowSpec, RowFacts, IO[bytes]]]:
    """The rows as a readable CSV file (no header) with their facts.

    ``engine`` forces "sql" or "python" (tests); by default PostgreSQL uses "sql". The SQL path looks
    for codes missing from their lists only with ``find_unlisted``: that reads every coded answer once
    more (about a third of the time of a plain ``COPY`` of the rows), and such codes are rare (a
    version that added a code, in an export of several waves). When it does not look, a code missing
    from its list comes out ``exports.sql.UNNUMBERED`` and the writer starts again with
    ``find_unlisted``.
    """
    options = dataclasses.replace(options, values="codes")
    spec = RowSpec.of(waves=waves, plan=plan, options=options)
    engine = engine or ("sql" if uses_sql() else "python")
    if engine == "sql":
        streamed = _sql_rows(spec, waves=waves, plan=plan, options=options, find_unlisted=find_unlisted)
        with streamed as (facts, rows):
            yield spec, facts, rows
        return
    with tempfile.TemporaryFile(prefix="volna-export-") as spool:
        facts = _python_spool(spool, spec, waves=waves, plan=plan, options=options)
        spool.seek(0)
        yield spec, facts, spool


# -- PostgreSQL ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _sql_rows(
    spec: RowSpec, *, waves: Sequence[Wave], plan: list[Column], options: ExportOptions, find_unlisted: bool
) -> Iterator[tuple[RowFacts, IO[bytes]]]:
    """The facts from one aggregate, then the rows streamed by ``COPY``, in one snapshot."""
    texts = spec.texts
    lists = spec.lists if find_unlisted else {}
    with connection.cursor() as wrapper, _snapshot(wrapper):
        # Only for this transaction: the sort by response ID in memory (docs/benchmarks.md, CSV export).
        wrapper.execute("SELECT set_config('work_mem', %s, true)", [settings.VOLNA_EXPORT_WORK_MEM])
        sql, params = typed_stats_sql(
            waves=waves, plan=plan, options=options, names=spec.names, texts=texts, lists=lists
        )
        wrapper.execute(sql, params)
        found = wrapper.fetchone()
        unlisted = found[2 + len(texts) :]
        facts = RowFacts(
            rows=found[0],
            text_bytes=dict(zip(texts, found[1 : 1 + len(texts)], strict=True)),
            text_total=found[1 + len(texts)],
            unlisted={name: set(codes or ()) for name, codes in zip(lists, unlisted, strict=True)},
        )
        sql, params = typed_select_sql(
            waves=waves, plan=plan, options=options, names=spec.names, numbers=facts.numbers(spec)
        )
        cursor = wrapper.cursor  # the psycopg2 cursor: mogrify and copy_expert
        query = cursor.mogrify(sql, params).decode("utf-8")
        with _copy_stream(cursor, f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as rows:
            yield facts, rows


PIPE_BYTES = 1 << 20


@contextlib.contextmanager
def _copy_stream(cursor: Any, copy: str) -> Iterator[IO[bytes]]:
    """The output of ``copy`` as a readable file, while PostgreSQL produces it.

    ``COPY`` runs in a thread that writes into a pipe, so that the database computes rows while this
    process packs the previous ones (two cores at work instead of one after the other). A reader that
    stops early (an error) is drained to the end, so that the ``COPY`` finishes and the connection
    stays usable; the ``COPY``'s own error, if any, is raised first.
    """
    read_end, write_end = os.pipe()
    with contextlib.suppress(OSError):  # Linux: a larger pipe means fewer switches between threads
        fcntl.fcntl(write_end, F_SETPIPE_SZ, PIPE_BYTES)
    reader = os.fdopen(read_end, "rb", buffering=PIPE_BYTES)
    writer = os.fdopen(write_end, "wb", buffering=PIPE_BYTES)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            cursor.copy_expert(copy, writer)
        except BaseException as error:  # raised again in the reading thread
            failures.append(error)
        finally:
            with contextlib.suppress(OSError):
                writer.close()

    thread = threading.Thread(target=run, name="export-copy", daemon=True)
    thread.start()
    try:
        yield reader
    finally:
        with reader:
            while reader.read(PIPE_BYTES):
                pass
        thread.join()
        if failures:
            raise failures[0]


@contextlib.contextmanager
def _snapshot(cursor: Any) -> Iterator[None]:
    """A read-only REPEATABLE READ transaction, unless one is open already (a test's)."""
    if connection.in_atomic_block:
        yield
        return
    cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    try:
        yield
    except BaseException:
        with contextlib.suppress(DatabaseError):  # the connection may be gone: report the first error
            cursor.execute("ROLLBACK")
        raise
    cursor.execute("COMMIT")


# -- Python -------------------------------------------------------------------------------------


def _python_spool(
    spool: IO[bytes], spec: RowSpec, *, waves: Sequence[Wave], plan: list[Column], options: ExportOptions
) -> RowFacts:
    """The rows of ``iter_rows`` as CSV cells (``_cell``), gathering the facts on the way."""
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    # CRLF makes the csv module quote a field holding CR as well as LF, so the reader keeps both.
    writer = csv.writer(text, lineterminator="\r\n")
    positions = {name: index for index, name in enumerate(spec.names)}
    texts = [positions[name] for name in spec.texts]
    lists = [(positions[name], name, labels.code_numbers(codes)) for name, codes in spec.lists.items()]
    dates = [index for index, kind in enumerate(spec.kinds) if kind == Kind.DATE]
    facts = RowFacts(text_bytes=dict.fromkeys(spec.texts, 0), unlisted={name: set() for name in spec.lists})
    for row in iter_rows(waves=waves, plan=plan, options=options):
        for index in texts:
            if row[index] is not None:
                row[index] = value = str(row[index]).replace("\x00", "")  # C strings end at NUL
                name, size = spec.names[index], len(value.encode("utf-8"))
                facts.text_bytes[name] = max(facts.text_bytes[name], size)
                facts.text_total += size
        for index, name, numbers in lists:
            code = row[index]
            if code is not None:
                number = numbers.get(code)
                row[index] = _provisional(facts, name, code, numbers) if number is None else number
        for index in dates:
            row[index] = _date_digits(row[index])
        writer.writerow([_cell(value) for value in row])
        facts.rows += 1
    text.flush()
    text.detach()  # the spool stays open for the reader
    return facts


# Provisional numbers of unlisted codes: above any number a code can have (Stata labels 32-bit integers)
# and exact in a double.
PROVISIONAL = float(1 << 40)


def _provisional(facts: RowFacts, name: str, code: str, numbers: dict[str, Any]) -> float:
    """The number spooled for an unlisted code until all of them are known (added to ``numbers``)."""
    spooled = facts.provisional.setdefault(name, {})
    number = numbers[code] = PROVISIONAL + len(spooled)
    spooled[number] = code
    facts.unlisted[name].add(code)
    return number


def _date_digits(value: Any) -> int | None:
    """A date as the number YYYYMMDD, as ``exports.sql._typed_date`` writes it (checked by the writer)."""
    if isinstance(value, datetime.date):
        return value.year * 10_000 + value.month * 100 + value.day
    parts = ISO_DATE.fullmatch(value[:10]) if isinstance(value, str) else None
    return int("".join(parts.groups())) if parts else None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same double
    return str(value)
