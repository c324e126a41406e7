"""Wilson intervals and summaries of value → count maps."""

from __future__ import annotations

import random
from collections import Counter

import pandas as pd
import pytest

from exports.aggregation.stats import summary, wilson_interval


@pytest.mark.parametrize(
    ("count", "base", "low", "high"),
    [
        # the worked examples of Newcombe (1998), "Two-sided confidence intervals for the single
        # proportion", Statistics in Medicine 17: method 3, the score interval without continuity
        # correction
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_published_values(count, base, low, high):
    interval = wilson_interval(count, base)

    assert interval == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_wilson_interval_stays_within_zero_and_one_and_needs_a_base():
    assert wilson_interval(29, 29)[1] == 1.0
    assert wilson_interval(0, 5)[0] == 0.0
    assert wilson_interval(0, 0) is None


def test_summary_of_counted_values_matches_pandas():
    rng = random.Random(3)
    values = [rng.choice([1, 2, 2, 3, 5, 8, 13, 21.5]) for _ in range(997)] + [-4.25, 1e6]
    series = pd.Series(values, dtype=float)

    result = summary(Counter(float(value) for value in values))

    assert result["n"] == len(values)
    assert result["mean"] == pytest.approx(series.mean(), rel=1e-12)
    for name, q in (("q1", 0.25), ("median", 0.5), ("q3", 0.75)):
        assert result[name] == pytest.approx(series.quantile(q), rel=1e-12)
    assert (result["min"], result["max"]) == (-4.25, 1e6)


def test_quartiles_interpolate_between_ranks_like_pandas():
    for values in ([7.0], [1.0, 2.0], [1.0, 2.0, 3.0, 4.0], [10.0, 10.0, 10.0, 40.0, 50.0]):
        series = pd.Series(values)

        result = summary(Counter(values))

        assert [result["q1"], result["median"], result["q3"]] == pytest.approx(
            [series.quantile(0.25), series.quantile(0.5), series.quantile(0.75)]
        ), values


def test_summary_of_nothing_has_no_statistics():
    assert summary({}) == {
        "n": 0,
        "mean": None,
        "median": None,
        "q1": None,
        "q3": None,
        "min": None,
        "max": None,
    }
