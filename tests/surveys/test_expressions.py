"""The XLSForm expression language: parsing, errors, JSON, source, evaluation and checks."""

from __future__ import annotations

import datetime
import json
import math
import time
from decimal import Decimal
from typing import Any

import pytest

from surveys.expressions import (
    MAX_DEPTH,
    Binary,
    Call,
    Current,
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
    uses_current,
)

TODAY = datetime.date(2024, 6, 15)


def run(source: str, answers: dict[str, Any] | None = None, current: Any = None) -> Any:
    return evaluate(parse(source), answers or {}, current, today=TODAY)


def parse_error(source: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    return caught.value


# --- parsing -------------------------------------------------------------------------------------------


def test_parse_builds_a_tree_of_frozen_nodes() -> None:
    assert parse("${consent} = 'yes'") == Binary("=", Ref("consent"), String("yes"))
    with pytest.raises(AttributeError):
        parse("1").value = 2  # type: ignore[union-attr, misc]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("42", Number(42)),
        ("2.5", Number(2.5)),
        (".5", Number(0.5)),
        ("7.", Number(7.0)),
        ("'it is'", String("it is")),
        ('"it\'s"', String("it's")),
        ("''", String("")),
        ("${q_1}", Ref("q_1")),
        ("${grp.q-2}", Ref("grp.q-2")),
        (".", Current()),
        ("-.", Negate(Current())),
        ("true()", Call("true", ())),
        ("concat()", Call("concat", ())),
        ("concat(1, 'a', .)", Call("concat", (Number(1), String("a"), Current()))),
    ],
)
def test_parse_reads_every_kind_of_operand(source: str, expected: Any) -> None:
    assert parse(source) == expected


def test_number_literals_keep_int_or_decimal() -> None:
    assert type(parse("10").value) is int  # type: ignore[union-attr]
    assert type(parse("10.0").value) is float  # type: ignore[union-attr]


def test_whitespace_and_newlines_between_tokens_are_ignored() -> None:
    assert parse(" ${a}\n=\t'x' ") == parse("${a}='x'")


@pytest.mark.parametrize("op", ["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod"])
def test_every_binary_operator_parses(op: str) -> None:
    assert parse(f"${{a}} {op} 1") == Binary(op, Ref("a"), Number(1))


@pytest.mark.parametrize(
    ("source", "grouped"),
    [
        ("1 or 2 and 3", "1 or (2 and 3)"),
        ("1 and 2 or 3", "(1 and 2) or 3"),
        ("1 and 2 = 3", "1 and (2 = 3)"),
        ("1 = 2 < 3", "1 = (2 < 3)"),
        ("1 != 2 >= 3", "1 != (2 >= 3)"),
        ("1 < 2 + 3", "1 < (2 + 3)"),
        ("1 + 2 * 3", "1 + (2 * 3)"),
        ("1 - 2 div 3", "1 - (2 div 3)"),
        ("1 + 2 mod 3", "1 + (2 mod 3)"),
        ("-1 * 2", "(-1) * 2"),
        ("-${a} div 2", "(-${a}) div 2"),
        ("1 - 2 - 3", "(1 - 2) - 3"),
        ("8 div 4 div 2", "(8 div 4) div 2"),
        ("1 = 1 = 1", "(1 = 1) = 1"),
        ("1 < 2 < 3", "(1 < 2) < 3"),
        ("--1", "-(-1)"),
    ],
)
def test_precedence_and_associativity_follow_xpath(source: str, grouped: str) -> None:
    assert parse(source) == parse(grouped)


def test_parentheses_override_precedence() -> None:
    assert parse("(1 + 2) * 3") == Binary("*", Binary("+", Number(1), Number(2)), Number(3))


def test_word_operators_need_spaces_only_where_names_would_merge() -> None:
    assert parse("${a}div 2") == parse("${a} div 2")
    assert parse("(1)and(0)") == parse("1 and 0")


@pytest.mark.parametrize(
    ("source", "position", "message"),
    [
        ("${a} = ", 7, "unexpected end of expression"),
        ("selected(${a}, 'x') and foo(1)", 24, "unknown function 'foo'"),
        ("(1 + 2", 0, "unclosed '('"),
        ("${a} = (1 + (2)", 7, "unclosed '('"),
        ("selected(${a}, 'x'", 8, "unclosed '(' of selected()"),
        ("${a} = 'yes", 7, "unterminated string"),
        ('${a} = "yes', 7, "unterminated string"),
        ("${a", 0, "unclosed '${'"),
        ("${}", 0, "empty reference '${}'"),
        ("${1a} = 1", 2, "expected a question name after '${', found '1'"),
        ("${a b}", 3, "expected '}' after the question name"),
        ("$a", 0, "'$' must start a reference like ${name}"),
        ("1 + # 2", 4, "unexpected character '#'"),
        ("1 +\u00a02", 3, "unexpected character '\\xa0'"),
        ("${a} == 1", 5, "use '=' to compare, not '=='"),
        ("${a} = 1 && ${b}", 9, "use 'and' instead of '&&'"),
        ("!${a}", 0, "use not(...) to negate"),
        ("${a} = \u2018yes\u2019", 7, "curly quote"),
        ("../a", 0, "'..' is not supported"),
        ("${a} 1", 5, "expected an operator before 1"),
        ("${a} = 1 ${b}", 9, "expected an operator before ${b}"),
        ("age > 18", 0, "unknown name 'age' (to use the answer to a question, write ${age})"),
        ("and 1", 0, "expected a value before 'and'"),
        (")", 0, "expected a value, found ')'"),
        ("1 + , 2", 4, "expected a value, found ','"),
        ("concat(1 2)", 9, "expected ',' or ')' or an operator, found 2"),
        ("(1 2)", 3, "expected ')' or an operator, found 2"),
        ("selected(${a})", 0, "selected() takes 2 arguments, not 1"),
        ("today(1)", 0, "today() takes 0 arguments, not 1"),
        ("not()", 0, "not() takes 1 argument, not 0"),
        ("round(1, 2, 3)", 0, "round() takes 1 or 2 arguments, not 3"),
        ("jr:choice-name(${a}, 'a')", 0, "unknown function 'jr:choice-name'"),
        ("", 0, "empty expression"),
        ("   ", 0, "empty expression"),
    ],
)
def test_parse_errors_say_what_and_where(source: str, position: int, message: str) -> None:
    error = parse_error(source)
    assert message in error.message
    assert error.position == position
    assert error.source == source


def test_expression_error_reads_as_message_at_position() -> None:
    error = parse_error("${age} > 1 and foo(2)")
    assert str(error) == "unknown function 'foo' at position 15"
    assert isinstance(error, ValueError)


def test_runtime_error_has_no_position() -> None:
    with pytest.raises(ExpressionError) as caught:
        run("regex(., '(')", current="x")
    assert caught.value.position == -1
    assert "at position" not in str(caught.value)
    assert str(caught.value).startswith("invalid regular expression '('")


def test_nesting_up_to_the_limit_parses_and_beyond_fails() -> None:
    assert parse("-" * (MAX_DEPTH - 1) + "1") is not None
    assert "nested more than" in parse_error("-" * MAX_DEPTH + "1").message


@pytest.mark.parametrize(
    "source",
    [
        "(" * 500 + "1" + ")" * 500,
        "not(" * 500 + "1" + ")" * 500,
        "1" + " + 1" * 500,
        "-" * 5000 + "1",
        "${a} = 1 or " * 300 + "1",
    ],
)
def test_hostile_nesting_is_an_expression_error_not_a_crash(source: str) -> None:
    assert "nested more than" in parse_error(source).message


def test_a_tree_at_the_depth_limit_written_out_with_parentheses_parses() -> None:
    expr: Any = Number(1)
    for _ in range(MAX_DEPTH - 1):
        expr = Binary("-", Number(1), expr)
    source = to_source(expr)
    assert source.count("(") == MAX_DEPTH - 2
    assert parse(source) == expr


def _with_stack_frames(frames: int, source: str) -> Any:
    return parse(source) if frames == 0 else _with_stack_frames(frames - 1, source)


def test_hostile_nesting_fails_cleanly_even_deep_in_a_call_stack() -> None:
    # A request handler is already some hundred frames deep when it parses or checks an expression.
    with pytest.raises(ExpressionError, match="nested more than"):
        _with_stack_frames(300, "(not(" * 200 + "1" + "))" * 200)


def test_overlong_source_and_numbers_are_refused() -> None:
    assert "longer than" in parse_error("1 + " * 6000 + "1").message
    assert parse_error("1" * 401).message == "number too long"


# --- references, JSON, source --------------------------------------------------------------------------


def test_references_lists_names_in_order_of_first_use_without_duplicates() -> None:
    expr = parse("${b} = 1 or selected(${a}, 'x') and ${b} != ${c}")
    assert references(expr) == ["b", "a", "c"]
    assert references(parse(". > 1")) == []


def test_uses_current_finds_the_dot_anywhere() -> None:
    assert uses_current(parse("not(selected(., 'none') and count-selected(.) > 1)"))
    assert uses_current(parse("if(${a}, -., 0)"))
    assert not uses_current(parse("${a} = '.'"))


def test_to_json_is_compact_nested_lists() -> None:
    assert to_json(parse("${consent} = 'yes'")) == ["op", "=", ["ref", "consent"], "yes"]
    assert to_json(parse("-. >= 2.5")) == ["op", ">=", ["neg", ["cur"]], 2.5]
    assert to_json(parse("selected(${a}, 'x')")) == ["call", "selected", ["ref", "a"], "x"]
    assert to_json(parse("true()")) == ["call", "true"]


def test_json_round_trips_through_text() -> None:
    expr = parse("not(selected(., 'none') and count-selected(.) > 1) or -${a} div 2.5 = '1'")
    assert from_json(json.loads(json.dumps(to_json(expr)))) == expr


@pytest.mark.parametrize(
    "data",
    [
        None,
        True,
        {"op": "="},
        [],
        ["nope"],
        [1, 2],
        ["ref"],
        ["ref", "1bad"],
        ["ref", 3],
        ["cur", 1],
        ["neg"],
        ["op", "**", 1, 2],
        ["op", "=", 1],
        ["call", "foo"],
        ["call", "selected", 1],
        ["call"],
        ["op", "=", ["ref", "a"], None],
    ],
)
def test_from_json_refuses_anything_to_json_cannot_write(data: Any) -> None:
    with pytest.raises(ExpressionError):
        from_json(data)


def test_from_json_refuses_hostile_depth() -> None:
    data: Any = 1
    for _ in range(5000):
        data = ["neg", data]
    with pytest.raises(ExpressionError, match="nested more than"):
        from_json(data)


@pytest.mark.parametrize(
    ("source", "rendered"),
    [
        ("(1 + 2) * 3", "(1 + 2) * 3"),
        ("1 + (2 * 3)", "1 + 2 * 3"),
        ("1 - (2 - 3)", "1 - (2 - 3)"),
        ("(1 - 2) - 3", "1 - 2 - 3"),
        ("-(1 + 2)", "-(1 + 2)"),
        ("--1", "- -1"),
        ("${a}='x'", "${a} = 'x'"),
        ('"it\'s"', '"it\'s"'),
        ("concat( 1 )", "concat(1)"),
        ("7.", "7.0"),
        ("0.0000001", "0.0000001"),
        (
            "not(selected(.,'none')and count-selected(.)>1)",
            "not(selected(., 'none') and count-selected(.) > 1)",
        ),
    ],
)
def test_to_source_writes_canonical_text_with_minimal_parentheses(source: str, rendered: str) -> None:
    assert to_source(parse(source)) == rendered
    assert parse(rendered) == parse(source)


def test_to_source_writes_strings_with_both_quotes_as_concat() -> None:
    expr = String("""he said "it's" """)
    source = to_source(expr)
    assert source.startswith("concat(")
    assert run(source) == expr.value


def test_to_source_writes_non_finite_and_negative_numbers_as_equivalent_expressions() -> None:
    assert math.isinf(run(to_source(Number(math.inf))))
    assert math.isnan(run(to_source(Number(math.nan))))
    assert run(to_source(Binary("-", Number(1), Number(-2)))) == 3.0


# --- evaluation: the demo form ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"), [("yes", True), ("no", False), (None, False), ("yes ", False)]
)
def test_demo_consent_relevant(answer: Any, expected: bool) -> None:
    assert run("${consent} = 'yes'", {"consent": answer}) is expected


@pytest.mark.parametrize(
    ("year", "expected"),
    [(1930, True), (1990, True), (2008, True), (1929, False), (2009, False), ("1990", True), (None, False)],
)
def test_demo_birth_year_constraint(year: Any, expected: bool) -> None:
    assert run(". >= 1930 and . <= 2008", current=year) is expected


@pytest.mark.parametrize(
    ("codes", "expected"),
    [(["none"], True), (["none", "rally"], False), (["rally", "strike"], True), ([], True), (None, True)],
)
def test_demo_none_is_exclusive_constraint(codes: Any, expected: bool) -> None:
    assert run("not(selected(., 'none') and count-selected(.) > 1)", current=codes) is expected


@pytest.mark.parametrize(
    ("act_after", "expected"),
    [(["rally", "petition"], True), ("petition rally", True), (["petition"], False), (None, False)],
)
def test_demo_selected_rally_relevant(act_after: Any, expected: bool) -> None:
    assert run("selected(${act_after}, 'rally')", {"act_after": act_after}) is expected


@pytest.mark.parametrize(
    ("after", "before", "expected"),
    [
        (["other"], None, True),
        (None, ["rally", "other"], True),
        (["rally"], ["rally"], False),
        (None, None, False),
    ],
)
def test_demo_other_in_either_list_relevant(after: Any, before: Any, expected: bool) -> None:
    source = "selected(${act_after}, 'other') or selected(${act_before}, 'other')"
    assert run(source, {"act_after": after, "act_before": before}) is expected


@pytest.mark.parametrize(
    ("text", "expected"), [("x" * 2000, True), ("x" * 2001, False), ("", True), (None, True)]
)
def test_demo_text_length_constraint(text: Any, expected: bool) -> None:
    assert run("string-length(.) <= 2000", current=text) is expected


def test_demo_return_plan_relevant() -> None:
    assert run("${return_plan} = 'conditional'", {"return_plan": "conditional"}) is True
    assert run("${return_plan} = 'conditional'", {"return_plan": "never"}) is False
    assert run("${return_plan} = 'conditional'", {}) is False


# --- evaluation: comparisons -----------------------------------------------------------------------------


def test_unanswered_question_equals_empty_string() -> None:
    assert run("${x} = ''", {}) is True
    assert run("${x} = ''", {"x": None}) is True
    assert run("${x} != ''", {"x": None}) is False
    assert run("${x} = ''", {"x": "a"}) is False
    assert run("${x} = ''", {"x": 0}) is False


@pytest.mark.parametrize("age", [18, 18.0, "18", " 18 ", Decimal("18.0"), 40])
def test_numbers_compare_numerically_with_numeric_strings(age: Any) -> None:
    assert run("${age} >= 18", {"age": age}) is True
    assert run("${age} >= '18'", {"age": age}) is True
    assert run("${age} < 18", {"age": age}) is False


def test_number_equals_numeric_string() -> None:
    assert run("${age} = '18'", {"age": 18}) is True
    assert run("${age} = 18", {"age": "18.0"}) is True
    assert run("${age} != 18", {"age": 18}) is False


@pytest.mark.parametrize("op", ["<", "<=", ">", ">=", "="])
def test_comparing_a_number_with_an_unanswered_question_is_false(op: str) -> None:
    assert run(f"${{age}} {op} 18", {}) is False
    assert run(f"18 {op} ${{age}}", {"age": None}) is False


def test_not_equal_to_unanswered_number_is_true_like_xpath() -> None:
    assert run("${age} != 18", {}) is True


def test_strings_that_are_not_numbers_never_order() -> None:
    assert run("'a' < 'b'") is False
    assert run("'a' >= 'b'") is False
    assert run("'a' = 'a'") is True
    assert run("'a' != 'b'") is True


def test_list_answer_equals_its_space_joined_codes() -> None:
    assert run("${m} = 'a b'", {"m": ["a", "b"]}) is True
    assert run("${m} = 'b a'", {"m": ["a", "b"]}) is False
    assert run("${m} = ''", {"m": []}) is True


def test_boolean_equality_converts_the_other_side_to_boolean() -> None:
    assert run("true() = 'x'") is True
    assert run("false() = ''") is True
    assert run("true() = 0") is False
    assert run("(1 < 2) = true()") is True


def test_dates_compare_as_dates() -> None:
    assert run("date('2024-01-01') < today()") is True
    assert run("date('2025-01-01') < today()") is False
    assert run("date('2024-06-15') = today()") is True
    assert run("${dob} < today()", {"dob": "1990-05-01"}) is True
    assert run("${start} <= ${end}", {"start": "2024-01-31", "end": "2024-02-01"}) is True
    assert run("${start} > ${end}", {"start": "2024-01-31", "end": "2024-02-01"}) is False
    assert run("${dob} = date('1990-05-01')", {"dob": "1990-05-01"}) is True
    assert run("${dob} < today()", {}) is False


def test_date_arithmetic_counts_days() -> None:
    assert run("today() - date('2024-06-01')") == 14.0
    assert run("date(today() + 1)") == datetime.date(2024, 6, 16)
    assert run("(today() - date(${dob})) div 365.25 >= 18", {"dob": "2000-01-01"}) is True


# --- evaluation: arithmetic and logic --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2", 3.0),
        ("5 - 7", -2.0),
        ("2.5 * 4", 10.0),
        ("7 div 2", 3.5),
        ("7 mod 3", 1.0),
        ("-7 mod 3", -1.0),
        ("7 mod -3", 1.0),
        ("5.5 mod 2", 1.5),
        ("-${a}", -4.0),
        ("${a} * 2 + 1", 9.0),
        ("'3' + '4'", 7.0),
        ("true() + true()", 2.0),
    ],
)
def test_arithmetic(source: str, expected: float) -> None:
    assert run(source, {"a": 4}) == expected


@pytest.mark.parametrize(
    ("source", "check_result"),
    [
        ("1 div 0", lambda v: v == math.inf),
        ("-1 div 0", lambda v: v == -math.inf),
        ("1 div -0", lambda v: v == -math.inf),
        ("0 div 0", math.isnan),
        ("5 mod 0", math.isnan),
        ("(1 div 0) mod 2", math.isnan),
        ("'x' + 1", math.isnan),
        ("${missing} + 1", math.isnan),
    ],
)
def test_arithmetic_edge_cases_give_infinity_or_nan_not_exceptions(source: str, check_result: Any) -> None:
    assert check_result(run(source))


def test_and_or_return_booleans_and_short_circuit() -> None:
    assert run("1 and 'x'") is True
    assert run("0 or ''") is False
    assert run("false() and regex('x', '(')") is False
    assert run("true() or regex('x', '(')") is True


# --- evaluation: functions -------------------------------------------------------------------------------


def test_selected_checks_whole_codes_in_lists_and_space_separated_strings() -> None:
    assert run("selected(${m}, 'a')", {"m": ["a", "b"]}) is True
    assert run("selected(${m}, ' b ')", {"m": "a  b"}) is True
    assert run("selected(${m}, 'a')", {"m": ["ab"]}) is False
    assert run("selected(${m}, 'a')", {}) is False
    assert run("selected(${one}, 'x')", {"one": "x"}) is True


def test_count_selected_counts_codes_and_zero_when_unanswered() -> None:
    assert run("count-selected(${m})", {"m": ["a", "b", "c"]}) == 3.0
    assert run("count-selected(${m})", {"m": " a  b "}) == 2.0
    assert run("count-selected(${m})", {"m": None}) == 0.0
    assert run("count-selected(${m})", {}) == 0.0


def test_selected_at_is_zero_based_and_empty_when_out_of_range() -> None:
    answers = {"m": ["a", "b"]}
    assert run("selected-at(${m}, 1)", answers) == "b"
    assert run("selected-at(${m}, 2)", answers) == ""
    assert run("selected-at(${m}, -1)", answers) == ""
    assert run("selected-at(${m}, 1 div 0)", answers) == ""


def test_string_length_counts_characters() -> None:
    assert run("string-length('їжак')") == 4.0
    assert run("string-length(12.5)") == 4.0
    assert run("string-length(${x})", {}) == 0.0


def test_regex_searches_like_javarosa() -> None:
    assert run("regex(., 'b')", current="abc") is True
    assert run("regex(., '^b$')", current="abc") is False
    assert run("regex(., '^[0-9]{5}$')", current="01234") is True
    assert run("regex(., '^$')", current=None) is True
    assert run("regex(${n}, '^1')", {"n": 12}) is True


def test_regex_with_invalid_pattern_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError, match="invalid regular expression"):
        run("regex(., '[a-')", current="x")
    with pytest.raises(ExpressionError):
        run("regex(., " + "'" + "(" * 3000 + ")" * 3000 + "')", current="x")


def test_regex_on_long_input_is_fast() -> None:
    started = time.perf_counter()
    assert run("regex(., '^[a-z ]{1,100000}$')", current="ab " * 30000) is True
    assert time.perf_counter() - started < 1


def test_if_evaluates_only_the_chosen_branch() -> None:
    assert run("if(${a} = 'x', 'yes', 'no')", {"a": "x"}) == "yes"
    assert run("if(${a} = 'x', 'yes', 'no')", {}) == "no"
    assert run("if(true(), 1, regex('x', '('))") == 1.0


def test_coalesce_takes_the_first_non_empty_value() -> None:
    assert run("coalesce(${a}, 'x')", {}) == "x"
    assert run("coalesce(${a}, 'x')", {"a": "y"}) == "y"
    assert run("coalesce(${a}, 'x')", {"a": 0}) == 0.0


def test_today_uses_the_given_date_or_the_real_one() -> None:
    assert run("today()") == TODAY
    assert evaluate(parse("today()"), {}) == datetime.date.today()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("date('2024-01-31')", datetime.date(2024, 1, 31)),
        ("date(${d})", datetime.date(2023, 12, 1)),
        ("date('2024-01-31T10:00:00')", datetime.date(2024, 1, 31)),
        ("date(0)", datetime.date(1970, 1, 1)),
        ("date(19723.9)", datetime.date(2024, 1, 1)),
        ("date(today())", TODAY),
        ("date(${missing})", ""),
    ],
)
def test_date_reads_iso_strings_days_and_dates(source: str, expected: Any) -> None:
    assert run(source, {"d": "2023-12-01"}) == expected


@pytest.mark.parametrize(
    "source", ["date('soon')", "date('2024-02-30')", "date(1 div 0)", "date(10000000000)", "date(true())"]
)
def test_date_of_something_that_is_not_a_date_is_an_expression_error(source: str) -> None:
    with pytest.raises(ExpressionError):
        run(source)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("string(5)", "5"),
        ("string(2.5)", "2.5"),
        ("string(-0.5)", "-0.5"),
        ("string(0.0000001)", "0.0000001"),
        ("string(1 div 0)", "Infinity"),
        ("string(-1 div 0)", "-Infinity"),
        ("string(0 div 0)", "NaN"),
        ("string(true())", "true"),
        ("string(1 = 2)", "false"),
        ("string(date('2024-01-31'))", "2024-01-31"),
        ("string(${m})", "a b"),
        ("string(${n})", "12"),
        ("concat('a', 1, true(), ${m}, ${missing})", "a1truea b"),
        ("concat()", ""),
    ],
)
def test_string_conversion_follows_xpath(source: str, expected: str) -> None:
    assert run(source, {"m": ["a", "b"], "n": 12}) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("number('12')", 12.0),
        ("number(' 3.5 ')", 3.5),
        ("number('-2')", -2.0),
        ("number(true())", 1.0),
        ("number(date('1970-01-11'))", 10.0),
        ("int(3.7)", 3.0),
        ("int(-3.7)", -3.0),
        ("int('12.9')", 12.0),
        ("round(2.5)", 3.0),
        ("round(-2.5)", -3.0),
        ("round(2.675, 2)", 2.68),
        ("round(1234.5, -2)", 1200.0),
        ("round(1.23456, 3)", 1.235),
        ("floor(-1.5)", -2.0),
        ("ceiling(1.2)", 2.0),
        ("abs(-3)", 3.0),
    ],
)
def test_number_functions(source: str, expected: float) -> None:
    assert run(source) == expected


@pytest.mark.parametrize(
    "source", ["number('abc')", "number('')", "number('1e5')", "int('x')", "round('x')", "round(1, 'x')"]
)
def test_numbers_from_non_numbers_are_nan(source: str) -> None:
    assert math.isnan(run(source))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("true()", True),
        ("false()", False),
        ("boolean('')", False),
        ("boolean('0')", True),
        ("boolean(0)", False),
        ("boolean(0 div 0)", False),
        ("boolean(-1)", True),
        ("boolean(${m})", True),
        ("boolean(${missing})", False),
        ("not(${missing})", True),
        ("not(1)", False),
        ("contains('haystack', 'st')", True),
        ("starts-with('haystack', 'hay')", True),
        ("ends-with('haystack', 'hay')", False),
    ],
)
def test_boolean_and_string_predicates(source: str, expected: bool) -> None:
    assert run(source, {"m": ["a"]}) is expected


def test_normalize_space_collapses_whitespace() -> None:
    assert run("normalize-space(.)", current="  a \n b  ") == "a b"


# --- evaluation: safety ----------------------------------------------------------------------------------


def test_unsupported_answer_type_is_an_expression_error_naming_the_question() -> None:
    with pytest.raises(ExpressionError, match=r"\$\{x\}: cannot use an answer of type dict"):
        run("${x} = 1", {"x": {"nested": 1}})
    with pytest.raises(ExpressionError, match="current answer"):
        run(". = 1", current=object())


def test_answers_of_every_stored_type_are_read() -> None:
    answers = {
        "when": datetime.datetime(2024, 1, 2, 3, 4, tzinfo=datetime.UTC),
        "flag": True,
        "big": 10**400,
        "amount": Decimal("2.50"),
    }
    assert run("${when} = date('2024-01-02')", answers) is True
    assert run("${flag} = true()", answers) is True
    assert run("${big} > 1", answers) is True
    assert run("${amount} * 2", answers) == 5.0


def test_hand_built_trees_past_the_depth_limit_are_refused() -> None:
    expr: Any = Number(1)
    for _ in range(MAX_DEPTH + 5):
        expr = Negate(expr)
    with pytest.raises(ExpressionError, match="nested more than"):
        evaluate(expr, {})


def test_hand_built_calls_are_checked_at_evaluation() -> None:
    with pytest.raises(ExpressionError, match="unknown function 'eval'"):
        evaluate(Call("eval", (String("1"),)), {})
    with pytest.raises(ExpressionError, match="takes 2 arguments"):
        evaluate(Call("selected", ()), {})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        ("", False),
        ("0", True),
        ("false", True),
        (0, False),
        (0.0, False),
        (math.nan, False),
        (Decimal("0"), False),
        (2, True),
        ([], False),
        (["a"], True),
        (TODAY, True),
        (True, True),
        (False, False),
    ],
)
def test_truthy_follows_xpath_boolean(value: Any, expected: bool) -> None:
    assert truthy(value) is expected


# --- check() -------------------------------------------------------------------------------------------


KNOWN = ["consent", "birth_year", "act_before", "act_after", "return_plan"]


def test_check_accepts_a_good_expression() -> None:
    assert check("selected(${act_before}, 'other')", KNOWN, before=["consent", "act_before"]) == []
    assert check(". >= 1930 and . <= 2008", KNOWN, question="birth_year: constraint") == []


def test_check_reports_unknown_questions_with_position_and_question() -> None:
    problems = check(". > ${birth_yr}", KNOWN, question="birth_year: constraint")
    assert problems == ["birth_year: constraint: unknown question ${birth_yr} at position 4"]


def test_check_reports_questions_asked_later() -> None:
    problems = check(
        "${consent} = 'yes' and ${return_plan} = 'x'", KNOWN, before=["consent"], question="act_after"
    )
    assert problems == [
        "act_after: later question ${return_plan} at position 23: it has no answer yet at this point"
    ]


def test_check_without_before_does_not_judge_order() -> None:
    assert check("${return_plan} = 'x'", KNOWN) == []


def test_check_reports_each_name_once_in_source_order() -> None:
    problems = check("${zz} = 1 or ${zz} = 2 or ${yy} = 3", KNOWN)
    assert problems == ["unknown question ${zz} at position 0", "unknown question ${yy} at position 26"]


def test_check_reports_parse_errors_with_position() -> None:
    assert check("${consent} = ", KNOWN, question="q") == ["q: unexpected end of expression at position 13"]
    assert check("foo(${consent})", KNOWN) == ["unknown function 'foo' at position 0"]


def test_check_reports_literal_patterns_and_dates_that_can_never_work() -> None:
    problems = check("regex(., '[a-') or . > date('2024-13-01')", KNOWN, question="q")
    assert problems[0].startswith("q: invalid regular expression '[a-'")
    assert problems[1] == "q: date('2024-13-01') is not a date (write YYYY-MM-DD)"
    assert check("regex(., ${consent})", KNOWN) == []
