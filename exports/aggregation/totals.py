"""The summed tally of a wave, indexed for building figures (no database access)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from exports.aggregation.catalogue import SelectVariable
from exports.aggregation.tally import Key, Kind
from exports.aggregation.weights import Cell, Weights

WeightCodes = tuple[str | None, str | None]


class Totals:
    """Counts by variable: over weighting cells (``main``) and by breakdown code (``crossed``)."""

    def __init__(self, tally: Mapping[Key, int], values: Mapping[str, Counter[float | None]]) -> None:
        self.main: dict[str, dict[tuple[str, Any], dict[WeightCodes, int]]] = defaultdict(
            lambda: defaultdict(dict)
        )
        self.crossed: dict[tuple[str, str], dict[tuple[str, Any, str], int]] = defaultdict(dict)
        for (name, kind, code, w0, w1, breakdown, breakdown_code), count in tally.items():
            if breakdown is None:
                by_cell = self.main[name][(kind, code)]
                by_cell[(w0, w1)] = by_cell.get((w0, w1), 0) + count
            else:
                crossed = self.crossed[(breakdown, name)]
                index = (kind, code, breakdown_code)
                crossed[index] = crossed.get(index, 0) + count
        self.values = values

    def count(self, name: str, kind: str, code: Any = None) -> int:
        return sum(self.main.get(name, {}).get((kind, code), {}).values())

    def codes(self, name: str, kind: str) -> dict[Any, int]:
        """{code: count} of one kind of keys of ``name`` (e.g. the codes given)."""
        result: dict[Any, int] = {}
        for (found_kind, code), by_cell in self.main.get(name, {}).items():
            if found_kind == kind:
                result[code] = sum(by_cell.values())
        return result

    def by_cell(self, name: str, kind: str, code: Any = None) -> dict[WeightCodes, int]:
        return self.main.get(name, {}).get((kind, code), {})

    def select_base_by_cell(self, variable: SelectVariable) -> dict[WeightCodes, int]:
        """Respondents shown ``variable`` by weighting cell."""
        if variable.multiple:
            return dict(self.by_cell(variable.name, Kind.SHOWN))
        base: dict[WeightCodes, int] = {}
        for (kind, _code), by_cell in self.main.get(variable.name, {}).items():
            if kind in (Kind.CODE, Kind.NO_ANSWER):
                for cell, count in by_cell.items():
                    base[cell] = base.get(cell, 0) + count
        return base


def weighted_total(by_cell: Mapping[WeightCodes, int], weights: Weights) -> float:
    width = len(weights.variables)
    # fsum: the same total whatever order the cells were counted in (SQL or Python)
    return math.fsum(weights.of(_cell(codes, width)) * count for codes, count in by_cell.items())


def _cell(codes: WeightCodes, width: int) -> Cell:
    return tuple(codes[:width])


def cell_counts(totals: Totals, width: int) -> dict[Cell, int]:
    """Responses of the wave by weighting cell (every status)."""
    counts: dict[Cell, int] = {}
    for name, by_key in totals.main.items():
        if not name.startswith("@"):
            continue
        for (kind, _language), by_cell in by_key.items():
            if kind != Kind.ROW:
                continue
            for codes, count in by_cell.items():
                cell = _cell(codes, width)
                counts[cell] = counts.get(cell, 0) + count
    return counts
