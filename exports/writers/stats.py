"""SPSS ``.sav`` and Stata ``.dta`` files from the column plan, streamed chunk by chunk.

The rows arrive as CSV after what the file's dictionary needs to know about them (``stats_rows``:
string widths, codes missing from their lists); they are parsed in chunks with pandas and packed
into the format's fixed-width records with numpy (``sav.py``, ``dta.py``), so memory stays flat
whatever the number of rows. pyreadstat (ReadStat) still writes everything but the data: it is given
two template rows with the real variables, labels and formats; the writer checks that its own
encoding of those two rows is byte for byte what ReadStat wrote, then replaces them with the real
rows and sets the row count. A pyreadstat that laid the file out differently makes the export fail,
never write a wrong file.

Values (docs/exports.md, "SPSS and Stata"):

- codes (select_one, matrix items, ranks) → whole numbers with value labels (``labels.py``);
- 0/1 dummies → whole numbers labelled "not selected"/"selected";
- integer and decimal answers → doubles; dates → dates (SPSS ``DATE11``, Stata ``%td``);
- text → strings, empty when unanswered (neither format has a missing string).

Each format's limits are applied before pyreadstat sees the data (``Target``, filled in by ``sav.py``
and ``dta.py``), because the library either refuses a file that passes them or cuts bytes silently,
in the middle of a character.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
import pandas as pd

from exports.columns import Column, Kind
from exports.rows import ExportOptions, meta_columns, survey_of
from exports.sql import UNNUMBERED
from exports.writers import labels
from exports.writers.stats_rows import RowFacts, RowSpec, typed_rows
from surveys.models import Wave

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]  # called with the number of rows written so far
# Rows packed at a time: the records of a chunk take at most CHUNK_BYTES, whatever the width of a row.
# Parsing and packing a row takes several times its record, on top of the ~125 MB the process needs
# anyway (Django, pandas): small chunks keep the peak under 150 MB (docs/exports.md, measured).
CHUNK_BYTES = 2 << 20
MAX_CHUNK_ROWS = 2_500
ASCII_WIDTH = 1024  # text columns up to this wide try numpy's ASCII encoding (a chunk of them: ≤ 2.5 MB)


class Storage:
    """How a column is stored: whole numbers, doubles, dates or strings."""

    INTEGER = "integer"  # codes, dummies, wave numbers: Stata long, SPSS numeric
    DOUBLE = "double"  # integer and decimal answers
    DATE = "date"  # days since 1970-01-01 in a chunk; each format converts
    TEXT = "text"


NUMERIC = frozenset({Storage.INTEGER, Storage.DOUBLE, Storage.DATE})  # spooled as numbers (dates YYYYMMDD)
# A chunk: one array per column, in file order. Numbers and dates as float64 (NaN: missing), text as
# UTF-8 byte strings, a list or a numpy ``S`` array (empty: no answer; none longer than the column).
Chunk = list[Any]


@dataclass(frozen=True)
class FileColumn:
    """One variable of the file."""

    name: str
    storage: str  # a Storage
    width: int = 0  # TEXT: bytes of the longest value after the format's cut (at least 1)
    numbers: dict[str, int] | None = None  # labelled: the number of each code
    cut: bool = False  # TEXT: some values pass the format's limit and are cut
    renumber: dict[float, int] | None = None  # labelled: spooled provisional number → the code's number


@dataclass
class FileLayout:
    """Everything about a file but its rows: variables, labels, formats, documents."""

    columns: list[FileColumn]
    file_label: str
    column_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[int, str]] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    measures: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class RowWriter(Protocol):
    """A file whose dictionary is written, taking its records chunk by chunk."""

    row_bytes: int  # bytes of one record: sets the chunk size

    def append(self, chunk: Chunk, rows: int) -> None: ...

    def finish(self, rows: int) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Target:
    """What one file format can hold (evidence for every limit: docs/exports.md)."""

    name: str
    variable_label: Callable[[str], str]
    value_label: Callable[[str], str]
    file_label: Callable[[str], str]
    date_format: str
    integer_format: str | None  # display format of integer answers (None: the library's default)
    max_string_bytes: int | None  # None: no limit worth applying (Stata strL)
    open: Callable[[str, FileLayout], RowWriter]  # writes the dictionary, returns the record writer


# -- the dictionary ---------------------------------------------------------------------------------


def file_layout(
    *,
    target: Target,
    waves: Sequence[Wave],
    plan: list[Column],
    options: ExportOptions,
    spec: RowSpec,
    facts: RowFacts,
) -> FileLayout:
    """The variables of the file with their labels, from the plan and the facts about the rows."""
    survey = survey_of(waves)
    language = labels.label_language(survey, options.language)
    title = labels.text_in(survey.title or {}, language, survey.default_language, survey.slug)
    meta = meta_columns(survey, options.layout, waves)
    layout = FileLayout(columns=[], file_label=target.file_label(title))
    for name, kind in zip(meta, spec.kinds[: len(meta)], strict=True):
        layout.columns.append(_file_column(name, kind, target, facts, meta=True))
        layout.column_labels[name] = target.variable_label(labels.meta_label(name, language))
        if kind == Kind.DATE:
            layout.formats[name] = target.date_format
    all_numbers = facts.numbers(spec)
    for column in plan:
        numbers = all_numbers.get(column.name)
        layout.columns.append(_file_column(column.name, column.kind, target, facts, numbers=numbers))
        _describe(layout, column, numbers, target, language, survey.default_language)
    return layout


def _file_column(
    name: str,
    kind: str,
    target: Target,
    facts: RowFacts,
    *,
    meta: bool = False,
    numbers: dict[str, int] | None = None,
) -> FileColumn:
    """How one column is stored. Integer *answers* are doubles (they reach 10^15); meta numbers
    (wave, version), codes and dummies are whole numbers."""
    if kind == Kind.TEXT:
        longest = facts.text_bytes.get(name, 0)
        limit = target.max_string_bytes
        cut = limit is not None and longest > limit
        return FileColumn(name, Storage.TEXT, width=max(1, limit if cut else longest), cut=cut)
    if kind == Kind.DATE:
        return FileColumn(name, Storage.DATE)
    if kind in (Kind.INTEGER, Kind.DECIMAL) and not meta:
        return FileColumn(name, Storage.DOUBLE)
    renumber = None
    if numbers is not None and name in facts.provisional:
        renumber = {spooled: numbers[code] for spooled, code in facts.provisional[name].items()}
    return FileColumn(name, Storage.INTEGER, numbers=numbers, renumber=renumber)


def _describe(
    layout: FileLayout,
    column: Column,
    numbers: dict[str, int] | None,
    target: Target,
    language: str,
    fallback: str,
) -> None:
    """Add one plan column's variable label, value labels, format and measure."""
    name = column.name
    layout.column_labels[name] = target.variable_label(labels.text_in(column.label, language, fallback, name))
    if numbers is not None or column.kind == Kind.DUMMY:
        value_labels = labels.column_value_labels(column, numbers or {}, language, fallback)
        layout.value_labels[name] = {
            number: target.value_label(text) for number, text in value_labels.items()
        }
        if numbers is not None and not labels.codes_are_numbers(list(column.value_labels)):
            layout.notes.append(f"{name}: " + " ".join(f"{n}={code}" for code, n in numbers.items()))
    layout.measures[name] = "scale" if column.kind in (Kind.INTEGER, Kind.DECIMAL, Kind.DATE) else "nominal"
    if column.kind == Kind.DATE:
        layout.formats[name] = target.date_format
    elif column.kind == Kind.INTEGER and target.integer_format:
        layout.formats[name] = target.integer_format


# -- the template rows ----------------------------------------------------------------------------

TEMPLATE_DAYS = 19_000.0  # 2022-01-08


def template_rows(
    layout: FileLayout, date_value: Callable[[np.ndarray], np.ndarray], strl: frozenset[str] = frozenset()
) -> tuple[pd.DataFrame, Chunk]:
    """Two rows for pyreadstat, and the same rows as a chunk for the writer's own encoding.

    The first row has a value in every column (the longest text), the second is empty, except in
    ``strl`` columns (Stata long strings), where ReadStat would store an empty string as a string of
    its own: there it is a short text.
    """
    frame: dict[str, Any] = {}
    chunk: Chunk = []
    for index, column in enumerate(layout.columns):
        if column.storage == Storage.TEXT:
            first = (f"{index}:" + "x" * column.width)[: column.width]
            second = f"{index}" if column.name in strl else ""
            frame[column.name] = pd.Series([first, second], dtype=object)
            chunk.append([first.encode(), second.encode()])
            continue
        value = {Storage.INTEGER: 1.0, Storage.DOUBLE: 1.5, Storage.DATE: TEMPLATE_DAYS}[column.storage]
        values = np.array([value, np.nan])
        chunk.append(values)
        if column.storage == Storage.INTEGER:
            frame[column.name] = pd.array([1, None], dtype="Int32")
        elif column.storage == Storage.DOUBLE:
            frame[column.name] = pd.array([value, None], dtype="Float64")
        else:  # a double with a date format, as ReadStat writes dates
            frame[column.name] = date_value(values)
    return pd.DataFrame(frame), chunk


class LayoutError(RuntimeError):
    """pyreadstat wrote a file whose layout is not the one the writer encodes (a new version?)."""


class UnnumberedCode(Exception):
    """A code came without a number: the rows must be read again, looking for such codes first."""


# -- the rows -------------------------------------------------------------------------------------


def _chunks(rows: IO[bytes], spec: RowSpec, layout: FileLayout, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The CSV rows as data frames of ``chunk_rows`` rows (numbers as float64, text as str)."""
    dtypes = {column.name: "float64" if column.storage in NUMERIC else object for column in layout.columns}
    yield from pd.read_csv(
        rows,
        header=None,
        names=spec.names,
        dtype=dtypes,
        chunksize=chunk_rows,
        keep_default_na=False,
        na_values=[""],
        encoding="utf-8",
    )


class Decoder:
    """Turns the data frames of ``_chunks`` into chunks for ``layout``."""

    def __init__(self, layout: FileLayout, max_string_bytes: int | None) -> None:
        self.layout = layout
        self.max_string_bytes = max_string_bytes
        self.numeric = [column.name for column in layout.columns if column.storage in NUMERIC]
        self.positions = {name: index for index, name in enumerate(self.numeric)}
        self.renumbers = any(column.renumber for column in layout.columns)
        self.labelled = [
            self.positions[column.name] for column in layout.columns if column.numbers is not None
        ]
        self.cut = 0  # text cells cut to the format's limit so far

    def decode(self, frame: pd.DataFrame) -> Chunk:
        """One array per column: the numbers (and dates) taken from the frame at once, text one by one."""
        block = frame[self.numeric].to_numpy(dtype="float64", copy=self.renumbers) if self.numeric else None
        if self.labelled and (block[:, self.labelled] == UNNUMBERED).any():  # type: ignore[index]
            raise UnnumberedCode
        chunk: Chunk = []
        for column in self.layout.columns:
            if column.storage == Storage.TEXT:
                chunk.append(self._texts(frame[column.name], column))
            elif column.storage == Storage.DATE:
                chunk.append(days(block[:, self.positions[column.name]]))  # type: ignore[index]
            else:
                numbers = block[:, self.positions[column.name]]  # type: ignore[index]
                for spooled, number in (column.renumber or {}).items():
                    numbers[numbers == spooled] = number
                chunk.append(numbers)
        return chunk

    def _texts(self, values: pd.Series, column: FileColumn) -> Sequence[bytes]:
        """UTF-8 byte strings, cut to the format's limit where the column needs it."""
        strings = values.to_numpy(dtype=object, na_value="")
        if column.width <= ASCII_WIDTH:
            try:  # ASCII (IDs, languages, statuses, much text) is encoded in C
                encoded = np.array(strings, dtype="S")
            except UnicodeEncodeError:
                pass
            else:  # numpy sizes an empty string as 8 bytes: look at the lengths before giving up
                if encoded.itemsize <= column.width or np.strings.str_len(encoded).max() <= column.width:
                    return encoded
        texts = [text.encode("utf-8") for text in strings]
        if max(map(len, texts), default=0) <= column.width:
            return texts
        limit = self.max_string_bytes if column.cut else None
        if limit is None:
            raise LayoutError(f"{column.name}: a text longer than its variable")
        self.cut += sum(len(text) > limit for text in texts)
        return [_fit(text, limit) for text in texts]


def _fit(text: bytes, limit: int) -> bytes:
    """``text`` cut to ``limit`` bytes on a character boundary."""
    if len(text) <= limit:
        return text
    return labels.fit_bytes(text.decode("utf-8"), limit, ellipsis="").encode("utf-8")


MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def days(digits: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of dates spooled as YYYYMMDD; NaN when missing or not a date (2022-02-30).

    Vectorised: the day count is Howard Hinnant's ``days_from_civil``, exact for years 1 to 9999.
    """
    present = ~np.isnan(digits)
    number = np.where(present, digits, 0).astype(np.int64)
    year, month, day = number // 10_000, number // 100 % 100, number % 100
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    valid = present & (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1)
    valid &= day <= MONTH_DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    year = year - (month <= 2)
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return np.where(valid, era * 146_097 + day_of_era - 719_468, np.nan)


# -- writing --------------------------------------------------------------------------------------


def write_stats_file(
    path: str | Path,
    *,
    target: Target,
    waves: Iterable[Wave],
    plan: list[Column],
    options: ExportOptions,
    progress: Progress | None = None,
    engine: str | None = None,
) -> int:
    """Write an SPSS or Stata file of ``waves`` to ``path``; return the number of rows written.

    ``engine`` forces "sql" or "python" for reading the rows (tests); by default PostgreSQL uses "sql".
    """
    waves = list(waves)
    try:
        rows, cut = _write_file(path, target, waves, plan, options, progress, engine, find_unlisted=False)
    except UnnumberedCode:
        rows, cut = _write_file(path, target, waves, plan, options, progress, engine, find_unlisted=True)
    if cut:
        logger.warning("%s export: %d text cells cut to the format's limit", target.name, cut)
    return rows


def _write_file(
    path: str | Path,
    target: Target,
    waves: list[Wave],
    plan: list[Column],
    options: ExportOptions,
    progress: Progress | None,
    engine: str | None,
    *,
    find_unlisted: bool,
) -> tuple[int, int]:
    """Write the whole file (again); return the rows and the text cells cut."""
    rows_of = typed_rows(waves=waves, plan=plan, options=options, engine=engine, find_unlisted=find_unlisted)
    with rows_of as (spec, facts, csv_rows):
        layout = file_layout(target=target, waves=waves, plan=plan, options=options, spec=spec, facts=facts)
        writer = target.open(str(path), layout)
        try:
            rows, cut = _write_rows(writer, csv_rows, spec, layout, target, progress, facts)
            writer.finish(rows)
        finally:
            writer.close()
    return rows, cut


def _write_rows(
    writer: RowWriter,
    csv_rows: IO[bytes],
    spec: RowSpec,
    layout: FileLayout,
    target: Target,
    progress: Progress | None,
    facts: RowFacts,
) -> tuple[int, int]:
    """Pack the rows into records chunk by chunk; return the rows and the text cells cut."""
    rows = 0
    decoder = Decoder(layout, target.max_string_bytes)
    if not facts.rows:  # an empty CSV has no columns to read
        return rows, 0
    # a row in memory: its record, and its texts twice (as str, then as UTF-8); Stata's long strings
    # are not in the record at all
    row_bytes = writer.row_bytes + 2 * facts.text_total // facts.rows
    chunk_rows = max(1, min(MAX_CHUNK_ROWS, CHUNK_BYTES // row_bytes))
    for frame in _chunks(csv_rows, spec, layout, chunk_rows):
        writer.append(decoder.decode(frame), len(frame))
        rows += len(frame)
        if progress:
            progress(rows)
    return rows, decoder.cut


def numeric_runs(
    fields: Sequence[tuple[int, str, int]], sizes: dict[str, int]
) -> list[tuple[int, str, list[int]]]:
    """Adjacent fields of the same numeric kind: (offset, kind, field indexes), packed together."""
    runs: list[tuple[int, str, list[int]]] = []
    end = -1
    for index, (offset, kind, _width) in enumerate(fields):
        if kind not in sizes:
            continue
        if runs and runs[-1][1] == kind and offset == end:
            runs[-1][2].append(index)
        else:
            runs.append((offset, kind, [index]))
        end = offset + sizes[kind]
    return runs
