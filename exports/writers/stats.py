"""SPSS ``.sav`` and Stata ``.dta`` files from the column plan, through pyreadstat.

The rows come from ``exports.rows.iter_rows`` (always with codes, never labels: the labels travel as
value labels). They are read in batches and packed column by column into compact typed arrays, so
the whole wave is held once, as numbers where possible, not as a table of Python objects:

- codes (select_one, matrix items, ranks) → 32-bit integers with value labels (``labels.py``);
- 0/1 dummies → 8-bit integers labelled "not selected"/"selected";
- integer and decimal answers → doubles; dates → dates (SPSS ``DATE11``, Stata ``%td``);
- text → strings, empty when unanswered (neither format has a missing string).

pyreadstat can only write a whole data frame, so unlike CSV this path is not constant-memory
(measured cost in docs/exports.md). Each format's limits are applied before pyreadstat sees the data
(``Target``, filled in by ``sav.py`` and ``dta.py``), because the library either refuses a file that
passes them or cuts bytes silently, in the middle of a character.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from exports.columns import Column, Kind
from exports.rows import ExportOptions, iter_rows, meta_columns, meta_kinds, survey_of
from exports.writers import labels
from surveys.models import Wave

logger = logging.getLogger(__name__)

BATCH_ROWS = 10_000
Progress = Callable[[int], None]  # called with the number of rows read so far


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
    write: Callable[[Frame, str, str], None]  # (frame, path, file label)


@dataclass
class Frame:
    """A data frame ready for pyreadstat, with its labels and formats."""

    frame: pd.DataFrame
    column_labels: dict[str, str]
    value_labels: dict[str, dict[int, str]]
    formats: dict[str, str]
    measures: dict[str, str]
    notes: list[str]
    rows: int
    cut_texts: int = 0  # text cells shortened to the format's limit


class _Builder:
    """Packs one column, batch by batch, into a typed array."""

    def __init__(self) -> None:
        self.chunks: list[Any] = []
        self.masks: list[np.ndarray] = []

    def add(self, values: Sequence[Any]) -> None:
        self.masks.append(np.fromiter((value is None for value in values), dtype=bool, count=len(values)))
        self.chunks.append(self.convert(values))

    def convert(self, values: Sequence[Any]) -> Any:
        raise NotImplementedError

    def _data_and_mask(self, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
        data = np.concatenate(self.chunks) if self.chunks else np.empty(0, dtype=dtype)
        mask = np.concatenate(self.masks) if self.masks else np.empty(0, dtype=bool)
        self.chunks, self.masks = [], []
        return data.astype(dtype, copy=False), mask

    def finish(self) -> Any:
        raise NotImplementedError


class _Codes(_Builder):
    """Choice codes as integers; codes missing from the list are numbered at the end."""

    UNLISTED = 1 << 40  # provisional numbers of unlisted codes, outside any real code's range

    def __init__(self, codes: Sequence[str]) -> None:
        super().__init__()
        self.listed = list(codes)
        self.numbers: dict[str, int] = labels.code_numbers(self.listed)
        self.unlisted: dict[str, int] = {}

    def _number(self, code: Any) -> int:
        if code is None:
            return 0
        code = str(code)
        number = self.numbers.get(code)
        if number is None:
            number = self.unlisted.setdefault(code, self.UNLISTED + len(self.unlisted))
        return number

    def convert(self, values: Sequence[Any]) -> np.ndarray:
        return np.fromiter(map(self._number, values), dtype=np.int64, count=len(values))

    def finish(self) -> pd.api.extensions.ExtensionArray:
        data, mask = self._data_and_mask(np.int64)
        if self.unlisted:
            self.numbers = labels.code_numbers(self.listed, self.unlisted)
            for code, provisional in self.unlisted.items():
                data[data == provisional] = self.numbers[code]
        return pd.arrays.IntegerArray(data.astype(np.int32), mask)


class _Dummies(_Builder):
    def convert(self, values: Sequence[Any]) -> np.ndarray:
        return np.fromiter((value == 1 for value in values), dtype=np.int8, count=len(values))

    def finish(self) -> pd.api.extensions.ExtensionArray:
        return pd.arrays.IntegerArray(*self._data_and_mask(np.int8))


class _Numbers(_Builder):
    def convert(self, values: Sequence[Any]) -> np.ndarray:
        return np.fromiter(
            (0.0 if v is None else float(v) for v in values), dtype=np.float64, count=len(values)
        )

    def finish(self) -> pd.api.extensions.ExtensionArray:
        return pd.arrays.FloatingArray(*self._data_and_mask(np.float64))


class _Dates(_Builder):
    def __init__(self) -> None:
        super().__init__()
        self.days: dict[Any, datetime.date] = {}  # one object per distinct day, shared by every cell

    def _day(self, value: Any) -> datetime.date | None:
        if value is None:
            return None
        day = self.days.get(value)
        if day is None:
            day = value if isinstance(value, datetime.date) else _parse_day(value)
            if day is None:
                return None
            self.days[value] = day
        return day

    def convert(self, values: Sequence[Any]) -> np.ndarray:
        return np.fromiter(map(self._day, values), dtype=object, count=len(values))

    def finish(self) -> Any:
        data, mask = self._data_and_mask(object)
        if mask.all():  # no date at all: a numeric column with a date format, not an empty string column
            return np.full(len(data), np.nan)
        return data


def _parse_day(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:  # not a date (dates are validated when answered): left empty
        return None


class _Integers(_Builder):
    def convert(self, values: Sequence[Any]) -> np.ndarray:
        return np.fromiter((value or 0 for value in values), dtype=np.int64, count=len(values))

    def finish(self) -> pd.api.extensions.ExtensionArray:
        data, mask = self._data_and_mask(np.int64)
        return pd.arrays.IntegerArray(data.astype(np.int32), mask)


class _Texts(_Builder):
    def __init__(self, max_bytes: int | None) -> None:
        super().__init__()
        self.max_bytes = max_bytes
        self.cut = 0

    def _text(self, value: Any) -> str:
        if value is None:
            return ""
        text = str(value)
        if self.max_bytes is not None and len(text) * 4 > self.max_bytes:
            fitted = labels.fit_bytes(text, self.max_bytes, ellipsis="")
            self.cut += fitted != text
            return fitted
        return text

    def convert(self, values: Sequence[Any]) -> np.ndarray:
        return np.fromiter(map(self._text, values), dtype=object, count=len(values))

    def finish(self) -> np.ndarray:
        return self._data_and_mask(object)[0]


def _builder(column: Column, target: Target) -> _Builder:
    if column.kind in Kind.LABELLED:
        return _Codes(list(column.value_labels))
    return _plain_builder(column.kind, target)


def _plain_builder(kind: str, target: Target) -> _Builder:
    if kind == Kind.DUMMY:
        return _Dummies()
    if kind in (Kind.INTEGER, Kind.DECIMAL):
        return _Numbers()
    if kind == Kind.DATE:
        return _Dates()
    return _Texts(target.max_string_bytes)


def _batches(rows: Iterable[list[Any]], size: int) -> Iterable[list[list[Any]]]:
    batch: list[list[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def build_frame(
    *,
    target: Target,
    waves: Sequence[Wave],
    plan: list[Column],
    options: ExportOptions,
    progress: Progress | None = None,
) -> Frame:
    """Read the rows of ``waves`` and pack them into a labelled frame for ``target``."""
    survey = survey_of(waves)
    language = labels.label_language(survey, options.language)
    meta = meta_columns(survey, options.layout, waves)
    kinds = meta_kinds(survey, options.layout, waves)
    builders = [_Integers() if kind == Kind.INTEGER else _plain_builder(kind, target) for kind in kinds]
    builders += [_builder(column, target) for column in plan]
    rows = 0
    code_options = dataclasses.replace(options, values="codes")
    for batch in _batches(iter_rows(waves=waves, plan=plan, options=code_options), BATCH_ROWS):
        for builder, values in zip(builders, zip(*batch, strict=True), strict=True):
            builder.add(values)
        rows += len(batch)
        if progress:
            progress(rows)
    names = [*meta, *(column.name for column in plan)]
    frame = pd.DataFrame({name: builder.finish() for name, builder in zip(names, builders, strict=True)})
    result = Frame(
        frame=frame,
        column_labels={name: target.variable_label(labels.meta_label(name, language)) for name in meta},
        value_labels={},
        formats={
            name: target.date_format for name, kind in zip(meta, kinds, strict=True) if kind == Kind.DATE
        },
        measures={},
        notes=[],
        rows=rows,
        cut_texts=sum(b.cut for b in builders if isinstance(b, _Texts)),
    )
    for column, builder in zip(plan, builders[len(meta) :], strict=True):
        _describe(result, column, builder, target, language, survey.default_language)
    return result


def _describe(
    result: Frame, column: Column, builder: _Builder, target: Target, language: str, fallback: str
) -> None:
    """Add one plan column's variable label, value labels, format and measure."""
    name = column.name
    result.column_labels[name] = target.variable_label(labels.text_in(column.label, language, fallback, name))
    if isinstance(builder, _Codes | _Dummies):
        numbers = builder.numbers if isinstance(builder, _Codes) else {}
        value_labels = labels.column_value_labels(column, numbers, language, fallback)
        result.value_labels[name] = {
            number: target.value_label(text) for number, text in value_labels.items()
        }
        if isinstance(builder, _Codes) and not labels.codes_are_numbers(builder.listed):
            result.notes.append(f"{name}: " + " ".join(f"{n}={code}" for code, n in numbers.items()))
    result.measures[name] = "scale" if column.kind in (Kind.INTEGER, Kind.DECIMAL, Kind.DATE) else "nominal"
    if column.kind == Kind.DATE:
        result.formats[name] = target.date_format
    elif column.kind == Kind.INTEGER and target.integer_format:
        result.formats[name] = target.integer_format


def write_stats_file(
    path: str | Path,
    *,
    target: Target,
    waves: Iterable[Wave],
    plan: list[Column],
    options: ExportOptions,
    progress: Progress | None = None,
) -> int:
    """Write an SPSS or Stata file of ``waves`` to ``path``; return the number of rows written."""
    waves = list(waves)
    built = build_frame(target=target, waves=waves, plan=plan, options=options, progress=progress)
    survey = survey_of(waves)
    language = labels.label_language(survey, options.language)
    title = labels.text_in(survey.title or {}, language, survey.default_language, survey.slug)
    if built.cut_texts:
        logger.warning("%s export: %d text cells cut to the format's limit", target.name, built.cut_texts)
    target.write(built, str(path), target.file_label(title))
    return built.rows
