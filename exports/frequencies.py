"""How often each value of each export column occurs: in SQL on PostgreSQL, in Python elsewhere.

``variable_frequencies`` returns, per plan column name, a dict of counts whose values add up to the
responses the column covers (``include``: completed only or all):

- codes (select_one, matrix items, ranks): ``{code: count}`` for every listed code (zeros included,
  in list order), then codes found in the answers but not in the list (sorted), then ``None`` (empty);
- dummies: ``{0: count, 1: count, None: count}``;
- numbers, dates and text: ``{"answered": count, None: count}``.

A value counts as the export writes it (``exports.rows.typed_value``): an empty string or a
non-number in a numeric column is empty. A panel_wide column (``Column.wave``) covers the responses of
its wave only.

On PostgreSQL two statements read each response once: one row of ``count(*) FILTER (...)`` aggregates
(answered counts, and the ticked count of each dummy with ``?``, the same test as the export's cells),
and one ``GROUP BY`` over (column, code) pairs unpacked with ``LATERAL (VALUES …)``. Everything else
runs the Python rules over the rows in primary-key batches; a test compares both on PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from exports.columns import Column, Kind
from exports.rows import ExportOptions, batches_by_pk, included_responses, typed_value
from respondents.models import Response
from surveys.models import Wave

RESPONSES = Response._meta.db_table
ANSWERED = "answered"
Frequencies = dict[str, dict[Any, int]]
# PostgreSQL allows 1,664 columns in a row (output, or unpacked by jsonb_to_record): stay below
MAX_AGGREGATES = 1000


def variable_frequencies(*, waves: Sequence[Wave], plan: list[Column], options: ExportOptions) -> Frequencies:
    """Counts of every value of every plan column over the responses the export includes."""
    responses = included_responses(waves=waves, options=options)
    wave_ids = {wave.number: wave.pk for wave in waves}
    if connection.vendor == "postgresql":
        return frequencies_sql(responses, plan, wave_ids)
    return frequencies_python(responses, plan, wave_ids)


def _empty_counts(column: Column) -> dict[Any, int]:
    if column.kind in Kind.LABELLED:
        return dict.fromkeys(column.value_labels, 0)
    if column.kind == Kind.DUMMY:
        return {0: 0, 1: 0}
    return {ANSWERED: 0}


def _ordered(column: Column, counts: dict[Any, int], empty: int) -> dict[Any, int]:
    """Listed codes first (zeros kept), then unlisted codes sorted, then the empty count."""
    ordered = _empty_counts(column)
    ordered.update({key: counts[key] for key in ordered if key in counts})
    ordered.update({key: counts[key] for key in sorted(set(counts) - set(ordered), key=str)})
    ordered[None] = empty
    return ordered


def frequencies_python(
    responses: QuerySet[Response], plan: list[Column], wave_ids: dict[int, int]
) -> Frequencies:
    """The frequencies computed row by row with the export's own rules (any database)."""
    scopes = [(column, Counter[Any](), wave_ids.get(column.wave or -1)) for column in plan]
    for batch in batches_by_pk(responses, ("pk", "wave_id", "answers")):
        for _pk, wave_id, answers in batch:
            for column, counter, scope in scopes:
                if column.wave is not None and scope != wave_id:
                    continue
                value = typed_value(column, answers or {}, None)
                if value is not None and column.kind not in Kind.LABELLED and column.kind != Kind.DUMMY:
                    value = ANSWERED
                counter[value] += 1
    result = {}
    for column, counter, _scope in scopes:
        empty = counter.pop(None, 0)
        result[column.name] = _ordered(column, dict(counter), empty)
    return result


# -- PostgreSQL -----------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Sql:
    """Expressions over one response ``r`` whose answers are unpacked into ``x``, with parameters."""

    def __init__(self, plan: list[Column], wave_ids: dict[int, int]) -> None:
        self.params: list[Any] = []
        self.wave_ids = wave_ids
        variables = list(dict.fromkeys(column.variable for column in plan))
        columns = ", ".join(f"{_quote(variable)} jsonb" for variable in variables) or '"-" jsonb'
        self.unpack = f"LEFT JOIN LATERAL jsonb_to_record(r.answers) AS x({columns}) ON true"

    def param(self, value: Any) -> str:
        self.params.append(value)
        return "%s"

    def scope(self, column: Column) -> str:
        """The condition a response meets to count for ``column`` (its wave, for panel_wide)."""
        if column.wave is None:
            return "true"
        return f"r.wave_id = {self.param(self.wave_ids.get(column.wave, -1))}"

    def code(self, column: Column) -> str:
        """The code as text, as ``typed_value`` writes it (NULL when empty)."""
        value = f"x.{_quote(column.variable)}"
        if column.kind == Kind.RANK:
            return f"NULLIF({value} ->> {self.param((column.rank or 1) - 1)}, '')"
        return f"NULLIF({value} #>> '{{}}', '')"

    def answered(self, column: Column) -> str:
        value = f"x.{_quote(column.variable)}"
        if column.kind == Kind.DUMMY:
            return f"jsonb_typeof({value}) <> 'null'"
        if column.kind in (Kind.INTEGER, Kind.DECIMAL):
            return f"jsonb_typeof({value}) = 'number'"
        if column.kind in Kind.LABELLED:
            return f"{self.code(column)} IS NOT NULL"
        return f"NULLIF({value} #>> '{{}}', '') IS NOT NULL"

    def ticked(self, column: Column) -> str:
        value = f"x.{_quote(column.variable)}"
        return f"jsonb_typeof({value}) = 'array' AND {value} ? {self.param(column.choice)}"


def _where(responses: QuerySet[Response]) -> tuple[str, list[Any]]:
    """The responses' filter as SQL over alias ``r`` (``WHERE r.id IN (the queryset)``)."""
    sql, params = responses.values("pk").query.sql_with_params()
    return f"r.id IN ({sql})", list(params)


def _aggregates(
    responses: QuerySet[Response], columns: list[Column], wave_ids: dict[int, int]
) -> tuple[int, dict[str, tuple[int, int, int]]]:
    """(all responses, {column: (in scope, answered, ticked)}) in one pass."""
    sql = _Sql(columns, wave_ids)
    cells = ["count(*)"]
    for column in columns:
        scope = sql.scope(column)
        cells.append(f"count(*) FILTER (WHERE {scope})")
        scope = sql.scope(column)
        cells.append(f"count(*) FILTER (WHERE {scope} AND {sql.answered(column)})")
        if column.kind == Kind.DUMMY:
            scope = sql.scope(column)
            cells.append(f"count(*) FILTER (WHERE {scope} AND {sql.ticked(column)})")
    where, where_params = _where(responses)
    # values travel as parameters; the only names spliced in are validated variable names, quoted
    statement = f"SELECT {', '.join(cells)} FROM {RESPONSES} r {sql.unpack} WHERE {where}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, sql.params + where_params)
        counts = list(cursor.fetchone())
    total, position, result = counts[0], 1, {}
    for column in columns:
        width = 3 if column.kind == Kind.DUMMY else 2
        scoped, answered, ticked = [*counts[position : position + width], 0][:3]
        result[column.name] = (scoped, answered, ticked)
        position += width
    return total, result


def _code_counts(
    responses: QuerySet[Response], columns: list[Column], wave_ids: dict[int, int]
) -> dict[str, dict[str, int]]:
    """{column: {code: count}} for labelled columns, one GROUP BY over (column, code) pairs."""
    if not columns:
        return {}
    sql = _Sql(columns, wave_ids)
    pairs = ", ".join(
        f"({sql.param(column.name)}::text, CASE WHEN {sql.scope(column)} THEN {sql.code(column)} END)"
        for column in columns
    )
    where, where_params = _where(responses)
    statement = (
        f"SELECT c.name, c.code, count(*) FROM {RESPONSES} r {sql.unpack} "  # noqa: S608 -- as above
        f"CROSS JOIN LATERAL (VALUES {pairs}) AS c(name, code) "
        f"WHERE {where} AND c.code IS NOT NULL GROUP BY 1, 2"
    )
    counts: dict[str, dict[str, int]] = {column.name: {} for column in columns}
    with connection.cursor() as cursor:
        cursor.execute(statement, sql.params + where_params)
        for name, code, count in cursor.fetchall():
            counts[name][code] = count
    return counts


def _chunks(columns: list[Column], size: int) -> Iterable[list[Column]]:
    for start in range(0, len(columns), size):
        yield columns[start : start + size]


def frequencies_sql(
    responses: QuerySet[Response], plan: list[Column], wave_ids: dict[int, int]
) -> Frequencies:
    """The frequencies computed by PostgreSQL (same results as ``frequencies_python``)."""
    aggregates: dict[str, tuple[int, int, int]] = {}
    for chunk in _chunks(plan, MAX_AGGREGATES // 3):
        aggregates.update(_aggregates(responses, chunk, wave_ids)[1])
    codes: dict[str, dict[str, int]] = {}
    for chunk in _chunks([column for column in plan if column.kind in Kind.LABELLED], MAX_AGGREGATES):
        codes.update(_code_counts(responses, chunk, wave_ids))
    result = {}
    for column in plan:
        scoped, answered, ticked = aggregates[column.name]
        if column.kind in Kind.LABELLED:
            counts: dict[Any, int] = codes[column.name]
        elif column.kind == Kind.DUMMY:
            counts = {0: answered - ticked, 1: ticked}
        else:
            counts = {ANSWERED: answered}
        result[column.name] = _ordered(column, counts, scoped - answered)
    return result
