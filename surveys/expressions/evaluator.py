"""Evaluate an expression tree against a respondent's answers, with XPath/ODK semantics.

Nothing here raises anything but ExpressionError: division by zero gives Infinity or NaN as in XPath,
comparisons with an unanswered question are false, and bad run-time input (an invalid regex, a date that
is not a date) is an ExpressionError.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from surveys.expressions.errors import ExpressionError
from surveys.expressions.functions import FUNCTIONS
from surveys.expressions.nodes import MAX_DEPTH, Binary, Call, Current, Expr, Negate, Number, Ref, String
from surveys.expressions.values import Value, answer_of, from_answer, to_number, truthy, values_equal


@dataclass(frozen=True, slots=True)
class _Context:
    answers: Mapping[str, Any]
    current: Value
    today: datetime.date


def evaluate(
    expr: Expr,
    answers: Mapping[str, Any],
    current: Any = None,
    today: datetime.date | None = None,
) -> Any:
    """Evaluate ``expr``; returns a bool, a float, a str or a ``datetime.date``.

    ``answers`` maps variable names to stored answers (a missing key or None is unanswered, and reads as
    ``''``); ``current`` is the answer ``.`` stands for; ``today()`` returns ``today`` when given, else
    the server's date. Pass the result to ``truthy`` for a relevant or constraint decision.
    """
    try:
        current_value = from_answer(current)
    except ExpressionError as error:
        raise ExpressionError(f"current answer: {error.message}") from None
    context = _Context(answers, current_value, today or datetime.date.today())
    return _evaluate(expr, context, 1)


def _evaluate(expr: Expr, context: _Context, depth: int) -> Value:
    if depth > MAX_DEPTH:
        raise ExpressionError(f"expression nested more than {MAX_DEPTH} levels deep")
    if isinstance(expr, Number):
        return to_number(expr.value)
    if isinstance(expr, String):
        return expr.value
    if isinstance(expr, Ref):
        return answer_of(context.answers, expr.name)
    if isinstance(expr, Current):
        return context.current
    if isinstance(expr, Negate):
        return -to_number(_evaluate(expr.operand, context, depth + 1))
    if isinstance(expr, Binary):
        return _binary(expr, context, depth)
    if isinstance(expr, Call):
        return _call(expr, context, depth)
    raise ExpressionError(f"not an expression: {type(expr).__name__}")


def _binary(expr: Binary, context: _Context, depth: int) -> Value:
    left = _evaluate(expr.left, context, depth + 1)
    if expr.op == "and":
        return truthy(left) and truthy(_evaluate(expr.right, context, depth + 1))
    if expr.op == "or":
        return truthy(left) or truthy(_evaluate(expr.right, context, depth + 1))
    right = _evaluate(expr.right, context, depth + 1)
    if expr.op == "=":
        return values_equal(left, right)
    if expr.op == "!=":
        return not values_equal(left, right)
    operation = _NUMERIC.get(expr.op)
    if operation is None:
        raise ExpressionError(f"unknown operator '{expr.op}'")
    return operation(to_number(left), to_number(right))


def _divide(left: float, right: float) -> float:
    if right == 0:
        if left == 0 or math.isnan(left):
            return math.nan
        return math.copysign(math.inf, left) * math.copysign(1.0, right)
    return left / right


def _modulo(left: float, right: float) -> float:
    # XPath mod truncates like Java's %, which is fmod; fmod itself raises where XPath gives NaN.
    if right == 0 or math.isinf(left) or math.isnan(left) or math.isnan(right):
        return math.nan
    return math.fmod(left, right)


_NUMERIC: dict[str, Callable[[float, float], Value]] = {
    # Comparisons with NaN (an unanswered question, a non-numeric string) are false, as in XPath.
    "<": lambda left, right: left < right,
    "<=": lambda left, right: left <= right,
    ">": lambda left, right: left > right,
    ">=": lambda left, right: left >= right,
    "+": lambda left, right: left + right,
    "-": lambda left, right: left - right,
    "*": lambda left, right: left * right,
    "div": _divide,
    "mod": _modulo,
}


def _call(expr: Call, context: _Context, depth: int) -> Value:
    function = FUNCTIONS.get(expr.name)
    if function is None:
        raise ExpressionError(f"unknown function '{expr.name}'")
    problem = function.arity_problem(len(expr.args))
    if problem:
        raise ExpressionError(problem)
    if expr.name == "if":  # only the chosen branch is evaluated
        condition = truthy(_evaluate(expr.args[0], context, depth + 1))
        return _evaluate(expr.args[1 if condition else 2], context, depth + 1)
    args = [_evaluate(arg, context, depth + 1) for arg in expr.args]
    return function.implementation(args, context.today)
