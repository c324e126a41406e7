"""Stata ``.dta`` files, format 118 (limits and conventions: docs/exports.md, "SPSS and Stata").

pyreadstat writes the file with two template rows; the records are then packed here as ReadStat
packs them: ``long`` (int32, missing 2,147,483,621), ``double`` (missing 2^1023), ``str#`` padded
with NULs, and ``strL`` as (variable, observation) pointing to a GSO in the ``<strls>`` section that
follows the data. The sections after the data (``<strls>``, ``<value_labels>``) move with the data, so
their offsets in the ``<map>`` and the observation count in the header are set at the end.

pyreadstat names the value label set of a column ``<column><counter>`` and Stata allows 32
characters, so a labelled column whose name is long (``act_before_volunteer_compatriots``, 32
characters) cannot be written under its own name. Such a column is written under a shorter
placeholder, and its real name is then put back into the file's fixed-width ``<varnames>`` block
(129 bytes per name, located through the ``<map>``).
"""

from __future__ import annotations

import io
import shutil
import struct
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

import numpy as np
import pyreadstat

from exports.columns import Column
from exports.rows import ExportOptions
from exports.writers import labels
from exports.writers.stats import (
    Chunk,
    FileLayout,
    LayoutError,
    Progress,
    Storage,
    Target,
    numeric_runs,
    template_rows,
    write_stats_file,
)
from surveys.models import Wave

# Format 118 (Stata 14 and later): UTF-8 text, strL for long strings. 119 only adds > 32,767 variables.
DTA_VERSION = 14
DTA_RELEASE = b"118"
DTA_LABEL_CHARS = 80  # variable and file labels: readstat refuses longer ones
DTA_VALUE_LABEL_BYTES = 32_000
DTA_NAME_CHARS = 32  # variable names and value label set names
DTA_NAME_BYTES = 129  # a name's field in format 118
DTA_STR_MAX = 2045  # the widest str#; ReadStat writes a string column this wide or wider as strL
MAP_VARNAMES, MAP_DATA, MAP_STRLS, MAP_VALUE_LABELS, MAP_END, MAP_EOF = 3, 9, 10, 11, 12, 13

MISSING_LONG = 2_147_483_621
MISSING_DOUBLE = 2.0**1023
STATA_EPOCH_DAYS = 3653  # 1960-01-01 to 1970-01-01; Stata dates are days since 1960-01-01
GSO_ASCII = 130  # a null-terminated string
GSO_HEADER = struct.Struct("<3sIQBI")  # "GSO", v, o, type, length (with the NUL)
SHARED_BYTES = 100  # long-string texts this short are written once and shared by later cells…
SHARED_TEXTS = 10_000  # …up to this many of them


def label_set_placeholders(names: list[str], labelled: Iterable[str]) -> dict[str, str]:
    """{column: placeholder} for labelled columns whose label set name would pass 32 characters."""
    labelled = set(labelled)
    taken = set(names)
    placeholders: dict[str, str] = {}
    counter = 0
    for name in names:
        if name not in labelled:
            continue
        room = DTA_NAME_CHARS - len(str(counter))
        if len(name) > room:
            candidate, attempt = name[:room], 1
            while candidate in taken:
                suffix = f"_{attempt}"
                candidate, attempt = name[: room - len(suffix)] + suffix, attempt + 1
            placeholders[name] = candidate
            taken.add(candidate)
        counter += 1
    return placeholders


@dataclass(frozen=True)
class _Header:
    """Where the observation count and the map are (format 118, little-endian)."""

    count_offset: int
    map_offset: int
    offsets: tuple[int, ...]


def _header(handle: BinaryIO) -> _Header:
    """Read the header and the ``<map>`` of offsets after it."""

    def expect(tag: bytes) -> None:
        if handle.read(len(tag)) != tag:
            raise LayoutError(f"expected {tag!r} at byte {handle.tell() - len(tag)}")

    handle.seek(0)
    expect(b"<stata_dta><header><release>" + DTA_RELEASE + b"</release><byteorder>LSF</byteorder><K>")
    handle.read(2)
    expect(b"</K><N>")
    count_offset = handle.tell()
    handle.read(8)
    expect(b"</N><label>")
    (label_length,) = struct.unpack("<H", handle.read(2))
    handle.read(label_length)
    expect(b"</label><timestamp>")
    handle.read(handle.read(1)[0])
    expect(b"</timestamp></header><map>")
    map_offset = handle.tell()
    return _Header(count_offset, map_offset, struct.unpack("<14Q", handle.read(14 * 8)))


def restore_names(path: str, names: list[str], placeholders: dict[str, str]) -> None:
    """Put the real names back in place of the placeholders in ``<varnames>``."""
    real = {placeholder: name for name, placeholder in placeholders.items()}
    with open(path, "r+b") as handle:
        offset = _header(handle).offsets[MAP_VARNAMES]
        handle.seek(offset)
        if handle.read(10) != b"<varnames>":
            raise LayoutError("no <varnames> at the offset of the map")
        for index, written in enumerate(names):
            if written in real:
                handle.seek(offset + 10 + index * DTA_NAME_BYTES)
                field = handle.read(DTA_NAME_BYTES)
                if field.rstrip(b"\0") != written.encode():
                    raise LayoutError(f"variable {index} is not {written}")
                handle.seek(offset + 10 + index * DTA_NAME_BYTES)
                handle.write(real[written].encode().ljust(DTA_NAME_BYTES, b"\0"))


def stata_date(days: np.ndarray) -> np.ndarray:
    """Stata dates (days since 1960-01-01) of days since 1970-01-01."""
    return days + STATA_EPOCH_DAYS


def _is_strl(width: int) -> bool:
    return width >= DTA_STR_MAX


class DtaRecords:
    """Packs chunks into Stata records; long strings go to GSOs for the ``<strls>`` section."""

    SIZES = {Storage.INTEGER: 4, Storage.DOUBLE: 8}

    def __init__(self, layout: FileLayout) -> None:
        self.fields: list[tuple[int, str, int]] = []  # (offset, kind, width)
        offset = 0
        for column in layout.columns:
            if column.storage == Storage.TEXT:
                kind, size = ("strl", 8) if _is_strl(column.width) else ("str", column.width)
            else:
                kind = Storage.INTEGER if column.storage == Storage.INTEGER else Storage.DOUBLE
                size = self.SIZES[kind]
            self.fields.append((offset, kind, column.width))
            offset += size
        self.row_bytes = offset
        self.dates = [index for index, column in enumerate(layout.columns) if column.storage == Storage.DATE]
        self.runs = numeric_runs(self.fields, self.SIZES)
        self.shared: dict[bytes, int] = {}  # short long-string texts already written → their (v, o)

    def encode(self, chunk: Chunk, rows: int, first_row: int, strls: IO[bytes]) -> np.ndarray:
        """The records of a chunk whose first row is observation ``first_row`` + 1; GSOs to ``strls``."""
        records = np.empty((rows, self.row_bytes), dtype=np.uint8)
        columns = list(chunk)
        for index in self.dates:
            columns[index] = stata_date(columns[index])
        for offset, kind, indexes in self.runs:
            numbers = np.column_stack([columns[index] for index in indexes])
            if kind == Storage.INTEGER:
                packed = np.where(np.isnan(numbers), MISSING_LONG, numbers).astype("<i4")
            else:
                packed = np.where(np.isnan(numbers), MISSING_DOUBLE, numbers).astype("<f8", copy=False)
            records[:, offset : offset + packed.itemsize * len(indexes)] = packed.view(np.uint8).reshape(
                rows, -1
            )
        long_strings: list[tuple[int, int, Sequence[bytes]]] = []  # (variable, offset, texts)
        for variable, ((offset, kind, width), values) in enumerate(zip(self.fields, columns, strict=True), 1):
            if kind == "str":
                padded = np.array(values, dtype=f"S{width}")
                records[:, offset : offset + width] = padded.view(np.uint8).reshape(rows, width)
            elif kind == "strl":
                long_strings.append((variable, offset, values))
        if long_strings:
            references = self._gsos(long_strings, rows, first_row, strls)
            for position, (_variable, offset, _texts) in enumerate(long_strings):
                cells = references[:, position].astype("<u8")
                records[:, offset : offset + 8] = cells.view(np.uint8).reshape(rows, 8)
        return records

    def _gsos(
        self,
        long_strings: list[tuple[int, int, Sequence[bytes]]],
        rows: int,
        first_row: int,
        strls: IO[bytes],
    ) -> np.ndarray:
        """The (v, o) of every long string cell, writing the GSOs by observation then variable.

        A cell holds (v, o) in 2 and 6 bytes: the variable and observation where its text was first
        written. Like ReadStat, a text that came before is not written again, for the short texts
        that repeat, the empty one first (``SHARED_BYTES``, at most ``SHARED_TEXTS`` of them, so that
        memory stays flat); ReadStat shares every text, long ones too.
        """
        references = np.zeros((rows, len(long_strings)), dtype=np.uint64)
        for index in range(rows):
            observation = first_row + index + 1
            for position, (variable, _offset, texts) in enumerate(long_strings):
                text = texts[index]
                short = len(text) <= SHARED_BYTES
                reference = self.shared.get(text) if short else None
                if reference is None:
                    reference = variable | observation << 16
                    strls.write(GSO_HEADER.pack(b"GSO", variable, observation, GSO_ASCII, len(text) + 1))
                    strls.write(text + b"\0")
                    if short and len(self.shared) < SHARED_TEXTS:
                        self.shared[text] = reference
                references[index, position] = reference
        return references


class DtaFile:
    """A ``.dta`` file whose dictionary is written, taking its records chunk by chunk."""

    def __init__(self, path: str, layout: FileLayout) -> None:
        self.path = path
        self.layout = layout
        strl = frozenset(c.name for c in layout.columns if c.storage == Storage.TEXT and _is_strl(c.width))
        frame, template = template_rows(layout, stata_date, strl)
        self.names = list(frame.columns)
        self.placeholders = label_set_placeholders(self.names, layout.value_labels)

        def renamed(by_name: dict[str, Any]) -> dict[str, Any]:
            return {self.placeholders.get(name, name): value for name, value in by_name.items()}

        pyreadstat.write_dta(
            frame.rename(columns=self.placeholders) if self.placeholders else frame,
            path,
            file_label=layout.file_label,
            column_labels=renamed(layout.column_labels),
            variable_value_labels=renamed(layout.value_labels),
            variable_format=renamed(layout.formats),
            version=DTA_VERSION,
        )
        self.records = DtaRecords(layout)
        self.row_bytes = self.records.row_bytes
        self.strls: IO[bytes] = tempfile.TemporaryFile(prefix="volna-strls-")  # noqa: SIM115
        self.handle: IO[bytes] = open(path, "r+b")  # noqa: SIM115 (both closed by close())
        try:
            self.header, self.tail = self._check(template)
        except BaseException:
            self.close()
            raise
        self.rows = 0
        self.handle.truncate(self.header.offsets[MAP_DATA] + len(b"<data>"))
        self.handle.seek(0, 2)

    def _check(self, template: Chunk) -> tuple[_Header, bytes]:
        """The header, and the sections after the strLs, once ReadStat's template rows match ours."""
        header = _header(self.handle)
        offsets = header.offsets
        strls = io.BytesIO()
        expected_rows = DtaRecords(self.layout).encode(template, 2, 0, strls).tobytes()  # shares nothing
        expected = b"<data>" + expected_rows + b"</data><strls>" + strls.getvalue() + b"</strls>"
        self.handle.seek(offsets[MAP_DATA])
        if self.handle.read(offsets[MAP_VALUE_LABELS] - offsets[MAP_DATA]) != expected:
            raise LayoutError("the template rows are not encoded as ReadStat encodes them")
        tail = self.handle.read()
        if len(tail) != offsets[MAP_EOF] - offsets[MAP_VALUE_LABELS] or not tail.endswith(b"</stata_dta>"):
            raise LayoutError("unexpected sections after the value labels")
        return header, tail

    def append(self, chunk: Chunk, rows: int) -> None:
        self.handle.write(self.records.encode(chunk, rows, self.rows, self.strls).data)
        self.rows += rows

    def finish(self, rows: int) -> None:
        """Close the data, add the strLs and the value labels, then fix the map and the count."""
        handle = self.handle
        handle.write(b"</data>")
        strls = handle.tell()
        handle.write(b"<strls>")
        self.strls.seek(0)
        shutil.copyfileobj(self.strls, handle)
        handle.write(b"</strls>")
        value_labels = handle.tell()
        handle.write(self.tail)
        end = handle.tell()
        handle.seek(self.header.count_offset)
        handle.write(struct.pack("<Q", rows))
        handle.seek(self.header.map_offset + MAP_STRLS * 8)
        handle.write(struct.pack("<4Q", strls, value_labels, end - len(b"</stata_dta>"), end))
        handle.close()
        if self.placeholders:
            rename = self.placeholders.get
            restore_names(self.path, [rename(name, name) for name in self.names], self.placeholders)

    def close(self) -> None:
        self.handle.close()
        self.strls.close()


DTA = Target(
    name="dta",
    variable_label=lambda text: labels.fit_chars(text, DTA_LABEL_CHARS),
    value_label=lambda text: labels.fit_bytes(text, DTA_VALUE_LABEL_BYTES),
    file_label=lambda text: labels.fit_chars(text, DTA_LABEL_CHARS),
    date_format="%td",
    integer_format=None,
    max_string_bytes=None,  # strings of 2,045 bytes and more are written as strL (up to 2 GB)
    open=DtaFile,
)


def write_dta(
    path: str | Path,
    *,
    waves: Iterable[Wave],
    plan: list[Column],
    options: ExportOptions,
    progress: Progress | None = None,
    engine: str | None = None,
) -> int:
    """Write the responses of ``waves`` as a Stata ``.dta`` file; return the number of rows."""
    return write_stats_file(
        path, target=DTA, waves=waves, plan=plan, options=options, progress=progress, engine=engine
    )
