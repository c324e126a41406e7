"""Problems in an expression, phrased for the researcher who wrote it."""

from __future__ import annotations

from collections.abc import Sequence

from surveys.expressions.errors import ExpressionError
from surveys.expressions.functions import compile_pattern
from surveys.expressions.lexer import tokenize
from surveys.expressions.nodes import Call, Expr, String, walk
from surveys.expressions.parser import parse
from surveys.expressions.values import parse_iso_date


def check(
    source: str, known: Sequence[str], *, before: Sequence[str] | None = None, question: str = ""
) -> list[str]:
    """Every problem with ``source`` as a human-readable message; an empty list means it is fine.

    Reports a parse error (with its position), each ``${name}`` not in ``known``, each ``${name}`` not in
    ``before`` (when given: the questions asked before this expression runs, so a name missing from it
    comes later in the form), and literal ``regex()`` patterns or ``date()`` strings that can never work.
    Messages start with ``question`` when given, e.g.
    ``"birth_year: constraint: unknown question ${birth_yr} at position 3"``.
    """
    prefix = f"{question}: " if question else ""
    try:
        expr = parse(source)
    except ExpressionError as error:
        return [f"{prefix}{error}"]
    known_names = set(known)
    earlier = None if before is None else set(before)
    problems: list[str] = []
    reported: set[str] = set()
    for token in tokenize(source):
        name = str(token.value)
        if token.kind != "ref" or name in reported:
            continue
        if name not in known_names:
            problems.append(f"{prefix}unknown question {token.text} at position {token.position}")
            reported.add(name)
        elif earlier is not None and name not in earlier:
            where = f"at position {token.position}"
            problems.append(
                f"{prefix}later question {token.text} {where}: it has no answer yet at this point"
            )
            reported.add(name)
    problems.extend(prefix + problem for problem in _literal_problems(expr))
    return problems


def _literal_problems(expr: Expr) -> list[str]:
    problems: list[str] = []
    for node in walk(expr):
        if not isinstance(node, Call):
            continue
        if node.name == "regex" and isinstance(node.args[1], String):
            try:
                compile_pattern(node.args[1].value)
            except ExpressionError as error:
                problems.append(error.message)
        elif node.name == "date" and isinstance(node.args[0], String):
            text = node.args[0].value
            if text.strip() and parse_iso_date(text) is None:
                problems.append(f"date({text!r}) is not a date (write YYYY-MM-DD)")
    return problems
