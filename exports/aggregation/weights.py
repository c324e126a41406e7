"""Weights by raking (iterative proportional fitting) on one or two weighting variables.

Every respondent in one cell of the weighting variables (e.g. female × 25–34) gets the same weight,
so weights are computed from the cell counts alone, never row by row, and weighted figures are sums
of counts by cell times the cell's weight: they stay additive when new responses are folded in.

Raking adjusts the cell weights to each variable's population shares in turn until the weighted
shares of both match (within ``TOLERANCE``) or ``MAX_ITERATIONS`` sweeps have run (``converged``
false: usually a population category nobody in the sample is in). Only respondents who answered
every weighting variable with a code listed in its margins are raked; the weights are then
normalised to a mean of 1 among them, and everyone else (not shown the question, no answer, an
unlisted code) has weight 1: they count as themselves, neither up- nor down-weighted. Shares listed
for a variable are rescaled to add up to 1. No weights are trimmed.

Kish's design effect, n·Σw² / (Σw)² over every response of the wave, says by how much the weights
inflate variances: an effective sample size is n / design effect.

**Small weighting cells.** Respondents who share a weight are one "weight class": each raked cell, and
everyone left unraked (weight 1) together. A weighted figure sums counts by class times a weight the
reader can work out from the margins, so it moves by a distinct step for each person of a class that
answers one way or another: a class of 1 to k−1 respondents gives its hidden cross-cell away (f = 100,
m = 3, margins 50/50: the weighted share of "yes" is 26.5, 42.7, 58.8 or 75.0% as 0..3 men say yes),
and the design effect, a function of the class sizes, gives its size away. ``Weights.shown(k)`` is
false then, and ``describe(k)`` keeps only the variables and the reason; the figures then carry no
weighted share at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from exports.aggregation.spec import Margin

Cell = tuple[str | None, ...]  # the codes of the weighting variables, in margin order
MAX_ITERATIONS = 100
TOLERANCE = 1e-6
SMALL_CELL = "small_cell"  # ``describe``'s reason when the weights are not shown


@dataclass(frozen=True)
class Weights:
    variables: tuple[str, ...]
    by_cell: dict[Cell, float]  # raked cells only; every other cell has weight 1
    converged: bool
    iterations: int
    design_effect: float | None
    smallest_class: int | None = None  # the fewest respondents sharing a weight (never published)

    def of(self, cell: Cell) -> float:
        return self.by_cell.get(cell, 1.0)

    def shown(self, k: int) -> bool:
        """Whether weighted figures may be published: every weight class has k or more respondents."""
        return self.smallest_class is None or self.smallest_class >= k

    def describe(self, k: int = 1) -> dict[str, object]:
        if not self.shown(k):
            return {"variables": list(self.variables), "shown": False, "reason": SMALL_CELL}
        return {
            "variables": list(self.variables),
            "shown": True,
            "converged": self.converged,
            "iterations": self.iterations,
            "design_effect": self.design_effect,
            "trimmed": False,
        }


def _targets(margins: Sequence[Margin]) -> list[dict[str, float]]:
    targets = []
    for margin in margins:
        total = sum(share for share in margin.shares.values() if share > 0)
        targets.append(
            {code: max(share, 0.0) / total if total else 0.0 for code, share in margin.shares.items()}
        )
    return targets


def _sweep(counts: Mapping[Cell, int], weights: dict[Cell, float], targets: list[dict[str, float]]) -> None:
    """One pass of raking: each variable's weighted totals scaled to its population shares in turn."""
    total = sum(counts.values())
    for position, shares in enumerate(targets):
        parts: dict[str | None, list[float]] = {}
        for cell, count in counts.items():
            parts.setdefault(cell[position], []).append(weights[cell] * count)
        weighted = {code: math.fsum(values) for code, values in parts.items()}
        for cell in counts:
            current = weighted[cell[position]]
            if current > 0:
                weights[cell] *= shares[cell[position]] * total / current


def _gap(counts: Mapping[Cell, int], weights: dict[Cell, float], targets: list[dict[str, float]]) -> float:
    """The largest difference between a weighted share and its population share."""
    total = math.fsum(weights[cell] * count for cell, count in counts.items())
    gap = 0.0
    for position, shares in enumerate(targets):
        for code, share in shares.items():
            weighted = math.fsum(weights[c] * n for c, n in counts.items() if c[position] == code)
            gap = max(gap, abs((weighted / total if total else 0.0) - share))
    return gap


def rake(cell_counts: Mapping[Cell, int], margins: Sequence[Margin]) -> Weights:
    """Raked weights for the respondents counted by cell (``cell_counts`` covers the whole wave)."""
    variables = tuple(margin.variable for margin in margins)
    targets = _targets(margins)
    counts = {
        cell: count
        for cell, count in cell_counts.items()
        if count > 0 and all(code in targets[i] for i, code in enumerate(cell))
    }
    weights = dict.fromkeys(counts, 1.0)
    iterations, converged = 0, not counts
    while counts and iterations < MAX_ITERATIONS:
        _sweep(counts, weights, targets)
        iterations += 1
        if _gap(counts, weights, targets) < TOLERANCE:
            converged = True
            break
    raked = sum(counts.values())
    weighted = math.fsum(weights[cell] * count for cell, count in counts.items())
    if weighted > 0:
        weights = {cell: weight * raked / weighted for cell, weight in weights.items()}
    return Weights(
        variables,
        weights,
        converged,
        iterations,
        design_effect(cell_counts, weights),
        smallest_class(cell_counts, weights),
    )


def smallest_class(cell_counts: Mapping[Cell, int], weights: Mapping[Cell, float]) -> int | None:
    """The fewest respondents of a raked cell, or of everyone unraked together (they all weigh 1)."""
    sizes = [count for cell, count in cell_counts.items() if cell in weights and count > 0]
    unraked = sum(count for cell, count in cell_counts.items() if cell not in weights)
    return min([*sizes, *([unraked] if unraked > 0 else [])], default=None)


def design_effect(cell_counts: Mapping[Cell, int], weights: Mapping[Cell, float]) -> float | None:
    """Kish's n·Σw²/(Σw)² over every counted respondent (cells not in ``weights`` weigh 1)."""
    n = sum(cell_counts.values())
    total = math.fsum(weights.get(cell, 1.0) * count for cell, count in cell_counts.items())
    squares = math.fsum(weights.get(cell, 1.0) ** 2 * count for cell, count in cell_counts.items())
    return n * squares / (total * total) if total > 0 else None
