"""Small statistics over counts: Wilson intervals, and summaries of a value → count map."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

Z_95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution


def wilson_interval(count: int, base: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of the proportion ``count / base`` (95% by default), None when base is 0.

    Unlike the textbook p ± z·√(p(1−p)/n) it stays inside [0, 1] and is not empty at 0 or n, which
    matters for the small cells a cross-tab is full of.
    """
    if base <= 0:
        return None
    share = count / base
    z2 = z * z
    denominator = 1 + z2 / base
    centre = (share + z2 / (2 * base)) / denominator
    half = z * math.sqrt(share * (1 - share) / base + z2 / (4 * base * base)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


class _Sorted:
    """Values counted in a value → count map, in order, addressable by rank without expanding them."""

    def __init__(self, values: Mapping[float, int]) -> None:
        found = np.fromiter(values.keys(), dtype=float, count=len(values))
        counts = np.fromiter(values.values(), dtype=np.int64, count=len(values))
        order = np.argsort(found, kind="stable")
        kept = counts[order] > 0
        self.values, self.counts = found[order][kept], counts[order][kept]
        self.ends = np.cumsum(self.counts)  # the ranks of the values end before these
        self.n = int(self.ends[-1]) if len(self.ends) else 0

    def nth(self, position: int) -> float:
        """The value at 0-based rank ``position``."""
        return float(self.values[np.searchsorted(self.ends, position, side="right")])

    def quantile(self, q: float) -> float:
        """The ``q`` quantile with linear interpolation between the closest ranks (pandas' default)."""
        position = (self.n - 1) * q
        below = math.floor(position)
        low = self.nth(below)
        if position == below:
            return low
        return low + (self.nth(below + 1) - low) * (position - below)


def summary(values: Mapping[float, int]) -> dict[str, float | int | None]:
    """n, mean, median, q1, q3, min and max of the values counted in ``values``."""
    ordered = _Sorted(values)
    if ordered.n == 0:
        return dict.fromkeys(("n", "mean", "median", "q1", "q3", "min", "max"), None) | {"n": 0}
    total = math.fsum((ordered.values * ordered.counts).tolist())
    return {
        "n": ordered.n,
        "mean": total / ordered.n,
        "median": ordered.quantile(0.5),
        "q1": ordered.quantile(0.25),
        "q3": ordered.quantile(0.75),
        "min": float(ordered.values[0]),
        "max": float(ordered.values[-1]),
    }
