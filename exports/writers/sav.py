"""SPSS ``.sav`` files (limits and conventions: docs/exports.md, "SPSS and Stata")."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from pathlib import Path

import pyreadstat

from exports.columns import Column
from exports.rows import ExportOptions
from exports.writers import labels
from exports.writers.stats import Frame, Progress, Target, write_stats_file
from surveys.models import Wave

# Byte limits of the format: readstat silently cuts longer labels, possibly inside a character
SAV_VARIABLE_LABEL_BYTES = 256
SAV_VALUE_LABEL_BYTES = 120
SAV_FILE_LABEL_BYTES = 64
SAV_NOTE_LINE_BYTES = 80  # longer document lines make readstat refuse the file
SAV_STRING_BYTES = 32_767  # the widest string variable SPSS reads


def _note_lines(notes: list[str]) -> list[str] | None:
    """SPSS document lines with the numbering of coded lists (codes and names are ASCII)."""
    if not notes:
        return None
    lines = ["Codes numbered in list order (number=code); labels in the codebook."]
    for note in notes:
        lines += textwrap.wrap(note, width=SAV_NOTE_LINE_BYTES, subsequent_indent="  ")
    return [labels.fit_bytes(line, SAV_NOTE_LINE_BYTES) for line in lines]


def _write(built: Frame, path: str, file_label: str) -> None:
    pyreadstat.write_sav(
        built.frame,
        path,
        file_label=file_label,
        column_labels=built.column_labels,
        variable_value_labels=built.value_labels,
        variable_format=built.formats,
        variable_measure=built.measures,
        note=_note_lines(built.notes),
    )


SAV = Target(
    name="sav",
    variable_label=lambda text: labels.fit_bytes(text, SAV_VARIABLE_LABEL_BYTES),
    value_label=lambda text: labels.fit_bytes(text, SAV_VALUE_LABEL_BYTES),
    file_label=lambda text: labels.fit_bytes(text, SAV_FILE_LABEL_BYTES),
    date_format="DATE11",
    integer_format="F16.0",  # answers reach 10^15: no decimals, no exponent
    max_string_bytes=SAV_STRING_BYTES,
    write=_write,
)


def write_sav(
    path: str | Path,
    *,
    waves: Iterable[Wave],
    plan: list[Column],
    options: ExportOptions,
    progress: Progress | None = None,
) -> int:
    """Write the responses of ``waves`` as an SPSS ``.sav`` file; return the number of rows."""
    return write_stats_file(path, target=SAV, waves=waves, plan=plan, options=options, progress=progress)
