"""The counts of ``exports.aggregation.tally`` computed by PostgreSQL, reading each row once.

A pass over a million responses costs what reading and unpacking their ``answers`` costs; what is
then done with the unpacked values is cheap as long as it is done in place. So the main pass unpacks
each response once with ``jsonb_to_record`` (only the variables needed) and groups the responses by
(bucket day, weighting codes, first breakdown's code), computing in each group side by side:

- per select_one code a ``count(*) FILTER (WHERE …)``, and its "no answer": no row is multiplied per
  question, and the counts over all breakdown codes are summed in Python;
- per select_multiple question its answers' JSON texts (``string_agg``, newline-separated: JSON
  escapes control characters), counted in Python; a question has few distinct lists, each parsed
  once, so the ticks follow ``tally.response_keys`` exactly;
- per number question its answers' texts the same way, read by numpy: a value map needs an entry per
  distinct value, which a ``FILTER`` cannot know in advance.

Values are unpacked as text (select_one codes as the export writes them, numbers as PostgreSQL writes
them) or json (select_multiple). A key's presence is tested with ``answers ? name``
(``jsonb_to_record`` turns JSON null into NULL, like a missing key) only when the unpacked value is
NULL: each test reads the document again, cheap while it is stored uncompressed (under about 2 KB),
costly for a very long form with many questions skipped.

Other statements, each one pass as well: the rows alone (status, language, dates, sections of the
trail; ``answers`` only for weighting codes) for the fieldwork figures; with two or more breakdowns,
the select questions by the other breakdowns (``GROUPING SETS``); and only when the main pass found
select_one answers outside their choice list (imported or edited data), those codes. On a large
wave, each pass over answers reads its rows in ``SLICES`` ranges of response IDs at once, on
connections of their own.

Values travel as parameters; the only names spliced into the statements are validated variable
names, quoted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from exports.aggregation.sql_results import NO_NUMBER, NULL_LIST, Column, Reader, add_fieldwork, bucket
from exports.aggregation.tally import (
    FINISHED,
    CountPlan,
    Counts,
    Kind,
    Scope,
)
from exports.sql import quote_name
from respondents.models import Response

RESPONSES = Response._meta.db_table
FETCH_ROWS = 50
# a statement returns at most 1,664 columns: a longer form is counted in several passes
MAX_AGGREGATES = 1200
# a longer choice list is counted from the values themselves rather than with one FILTER per code
MAX_FILTER_CODES = 100
# above this many (day × weighting cell × breakdown code) groups, the first breakdown is counted with
# the others rather than multiply the main pass's groups (each holds a counter per code)
MAX_MAIN_GROUPS = 200_000
# a pass over many rows reads them in this many parts at once, each on a connection of its own: the
# work is CPU-bound in PostgreSQL, and one statement uses one core (string_agg cannot run in parallel
# workers before PostgreSQL 16)
SLICES = 2
MIN_SLICE_ROWS = 25_000
WEIGHTS = "@weights"  # the weighting codes as a dimension of a grouping set


Aggregate = tuple[Column, str]


class _Params:
    """Named placeholders, so that pieces of a statement can be built in any order."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def __call__(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"%({name})s"


def _x(name: str) -> str:
    return f"x.{quote_name(name)}"


def _count(condition: str) -> str:
    return f"count(*) FILTER (WHERE {condition})"


def _counted(listed: tuple[str, ...]) -> tuple[str, ...]:
    """The codes counted by a FILTER each; a longer list is counted from the values themselves."""
    return listed if len(listed) <= MAX_FILTER_CODES else ()


def _single(param: _Params, name: str, listed: tuple[str, ...]) -> Iterator[Aggregate]:
    value = _x(name)
    for code in _counted(listed):
        yield Column("count", name, Kind.CODE, code), _count(f"{value} = {param(code)}")
    blank = f"({value} IS NULL OR {value} = '') AND r.answers ? {param(name)}"
    yield Column("count", name, Kind.NO_ANSWER), _count(blank)
    yield Column("answered", name, listed=_counted(listed)), _count(f"{value} <> ''")


def _unlisted(param: _Params, name: str, listed: tuple[str, ...]) -> Aggregate:
    value, codes = _x(name), param(list(_counted(listed)))
    other = f"{value} <> '' AND NOT ({value} = ANY({codes}::text[]))"
    return Column("codes", name), f"string_agg(to_json({value})::text, ',') FILTER (WHERE {other})"


def _multiple(param: _Params, name: str, listed: tuple[str, ...]) -> Iterator[Aggregate]:
    """A select_multiple's lists as JSON texts (few distinct ones, read in Python), and its nulls."""
    value = _x(name)
    null = f"{value} IS NULL AND r.answers ? {param(name)}"
    yield Column("count", name, NULL_LIST), _count(null)
    # json text escapes control characters: a newline separates two lists
    yield Column("lists", name, listed=listed), f"string_agg({value}::text, E'\\n')"


def _number(param: _Params, name: str) -> Iterator[Aggregate]:
    value = _x(name)
    # a newline only occurs in a string, never in a number: it separates the values of a group
    not_number = f"({value} IS NULL AND r.answers ? {param(name)}) OR strpos({value}, E'\\n') > 0"
    yield Column("count", name, NO_NUMBER), _count(not_number)
    yield Column("values", name), f"string_agg({value}, E'\\n') FILTER (WHERE strpos({value}, E'\\n') = 0)"


def _aggregates(param: _Params, plan: CountPlan, *, numbers: bool = True) -> list[Aggregate]:
    aggregates: list[Aggregate] = []
    for name, listed in plan.singles:
        aggregates += _single(param, name, listed)
    for name, listed in plan.multiples:
        aggregates += _multiple(param, name, listed)
    for name in plan.numbers if numbers else ():
        aggregates += _number(param, name)
    return aggregates


def chunks(plan: CountPlan, limit: int = MAX_AGGREGATES) -> list[CountPlan]:
    """``plan`` split so that no statement has more than about ``limit`` aggregates."""
    items = [("s", item, len(_counted(item[1])) + 2) for item in plan.singles]
    items += [("m", item, 2) for item in plan.multiples]
    items += [("n", name, 2) for name in plan.numbers]
    parts: list[list[tuple[str, Any, int]]] = [[]]
    for item in items:
        if parts[-1] and sum(weight for _tag, _item, weight in parts[-1]) + item[2] > limit:
            parts.append([])
        parts[-1].append(item)
    return [
        plan.part(
            tuple(item for tag, item, _w in part if tag == "s"),
            tuple(item for tag, item, _w in part if tag == "m"),
            tuple(item for tag, item, _w in part if tag == "n"),
            fieldwork=index == 0,
        )
        for index, part in enumerate(parts)
    ]


# -- statements ----------------------------------------------------------------------------------


def _record(plan: CountPlan, names: Sequence[str] | None = None) -> str:
    """The ``jsonb_to_record`` column list: each variable as the type its tests need."""
    types = {name: "json" for name, _codes in plan.multiples}
    names = plan.variables() if names is None else names
    return ", ".join(f"{quote_name(name)} {types.get(name, 'text')}" for name in names)


def _scope_condition(param: _Params, scope: Scope) -> str:
    finished = f"r.status = ANY({param(list(FINISHED))})"
    if scope.only_days is not None:
        return f"{finished} AND r.completed_on = ANY({param(list(scope.only_days))}::date[])"
    if scope.skip_days:
        skipped = f"{finished} AND r.completed_on = ANY({param(list(scope.skip_days))}::date[])"
        return f"NOT COALESCE({skipped}, false)"
    return "true"


def _day(param: _Params, scope: Scope) -> str:
    """The bucket of a response: its completion day when finished before today, else NULL (live)."""
    sealed = f"r.status = ANY({param(list(FINISHED))}) AND r.completed_on < {param(scope.today)}"
    return f"CASE WHEN {sealed} THEN r.completed_on END"


def _code(name: str) -> str:
    return f"NULLIF({_x(name)}, '')"


def _source(param: _Params, wave_id: int, scope: Scope, record: str) -> str:
    unpack = f"LEFT JOIN LATERAL jsonb_to_record(r.answers) AS x({record}) ON true " if record else ""
    # a slice of the (random) response IDs: the whole range, or one part of it read in parallel
    ids = "r.id BETWEEN %(slice_first)s AND %(slice_last)s"
    scoped = _scope_condition(param, scope)
    return f"FROM {RESPONSES} r {unpack}WHERE r.wave_id = {param(wave_id)} AND {ids} AND {scoped}"


def _dimensions(plan: CountPlan, sets: Sequence[Sequence[str]]) -> list[tuple[str, str]]:
    """(dimension, SQL) of every dimension the grouping sets use, weights as two columns."""
    used = list(dict.fromkeys(dimension for grouping in sets for dimension in grouping))
    dimensions = []
    for dimension in used:
        if dimension == WEIGHTS:
            codes = [*(_code(name) for name in plan.weighting[:2]), "NULL::text", "NULL::text"]
            dimensions += [(WEIGHTS, codes[0]), (WEIGHTS, codes[1])]
        else:
            dimensions.append((dimension, _code(dimension)))
    return dimensions


def grouped_statement(
    wave_id: int,
    plan: CountPlan,
    scope: Scope,
    sets: Sequence[Sequence[str]],
    aggregates: list[Aggregate],
    param: _Params,
) -> tuple[str, dict[str, Any]]:
    """``aggregates`` by day and each grouping set of dimensions (``WEIGHTS`` or a breakdown).

    Result rows: day, the dimensions' codes, a GROUPING() mask of them, the aggregates.
    """
    day = _day(param, scope)
    dimensions = _dimensions(plan, sets)
    expressions = [sql for _dimension, sql in dimensions]
    mask = f"GROUPING({', '.join(expressions)})" if expressions else "0"
    cells = ", ".join([day, *expressions, mask, *(sql for _column, sql in aggregates)])
    source = _source(param, wave_id, scope, _record(plan))
    if len(sets) <= 1:
        group_by = ", ".join([day, *expressions])
    else:
        group_by = "GROUPING SETS ({})".format(
            ", ".join(
                "(" + ", ".join([day, *(sql for dimension, sql in dimensions if dimension in grouping)]) + ")"
                for grouping in sets
            )
        )
    return f"SELECT {cells} {source} GROUP BY {group_by}", param.values


def fieldwork_statement(wave_id: int, plan: CountPlan, scope: Scope) -> tuple[str, dict[str, Any]]:
    """Responses by (day, status, language, dates, weighting codes), and how many visited each section
    (``answers`` is read only for the weighting codes)."""
    param = _Params()
    weights = [*(_code(name) for name in plan.weighting[:2]), "NULL::text", "NULL::text"][:2]
    cells = [_day(param, scope), "r.status", "r.language", "r.started_on", "r.completed_on", *weights]
    cells += ["count(*)"] + [_count(f"r.trail ? {param(name)}") for name in plan.sections]
    source = _source(param, wave_id, scope, _record(plan, plan.weighting[:2]))
    return f"SELECT {', '.join(cells)} {source} GROUP BY 1, 2, 3, 4, 5, 6, 7", param.values


# -- reading the results ----------------------------------------------------------------------------


def _settings(cursor: Any) -> None:
    # string_agg and the hash tables stay in memory only with more than the default 4 MB
    cursor.execute("SET LOCAL work_mem = %s", [settings.VOLNA_EXPORT_WORK_MEM])
    # compiling a few hundred FILTER expressions (JIT) costs more than it saves
    cursor.execute("SET LOCAL jit = off")
    # every row is read: no plan for a fast first row (a server-side cursor would ask for one)
    cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")


def _rows(sql: str, params: dict[str, Any]) -> list[tuple]:
    with transaction.atomic(), connection.cursor() as cursor:
        _settings(cursor)
        cursor.execute(sql, params)
        return cursor.fetchall()


def _stream(sql: str, params: dict[str, Any]) -> Iterator[tuple]:
    """The statement's rows a few at a time (a group's number values can run to megabytes)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            _settings(cursor)
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(FETCH_ROWS):
                yield from rows


def _slices(count: int) -> list[dict[str, str]]:
    """``count`` consecutive ranges of response IDs covering them all (IDs are random UUIDs)."""
    size = (1 << 128) // count
    bounds = [index * size for index in range(count)] + [1 << 128]
    return [
        {"slice_first": str(uuid.UUID(int=bounds[i])), "slice_last": str(uuid.UUID(int=bounds[i + 1] - 1))}
        for i in range(count)
    ]


def _rows_of_slice(sql: str, params: dict[str, Any]) -> list[tuple]:
    try:
        return _rows(sql, params)
    finally:
        connection.close()  # this thread's own connection


def _read(
    reader: Reader,
    wave_id: int,
    plan: CountPlan,
    scope: Scope,
    sets: Sequence[Sequence[str]],
    build: Callable[[_Params], list[Aggregate]],
    slices: int = 1,
) -> None:
    """Run one grouped statement and add its rows: in ``slices`` parts at once, each on a connection
    and with a reader of its own (a group's rows come once per slice: counts add up), or, inside a
    transaction, whose rows other connections could not see, in one part."""
    param = _Params()
    aggregates = build(param)
    sql, params = grouped_statement(wave_id, plan, scope, sets, aggregates, param)
    dimensions = [dimension for dimension, _sql in _dimensions(plan, sets)]
    columns = [column for column, _sql in aggregates]

    def consume(part: dict[str, str], into: Reader, own_connection: bool) -> Reader:
        try:
            for row in _stream(sql, {**params, **part}):
                _add_row(into, dimensions, columns, row)
        finally:
            if own_connection:
                connection.close()  # this thread's own connection
        return into

    if slices <= 1 or connection.in_atomic_block:
        consume(_slices(1)[0], reader, own_connection=False)
        return
    with ThreadPoolExecutor(max_workers=slices) as pool:
        parts = [pool.submit(consume, part, Reader(Counts()), True) for part in _slices(slices)]
        for done in parts:
            reader.merge(done.result())


def _add_row(reader: Reader, dimensions: list[str], columns: list[Column], row: tuple) -> None:
    day, *rest = row
    width = len(dimensions)
    codes, mask, cells = rest[:width], rest[width], rest[width + 1 :]
    main, crossed = None, []
    for i, dimension in enumerate(dimensions):
        if mask & (1 << (width - 1 - i)):
            continue  # not in this row's grouping set
        if dimension == WEIGHTS:
            main = (codes[i], codes[i + 1]) if main is None else main
        elif codes[i] is not None:
            crossed.append((dimension, codes[i]))
    if main is not None or crossed:  # else a breakdown's set: those who did not answer it
        reader.add(bucket(day), columns, cells, main, crossed)


def _first_breakdown(plan: CountPlan, days: int) -> str | None:
    """The breakdown counted in the main pass, unless its groups would be too many."""
    if not plan.breakdowns:
        return None
    groups = max(days, 1)
    for name in [*plan.weighting[:2], plan.breakdowns[0]]:
        groups *= len(plan.codes_of(name)) + 2  # and no answer, and an unlisted code or two
    return plan.breakdowns[0] if groups <= MAX_MAIN_GROUPS else None


def count_sql(
    wave_id: int,
    plan: CountPlan,
    scope: Scope,
    progress: Callable[[float], None] | None = None,
    days: int = 366,
    rows: int = 0,
) -> Counts:
    """The counts of ``tally.count_python``, computed by PostgreSQL. ``days`` (about how many past days
    the rows span) sizes the main pass's groups; ``rows`` (about how many it reads) decides whether
    the passes over answers read in ``SLICES`` parts at once."""
    counts = Counts()
    reader = Reader(counts)
    slices = SLICES if rows >= SLICES * MIN_SLICE_ROWS else 1
    first = _first_breakdown(plan, days)
    main = [WEIGHTS, first] if first else [WEIGHTS]
    others = [(name,) for name in plan.breakdowns if name != first]
    with ThreadPoolExecutor(max_workers=1) as beside:
        # the fieldwork statement reads no answers: on a large wave it runs beside the main pass
        fieldwork = _fieldwork(beside, wave_id, plan, scope, slices > 1)
        _count_answers(reader, wave_id, plan, scope, (main, others, slices), progress)
        for row in fieldwork():
            add_fieldwork(counts, plan, row)
    reader.finish()
    return counts


def _fieldwork(
    pool: ThreadPoolExecutor, wave_id: int, plan: CountPlan, scope: Scope, beside: bool
) -> Callable[[], list[tuple]]:
    """The fieldwork rows, read now or (``beside``, outside a transaction) on a connection of their own."""
    if not plan.fieldwork:
        return lambda: []
    sql, params = fieldwork_statement(wave_id, plan, scope)
    params = {**params, **_slices(1)[0]}
    if beside and not connection.in_atomic_block:
        return pool.submit(_rows_of_slice, sql, params).result
    found = _rows(sql, params)
    return lambda: found


def _count_answers(
    reader: Reader,
    wave_id: int,
    plan: CountPlan,
    scope: Scope,
    grouping: tuple[list[str], list[tuple[str]], int],
    progress: Callable[[float], None] | None,
) -> None:
    """The passes over answers: every question by the main set, selects by the other breakdowns,
    then unlisted codes if any turned up."""
    main, others, slices = grouping
    parts = chunks(plan)
    for done, part in enumerate(parts, start=1):
        if part.singles or part.multiples or part.numbers:
            everything = lambda param, part=part: _aggregates(param, part)  # noqa: E731
            _read(reader, wave_id, part, scope, [main], everything, slices)
        if others and (part.singles or part.multiples):
            selects = lambda param, part=part: _aggregates(param, part, numbers=False)  # noqa: E731
            _read(reader, wave_id, part, scope, others, selects, slices)
        if progress:
            progress(done / len(parts))
    if reader.unlisted:
        affected = plan.part(tuple(item for item in plan.singles if item[0] in reader.unlisted))

        def unlisted(param: _Params) -> list[Aggregate]:
            return [_unlisted(param, name, listed) for name, listed in affected.singles]

        _read(reader, wave_id, affected, scope, [main, *others], unlisted, slices)
