"""SPSS ``.sav`` files (limits and conventions: docs/exports.md, "SPSS and Stata").

pyreadstat writes the dictionary (variables, labels, value labels, documents) with two template rows;
the records are then packed here, uncompressed as ReadStat writes them: one 8-byte slot per number
(little-endian double, system-missing -DBL_MAX), a string padded with spaces to a multiple of 8 bytes;
a string wider than 255 bytes is split into segments of 255 bytes, each in 256 bytes of the record.
The row count is in the header (offset 80) and in the number-of-cases record that ends the
dictionary, just before the termination record; both are set when the last row is written.
"""

from __future__ import annotations

import struct
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO

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

# Byte limits of the format: readstat silently cuts longer labels, possibly inside a character
SAV_VARIABLE_LABEL_BYTES = 256
SAV_VALUE_LABEL_BYTES = 120
SAV_FILE_LABEL_BYTES = 64
SAV_NOTE_LINE_BYTES = 80  # longer document lines make readstat refuse the file
SAV_STRING_BYTES = 32_767  # the widest string variable SPSS reads

SYSMIS = struct.unpack("<d", struct.pack("<Q", 0xFFEFFFFFFFFFFFFF))[0]  # -DBL_MAX
SPSS_EPOCH_DAYS = 141_428  # 1582-10-14 to 1970-01-01; SPSS dates are seconds since 1582-10-14
SEGMENT = 255  # bytes of a long string per segment
SEGMENT_SLOT = 256  # bytes a segment takes in the record
HEADER_NCASES = 80  # int32 in the file header
# the end of the dictionary: number-of-cases record (type 7, subtype 16, 8-byte fields, 2 of them:
# 1 and the count), then the termination record (999 and a filler)
DICTIONARY_END = struct.Struct("<4iQQ2i")


def _note_lines(notes: list[str]) -> list[str] | None:
    """SPSS document lines with the numbering of coded lists (codes and names are ASCII)."""
    if not notes:
        return None
    lines = ["Codes numbered in list order (number=code); labels in the codebook."]
    for note in notes:
        lines += textwrap.wrap(note, width=SAV_NOTE_LINE_BYTES, subsequent_indent="  ")
    return [labels.fit_bytes(line, SAV_NOTE_LINE_BYTES) for line in lines]


def sav_date(days: np.ndarray) -> np.ndarray:
    """SPSS dates (seconds since 1582-10-14) of days since 1970-01-01, as ReadStat writes them."""
    return (days + SPSS_EPOCH_DAYS) * 86_400.0


def _storage_width(width: int) -> int:
    """Bytes a string of ``width`` takes in a record (ReadStat's ``sav_variable_width``)."""
    if width <= SEGMENT:
        return (width + 7) // 8 * 8
    segments = (width + 251) // 252
    return (segments - 1) * SEGMENT_SLOT + (width - (segments - 1) * 252 + 7) // 8 * 8


class SavRecords:
    """Packs chunks into SPSS records."""

    def __init__(self, layout: FileLayout) -> None:
        self.fields: list[tuple[int, str, int]] = []  # (offset, storage, width)
        self.sizes: list[int] = []
        offset = 0
        for column in layout.columns:
            kind = column.storage if column.storage == Storage.TEXT else Storage.DOUBLE
            size = _storage_width(column.width) if kind == Storage.TEXT else 8
            self.fields.append((offset, kind, column.width))
            self.sizes.append(size)
            offset += size
        self.row_bytes = offset
        self.dates = [index for index, column in enumerate(layout.columns) if column.storage == Storage.DATE]
        self.runs = numeric_runs(self.fields, {Storage.DOUBLE: 8})

    def encode(self, chunk: Chunk, rows: int) -> np.ndarray:
        """The records of a chunk, one row of bytes each."""
        records = np.empty((rows, self.row_bytes), dtype=np.uint8)
        columns = list(chunk)
        for index in self.dates:
            columns[index] = sav_date(columns[index])
        for offset, _kind, indexes in self.runs:
            numbers = np.column_stack([columns[index] for index in indexes])
            numbers = np.where(np.isnan(numbers), SYSMIS, numbers).astype("<f8", copy=False)
            records[:, offset : offset + 8 * len(indexes)] = numbers.view(np.uint8).reshape(rows, -1)
        for (offset, kind, width), size, values in zip(self.fields, self.sizes, columns, strict=True):
            if kind == Storage.TEXT:
                _pack_text(records, offset, width, size, values, rows)
        return records


def _pack_text(
    records: np.ndarray, offset: int, width: int, size: int, values: Sequence[bytes], rows: int
) -> None:
    """A string field: the text, then spaces; past 255 bytes, 255 bytes per 256-byte segment."""
    # NUL padding becomes space padding (the text itself holds no NUL)
    padded = np.array(values, dtype=f"S{width}").view(np.uint8).reshape(rows, width)
    padded = np.where(padded == 0, ord(" "), padded)
    field = records[:, offset : offset + size]
    if width <= SEGMENT:
        field[:, :width] = padded
        field[:, width:] = ord(" ")
        return
    field[:] = ord(" ")
    segments, rest = divmod(width, SEGMENT)
    slots = field[:, : segments * SEGMENT_SLOT].reshape(rows, segments, SEGMENT_SLOT)
    slots[:, :, :SEGMENT] = padded[:, : segments * SEGMENT].reshape(rows, segments, SEGMENT)
    field[:, segments * SEGMENT_SLOT : segments * SEGMENT_SLOT + rest] = padded[:, segments * SEGMENT :]


class SavFile:
    """A ``.sav`` file whose dictionary is written, taking its records chunk by chunk."""

    def __init__(self, path: str, layout: FileLayout) -> None:
        frame, template = template_rows(layout, sav_date)
        pyreadstat.write_sav(
            frame,
            path,
            file_label=layout.file_label,
            column_labels=layout.column_labels,
            variable_value_labels=layout.value_labels,
            variable_format=layout.formats,
            variable_measure=layout.measures,
            note=_note_lines(layout.notes),
        )
        self.records = SavRecords(layout)
        self.row_bytes = self.records.row_bytes
        expected = self.records.encode(template, 2).tobytes()
        self.handle: IO[bytes] = open(path, "r+b")  # noqa: SIM115 (closed by close())
        try:
            self.data_start = self._check(expected)
        except BaseException:
            self.handle.close()
            raise
        self.handle.truncate(self.data_start)
        self.handle.seek(self.data_start)

    def _check(self, expected: bytes) -> int:
        """Where the records start, after checking that ReadStat wrote the template as we encode it."""
        handle = self.handle
        data_start = handle.seek(0, 2) - len(expected)
        handle.seek(0)
        header = handle.read(HEADER_NCASES + 4)
        # layout code 2 (little-endian), the 8-byte slots of a record, no compression
        if header[:4] != b"$FL2" or struct.unpack_from("<3i", header, 64) != (2, self.row_bytes // 8, 0):
            raise LayoutError("not an uncompressed little-endian .sav file with the expected records")
        if struct.unpack_from("<i", header, HEADER_NCASES)[0] != 2:
            raise LayoutError("the header does not count the two template rows")
        handle.seek(data_start - DICTIONARY_END.size)
        if DICTIONARY_END.unpack(handle.read(DICTIONARY_END.size)) != (7, 16, 8, 2, 1, 2, 999, 0):
            raise LayoutError("the dictionary does not end with the number of cases")
        if handle.read() != expected:
            raise LayoutError("the template rows are not encoded as ReadStat encodes them")
        return data_start

    def append(self, chunk: Chunk, rows: int) -> None:
        self.handle.write(self.records.encode(chunk, rows).data)

    def finish(self, rows: int) -> None:
        """Record the number of rows in the header and in the number-of-cases record."""
        self.handle.seek(HEADER_NCASES)
        self.handle.write(struct.pack("<i", rows))
        self.handle.seek(self.data_start - 16)  # the count, before the termination record
        self.handle.write(struct.pack("<Q", rows))

    def close(self) -> None:
        self.handle.close()


SAV = Target(
    name="sav",
    variable_label=lambda text: labels.fit_bytes(text, SAV_VARIABLE_LABEL_BYTES),
    value_label=lambda text: labels.fit_bytes(text, SAV_VALUE_LABEL_BYTES),
    file_label=lambda text: labels.fit_bytes(text, SAV_FILE_LABEL_BYTES),
    date_format="DATE11",
    integer_format="F16.0",  # answers reach 10^15: no decimals, no exponent
    max_string_bytes=SAV_STRING_BYTES,
    open=SavFile,
)


def write_sav(
    path: str | Path,
    *,
    waves: Iterable[Wave],
    plan: list[Column],
    options: ExportOptions,
    progress: Progress | None = None,
    engine: str | None = None,
) -> int:
    """Write the responses of ``waves`` as an SPSS ``.sav`` file; return the number of rows."""
    return write_stats_file(
        path, target=SAV, waves=waves, plan=plan, options=options, progress=progress, engine=engine
    )
