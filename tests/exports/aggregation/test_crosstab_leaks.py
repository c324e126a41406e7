"""Cross-tab counts that suppression must not give away: hand-made totals, then the demo wave."""

from __future__ import annotations

from typing import Any

import pytest

from exports.aggregation.catalogue import SELECT_ONE, Catalogue, SelectVariable
from exports.aggregation.crosstabs import crosstab, crosstabs
from exports.aggregation.spec import AnalysisSpec
from exports.aggregation.suppression import recoverable
from exports.aggregation.tally import Kind
from exports.aggregation.totals import Totals
from tests.exports.aggregation.conftest import aggregate, make_demo_wave, question, rows_by_code

LANGUAGES = ["en"]


def variable(name: str, *codes: str) -> SelectVariable:
    return SelectVariable(name, SELECT_ONE, {"en": name}, "s", {code: {"en": code} for code in codes})


def totals_of(main: dict[tuple, int], crossed: dict[tuple, int]) -> Totals:
    """``main``: {(name, kind, code): count}; ``crossed``: {(name, kind, code, breakdown, code): count}."""
    tally = {(name, kind, code, None, None, None, None): count for (name, kind, code), count in main.items()}
    for (name, kind, code, breakdown, breakdown_code), count in crossed.items():
        tally[(name, kind, code, None, None, breakdown, breakdown_code)] = count
    return Totals(tally, {})


def grid(
    question: str, breakdown: str, cells: dict[str, dict[str, int]], no_answer: dict[str, int] | None = None
) -> dict[tuple, int]:
    """Crossed counts from {breakdown code: {question code: count}} and the question's "no answer"."""
    crossed = {
        (question, Kind.CODE, code, breakdown, column): count
        for column, by_code in cells.items()
        for code, count in by_code.items()
    }
    for column, count in (no_answer or {}).items():
        crossed[(question, Kind.NO_ANSWER, None, breakdown, column)] = count
    return crossed


def mask(table: dict[str, Any]) -> dict[tuple[str, str], bool]:
    """{(row code, column code): suppressed}."""
    columns = [column["code"] for column in table["columns"]]
    return {
        (row["code"], columns[c]): cell["suppressed"]
        for row in table["rows"]
        for c, cell in enumerate(row["cells"])
    }


def column_cells(table: dict[str, Any], code: str) -> list[dict[str, Any]]:
    c = next(i for i, column in enumerate(table["columns"]) if column["code"] == code)
    return [row["cells"][c] for row in table["rows"]]


def test_a_hidden_column_base_hides_the_shares_and_intervals_of_its_zero_cells():
    # column x: a=0, b=3, base 3 < k: a zero's Wilson interval (upper bound z²/(n+z²)) would give n away;
    # column y's base 30 is hidden as its complement, and its zero would give it away too
    q, g = variable("q", "a", "b"), variable("g", "x", "y", "z")
    totals = totals_of(
        {
            ("q", Kind.CODE, "a"): 15,
            ("q", Kind.CODE, "b"): 58,
            ("g", Kind.CODE, "x"): 3,
            ("g", Kind.CODE, "y"): 30,
            ("g", Kind.CODE, "z"): 40,
        },
        grid("q", "g", {"x": {"a": 0, "b": 3}, "y": {"a": 0, "b": 30}, "z": {"a": 15, "b": 25}}),
    )
    table = crosstab(q, g, totals, LANGUAGES, 5)
    assert [column["base"]["suppressed"] for column in table["columns"]] == [True, True, False]
    for code in ("x", "y"):
        zero, hidden = column_cells(table, code)
        assert zero == {"count": 0, "share": None, "suppressed": False, "ci": None}
        assert hidden == {"count": None, "share": None, "suppressed": True, "ci": None}
    # a shown base keeps the shares and intervals of its column
    assert all(cell["ci"] is not None and cell["share"] is not None for cell in column_cells(table, "z"))


def test_a_column_base_hidden_in_the_breakdowns_own_table_is_hidden_in_the_crosstab():
    # g: x=3, y=20, z=100, "no answer" 50, k=6: g's own table hides x and (complementary) y; the q-by-g
    # bases leave out the 50 (so they do not add up) and would show y=20: 173 − 100 − 50 − 20 = 3
    q, g = variable("q", "a", "b"), variable("g", "x", "y", "z")
    totals = totals_of(
        {
            ("g", Kind.CODE, "x"): 3,
            ("g", Kind.CODE, "y"): 20,
            ("g", Kind.CODE, "z"): 100,
            ("g", Kind.NO_ANSWER, None): 50,
            ("q", Kind.CODE, "a"): 83,
            ("q", Kind.CODE, "b"): 90,
        },
        grid("q", "g", {"x": {"a": 1, "b": 2}, "y": {"a": 10, "b": 10}, "z": {"a": 50, "b": 50}}),
    )
    table = crosstab(q, g, totals, LANGUAGES, 6)
    bases = {column["code"]: column["base"] for column in table["columns"]}
    assert bases["x"]["suppressed"] and bases["y"]["suppressed"]
    assert bases["z"] == {"count": 100, "share": 100 / 123, "suppressed": False}
    assert all(cell["suppressed"] for cell in column_cells(table, "y"))


def test_transposed_crosstabs_of_two_breakdowns_hide_the_same_cells():
    # a by b hides column b1 (its base is the complement of b3's); b by a hides row b2 instead
    a, b = variable("a", "a1", "a2"), variable("b", "b1", "b2", "b3")
    cells = {
        ("a1", "b1"): 10,
        ("a1", "b2"): 6,
        ("a1", "b3"): 2,
        ("a2", "b1"): 12,
        ("a2", "b2"): 7,
        ("a2", "b3"): 1,
    }
    crossed = grid(
        "a",
        "b",
        {bc: {ac: n for (ac, col), n in cells.items() if col == bc} for bc in ("b1", "b2", "b3")},
        {"b2": 20},
    )
    crossed |= grid(
        "b", "a", {ac: {bc: n for (row, bc), n in cells.items() if row == ac} for ac in ("a1", "a2")}
    )
    main = {
        ("a", Kind.CODE, "a1"): 18,
        ("a", Kind.CODE, "a2"): 20,
        ("a", Kind.NO_ANSWER, None): 20,
        ("b", Kind.CODE, "b1"): 22,
        ("b", Kind.CODE, "b2"): 33,
        ("b", Kind.CODE, "b3"): 3,
    }
    tables = crosstabs(totals_of(main, crossed), Catalogue((a, b), (), ()), ["a", "b"], LANGUAGES, 5)
    by_names = {(table["row"], table["column"]): mask(table) for table in tables}
    a_by_b, b_by_a = by_names[("a", "b")], by_names[("b", "a")]
    assert a_by_b == {(ac, bc): hidden for (bc, ac), hidden in b_by_a.items()}
    assert a_by_b[("a1", "b1")] and a_by_b[("a1", "b2")]


def test_a_column_without_its_own_no_answer_adds_up_even_if_the_question_has_k_or_more():
    # column x: a=2, b=40, base 42, no "no answer" in x (the 10 are all in y): 42 − 40 = 2
    q, g = variable("q", "a", "b"), variable("g", "x", "y")
    totals = totals_of(
        {
            ("q", Kind.CODE, "a"): 32,
            ("q", Kind.CODE, "b"): 70,
            ("q", Kind.NO_ANSWER, None): 10,
            ("g", Kind.CODE, "x"): 42,
            ("g", Kind.CODE, "y"): 70,
        },
        grid("q", "g", {"x": {"a": 2, "b": 40}, "y": {"a": 30, "b": 30}}, {"y": 10}),
    )
    table = crosstab(q, g, totals, LANGUAGES, 5)
    assert not table["columns"][0]["base"]["suppressed"]
    counts = [2, 40]
    hidden = [cell["suppressed"] for cell in column_cells(table, "x")]
    assert hidden[0]
    assert not recoverable(counts, hidden, 5)


def test_a_row_whose_code_everyone_gave_with_a_breakdown_code_adds_up_even_if_others_left_it_out():
    # row a: x=2, y=40, and a's count 42 is shown in q's table; the 10 who did not answer g all gave b
    q, g = variable("q", "a", "b"), variable("g", "x", "y")
    totals = totals_of(
        {
            ("q", Kind.CODE, "a"): 42,
            ("q", Kind.CODE, "b"): 70,
            ("g", Kind.CODE, "x"): 32,
            ("g", Kind.CODE, "y"): 70,
            ("g", Kind.NO_ANSWER, None): 10,
        },
        grid("q", "g", {"x": {"a": 2, "b": 30}, "y": {"a": 40, "b": 30}}),
    )
    table = crosstab(q, g, totals, LANGUAGES, 5)
    row_a = [cell["suppressed"] for cell in table["rows"][0]["cells"]]
    assert row_a[0]
    assert not recoverable([2, 40], row_a, 5)


@pytest.mark.django_db
def test_the_demo_waves_crosstabs_keep_the_rules_on_real_counts():
    wave = make_demo_wave(completed=70, partial=12, screened_out=4, seed=11)
    figures = aggregate(wave, AnalysisSpec(breakdowns=("gender", "departure"), k=5)).figures
    tables = {(table["row"], table["column"]): table for table in figures["crosstabs"]}
    gender_by_departure, departure_by_gender = (
        mask(tables[("gender", "departure")]),
        mask(tables[("departure", "gender")]),
    )
    assert gender_by_departure == {(g, d): hidden for (d, g), hidden in departure_by_gender.items()}
    for (_row, name), table in tables.items():
        own = rows_by_code(question(figures, name))
        for c, column in enumerate(table["columns"]):
            if own[column["code"]]["cell"]["suppressed"]:
                assert column["base"]["suppressed"]
            if column["base"]["suppressed"]:
                assert all(
                    row["cells"][c]["share"] is None and row["cells"][c]["ci"] is None
                    for row in table["rows"]
                )
