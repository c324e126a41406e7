"""The expression syntax tree: small frozen dataclasses, compared by value.

Nodes carry no source positions, so two expressions that mean the same thing written differently
(``1+2`` and ``(1) + 2``) are equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

# Deepest tree the parser accepts and the evaluator walks; real forms stay far below it.
MAX_DEPTH = 100

# XPath precedence, loosest first; every binary operator is left-associative.
BINARY_PRECEDENCE: dict[str, int] = {
    "or": 1,
    "and": 2,
    "=": 3,
    "!=": 3,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "div": 6,
    "mod": 6,
}
UNARY_PRECEDENCE = 7


@dataclass(frozen=True, slots=True)
class Number:
    """A number literal (never negative from the parser: ``-1`` is ``Negate(Number(1))``)."""

    value: int | float


@dataclass(frozen=True, slots=True)
class String:
    """A string literal."""

    value: str


@dataclass(frozen=True, slots=True)
class Ref:
    """``${name}``: the answer to another question."""

    name: str


@dataclass(frozen=True, slots=True)
class Current:
    """``.``: the answer to the question the expression belongs to."""


@dataclass(frozen=True, slots=True)
class Negate:
    """Unary minus."""

    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary:
    """``left op right`` for every operator in BINARY_PRECEDENCE."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Call:
    """A function call such as ``selected(${x}, 'a')``."""

    name: str
    args: tuple[Expr, ...]


Expr = Number | String | Ref | Current | Negate | Binary | Call


def children(expr: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of ``expr``, left to right."""
    if isinstance(expr, Negate):
        return (expr.operand,)
    if isinstance(expr, Binary):
        return (expr.left, expr.right)
    if isinstance(expr, Call):
        return expr.args
    return ()


def walk(expr: Expr) -> Iterator[Expr]:
    """Every node of ``expr`` in source order (pre-order, left to right), without recursion."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


def depth(expr: Expr) -> int:
    """The number of nodes on the longest path from ``expr`` to a leaf."""
    deepest = 0
    stack = [(expr, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children(node))
    return deepest


def references(expr: Expr) -> list[str]:
    """Question names used as ``${name}``, in order of first use, without duplicates."""
    return list(dict.fromkeys(node.name for node in walk(expr) if isinstance(node, Ref)))


def uses_current(expr: Expr) -> bool:
    """Whether ``.`` (the question's own answer) appears in ``expr``."""
    return any(isinstance(node, Current) for node in walk(expr))
