"""The codebook of an export: every column with its question in every language, values and counts.

``codebook_rows`` builds the entries once; ``write_codebook_csv`` writes them one row per column
(UTF-8 with BOM, every text cell neutralised against formula injection) and
``render_codebook_html`` renders a printable page (``templates/exports/codebook.html``, escaped by
the template engine, nothing marked safe).

Values are listed as ``number = code = label``: the number is what the SPSS and Stata files hold
(``exports.writers.labels``), the code what CSV holds. Percentages are of the responses the column
covers (completed only, or all with ``include=all``), empty cells included, so they add up to 100.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from exports.columns import Column, Kind
from exports.frequencies import variable_frequencies
from exports.neutralise import neutralise
from exports.rows import ExportOptions, meta_columns, meta_kinds, survey_of
from exports.writers import labels
from respondents.models import Response
from surveys.models import Wave

TEMPLATE = "exports/codebook.html"
KIND_LABELS = {
    Kind.CODE: gettext_lazy("choice code"),
    Kind.DUMMY: gettext_lazy("0/1: one choice of a multiple choice"),
    Kind.RANK: gettext_lazy("code at this rank"),
    Kind.TEXT: gettext_lazy("text"),
    Kind.INTEGER: gettext_lazy("integer"),
    Kind.DECIMAL: gettext_lazy("decimal number"),
    Kind.DATE: gettext_lazy("date"),
}


def _percent(count: int, total: int) -> float:
    return round(100 * count / total, 1) if total else 0.0


def _value(
    number: int | None, code: str, texts: dict[str, str], count: int | None, total: int
) -> dict[str, Any]:
    return {
        "number": number,
        "code": code,
        "labels": texts,
        "count": count,
        "percent": None if count is None else _percent(count, total),
    }


def _values(column: Column, counts: dict[Any, int], languages: list[str], total: int) -> list[dict[str, Any]]:
    """The listed (and found) values of a coded or 0/1 column with their counts."""
    if column.kind == Kind.DUMMY:
        per_language = {language: labels.dummy_labels(language) for language in languages}
        return [
            _value(
                number,
                str(number),
                {lang: per_language[lang][number] for lang in languages},
                counts.get(number, 0),
                total,
            )
            for number in (0, 1)
        ]
    found = [code for code in counts if code is not None]
    numbers = labels.code_numbers(list(column.value_labels), found)
    return [
        _value(number, code, dict(column.value_labels.get(code, {})), counts.get(code, 0), total)
        for code, number in numbers.items()
    ]


def _meta_rows(survey: Any, options: ExportOptions, waves: Sequence[Wave]) -> list[dict[str, Any]]:
    """The response columns (ID, wave, status, dates…) that start every row."""
    names = meta_columns(survey, options.layout, waves)
    kinds = meta_kinds(survey, options.layout, waves)
    rows = []
    for name, kind in zip(names, kinds, strict=True):
        values = []
        if name == "status":
            for code, _label in Response.Status.choices:
                texts = {}
                for language in survey.languages:
                    with translation.override(language):
                        texts[language] = str(Response.Status(code).label)
                values.append(_value(None, code, texts, None, 0))
        rows.append(
            {
                "name": name,
                "question": "",
                "kind": kind,
                "labels": {language: labels.meta_label(name, language) for language in survey.languages},
                "values": values,
                "relevant": "",
                "responses": None,
                "answered": None,
                "empty": None,
            }
        )
    return rows


def codebook_rows(
    *, waves: Sequence[Wave], plan: list[Column], options: ExportOptions
) -> list[dict[str, Any]]:
    """One entry per column of the export files, response columns first.

    Each: ``name``, ``question``, ``kind``, ``labels`` {language: question text}, ``values``
    [{number, code, labels {language: text}, count, percent}], ``relevant``, and the counts
    ``responses`` (covered), ``answered`` and ``empty`` (None for the response columns).
    """
    waves = list(waves)
    survey = survey_of(waves)
    languages = list(survey.languages)
    frequencies = variable_frequencies(waves=waves, plan=plan, options=options)
    rows = _meta_rows(survey, options, waves)
    for column in plan:
        counts = frequencies[column.name]
        total = sum(counts.values())
        empty = counts.get(None, 0)
        labelled = column.kind in Kind.LABELLED or column.kind == Kind.DUMMY
        rows.append(
            {
                "name": column.name,
                "question": column.question,
                "kind": column.kind,
                "labels": {language: column.label.get(language, "") for language in languages},
                "values": _values(column, counts, languages, total) if labelled else [],
                "relevant": column.relevant or "",
                "responses": total,
                "answered": total - empty,
                "empty": empty,
            }
        )
    return rows


# -- CSV --------------------------------------------------------------------------------------------


def _csv_header(languages: list[str]) -> list[str]:
    return [
        "name",
        "question",
        "type",
        *(f"label ({language})" for language in languages),
        *(f"values ({language})" for language in languages),
        "relevant",
        "responses",
        "answered",
        "empty",
        "frequencies",
    ]


def _frequency_lines(row: dict[str, Any]) -> str:
    if row["responses"] is None:  # a response column: no counts
        return ""
    lines = [f"{value['code']}: {value['count']} ({value['percent']}%)" for value in row["values"]]
    if row["values"]:
        lines.append(f"{gettext('empty')}: {row['empty']} ({_percent(row['empty'], row['responses'])}%)")
    return "\n".join(lines)


def _csv_cells(row: dict[str, Any], languages: list[str]) -> list[Any]:
    value_lines = {
        language: "\n".join(
            " = ".join(str(part) for part in (value["number"], value["code"]) if part is not None)
            + f" = {value['labels'].get(language, '')}"
            for value in row["values"]
        )
        for language in languages
    }
    texts = [
        row["name"],
        row["question"],
        row["kind"],
        *(row["labels"].get(language, "") for language in languages),
        *(value_lines[language] for language in languages),
        row["relevant"],
    ]
    counts = [row["responses"], row["answered"], row["empty"]]
    counts = ["" if count is None else count for count in counts]
    return [neutralise(text) for text in texts] + counts + [neutralise(_frequency_lines(row))]


def write_codebook_csv(
    path_or_file: str | Path | IO[Any], *, waves: Sequence[Wave], plan: list[Column], options: ExportOptions
) -> int:
    """Write the codebook as CSV (UTF-8 with BOM, ``options.dialect``); return the number of rows."""
    waves = list(waves)
    languages = list(survey_of(waves).languages)
    rows = codebook_rows(waves=waves, plan=plan, options=options)
    with translation.override(labels.label_language(survey_of(waves), options.language)):
        lines = [_csv_header(languages), *(_csv_cells(row, languages) for row in rows)]
    if isinstance(path_or_file, str | Path):
        with open(path_or_file, "w", encoding="utf-8", newline="") as handle:
            _write_csv(handle, lines, options.delimiter)
    elif _is_text(path_or_file):
        _write_csv(path_or_file, lines, options.delimiter)
    else:  # a binary file: write UTF-8 through a wrapper, then leave the file open for the caller
        wrapper = io.TextIOWrapper(path_or_file, encoding="utf-8", newline="")  # type: ignore[arg-type]
        _write_csv(wrapper, lines, options.delimiter)
        wrapper.flush()
        wrapper.detach()
    return len(rows)


def _is_text(file: IO[Any]) -> bool:
    if isinstance(file, io.TextIOBase):
        return True
    mode = getattr(file, "mode", None)  # e.g. a text-mode NamedTemporaryFile
    return isinstance(mode, str) and "b" not in mode


def _write_csv(handle: IO[str], lines: list[list[Any]], delimiter: str) -> None:
    handle.write("\ufeff")  # Excel reads UTF-8 (Cyrillic) only with a byte order mark
    csv.writer(handle, delimiter=delimiter).writerows(lines)


# -- HTML -------------------------------------------------------------------------------------------


def _html_variable(row: dict[str, Any], languages: list[str]) -> dict[str, Any]:
    """One entry as the template shows it: lists aligned with the language columns."""
    return {
        **row,
        "kind_label": KIND_LABELS.get(row["kind"], row["kind"]),
        "label_rows": [(language, row["labels"].get(language, "")) for language in languages],
        "value_rows": [
            {**value, "texts": [value["labels"].get(language, "") for language in languages]}
            for value in row["values"]
        ],
        "empty_percent": _percent(row["empty"], row["responses"]) if row["responses"] else None,
        "answered_percent": _percent(row["answered"], row["responses"]) if row["responses"] else None,
    }


def render_codebook_html(*, waves: Sequence[Wave], plan: list[Column], options: ExportOptions) -> str:
    """The codebook as one printable, self-contained HTML page."""
    waves = sorted(waves, key=lambda wave: wave.number)
    survey = survey_of(waves)
    languages = list(survey.languages)
    language = labels.label_language(survey, options.language)
    rows = codebook_rows(waves=waves, plan=plan, options=options)
    context = {
        "language": language,
        "languages": languages,
        "title": labels.text_in(survey.title or {}, language, survey.default_language, survey.slug),
        "waves": ", ".join(f"{wave.number}. {wave.name}" for wave in waves),
        "generated_on": timezone.localdate(),
        "include_all": options.include == "all",
        "variables": [_html_variable(row, languages) for row in rows],
    }
    with translation.override(language):
        return render_to_string(TEMPLATE, context)
