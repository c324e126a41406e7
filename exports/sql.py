"""One SQL ``SELECT`` per export, for PostgreSQL's ``COPY … TO STDOUT`` (CSV, SPSS and Stata).

The statement computes every cell in the database with the same rules as ``exports.rows`` plus the
CSV writer's formatting (``exports.writers.csv``): a test compares both paths byte for byte. SPSS and
Stata files read a variant with the cells they need (``typed_select_sql``: codes, numbers, text as
stored), after one aggregate over the same rows (``typed_stats_sql``: what their headers need). Each
response's ``answers`` is unpacked once per row with ``jsonb_to_record`` (one column per variable:
text for codes and text, jsonb for dummies, ranks and numbers), so a large document is read once, not
once per column. Rows are ordered in the database (``ORDER BY``), never in Python.

Values reach the statement as psycopg2 parameters (``cursor.mogrify``), never by string formatting,
apart from identifiers built from validated variable names and quoted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
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


def _meta_sql(
    statement: _Statement, alias: str, numbers: Numbers, *, with_wave: bool = True, typed: bool = False
) -> list[str]:
    """The meta cells of the response aliased ``alias``, as ``exports.rows.response_meta``.

    Dates are written by COPY itself, ISO under PostgreSQL's default DateStyle (``exports.writers.csv``
    makes sure of it); ``typed`` (SPSS and Stata): as the number YYYYMMDD (``_typed_date``).
    """
    cells = [f"{alias}.id::text"]
    if with_wave:
        cells.append(_mapped(statement, f"{alias}.wave_id", numbers.waves))
    cells.append(_mapped(statement, f"{alias}.questionnaire_id", numbers.versions))
    cells += [f"NULLIF({alias}.language, '')", f"NULLIF({alias}.status, '')"]
    dates = [f"{alias}.started_on", f"{alias}.completed_on"]
    cells += [f"to_char({date}, 'YYYYMMDD')" for date in dates] if typed else dates
    return cells


# The cell of a code that has no number: no code's number (those are whole), so the writer notices.
UNNUMBERED = 0.5


def _numbered(statement: _Statement, code: str, numbers: dict[str, int]) -> str:
    """The number of ``code`` (NULL for no answer, ``UNNUMBERED`` for a code missing from ``numbers``)."""
    whens = " ".join(
        f"WHEN {statement.param(key)} THEN {statement.param(value)}" for key, value in numbers.items()
    )
    unnumbered = f"(CASE WHEN NULLIF({code}, '') IS NOT NULL THEN {statement.param(UNNUMBERED)} END)"
    return f"(CASE {code} {whens} ELSE {unnumbered} END)" if whens else unnumbered


def _typed_date(text: str) -> str:
    """A date answer for SPSS and Stata: the digits YYYYMMDD when the stored text starts with
    YYYY-MM-DD (the writer checks that they make a date), else NULL. Never an error, whatever the text.
    """
    start = f"left({text}, 10)"
    return f"(CASE WHEN {start} ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' THEN translate({start}, '-', '') END)"


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


# How one plan column's cell is computed: (statement, column, unpacked value, its SQL type) → SQL.
CellSql = Callable[[_Statement, Column, str, str], str]


def _csv_cell(language: tuple[str, str] | None) -> CellSql:
    """The CSV cells: codes or labels, neutralised text (``_answer_sql``)."""
    return lambda statement, column, value, sql_type: _answer_sql(
        statement, column, value, sql_type, language
    )


def _typed_cell(numbers: dict[str, dict[str, int]] | None) -> CellSql:
    """The SPSS and Stata cells: as ``exports.rows.typed_value`` with codes, text exactly as stored.

    Dummies and numbers are the CSV's cells; a code (or ranked code) is its number in ``numbers``
    (column → code → number; None: the code itself), or ``UNNUMBERED``; a date is YYYYMMDD
    (``_typed_date``). Nothing is neutralised: SPSS and Stata never evaluate text.
    """

    def cell(statement: _Statement, column: Column, value: str, sql_type: str) -> str:
        kind = column.kind
        if kind in (Kind.DUMMY, Kind.INTEGER, Kind.DECIMAL):
            return _answer_sql(statement, column, value, sql_type, None)
        text = value if sql_type == "text" else f"({value} #>> '{{}}')"
        if kind == Kind.RANK:
            rank = statement.param((column.rank or 1) - 1)
            text = f"(CASE WHEN jsonb_typeof({value}) = 'array' THEN {value} ->> {rank} END)"
        if kind == Kind.DATE:
            return _typed_date(text)
        if kind in Kind.LABELLED and numbers is not None:
            return _numbered(statement, text, numbers[column.name])
        return f"NULLIF({text}, '')"

    return cell


def _answers_sql(
    statement: _Statement, plan: list[Column], alias: str, record: str | None, cell: CellSql
) -> list[str]:
    """The plan's cells, reading each variable from the unpacked ``record`` (``_unpack``) or, without
    one, straight from the response ``alias``'s answers (``->>``, ``->``): cheaper for a few variables.
    """
    types = _variables(plan)

    def value(variable: str) -> str:
        if record is not None:
            return f"{record}.{quote_name(variable)}"
        arrow = "->>" if types[variable] == "text" else "->"
        return f"({alias}.answers {arrow} {statement.param(variable)})"

    return [cell(statement, column, value(column.variable), types[column.variable]) for column in plan]


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
    cell = _csv_cell(_label_languages(options, survey_of(waves)))
    statement = _Statement()
    sql = _rows_sql(statement, waves=waves, plan=plan, options=options, names=names, cell=cell)
    return sql, statement.params


def typed_select_sql(
    *,
    waves: Sequence[Wave],
    plan: list[Column],
    options: ExportOptions,
    names: list[str],
    numbers: dict[str, dict[str, int]],
) -> tuple[str, dict[str, Any]]:
    """Every row of the export as SPSS and Stata need it (``_typed_cell``), in the CSV's order.

    ``numbers`` gives the number of codes of every labelled column (column → code → number); a code
    without one is written ``UNNUMBERED``.
    """
    statement = _Statement()
    cell = _typed_cell(numbers)
    sql = _rows_sql(statement, waves=waves, plan=plan, options=options, names=names, cell=cell, typed=True)
    return sql, statement.params


def typed_stats_sql(
    *,
    waves: Sequence[Wave],
    plan: list[Column],
    options: ExportOptions,
    names: list[str],
    texts: Sequence[str],
    lists: dict[str, Sequence[str]],
) -> tuple[str, dict[str, Any]]:
    """One row about the rows of ``typed_select_sql``, which SPSS and Stata need before the first row.

    The number of rows; for each column in ``texts``, its longest value in UTF-8 bytes (0 when
    empty); the bytes of all those texts; for each column in ``lists`` (column → its list's codes),
    the codes found that are not in the list (NULL when none). Only the variables counted are read
    from the answers, one by one.
    """
    wanted = set(texts) | set(lists)
    meta = names[: len(names) - len(plan)]
    counted = [column for column in plan if column.name in wanted]
    statement = _Statement()
    rows = _rows_sql(
        statement,
        waves=waves,
        plan=counted,
        options=options,
        names=meta + [column.name for column in counted],
        cell=_typed_cell(None),
        ordered=False,
        unpack=False,
        typed=True,
    )
    aggregates = ["count(*)"]
    aggregates += [f"coalesce(max(octet_length({quote_name(name)})), 0)" for name in texts]
    lengths = " + ".join(f"coalesce(octet_length({quote_name(name)}), 0)" for name in texts) or "0"
    aggregates.append(f"coalesce(sum({lengths}), 0)::bigint")
    for name, codes in lists.items():
        quoted = quote_name(name)
        listed = statement.param(list(codes))
        aggregates.append(f"array_agg(DISTINCT {quoted}) FILTER (WHERE {quoted} <> ALL({listed}::text[]))")
    head = "SELECT " + ", ".join(aggregates)
    return f"{head} FROM ({rows}) AS export_rows", statement.params


def _rows_sql(
    statement: _Statement,
    *,
    waves: Sequence[Wave],
    plan: list[Column],
    options: ExportOptions,
    names: list[str],
    cell: CellSql,
    ordered: bool = True,
    unpack: bool = True,
    typed: bool = False,
) -> str:
    """The export's one ``SELECT`` with plan cells made by ``cell``.

    ``ordered``: rows in file order; ``unpack``: each response's answers unpacked once with
    ``jsonb_to_record`` (else each variable is read on its own, see ``_answers_sql``); ``typed``:
    meta cells for SPSS and Stata (``_meta_sql``).
    """
    if options.layout == Layout.PANEL_WIDE:
        sql = _wide_sql(
            statement,
            waves=waves,
            plan=plan,
            options=options,
            names=names,
            cell=cell,
            unpack=unpack,
            typed=typed,
        )
        return f"{sql} ORDER BY m.id" if ordered else sql
    survey = survey_of(waves)
    numbers = Numbers.of(waves)
    panel = options.layout == Layout.PANEL_LONG
    cells = _meta_sql(statement, "r", numbers, typed=typed)
    join = ""
    if panel or survey.is_panel:
        cells.append("m.pseudonym")
        join = f"{'JOIN' if panel else 'LEFT JOIN'} {MEMBERS} m ON m.id = r.panel_member_id "
    cells += _answers_sql(statement, plan, "r", "x" if unpack else None, cell)
    if unpack:
        join += _unpack("r", "x", _variables(plan)) + " "
    wave_ids = statement.param([wave.pk for wave in waves])
    statuses = statement.param(options.statuses)
    sql = (
        f"{_select(cells, names)} FROM {RESPONSES} r {join}"
        f"WHERE r.wave_id = ANY({wave_ids}) AND r.status = ANY({statuses})"
    )
    if not ordered:
        return sql
    if panel:
        order = _mapped(statement, "r.wave_id", numbers.waves)
        return f"{sql} ORDER BY r.panel_member_id, {order}"
    return f"{sql} ORDER BY r.id"


def _wide_sql(
    statement: _Statement,
    *,
    waves: Sequence[Wave],
    plan: list[Column],
    options: ExportOptions,
    names: list[str],
    cell: CellSql,
    unpack: bool = True,
    typed: bool = False,
) -> str:
    """panel_wide: one LEFT JOIN per wave onto the panel members, as ``exports.panel`` builds rows."""
    survey = survey_of(waves)
    numbers = Numbers.of(waves)
    ordered = sorted(waves, key=lambda wave: wave.number)
    cells = ["m.pseudonym"]
    for index, _wave in enumerate(ordered):
        cells += _meta_sql(statement, f"r{index}", numbers, with_wave=False, typed=typed)
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
        if unpack:
            joins.append(_unpack(f"r{index}", f"x{index}", _variables(columns)))
        cells += _answers_sql(statement, columns, f"r{index}", f"x{index}" if unpack else None, cell)
    present = " OR ".join(f"r{index}.id IS NOT NULL" for index in range(len(ordered)))
    survey_id = statement.param(survey.pk)
    return (
        f"{_select(cells, names)} FROM {MEMBERS} m {' '.join(joins)} "
        f"WHERE m.survey_id = {survey_id} AND ({present})"
    )
