"""The XLSForm expression language: ``relevant`` and ``constraint`` expressions.

Pure Python (no Django). Parse once, store ``to_json`` in the snapshot, evaluate many times::

    expr = parse("${age} >= 18 and selected(${langs}, 'uk')")
    truthy(evaluate(expr, {"age": 20, "langs": ["uk", "ru"]}))   # True

Supported: ``${name}``, ``.``, string and number literals, ``or and = != < <= > >= + - * div mod``,
unary minus, parentheses, and the functions in FUNCTION_NAMES. See docs in each module.
"""

from __future__ import annotations

from surveys.expressions.checks import check
from surveys.expressions.errors import ExpressionError
from surveys.expressions.evaluator import evaluate
from surveys.expressions.functions import FUNCTION_NAMES
from surveys.expressions.nodes import (
    MAX_DEPTH,
    Binary,
    Call,
    Current,
    Expr,
    Negate,
    Number,
    Ref,
    String,
    references,
    uses_current,
)
from surveys.expressions.parser import parse
from surveys.expressions.serialize import from_json, to_json, to_source
from surveys.expressions.values import truthy

__all__ = [
    "FUNCTION_NAMES",
    "MAX_DEPTH",
    "Binary",
    "Call",
    "Current",
    "Expr",
    "ExpressionError",
    "Negate",
    "Number",
    "Ref",
    "String",
    "check",
    "evaluate",
    "from_json",
    "parse",
    "references",
    "to_json",
    "to_source",
    "truthy",
    "uses_current",
]
