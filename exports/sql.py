"""One SQL ``SELECT`` per export, for PostgreSQL's ``COPY … TO STDOUT`` (the fast CSV path).

The statement computes every cell in the database with the same rules as ``exports.rows`` plus the
CSV writer's formatting (``exports.writers.csv``): a test compares both paths byte for byte. Each
response's ``answers`` is unpacked once per row with ``jsonb_to_record`` (one column per variable:
text for codes and text, jsonb for dummies, ranks and numbers), so a large document is read once, not
once per column. Rows are ordered in the database (``ORDER BY``), never in Python.

Values reach the statement as psycopg2 parameters (``cursor.mogrify``), never by string formatting,
apart from identifiers built from validated variable names and quoted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from exports.columns import Column, Kind
from exports.neutralise import neutralise_code, sql_neutralise
from exports.rows import ExportOptions, Layout, Numbers, code_label, survey_of
from respondents.models import PanelMember, Response
from surveys.models import Survey, Wave

RESPONSES = Response._meta.db_table
MEMBERS = PanelMember._meta.db_table


def quote_name(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class _Statement:
    """The named parameters of a statement under construction."""

    params: dict[str, Any] = field(default_factory=dict)

    def param(self, value: Any) -> str:
        """A placeholder for ``value`` (named, so pieces may be assembled in any order)."""
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"%({name})s"


def _mapped(statement: _Statement, expression: str, mapping: dict[Any, Any]) -> str:
    """``CASE expression WHEN key THEN value … END`` (NULL when the key is not mapped)."""
    if not mapping:
        return "NULL"
    whens = " ".join(
        f"WHEN {statement.param(key)} THEN {statement.param(value)}" for key, value in mapping.items()
    )
    return f"(CASE {expression} {whens} END)"


def _meta_sql(statement: _Statement, alias: str, numbers: Numbers, *, with_wave: bool = True) -> list[str]:
    """The meta cells of the response aliased ``alias``, as ``exports.rows.response_meta``.

    Dates are written by COPY itself, ISO under PostgreSQL's default DateStyle (``exports.writers.csv``
    makes sure of it).
    """
    cells = [f"{alias}.id::text"]
    if with_wave:
        cells.append(_mapped(statement, f"{alias}.wave_id", numbers.waves))
    cells.append(_mapped(statement, f"{alias}.questionnaire_id", numbers.versions))
    cells += [f"NULLIF({alias}.language, '')", f"NULLIF({alias}.status, '')"]
    cells += [f"{alias}.started_on", f"{alias}.completed_on"]
    return cells


def _labelled_sql(statement: _Statement, column: Column, text: str, language: tuple[str, str] | None) -> str:
    """A code (or its label) as text, neutralised like ``neutralise_code``.

    The list's own codes and labels are neutralised here, once, and matched by equality: only a value
    outside the list pays for the regular expressions.
    """
    neutral = f"NULLIF({sql_neutralise(text, keep_numbers=True)}, '')"
    if language is None:
        safe = [code for code in column.value_labels if code and neutralise_code(code) == code]
        if not safe:
            return neutral
        return f"(CASE WHEN {text} = ANY({statement.param(safe)}) THEN {text} ELSE {neutral} END)"
    labels = {code: neutralise_code(code_label(column, code, *language)) for code in column.value_labels}
    whens = " ".join(
        f"WHEN {statement.param(code)} THEN {statement.param(label)}"
        for code, label in labels.items()
        if label
    )
    return f"(CASE {text} {whens} ELSE {neutral} END)" if whens else neutral


_TEXT_KINDS = frozenset({Kind.CODE, Kind.TEXT, Kind.DATE})


def _answer_sql(
    statement: _Statement, column: Column, value: str, sql_type: str, language: tuple[str, str] | None
) -> str:
    """The cell of ``column``; ``value`` is the variable unpacked as ``sql_type`` (NULL: no answer)."""
    text = value if sql_type == "text" else f"({value} #>> '{{}}')"
    kind = column.kind
    if kind == Kind.DUMMY:
        # containment is false for anything but an array holding the code; NULL and JSON null
        # (shown, left unanswered) stay empty, as in the Python path
        return (
            f"(CASE WHEN jsonb_typeof({value}) <> 'null' "
            f"THEN ({value} @> {statement.param(json.dumps([column.choice]))}::jsonb)::int END)"
        )
    if kind in (Kind.INTEGER, Kind.DECIMAL):
        return f"(CASE WHEN jsonb_typeof({value}) = 'number' THEN {text} END)"
    if kind == Kind.RANK:
        rank = statement.param((column.rank or 1) - 1)
        # PostgreSQL reads a scalar as a one-element array here; only a real array has ranks
        element = f"(CASE WHEN jsonb_typeof({value}) = 'array' THEN {value} ->> {rank} END)"
        return _labelled_sql(statement, column, element, language)
    if kind == Kind.CODE:
        return _labelled_sql(statement, column, text, language)
    return f"NULLIF({sql_neutralise(text)}, '')"  # text and dates


def _unpack(alias: str, record: str, variables: dict[str, str]) -> str:
    """``LEFT JOIN LATERAL jsonb_to_record(<alias>.answers) AS <record>(<variable> <type>, …)``.

    The document is read once per row; codes and text come out as text directly (as ``->>`` writes
    them), dummies, ranks and numbers as jsonb.
    """
    columns = ", ".join(f"{quote_name(name)} {sql_type}" for name, sql_type in variables.items())
    columns = columns or quote_name("-") + " jsonb"
    return f"LEFT JOIN LATERAL jsonb_to_record({alias}.answers) AS {record}({columns}) ON true"


def _variables(plan: list[Column]) -> dict[str, str]:
    """Each variable the plan reads, with the SQL type it is unpacked as."""
    types: dict[str, str] = {}
    for column in plan:
        wanted = "text" if column.kind in _TEXT_KINDS else "jsonb"
        types[column.variable] = wanted if types.get(column.variable, wanted) == wanted else "jsonb"
    return types


def _answers_sql(
    statement: _Statement, plan: list[Column], record: str, language: tuple[str, str] | None
) -> list[str]:
    types = _variables(plan)
    return [
        _answer_sql(
            statement, column, f"{record}.{quote_name(column.variable)}", types[column.variable], language
        )
        for column in plan
    ]


def _label_languages(options: ExportOptions, survey: Survey) -> tuple[str, str] | None:
    """The label language and its fallback (the survey's default), or None for codes."""
    language = options.label_language(survey)
    return (language, survey.default_language) if language else None


def _select(cells: list[str], names: list[str]) -> str:
    return "SELECT " + ", ".join(
        f"{cell} AS {quote_name(name)}" for cell, name in zip(cells, names, strict=True)
    )


def select_sql(
    *,
    waves: Sequence[Wave],
    plan: list[Column],
    options: ExportOptions,
    names: list[str],
) -> tuple[str, dict[str, Any]]:
    """The statement and its parameters: every row of the export, cells as CSV text, in order."""
    if options.layout == Layout.PANEL_WIDE:
        return _wide_sql(waves=waves, plan=plan, options=options, names=names)
    survey = survey_of(waves)
    language = _label_languages(options, survey)
    numbers = Numbers.of(waves)
    statement = _Statement()
    panel = options.layout == Layout.PANEL_LONG
    cells = _meta_sql(statement, "r", numbers)
    join = ""
    if panel or survey.is_panel:
        cells.append("m.pseudonym")
        join = f"{'JOIN' if panel else 'LEFT JOIN'} {MEMBERS} m ON m.id = r.panel_member_id "
    cells += _answers_sql(statement, plan, "x", language)
    wave_ids = statement.param([wave.pk for wave in waves])
    statuses = statement.param(options.statuses)
    sql = (
        f"{_select(cells, names)} FROM {RESPONSES} r {join}{_unpack('r', 'x', _variables(plan))} "
        f"WHERE r.wave_id = ANY({wave_ids}) AND r.status = ANY({statuses})"
    )
    if panel:
        order = _mapped(statement, "r.wave_id", numbers.waves)
        return f"{sql} ORDER BY r.panel_member_id, {order}", statement.params
    return f"{sql} ORDER BY r.id", statement.params


def _wide_sql(
    *,
    waves: Sequence[Wave],
    plan: list[Column],
    options: ExportOptions,
    names: list[str],
) -> tuple[str, dict[str, Any]]:
    """panel_wide: one LEFT JOIN per wave onto the panel members, as ``exports.panel`` builds rows."""
    survey = survey_of(waves)
    language = _label_languages(options, survey)
    numbers = Numbers.of(waves)
    statement = _Statement()
    ordered = sorted(waves, key=lambda wave: wave.number)
    cells = ["m.pseudonym"]
    for index, _wave in enumerate(ordered):
        cells += _meta_sql(statement, f"r{index}", numbers, with_wave=False)
    joins: list[str] = []
    statuses = statement.param(options.statuses)
    for index, wave in enumerate(ordered):
        wave_id = statement.param(wave.pk)
        joins.append(
            f"LEFT JOIN {RESPONSES} r{index} ON r{index}.panel_member_id = m.id "
            f"AND r{index}.wave_id = {wave_id} AND r{index}.status = ANY({statuses})"
        )
    for index, wave in enumerate(ordered):
        columns = [column for column in plan if column.wave == wave.number]
        joins.append(_unpack(f"r{index}", f"x{index}", _variables(columns)))
        cells += _answers_sql(statement, columns, f"x{index}", language)
    present = " OR ".join(f"r{index}.id IS NOT NULL" for index in range(len(ordered)))
    survey_id = statement.param(survey.pk)
    sql = (
        f"{_select(cells, names)} FROM {MEMBERS} m {' '.join(joins)} "
        f"WHERE m.survey_id = {survey_id} AND ({present}) "
        "ORDER BY m.id"
    )
    return sql, statement.params
