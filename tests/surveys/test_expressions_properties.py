"""Property-based tests of the expression language: round trips and never crashing on hostile input."""

from __future__ import annotations

import contextlib
import datetime
import functools
import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.expressions import (
    MAX_DEPTH,
    Binary,
    Call,
    Current,
    Expr,
    ExpressionError,
    Negate,
    Number,
    Ref,
    String,
    check,
    evaluate,
    from_json,
    parse,
    references,
    to_json,
    to_source,
    truthy,
)
from surveys.expressions.functions import FUNCTIONS
from surveys.expressions.nodes import BINARY_PRECEDENCE, depth

NAMES = ["a", "b", "age", "q_1", "grp.q-2"]
TODAY = datetime.date(2024, 6, 15)
FAST = settings(max_examples=200, deadline=None)

numbers = st.one_of(
    st.integers(min_value=0, max_value=10**20).map(Number),
    st.integers(min_value=0, max_value=10**12).flatmap(
        lambda whole: st.integers(min_value=0, max_value=9).map(lambda places: Number(whole / 10**places))
    ),
)
# A string literal cannot hold both kinds of quote in XPath 1.0 (to_source writes those as concat()).
strings = st.text(max_size=12).filter(lambda text: not ("'" in text and '"' in text)).map(String)
leaves = st.one_of(numbers, strings, st.sampled_from(NAMES).map(Ref), st.just(Current()))


def _call(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    def with_args(name: str) -> st.SearchStrategy[Expr]:
        function = FUNCTIONS[name]
        most = function.max_args if function.max_args is not None else function.min_args + 3
        args = st.lists(children, min_size=function.min_args, max_size=most)
        return args.map(lambda values: Call(name, tuple(values)))

    return st.sampled_from(sorted(FUNCTIONS)).flatmap(with_args)


def _extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    return st.one_of(
        children.map(Negate),
        st.builds(Binary, st.sampled_from(sorted(BINARY_PRECEDENCE)), children, children),
        _call(children),
    )


trees = st.recursive(leaves, _extend, max_leaves=15).filter(lambda expr: depth(expr) <= MAX_DEPTH)


def _wrap(expr: Expr, wrapper: tuple[str, Expr]) -> Expr:
    kind, other = wrapper
    if kind == "neg":
        return Negate(expr)
    if kind == "not":
        return Call("not", (expr,))
    if kind in ("-", "div", "and"):  # same precedence on the right: parentheses at every level
        return Binary(kind, other, expr)
    return Binary("+", expr, other)


# Chains up to the depth limit: the trees the parser must still accept, with a parenthesis per level.
deep_trees = st.builds(
    lambda leaf, wrappers: functools.reduce(_wrap, wrappers, leaf),
    leaves,
    st.lists(
        st.tuples(st.sampled_from(["neg", "not", "-", "div", "and", "+"]), leaves), max_size=MAX_DEPTH - 1
    ),
)

answer_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.decimals(),
    st.text(max_size=10),
    st.sampled_from(["", "18", " 2.5 ", "-0", "1e5", "NaN", "Infinity", "a b", "2024-02-29", "2024-02-30"]),
    st.dates().map(datetime.date.isoformat),
    st.dates(),
    st.lists(st.sampled_from(["a", "b", "none", "other"]), max_size=4),
)
answer_sets = st.dictionaries(st.sampled_from(NAMES), answer_values)

TOKEN_SOUP = [
    "${a}", "${b", "$", "{", "}", ".", "..", "(", ")", ",", "'x'", "'", '"', "1", "2.5", ".5", " ", "\n",
    "and", "or", "not", "div", "mod", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "==",
    "selected", "count-selected", "regex", "if", "date", "today", "concat", "foo", "\u2018", "#",
]  # fmt: skip


@FAST
@given(trees)
def test_rendered_source_parses_back_to_the_same_tree(expr: Expr) -> None:
    assert parse(to_source(expr)) == expr


@settings(max_examples=50, deadline=None)
@given(deep_trees, answer_sets)
def test_trees_up_to_the_depth_limit_round_trip_and_evaluate(expr: Expr, answers: dict[str, Any]) -> None:
    assert depth(expr) <= MAX_DEPTH
    assert parse(to_source(expr)) == expr
    assert from_json(to_json(expr)) == expr
    with contextlib.suppress(ExpressionError):
        evaluate(expr, answers, today=TODAY)


@FAST
@given(trees)
def test_json_round_trips_through_text(expr: Expr) -> None:
    assert from_json(json.loads(json.dumps(to_json(expr)))) == expr


@FAST
@given(trees)
def test_references_are_exactly_the_refs_in_the_tree(expr: Expr) -> None:
    names = references(expr)
    assert len(names) == len(set(names))
    assert set(names) <= set(NAMES)
    assert all(f"${{{name}}}" in to_source(expr) for name in names)


@settings(max_examples=400, deadline=None)
@given(trees, answer_sets, answer_values)
def test_evaluation_returns_a_value_or_raises_only_expression_error(
    expr: Expr, answers: dict[str, Any], current: Any
) -> None:
    try:
        result = evaluate(expr, answers, current, today=TODAY)
    except ExpressionError:
        return
    assert isinstance(result, bool | float | str | datetime.date)
    assert isinstance(truthy(result), bool)


@FAST
@given(answer_sets)
def test_equality_is_symmetric_and_not_equal_is_its_negation(answers: dict[str, Any]) -> None:
    forward = evaluate(parse("${a} = ${b}"), answers)
    assert evaluate(parse("${b} = ${a}"), answers) is forward
    assert evaluate(parse("${a} != ${b}"), answers) is (not forward)


@FAST
@given(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6))
def test_integer_arithmetic_and_comparison_match_python(left: int, right: int) -> None:
    answers = {"a": left, "b": right}
    assert evaluate(parse("${a} + ${b}"), answers) == left + right
    assert evaluate(parse("${a} - ${b}"), answers) == left - right
    assert evaluate(parse("${a} * ${b}"), answers) == left * right
    assert evaluate(parse("${a} < ${b}"), answers) is (left < right)
    assert evaluate(parse("${a} >= ${b}"), {"a": str(left), "b": right}) is (left >= right)
    if right:
        assert evaluate(parse("${a} mod ${b}"), answers) == math.fmod(left, right)


@FAST
@given(st.text(max_size=40))
def test_parse_of_any_text_succeeds_or_raises_expression_error(source: str) -> None:
    _parse_or_explain(source)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(TOKEN_SOUP), max_size=20).map("".join))
def test_parse_of_token_soup_succeeds_or_raises_expression_error(source: str) -> None:
    _parse_or_explain(source)


@FAST
@given(st.lists(st.sampled_from(TOKEN_SOUP), max_size=20).map("".join))
def test_check_never_raises(source: str) -> None:
    problems = check(source, ["a"], before=[], question="q")
    assert all(isinstance(problem, str) and problem.startswith("q: ") for problem in problems)


@FAST
@given(st.one_of(answer_values, st.floats(), st.decimals(allow_nan=True)))
def test_truthy_accepts_any_answer(value: Any) -> None:
    assert isinstance(truthy(value), bool)


@FAST
@given(st.floats(allow_nan=False, allow_infinity=False).map(abs))
def test_decimal_literals_keep_their_value(value: float) -> None:
    assert evaluate(parse(to_source(Number(value))), {}) == value
    assert evaluate(parse(f"number('{to_source(Number(value))}')"), {}) == value


def _parse_or_explain(source: str) -> None:
    try:
        expr = parse(source)
    except ExpressionError as error:
        assert 0 <= error.position <= len(source)
        assert error.source == source
        return
    assert parse(to_source(expr)) == expr
