"""Small-cell suppression: the pure rules (exports.aggregation.suppression)."""

from __future__ import annotations

import itertools

from exports.aggregation.suppression import (
    cell,
    complementary,
    is_small,
    primary,
    recoverable,
    suppress_distribution,
    suppress_table,
)


def _recoverable_by_a_reader(counts: list[int], hidden: list[bool], k: int) -> bool:
    """Brute force: a reader knows the shown cells, the total, and that each hidden cell is 1..k-1
    (as the "< k" says). Can they pin down any hidden cell?"""
    total = sum(counts)
    shown = sum(count for count, is_hidden in zip(counts, hidden, strict=True) if not is_hidden)
    positions = [i for i, is_hidden in enumerate(hidden) if is_hidden and counts[i] > 0]
    if not positions:
        return False
    solutions = [
        values
        for values in itertools.product(range(1, k), repeat=len(positions))
        if sum(values) == total - shown
    ]
    return any(len({values[i] for values in solutions}) == 1 for i in range(len(positions)))


def test_counts_of_one_to_k_minus_one_are_hidden_and_zeros_shown():
    assert [is_small(count, 5) for count in (0, 1, 4, 5, 120)] == [False, True, True, False, False]
    assert primary([0, 3, 5, 12], k=5) == [False, True, False, False]


def test_a_threshold_of_one_hides_nothing():
    assert suppress_distribution([0, 1, 2, 3], k=1) == [False, False, False, False]


def test_a_lone_hidden_cell_takes_the_next_smallest_non_zero_cell_with_it():
    # given a distribution whose total (the base) is shown: 0 + 3 + 40 + 12 + 9 = 64
    counts = [0, 3, 40, 12, 9]

    # when
    hidden = suppress_distribution(counts, k=5)

    # then the 3 is hidden, and so is the 9 (not the zero: a zero says nothing and is shown)
    assert hidden == [False, True, False, False, True]


def test_hidden_cells_cannot_be_recovered_by_subtraction():
    for counts in ([3, 40, 12, 9], [1, 1, 30, 30], [4, 4, 50], [2, 60], [1, 2, 3, 100], [0, 0, 7, 2]):
        hidden = suppress_distribution(counts, k=5)

        assert all(hidden[i] for i, count in enumerate(counts) if 0 < count < 5)
        assert not _recoverable_by_a_reader(counts, hidden, k=5), counts


def test_two_ones_are_not_enough_cover_for_each_other():
    # two hidden cells that add up to 2 are both 1: a third cell is hidden
    assert recoverable([1, 1, 30, 30], [True, True, False, False], k=5)
    assert suppress_distribution([1, 1, 30, 30], k=5) == [True, True, True, False]


def test_two_cells_of_k_minus_one_are_not_enough_cover_either():
    assert suppress_distribution([4, 4, 50, 60], k=5) == [True, True, True, False]


def test_two_hidden_cells_with_an_ambiguous_sum_stay_as_they_are():
    assert suppress_distribution([2, 3, 50, 60], k=5) == [True, True, False, False]


def test_a_distribution_with_a_lone_hidden_cell_and_nothing_else_to_hide_hides_what_it_can():
    assert complementary([3, 0, 0], [True, False, False], k=5) == [True, False, False]


def test_select_multiple_rows_do_not_add_up_so_only_small_cells_are_hidden():
    assert suppress_distribution([3, 40, 12], k=5, adds_up=False) == [True, False, False]


def test_a_table_is_suppressed_along_rows_and_columns_until_stable():
    # given a cross-tab: rows are codes, columns breakdown groups; rows and columns both add up
    table = [
        [2, 30, 25],
        [20, 31, 26],
        [22, 33, 27],
    ]

    # when
    hidden = suppress_table(table, k=5)

    # then the 2 is hidden, and each row and column holding a hidden cell holds at least two
    assert hidden[0][0]
    for row in hidden:
        assert sum(row) != 1
    for column in zip(*hidden, strict=True):
        assert sum(column) != 1


def test_a_table_without_adding_columns_hides_only_along_rows():
    table = [[2, 30, 25], [20, 31, 26]]

    hidden = suppress_table(table, k=5, columns_add_up=False)

    assert hidden == [[True, False, True], [False, False, False]]


def test_cells_hidden_for_another_reason_count_as_hidden():
    # a column whose base is hidden hides its non-zero cells
    table = [[6, 30], [7, 31]]
    forced = [[True, False], [True, False]]

    hidden = suppress_table(table, k=5, hidden=forced, rows_add_up=False, columns_add_up=False)

    assert hidden == forced


def test_a_cell_says_count_and_share_or_nothing():
    assert cell(3, 12, False) == {"count": 3, "share": 0.25, "suppressed": False}
    assert cell(3, 12, True) == {"count": None, "share": None, "suppressed": True}
    assert cell(0, 0, False) == {"count": 0, "share": None, "suppressed": False}
