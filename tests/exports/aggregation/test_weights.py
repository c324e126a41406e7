"""Raking weights (exports.aggregation.weights), checked by hand."""

from __future__ import annotations

import math

import pytest

from exports.aggregation.spec import Margin
from exports.aggregation.weights import design_effect, rake

GENDER = Margin("gender", {"m": 0.5, "f": 0.5})
AGE = Margin("age", {"young": 0.6, "old": 0.4})


def test_one_variable_weights_are_population_share_over_sample_share():
    # given 30 men and 70 women in the sample, half and half in the population
    weights = rake({("m",): 30, ("f",): 70}, [GENDER])

    # then each man counts 0.5 / 0.3, each woman 0.5 / 0.7, after one sweep
    assert weights.of(("m",)) == pytest.approx(0.5 / 0.3)
    assert weights.of(("f",)) == pytest.approx(0.5 / 0.7)
    assert (weights.converged, weights.iterations) == (True, 1)


def test_two_variables_are_raked_to_both_margins_by_hand():
    # given a sample of 100: men 20 young / 30 old, women 30 young / 20 old; the population is half
    # men, and 60% young. Raking keeps the sample's odds ratio (20·20)/(30·30) = 4/9, so the raked
    # count x of young men solves x·(x − 10) / ((50 − x)(60 − x)) = 4/9, i.e. x² + 70x − 2400 = 0:
    young_men = (-70 + math.sqrt(70**2 + 4 * 2400)) / 2  # 25.208
    counts = {("m", "young"): 20, ("m", "old"): 30, ("f", "young"): 30, ("f", "old"): 20}

    # when
    weights = rake(counts, [GENDER, AGE])

    # then the cells' weighted counts are x, 50 − x, 60 − x and x − 10
    assert weights.converged and weights.iterations > 1
    expected = {
        ("m", "young"): young_men / 20,
        ("m", "old"): (50 - young_men) / 30,
        ("f", "young"): (60 - young_men) / 30,
        ("f", "old"): (young_men - 10) / 20,
    }
    for cell, weight in expected.items():
        assert weights.of(cell) == pytest.approx(weight, rel=1e-5)
    # and Kish's design effect is n·Σw²/(Σw)² over the 100 respondents
    squares = sum(counts[cell] * weight**2 for cell, weight in expected.items())
    assert weights.design_effect == pytest.approx(100 * squares / 100**2, rel=1e-5)


def test_respondents_outside_the_margins_keep_a_weight_of_one():
    # given 10 who did not answer gender and 5 who gave a code without a population share
    counts = {("m",): 30, ("f",): 70, (None,): 10, ("x",): 5}

    weights = rake(counts, [GENDER])

    # then the raked respondents average a weight of 1 and the others count as themselves
    assert 30 * weights.of(("m",)) + 70 * weights.of(("f",)) == pytest.approx(100)
    assert weights.of((None,)) == weights.of(("x",)) == 1.0
    assert weights.design_effect == pytest.approx(design_effect(counts, weights.by_cell))


def test_a_population_category_nobody_is_in_does_not_converge():
    weights = rake({("m", "young"): 40, ("m", "old"): 60}, [GENDER, AGE])

    assert not weights.converged
    assert weights.describe()["converged"] is False


def test_shares_that_do_not_add_up_to_one_are_rescaled():
    weights = rake({("m",): 30, ("f",): 70}, [Margin("gender", {"m": 49.0, "f": 51.0})])

    assert weights.of(("m",)) == pytest.approx(0.49 / 0.3)


def test_equal_weights_have_a_design_effect_of_one():
    assert design_effect({("m",): 50, ("f",): 50}, {}) == 1.0
    assert design_effect({}, {}) is None
