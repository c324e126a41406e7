"""Small cells in the figures document: what is hidden, and that hidden counts stay hidden everywhere."""

from __future__ import annotations

import pytest

from exports.aggregation.spec import AnalysisSpec, Benchmark, Margin, Pair
from tests.exports.aggregation.conftest import aggregate, make_demo_wave, question, rows_by_code

pytestmark = pytest.mark.django_db

K = 5
PLAN = {
    "breakdowns": ("gender", "departure"),
    "pairs": (Pair("act_before", "act_after"),),
    "benchmarks": (Benchmark("sector", "public", 0.2),),
    "margins": (Margin("gender", {"female": 0.5, "male": 0.5}),),
}


@pytest.fixture
def both(db):
    """The same small wave aggregated without suppression (k = 1) and with k = 5."""
    wave = make_demo_wave(completed=70, partial=12, screened_out=4, seed=11)
    return aggregate(wave, AnalysisSpec(**PLAN, k=1)).figures, aggregate(
        wave, AnalysisSpec(**PLAN, k=K)
    ).figures


def _pairs(plain: dict, hidden: dict, rows: str = "rows"):
    yield from zip(plain[rows], hidden[rows], strict=True)


def test_small_counts_are_hidden_with_their_shares_and_zeros_are_shown(both):
    plain, hidden = both
    seen_small = seen_zero = 0
    for plain_q, hidden_q in zip(plain["questions"], hidden["questions"], strict=True):
        for plain_row, hidden_row in _pairs(plain_q, hidden_q):
            count, cell = plain_row["cell"]["count"], hidden_row["cell"]
            if 0 < count < K:
                seen_small += 1
                assert cell == {"count": None, "share": None, "suppressed": True}
                assert hidden_row["weighted_share"] is None
            if count == 0:
                seen_zero += 1
                assert cell["count"] == 0 and not cell["suppressed"]
            if not cell["suppressed"]:
                assert cell == plain_row["cell"]
    assert seen_small and seen_zero  # the wave has both, or this test proves nothing


def test_no_select_one_distribution_has_a_lone_hidden_cell(both):
    plain, hidden = both
    for plain_q, hidden_q in zip(plain["questions"], hidden["questions"], strict=True):
        if hidden_q["type"] != "select_one":
            continue
        counts = [row["cell"]["count"] for row in plain_q["rows"]] + [plain_q["no_answer"]["count"]]
        flags = [row["cell"]["suppressed"] for row in hidden_q["rows"]] + [
            hidden_q["no_answer"]["suppressed"]
        ]
        hidden_counts = [count for count, flag in zip(counts, flags, strict=True) if flag and count]
        assert len(hidden_counts) != 1, hidden_q["name"]
        # nor cells whose total (the base less the shown cells) pins them: all ones, all k − 1
        if hidden_counts and max(hidden_counts) < K:
            assert sum(hidden_counts) not in (len(hidden_counts), len(hidden_counts) * (K - 1))


def test_crosstab_cells_are_hidden_with_their_intervals_and_hidden_bases_hide_their_column(both):
    plain, hidden = both
    checked = 0
    for plain_t, hidden_t in zip(plain["crosstabs"], hidden["crosstabs"], strict=True):
        for c, column in enumerate(hidden_t["columns"]):
            base = plain_t["columns"][c]["base"]["count"]
            if 0 < base < K:
                assert column["base"]["suppressed"]
            for plain_row, hidden_row in _pairs(plain_t, hidden_t):
                count, cell = plain_row["cells"][c]["count"], hidden_row["cells"][c]
                if 0 < count < K or (column["base"]["suppressed"] and count > 0):
                    checked += 1
                    assert cell == {"count": None, "share": None, "suppressed": True, "ci": None}
                elif column["base"]["suppressed"]:  # a zero: its share and interval would give the base
                    assert cell == {"count": 0, "share": None, "suppressed": False, "ci": None}
                elif not cell["suppressed"]:
                    assert cell == plain_row["cells"][c]
    assert checked


def test_a_count_hidden_in_a_question_is_hidden_in_its_pair_and_benchmark(both):
    _plain, hidden = both
    before = rows_by_code(question(hidden, "act_before"))
    for row in hidden["pairs"][0]["overall"]:
        assert row["before"] == before[row["code"]]["cell"]
        if row["before"]["suppressed"] or row["after"]["suppressed"]:
            assert row["change"] is None
    public = rows_by_code(question(hidden, "sector"))["public"]
    assert hidden["benchmarks"][0]["sample"] == public["cell"]


def test_a_numbers_summary_of_fewer_than_k_values_is_hidden_whole(db):
    wave = make_demo_wave(completed=3, partial=0, screened_out=0, seed=5)

    birth_year = aggregate(wave, AnalysisSpec(k=K)).figures["numbers"][0]

    assert birth_year["suppressed"]
    assert [birth_year[name] for name in ("n", "mean", "median", "q1", "q3", "min", "max")] == [None] * 7


def test_fieldwork_cells_are_suppressed_too(both):
    plain, hidden = both
    for plain_day, hidden_day in zip(plain["by_day"], hidden["by_day"], strict=True):
        for name in ("started", "completed"):
            if 0 < plain_day[name]["count"] < K:
                assert hidden_day[name]["suppressed"]
    for plain_step, hidden_step in zip(plain["funnel"], hidden["funnel"], strict=True):
        assert hidden_step["reached"]["suppressed"] == (0 < plain_step["reached"]["count"] < K)
    assert hidden["k"] == K and plain["k"] == 1
