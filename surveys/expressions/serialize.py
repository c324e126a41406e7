"""Expression trees to source text and to compact JSON, and back.

The JSON form, as stored in a questionnaire's compiled snapshot:

- a number literal is a JSON number (``18``, ``2.5``); a string literal is a JSON string (``"yes"``)
- ``${name}`` is ``["ref", "name"]``; ``.`` is ``["cur"]``
- unary minus is ``["neg", operand]``
- a binary operator is ``["op", "and", left, right]`` (op is one of BINARY_PRECEDENCE)
- a function call is ``["call", "selected", arg1, arg2, ...]``

So ``${consent} = 'yes'`` is ``["op", "=", ["ref", "consent"], "yes"]``.
"""

from __future__ import annotations

import math
from typing import Any

from surveys.expressions.errors import ExpressionError
from surveys.expressions.functions import FUNCTIONS
from surveys.expressions.lexer import REF_NAME
from surveys.expressions.nodes import (
    BINARY_PRECEDENCE,
    MAX_DEPTH,
    UNARY_PRECEDENCE,
    Binary,
    Call,
    Current,
    Expr,
    Negate,
    Number,
    Ref,
    String,
)
from surveys.expressions.values import format_number

JSON = list[Any] | str | int | float


def to_source(expr: Expr) -> str:
    """Write ``expr`` as XLSForm source, with only the parentheses precedence needs.

    ``parse(to_source(e)) == e`` for every tree the parser can produce. Two things have no source form of
    their own and are written as equivalent expressions instead: a string holding both kinds of quote
    (as ``concat()``) and a negative or non-finite number literal (as ``-5`` or ``(1 div 0)``).
    """
    if isinstance(expr, Number):
        return _number_source(expr.value)
    if isinstance(expr, String):
        return _string_source(expr.value)
    if isinstance(expr, Ref):
        return f"${{{expr.name}}}"
    if isinstance(expr, Current):
        return "."
    if isinstance(expr, Negate):
        operand = _operand_source(expr.operand, UNARY_PRECEDENCE)
        return f"- {operand}" if operand.startswith("-") else f"-{operand}"
    if isinstance(expr, Binary):
        precedence = BINARY_PRECEDENCE[expr.op]
        left = _operand_source(expr.left, precedence)
        right = _operand_source(expr.right, precedence + 1)  # left-associative: a - (b - c) keeps its parens
        return f"{left} {expr.op} {right}"
    if isinstance(expr, Call):
        return f"{expr.name}({', '.join(to_source(arg) for arg in expr.args)})"
    raise TypeError(f"not an expression: {expr!r}")


def _operand_source(expr: Expr, tightest_needing_parens: int) -> str:
    source = to_source(expr)
    if isinstance(expr, Binary) and BINARY_PRECEDENCE[expr.op] < tightest_needing_parens:
        return f"({source})"
    if isinstance(expr, Number) and (expr.value < 0 or not math.isfinite(expr.value)):
        return f"({source})"
    return source


def _number_source(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "(0 div 0)"
    if math.isinf(value):
        return "(1 div 0)" if value > 0 else "(-1 div 0)"
    text = format_number(value)
    return text if "." in text else f"{text}.0"  # keep it a float when parsed back


def _string_source(value: str) -> str:
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    parts = ", ".join(_string_source(part) for part in _split_quotes(value))
    return f"concat({parts})"


def _split_quotes(value: str) -> list[str]:
    """Split so that no part holds both kinds of quote: every "'" becomes a part of its own."""
    parts: list[str] = []
    for index, chunk in enumerate(value.split("'")):
        if index:
            parts.append("'")
        if chunk:
            parts.append(chunk)
    return parts


def to_json(expr: Expr) -> JSON:
    """The compact JSON form of ``expr`` (see the module docstring); ``from_json`` reverses it exactly."""
    if isinstance(expr, Number | String):
        return expr.value
    if isinstance(expr, Ref):
        return ["ref", expr.name]
    if isinstance(expr, Current):
        return ["cur"]
    if isinstance(expr, Negate):
        return ["neg", to_json(expr.operand)]
    if isinstance(expr, Binary):
        return ["op", expr.op, to_json(expr.left), to_json(expr.right)]
    if isinstance(expr, Call):
        return ["call", expr.name, *(to_json(arg) for arg in expr.args)]
    raise TypeError(f"not an expression: {expr!r}")


def from_json(data: Any) -> Expr:
    """Rebuild the tree that ``to_json`` wrote. Raises ExpressionError (position -1) on anything else:
    unknown tags, operators or functions, a wrong number of arguments, or nesting past MAX_DEPTH."""
    return _from_json(data, 1)


def _from_json(data: Any, depth: int) -> Expr:
    if depth > MAX_DEPTH:
        raise ExpressionError(f"expression JSON nested more than {MAX_DEPTH} levels deep")
    if isinstance(data, str):
        return String(data)
    if isinstance(data, int | float) and not isinstance(data, bool):
        return Number(data)
    if not (isinstance(data, list) and data and isinstance(data[0], str)):
        raise _malformed(data)
    tag, *rest = data
    if tag == "ref" and len(rest) == 1 and isinstance(rest[0], str) and REF_NAME.fullmatch(rest[0]):
        return Ref(rest[0])
    if tag == "cur" and not rest:
        return Current()
    if tag == "neg" and len(rest) == 1:
        return Negate(_from_json(rest[0], depth + 1))
    if tag == "op" and len(rest) == 3 and rest[0] in BINARY_PRECEDENCE:
        return Binary(rest[0], _from_json(rest[1], depth + 1), _from_json(rest[2], depth + 1))
    if tag == "call" and rest and isinstance(rest[0], str):
        return _call_from_json(rest[0], rest[1:], depth)
    raise _malformed(data)


def _call_from_json(name: str, args: list[Any], depth: int) -> Call:
    function = FUNCTIONS.get(name)
    if function is None:
        raise ExpressionError(f"unknown function '{name}' in expression JSON")
    problem = function.arity_problem(len(args))
    if problem:
        raise ExpressionError(f"{problem} in expression JSON")
    return Call(name, tuple(_from_json(arg, depth + 1) for arg in args))


def _malformed(data: Any) -> ExpressionError:
    shown = repr(data)
    return ExpressionError(f"not an expression in JSON: {shown if len(shown) <= 60 else shown[:57] + '...'}")
