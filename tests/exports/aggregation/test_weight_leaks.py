"""Small cells given away by weighted figures, and by select_multiple "not ticked" counts.

The figures are built from hand-made tallies (no database), so each leak is reproduced exactly.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from exports.aggregation.catalogue import SELECT_MULTIPLE, SELECT_ONE, Catalogue, SelectVariable
from exports.aggregation.figures import Meta, build_figures
from exports.aggregation.spec import AnalysisSpec, Benchmark, Margin, Pair
from exports.aggregation.tally import Kind
from exports.aggregation.totals import Totals
from exports.dashboard import tables
from exports.dashboard.cells import Formatter
from exports.dashboard.page import dashboard_page

K = 5
GENDER = SelectVariable("gender", SELECT_ONE, {"en": "Gender"}, "s", {"f": {"en": "F"}, "m": {"en": "M"}})
VOTED = SelectVariable("voted", SELECT_ONE, {"en": "Voted"}, "s", {"yes": {"en": "Yes"}, "no": {"en": "No"}})
MEDIA = SelectVariable(
    "media", SELECT_MULTIPLE, {"en": "Media"}, "s", {"tv": {"en": "TV"}, "web": {"en": "Web"}}
)
MEDIA_AFTER = SelectVariable(
    "media_after", SELECT_MULTIPLE, {"en": "Media now"}, "s", {"tv": {"en": "TV"}, "web": {"en": "Web"}}
)
META = Meta(1, 1, "Wave", 1, ("en",), "en", datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
HALF = (Margin("gender", {"f": 0.5, "m": 0.5}),)


def _figures(
    tally: dict[tuple, int], selects: tuple[SelectVariable, ...], spec: AnalysisSpec
) -> dict[str, Any]:
    catalogue = Catalogue(selects, (), ())
    return build_figures(Totals(tally, {}), catalogue, spec, (), META)


def _respondents(women: int, men: int, unraked: int = 0) -> dict[tuple, int]:
    """Completed responses and their gender answers by weighting cell (``unraked``: no gender answer)."""
    tally = {
        ("@completed", Kind.ROW, "en", "f", None, None, None): women,
        ("@completed", Kind.ROW, "en", "m", None, None, None): men,
        ("gender", Kind.CODE, "f", "f", None, None, None): women,
        ("gender", Kind.CODE, "m", "m", None, None, None): men,
    }
    if unraked:
        tally[("@completed", Kind.ROW, "en", None, None, None, None)] = unraked
        tally[("gender", Kind.NO_ANSWER, None, None, None, None, None)] = unraked
    return tally


def _voted(women_yes: int, women: int, men_yes: int, men: int) -> dict[tuple, int]:
    return {
        ("voted", Kind.CODE, "yes", "f", None, None, None): women_yes,
        ("voted", Kind.CODE, "no", "f", None, None, None): women - women_yes,
        ("voted", Kind.CODE, "yes", "m", None, None, None): men_yes,
        ("voted", Kind.CODE, "no", "m", None, None, None): men - men_yes,
    }


def _weighted(figures: dict[str, Any]) -> list:
    """Everything weighted in the document."""
    shares = [row["weighted_share"] for q in figures["questions"] for row in q["rows"]]
    return [figures["weights"], shares, [b["weighted_share"] for b in figures["benchmarks"]]]


# -- weights ---------------------------------------------------------------------------------------


def test_a_small_weighting_cell_hides_every_weighted_figure():
    spec = AnalysisSpec(margins=HALF, benchmarks=(Benchmark("voted", "yes", 0.5),), k=K)
    documents = [
        _figures({**_respondents(100, 3), **_voted(50, 100, men_yes, 3)}, (GENDER, VOTED), spec)
        for men_yes in range(4)
    ]
    # the hidden cross-cell (men who voted) must not move any weighted figure
    assert all(_weighted(document) == _weighted(documents[0]) for document in documents)
    weights = documents[0]["weights"]
    assert weights["shown"] is False and weights["variables"] == ["gender"]
    assert weights["reason"] == "small_cell"
    assert "design_effect" not in weights
    assert all(share is None for share in _weighted(documents[0])[1] + _weighted(documents[0])[2])


def test_the_design_effect_does_not_give_a_small_cell_away():
    spec = AnalysisSpec(margins=HALF, k=K)
    documents = [_figures(_respondents(100, men), (GENDER,), spec) for men in range(1, K)]
    assert all(document["weights"] == documents[0]["weights"] for document in documents)


def test_a_few_respondents_outside_the_raking_are_a_small_cell_too():
    # they weigh 1 while everyone else is re-weighted, so their answers move the weighted shares
    spec = AnalysisSpec(margins=HALF, k=K)
    shown = _figures(_respondents(60, 40), (GENDER,), spec)
    hidden = _figures(_respondents(60, 40, unraked=2), (GENDER,), spec)
    assert shown["weights"]["shown"] is True and shown["weights"]["design_effect"] is not None
    assert hidden["weights"]["shown"] is False


def test_weighting_cells_of_k_or_more_show_the_weights():
    spec = AnalysisSpec(margins=HALF, k=K)
    figures = _figures({**_respondents(60, 40), **_voted(30, 60, 20, 40)}, (GENDER, VOTED), spec)
    assert figures["weights"]["shown"] is True
    assert figures["weights"]["converged"] is True
    yes = next(row for row in figures["questions"][1]["rows"] if row["code"] == "yes")
    assert yes["weighted_share"] == pytest.approx(0.5 * 30 / 60 + 0.5 * 20 / 40)


def test_a_small_count_of_an_answer_in_a_weighting_cell_withholds_that_questions_weighted_shares():
    # f=100, m=50, margins 50/50: the weights follow from the shown counts, so a weighted share of
    # "yes" would give the (hidden-sized) number of men who said yes: (150·W − 0.75·Y) / 0.75
    spec = AnalysisSpec(margins=HALF, k=K)
    for men_yes in range(1, K):
        figures = _figures({**_respondents(100, 50), **_voted(53, 100, men_yes, 50)}, (GENDER, VOTED), spec)
        assert figures["weights"]["shown"] is True
        voted = figures["questions"][1]
        assert all(row["weighted_share"] is None for row in voted["rows"]), men_yes
        assert all(row["weighted_share"] is not None for row in figures["questions"][0]["rows"])
    # nearly everyone of a cell giving one answer is the same leak ("no" = cell − "yes")
    figures = _figures({**_respondents(100, 50), **_voted(53, 100, 48, 50)}, (GENDER, VOTED), spec)
    assert all(row["weighted_share"] is None for row in figures["questions"][1]["rows"])


def test_the_dashboard_says_why_the_weights_are_not_shown():
    spec = AnalysisSpec(margins=HALF, benchmarks=(Benchmark("voted", "yes", 0.5),), k=K)
    figures = _figures({**_respondents(100, 3), **_voted(50, 100, 1, 3)}, (GENDER, VOTED), spec)
    assert not tables.has_weights(figures)
    sections = {
        section.key: section for section in dashboard_page(figures, language="en", fallback="en").sections
    }
    assert "fewer than 5 respondents" in str(sections["weights"].intro)
    table = tables.frequency_table(
        figures["questions"][1], Formatter(language="en", fallback="en", k=K), weighted=False
    )
    assert "weighted_share" not in table.csv_header


def test_the_design_effect_is_rounded_in_the_csv():
    spec = AnalysisSpec(margins=HALF, k=K)
    figures = _figures(_respondents(70, 30), (GENDER,), spec)
    table = tables.weights_table(figures, Formatter(language="en", fallback="en", k=K), {})
    effect = dict((row[0], row[1]) for row in table.csv_rows)["design_effect"]
    assert effect == f"{figures['weights']['design_effect']:.2f}"


# -- select_multiple ---------------------------------------------------------------------------------


def _media(name: str, base: int, no_answer: int, ticked: dict[str, int]) -> dict[tuple, int]:
    tally = {(name, Kind.SHOWN, None, None, None, None, None): base}
    if no_answer:
        tally[(name, Kind.NO_ANSWER, None, None, None, None, None)] = no_answer
    for code, count in ticked.items():
        tally[(name, Kind.CODE, code, None, None, None, None)] = count
    return tally


def _rows(question: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["code"]: row["cell"] for row in question["rows"]}


def _not_ticked_is_hidden(question: dict[str, Any], counts: dict[str, int], no_answer: int) -> None:
    """No code's "not ticked" of 1..k−1 can be worked out from the base, its count and "no answer"."""
    for code, cell in _rows(question).items():
        not_ticked = question["base"] - no_answer - counts[code]
        if 0 < not_ticked < K:
            assert cell["suppressed"] or question["no_answer"]["suppressed"], code


def test_a_code_nearly_everyone_ticked_is_hidden():
    # base 40, no answer 0, 38 ticked TV: 2 did not tick it
    figures = _figures(_media("media", 40, 0, {"tv": 38, "web": 20}), (MEDIA,), AnalysisSpec(k=K))
    question = figures["questions"][0]
    _not_ticked_is_hidden(question, {"tv": 38, "web": 20}, 0)
    assert _rows(question)["tv"]["suppressed"] and _rows(question)["tv"]["count"] is None
    assert _rows(question)["web"] == {"count": 20, "share": 0.5, "suppressed": False}


def test_a_small_not_ticked_hides_the_smaller_of_count_and_no_answer_for_the_question():
    counts = {"tv": 37, "web": 10}
    figures = _figures(_media("media", 40, 1, counts), (MEDIA,), AnalysisSpec(k=K))
    question = figures["questions"][0]
    # TV: 37 ticked, 2 not, 1 no answer (hidden itself): the two hidden cells add up to 3, not pinned
    assert question["no_answer"]["suppressed"]
    _not_ticked_is_hidden(question, counts, 1)
    counts = {"tv": 30, "web": 10}
    figures = _figures(_media("media", 40, 7, counts), (MEDIA,), AnalysisSpec(k=K))
    question = figures["questions"][0]
    # TV: 30 ticked, 3 not, 7 no answer: no answer is the smaller cell, hidden for every code
    assert question["no_answer"] == {"count": None, "share": None, "suppressed": True}
    assert not _rows(question)["tv"]["suppressed"] and not _rows(question)["web"]["suppressed"]
    _not_ticked_is_hidden(question, counts, 7)


def test_a_primary_count_is_not_given_away_by_its_not_ticked():
    # 2 ticked, 1 not ticked, 0 no answer: both hidden, but they add up to 3 = the base
    figures = _figures(_media("media", 3, 0, {"tv": 2, "web": 3}), (MEDIA,), AnalysisSpec(k=K))
    question = figures["questions"][0]
    assert _rows(question)["tv"]["suppressed"]
    # web: 3 ticked, 0 not: a primary cell; nothing else can be subtracted
    assert _rows(question)["web"]["suppressed"]


def test_pairs_and_benchmarks_show_the_question_s_suppressed_count():
    tally = {
        **_media("media", 40, 0, {"tv": 38, "web": 20}),
        **_media("media_after", 40, 0, {"tv": 20, "web": 39}),
    }
    spec = AnalysisSpec(
        pairs=(Pair("media", "media_after"),),
        benchmarks=(Benchmark("media", "tv", 0.9), Benchmark("media_after", "web", 0.9)),
        k=K,
    )
    figures = _figures(tally, (MEDIA, MEDIA_AFTER), spec)
    before, after = (_rows(q) for q in figures["questions"])
    assert before["tv"]["suppressed"] and after["web"]["suppressed"]
    overall = {row["code"]: row for row in figures["pairs"][0]["overall"]}
    assert overall["tv"]["before"] == before["tv"] and overall["web"]["after"] == after["web"]
    assert [b["sample"] for b in figures["benchmarks"]] == [before["tv"], after["web"]]
