"""Cross-tabs of every select question by each breakdown, and before/after pairs built from them.

Shares are column shares (of the respondents shown the question with that breakdown code), with a
95% Wilson interval. Suppression runs on the whole table (``suppression.suppress_table``): column bases
first, then the cells. A row adds up to the question's count for that code (shown in its frequency
table) and the column bases to its base, less those who did not answer the breakdown; a select_one
column adds up to its base, less the question's "no answer" in that column (not shown here). So rows
and bases get complementary suppression when fewer than k respondents are left out, columns when the
question has fewer than k "no answer": a remainder of k or more unknown people hides a cell as well
as "< k" does. Pairs reuse the suppressed cells of the questions and cross-tabs, so a count hidden in
one place is hidden wherever it appears.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from exports.aggregation.catalogue import Catalogue, SelectVariable, code_labels, row_codes
from exports.aggregation.spec import AnalysisSpec
from exports.aggregation.stats import wilson_interval
from exports.aggregation.suppression import cell, suppress_distribution, suppress_table
from exports.aggregation.tally import Kind
from exports.aggregation.totals import Totals

Cell = dict[str, Any]


def _column_bases(
    question: SelectVariable, counts: dict, row_list: list[str], columns: list[str]
) -> list[int]:
    if question.multiple:
        return [counts.get((Kind.SHOWN, None, column), 0) for column in columns]
    return [
        sum(counts.get((Kind.CODE, code, column), 0) for code in row_list)
        + counts.get((Kind.NO_ANSWER, None, column), 0)
        for column in columns
    ]


def _crossed_cell(count: int, base: int, hidden: bool) -> Cell:
    if hidden:
        return {"count": None, "share": None, "suppressed": True, "ci": None}
    interval = wilson_interval(count, base)
    return {
        "count": count,
        "share": count / base if base else None,
        "suppressed": False,
        "ci": list(interval) if interval else None,
    }


def crosstab(
    question: SelectVariable, breakdown: SelectVariable, totals: Totals, languages: Sequence[str], k: int
) -> dict[str, Any]:
    counts = totals.crossed.get((breakdown.name, question.name), {})
    row_list = row_codes(question, list(totals.codes(question.name, Kind.CODE)))
    columns = row_codes(breakdown, list({column for _kind, _code, column in counts}))
    bases = _column_bases(question, counts, row_list, columns)
    table = [[counts.get((Kind.CODE, code, column), 0) for column in columns] for code in row_list]
    # rows and bases leave out those who did not answer the breakdown, columns the question's "no
    # answer": a total with a hidden remainder of k or more people gives nothing away by subtraction
    left_out = sum(totals.select_base_by_cell(question).values()) - sum(bases)
    rows_add_up = left_out < k
    columns_add_up = not question.multiple and totals.count(question.name, Kind.NO_ANSWER) < k
    base_hidden = suppress_distribution(bases, k, adds_up=rows_add_up)
    forced = [[base_hidden[c] and count > 0 for c, count in enumerate(row)] for row in table]
    mask = suppress_table(table, k, hidden=forced, rows_add_up=rows_add_up, columns_add_up=columns_add_up)
    base_total = sum(bases)
    return {
        "row": question.name,
        "column": breakdown.name,
        "row_label": dict(question.label),
        "column_label": dict(breakdown.label),
        "columns": [
            {
                "code": column,
                "label": code_labels(breakdown, column, languages),
                "base": cell(base, base_total, hidden),
            }
            for column, base, hidden in zip(columns, bases, base_hidden, strict=True)
        ],
        "rows": [
            {
                "code": code,
                "label": code_labels(question, code, languages),
                "cells": [_crossed_cell(count, bases[c], mask[r][c]) for c, count in enumerate(table[r])],
            }
            for r, code in enumerate(row_list)
        ],
    }


def crosstabs(
    totals: Totals, catalogue: Catalogue, breakdowns: Sequence[str], languages: Sequence[str], k: int
) -> list[dict[str, Any]]:
    """Every select question (but the breakdown itself) by each breakdown, breakdown by breakdown."""
    tables = []
    for name in breakdowns:
        breakdown = catalogue.select(name)
        if breakdown is None:
            continue
        for question in catalogue.selects:
            if question.name != name:
                tables.append(crosstab(question, breakdown, totals, languages, k))
    return tables


# -- before/after pairs ---------------------------------------------------------------------------


def _plain(found: Cell | None, base: int | None) -> Cell:
    """A pair cell: the cell without its interval, or a zero when the code is not a row."""
    if found is None:
        return cell(0, base, False)
    return {"count": found["count"], "share": found["share"], "suppressed": found["suppressed"]}


def _change(before: Cell, after: Cell) -> float | None:
    if before["suppressed"] or after["suppressed"] or before["share"] is None or after["share"] is None:
        return None
    return after["share"] - before["share"]


def _pair_rows(
    codes: list[str], variables: tuple[SelectVariable, SelectVariable], before: dict, after: dict, languages
) -> list[dict]:
    """``before``/``after``: {"cells": {code: cell}, "base": int}."""
    rows = []
    for code in codes:
        first = _plain(before["cells"].get(code), before["base"])
        second = _plain(after["cells"].get(code), after["base"])
        labelled = (
            variables[1]
            if code in variables[1].choices and code not in variables[0].choices
            else variables[0]
        )
        rows.append(
            {
                "code": code,
                "label": code_labels(labelled, code, languages),
                "before": first,
                "after": second,
                "change": _change(first, second),
            }
        )
    return rows


def _question_side(figure: dict[str, Any]) -> dict[str, Any]:
    return {"cells": {row["code"]: row["cell"] for row in figure["rows"]}, "base": figure["base"]}


def _table_side(table: dict[str, Any] | None, column: int | None) -> dict[str, Any]:
    if table is None or column is None:
        return {"cells": {}, "base": None}
    base = table["columns"][column]["base"]["count"]
    return {"cells": {row["code"]: row["cells"][column] for row in table["rows"]}, "base": base}


def _by_breakdown(
    before: SelectVariable,
    after: SelectVariable,
    codes: list[str],
    tables: dict,
    breakdown: SelectVariable,
    languages: Sequence[str],
) -> dict[str, Any]:
    first, second = tables.get((before.name, breakdown.name)), tables.get((after.name, breakdown.name))
    columns = [column["code"] for table in (first, second) if table for column in table["columns"]]
    groups = []
    for group in dict.fromkeys(columns):
        positions = [
            next((i for i, column in enumerate(table["columns"]) if column["code"] == group), None)
            if table
            else None
            for table in (first, second)
        ]
        rows = _pair_rows(
            codes,
            (before, after),
            _table_side(first, positions[0]),
            _table_side(second, positions[1]),
            languages,
        )
        groups.append({"code": group, "label": code_labels(breakdown, group, languages), "rows": rows})
    return {"breakdown": breakdown.name, "groups": groups}


def pairs(
    spec: AnalysisSpec,
    catalogue: Catalogue,
    questions: dict[str, dict[str, Any]],
    tables: list[dict[str, Any]],
    breakdowns: Sequence[str],
    languages: Sequence[str],
) -> list[dict[str, Any]]:
    by_name = {(table["row"], table["column"]): table for table in tables}
    result = []
    for pair in spec.pairs:
        before, after = catalogue.select(pair.before), catalogue.select(pair.after)
        if before is None or after is None:
            continue  # not both asked in this wave's version
        codes = [row["code"] for row in questions[before.name]["rows"]]
        codes += [row["code"] for row in questions[after.name]["rows"] if row["code"] not in codes]
        overall = _pair_rows(
            codes,
            (before, after),
            _question_side(questions[before.name]),
            _question_side(questions[after.name]),
            languages,
        )
        by = [
            _by_breakdown(before, after, codes, by_name, breakdown, languages)
            for name in breakdowns
            if name not in (before.name, after.name) and (breakdown := catalogue.select(name)) is not None
        ]
        result.append(
            {"before": before.name, "after": after.name, "label": pair.label, "overall": overall, "by": by}
        )
    return result
