"""Stata ``.dta`` files (limits and conventions: docs/exports.md, "SPSS and Stata").

pyreadstat names the value label set of a column ``<column><counter>`` and Stata allows 32
characters, so a labelled column whose name is long (``act_before_volunteer_compatriots``, 32
characters) cannot be written under its own name. Such a column is written under a shorter
placeholder, and its real name is then put back into the file's fixed-width ``<varnames>`` block
(format 118: 129 bytes per name, located through the ``<map>`` of offsets after the header).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import pyreadstat

from exports.columns import Column
from exports.rows import ExportOptions
from exports.writers import labels
from exports.writers.stats import Frame, Progress, Target, write_stats_file
from surveys.models import Wave

# Format 118 (Stata 14 and later): UTF-8 text, strL for long strings. 119 only adds > 32,767 variables.
DTA_VERSION = 14
DTA_RELEASE = b"118"
DTA_LABEL_CHARS = 80  # variable and file labels: readstat refuses longer ones
DTA_VALUE_LABEL_BYTES = 32_000
DTA_NAME_CHARS = 32  # variable names and value label set names
DTA_NAME_BYTES = 129  # a name's field in format 118
MAP_VARNAMES = 3  # index of the <varnames> offset in the <map>


class DtaLayoutError(RuntimeError):
    """The written file does not have the layout of format 118 (a pyreadstat change?)."""


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


def _varnames_offset(handle: BinaryIO) -> int:
    """The offset of ``<varnames>``, read from the header and the map (format 118)."""

    def expect(tag: bytes) -> None:
        if handle.read(len(tag)) != tag:
            raise DtaLayoutError(f"expected {tag!r} at byte {handle.tell() - len(tag)}")

    expect(b"<stata_dta><header><release>" + DTA_RELEASE + b"</release><byteorder>")
    order = "<" if handle.read(3) == b"LSF" else ">"
    expect(b"</byteorder><K>")
    handle.read(2)
    expect(b"</K><N>")
    handle.read(8)
    expect(b"</N><label>")
    (label_length,) = struct.unpack(f"{order}H", handle.read(2))
    handle.read(label_length)
    expect(b"</label><timestamp>")
    handle.read(handle.read(1)[0])
    expect(b"</timestamp></header><map>")
    offsets = struct.unpack(f"{order}14Q", handle.read(14 * 8))
    return offsets[MAP_VARNAMES]


def restore_names(path: str, names: list[str], placeholders: dict[str, str]) -> None:
    """Put the real names back in place of the placeholders in ``<varnames>``."""
    real = {placeholder: name for name, placeholder in placeholders.items()}
    with open(path, "r+b") as handle:
        offset = _varnames_offset(handle)
        handle.seek(offset)
        if handle.read(10) != b"<varnames>":
            raise DtaLayoutError("no <varnames> at the offset of the map")
        for index, written in enumerate(names):
            if written in real:
                handle.seek(offset + 10 + index * DTA_NAME_BYTES)
                field = handle.read(DTA_NAME_BYTES)
                if field.rstrip(b"\0") != written.encode():
                    raise DtaLayoutError(f"variable {index} is not {written}")
                handle.seek(offset + 10 + index * DTA_NAME_BYTES)
                handle.write(real[written].encode().ljust(DTA_NAME_BYTES, b"\0"))


def _write(built: Frame, path: str, file_label: str) -> None:
    names = list(built.frame.columns)
    placeholders = label_set_placeholders(names, built.value_labels)
    rename = placeholders.get
    pyreadstat.write_dta(
        built.frame.rename(columns=placeholders) if placeholders else built.frame,
        path,
        file_label=file_label,
        column_labels={rename(name, name): text for name, text in built.column_labels.items()},
        variable_value_labels={rename(name, name): values for name, values in built.value_labels.items()},
        variable_format={rename(name, name): text for name, text in built.formats.items()},
        version=DTA_VERSION,
    )
    if placeholders:
        restore_names(path, [rename(name, name) for name in names], placeholders)


DTA = Target(
    name="dta",
    variable_label=lambda text: labels.fit_chars(text, DTA_LABEL_CHARS),
    value_label=lambda text: labels.fit_bytes(text, DTA_VALUE_LABEL_BYTES),
    file_label=lambda text: labels.fit_chars(text, DTA_LABEL_CHARS),
    date_format="%td",
    integer_format=None,
    max_string_bytes=None,  # strings over 2,045 bytes are written as strL (up to 2 GB)
    write=_write,
)


def write_dta(
    path: str | Path,
    *,
    waves: Iterable[Wave],
    plan: list[Column],
    options: ExportOptions,
    progress: Progress | None = None,
) -> int:
    """Write the responses of ``waves`` as a Stata ``.dta`` file; return the number of rows."""
    return write_stats_file(path, target=DTA, waves=waves, plan=plan, options=options, progress=progress)
