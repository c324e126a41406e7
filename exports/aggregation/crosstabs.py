"""Cross-tabs of every select question by each breakdown, and before/after pairs built from them.

Shares are column shares (of the respondents shown the question with that breakdown code), with a
95% Wilson interval. Suppression runs on the whole table: column bases first, then the cells.

- The column bases are at most the breakdown's own counts (equal when the question is shown to all
  who answered the breakdown), which its frequency table shows or hides: a base shown here would give
  a count hidden there back (or bound it) by subtraction. So the bases start from the mask of the
  breakdown's frequency table (the same ``suppress_distribution`` as ``figures.question``), or-ed with
  their own "< k", then get complementary suppression when they add up.
- When a column's base is hidden, its non-zero cells are hidden, and the shares and intervals of its
  zeros too: a zero's interval (upper bound z²/(n+z²)) or share would give the base back.
- Whether a line adds up is decided line by line, from the remainder a reader cannot see: a row adds
  up to the question's count for that code (shown in its frequency table) less those with that code
  who did not answer the breakdown; a select_one column to its base less the question's "no answer"
  in that column; the bases to the question's base less those who did not answer the breakdown. A
  line gets complementary suppression when its remainder is under k: a remainder of k or more unknown
  people hides a cell as well as "< k" does.
- The cross-tabs of two breakdowns by each other (a by b, b by a) count the same people: each one's
  hidden cells are hidden in the other, and both are suppressed again until neither changes.

Pairs reuse the suppressed cells of the questions and cross-tabs, so a count hidden in one place is
hidden wherever it appears.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from exports.aggregation.catalogue import Catalogue, SelectVariable, code_labels, row_codes
from exports.aggregation.spec import AnalysisSpec
from exports.aggregation.stats import wilson_interval
from exports.aggregation.suppression import cell, complementary, is_small, primary, suppress_distribution
from exports.aggregation.tally import Kind
from exports.aggregation.totals import Totals

Cell = dict[str, Any]
Mask = list[list[bool]]


@dataclass
class _Layout:
    """A cross-tab's counts and suppression, before it is written out."""

    question: SelectVariable
    breakdown: SelectVariable
    row_list: list[str]
    columns: list[str]
    table: list[list[int]]
    bases: list[int]
    base_hidden: list[bool]
    rows_add_up: list[bool]
    columns_add_up: list[bool]
    mask: Mask

    def hidden(self, row: str, column: str) -> bool:
        if row not in self.row_list or column not in self.columns:
            return False
        return self.mask[self.row_list.index(row)][self.columns.index(column)]


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


def _frequency_mask(variable: SelectVariable, totals: Totals, k: int) -> dict[str, bool]:
    """{code: hidden} in ``variable``'s own frequency table, suppressed as ``figures.question`` does."""
    given = totals.codes(variable.name, Kind.CODE)
    codes = row_codes(variable, list(given))
    counts = [*(given.get(code, 0) for code in codes), totals.count(variable.name, Kind.NO_ANSWER)]
    mask = primary(counts, k) if variable.multiple else suppress_distribution(counts, k)
    return dict(zip(codes, mask, strict=False))  # the last flag is "no answer"


def _suppress_lines(
    table: Sequence[Sequence[int]],
    k: int,
    hidden: Sequence[Sequence[bool]],
    rows_add_up: Sequence[bool],
    columns_add_up: Sequence[bool],
) -> Mask:
    """``suppression.suppress_table`` with a flag per row and per column: whether that line adds up."""
    mask = [
        [is_small(count, k) or hidden[r][c] for c, count in enumerate(row)] for r, row in enumerate(table)
    ]
    changed = True
    while changed:
        changed = False
        for r, row in enumerate(table):
            if rows_add_up[r]:
                new = complementary(row, mask[r], k)
                changed |= new != mask[r]
                mask[r] = new
        for c, adds_up in enumerate(columns_add_up):
            if not adds_up:
                continue
            new = complementary([row[c] for row in table], [flags[c] for flags in mask], k)
            for r, flag in enumerate(new):
                changed |= flag != mask[r][c]
                mask[r][c] = flag
    return mask


def _layout(question: SelectVariable, breakdown: SelectVariable, totals: Totals, k: int) -> _Layout:
    counts = totals.crossed.get((breakdown.name, question.name), {})
    row_list = row_codes(question, list(totals.codes(question.name, Kind.CODE)))
    columns = row_codes(breakdown, list({column for _kind, _code, column in counts}))
    bases = _column_bases(question, counts, row_list, columns)
    table = [[counts.get((Kind.CODE, code, column), 0) for column in columns] for code in row_list]
    # what each line leaves out (those who did not answer the breakdown, the question's "no answer"):
    # a total with a hidden remainder of k or more people gives nothing away by subtraction
    left_out = sum(totals.select_base_by_cell(question).values()) - sum(bases)
    rows_add_up = [
        totals.count(question.name, Kind.CODE, code) - sum(row) < k
        for code, row in zip(row_list, table, strict=True)
    ]
    columns_add_up = [
        not question.multiple and counts.get((Kind.NO_ANSWER, None, column), 0) < k for column in columns
    ]
    frequency = _frequency_mask(breakdown, totals, k)
    base_hidden = [
        is_small(base, k) or frequency.get(column, False) for column, base in zip(columns, bases, strict=True)
    ]
    if left_out < k:
        base_hidden = complementary(bases, base_hidden, k)
    forced = [[base_hidden[c] and count > 0 for c, count in enumerate(row)] for row in table]
    mask = _suppress_lines(table, k, forced, rows_add_up, columns_add_up)
    return _Layout(
        question, breakdown, row_list, columns, table, bases, base_hidden, rows_add_up, columns_add_up, mask
    )


def _agree(first: _Layout, second: _Layout, k: int) -> None:
    """Hide in each of two transposed cross-tabs what the other hides, until neither changes."""
    changed = True
    while changed:
        changed = False
        for this, other in ((first, second), (second, first)):
            hidden = [
                [this.mask[r][c] or other.hidden(column, row) for c, column in enumerate(this.columns)]
                for r, row in enumerate(this.row_list)
            ]
            new = _suppress_lines(this.table, k, hidden, this.rows_add_up, this.columns_add_up)
            changed |= new != this.mask
            this.mask = new


def _crossed_cell(count: int, base: int, hidden: bool, base_hidden: bool) -> Cell:
    if hidden:
        return {"count": None, "share": None, "suppressed": True, "ci": None}
    if base_hidden:  # a zero (the others are hidden): its share and interval would give the base
        return {"count": count, "share": None, "suppressed": False, "ci": None}
    interval = wilson_interval(count, base)
    return {
        "count": count,
        "share": count / base if base else None,
        "suppressed": False,
        "ci": list(interval) if interval else None,
    }


def _written(layout: _Layout, languages: Sequence[str]) -> dict[str, Any]:
    question, breakdown, bases, base_hidden = (
        layout.question,
        layout.breakdown,
        layout.bases,
        layout.base_hidden,
    )
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
            for column, base, hidden in zip(layout.columns, bases, base_hidden, strict=True)
        ],
        "rows": [
            {
                "code": code,
                "label": code_labels(question, code, languages),
                "cells": [
                    _crossed_cell(count, bases[c], layout.mask[r][c], base_hidden[c])
                    for c, count in enumerate(layout.table[r])
                ],
            }
            for r, code in enumerate(layout.row_list)
        ],
    }


def crosstab(
    question: SelectVariable, breakdown: SelectVariable, totals: Totals, languages: Sequence[str], k: int
) -> dict[str, Any]:
    """One cross-tab by itself (``crosstabs`` also makes transposed ones agree)."""
    return _written(_layout(question, breakdown, totals, k), languages)


def crosstabs(
    totals: Totals, catalogue: Catalogue, breakdowns: Sequence[str], languages: Sequence[str], k: int
) -> list[dict[str, Any]]:
    """Every select question (but the breakdown itself) by each breakdown, breakdown by breakdown."""
    layouts: dict[tuple[str, str], _Layout] = {}
    for name in breakdowns:
        breakdown = catalogue.select(name)
        if breakdown is None:
            continue
        for question in catalogue.selects:
            if question.name != name:
                layouts[(question.name, name)] = _layout(question, breakdown, totals, k)
    for (row, column), layout in layouts.items():
        transposed = layouts.get((column, row))
        if transposed is not None and row < column:
            _agree(layout, transposed, k)
    return [_written(layout, languages) for layout in layouts.values()]


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
