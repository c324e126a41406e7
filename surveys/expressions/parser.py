"""A Pratt parser for XLSForm expressions, producing the trees in ``nodes``.

Grammar (XPath 1.0 precedence, loosest first; all binary operators left-associative)::

    expr     := expr OPERATOR expr | '-' expr | primary
    OPERATOR := 'or' | 'and' | '=' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | 'div' | 'mod'
    primary  := NUMBER | STRING | '${' NAME '}' | '.' | '(' expr ')' | FUNCTION '(' [expr (',' expr)*] ')'
"""

from __future__ import annotations

from surveys.expressions.errors import ExpressionError
from surveys.expressions.functions import FUNCTIONS
from surveys.expressions.lexer import Token, tokenize
from surveys.expressions.nodes import (
    BINARY_PRECEDENCE,
    MAX_DEPTH,
    Binary,
    Call,
    Current,
    Expr,
    Negate,
    Number,
    Ref,
    String,
)

MAX_SOURCE_LENGTH = 20_000
_WORD_OPERATORS = frozenset({"and", "or", "div", "mod"})

# Every parse step returns the node and the depth of its tree, so that depth is checked where it grows.
_Parsed = tuple[Expr, int]


def parse(source: str) -> Expr:
    """Parse XLSForm expression ``source`` into a tree.

    Raises ExpressionError with the position of the first problem: an unexpected or missing token, an
    unknown function or a wrong number of arguments, or nesting deeper than MAX_DEPTH.
    """
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(
            f"expression longer than {MAX_SOURCE_LENGTH} characters", MAX_SOURCE_LENGTH, source
        )
    parser = _Parser(source, tokenize(source))
    if parser.peek().kind == "end":
        raise ExpressionError("empty expression", 0, source)
    expr, _ = parser.expression(0, 0)
    token = parser.peek()
    if token.kind != "end":
        raise parser.error(f"expected an operator before {describe(token)}", token)
    return expr


def describe(token: Token) -> str:
    """How a token is named in an error message."""
    if token.kind == "end":
        return "the end"
    text = token.text if len(token.text) <= 30 else token.text[:27] + "..."
    return text if token.kind in ("ref", "string", "number") else f"'{text}'"


class _Parser:
    """Parsing methods take ``level``, the number of tree nodes above the one being parsed: a cheap lower
    bound on the final depth that stops hostile nesting before Python's recursion limit does."""

    def __init__(self, source: str, tokens: list[Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.index = 0
        self.open_parens = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def error(self, message: str, token: Token) -> ExpressionError:
        return ExpressionError(message, token.position, self.source)

    def check_depth(self, depth: int, token: Token) -> None:
        if depth > MAX_DEPTH:
            raise self.error(f"expression nested more than {MAX_DEPTH} levels deep", token)

    def binary_operator(self) -> str | None:
        token = self.peek()
        if token.kind == "op" or (token.kind == "name" and token.text in _WORD_OPERATORS):
            return token.text
        return None

    def expression(self, min_precedence: int, level: int) -> _Parsed:
        """Parse an expression whose operators all bind tighter than ``min_precedence``."""
        minuses = self.minus_signs(level)
        left, left_depth = self.primary(level + minuses)
        for _ in range(minuses):
            left = Negate(left)
        left_depth += minuses
        while (op := self.binary_operator()) is not None:
            precedence = BINARY_PRECEDENCE[op]
            if precedence <= min_precedence:
                break
            token = self.advance()
            right, right_depth = self.expression(precedence, level + 1)
            left, left_depth = Binary(op, left, right), 1 + max(left_depth, right_depth)
            self.check_depth(level + left_depth, token)
        return left, left_depth

    def minus_signs(self, level: int) -> int:
        """Consume a run of unary minus signs and count them (a loop, so they cost no stack)."""
        minuses = 0
        while True:
            token = self.peek()
            self.check_depth(level + minuses + 1, token)
            if not (token.kind == "op" and token.text == "-"):
                return minuses
            self.advance()
            minuses += 1

    def primary(self, level: int) -> _Parsed:
        token = self.advance()
        if token.kind == "number":
            return Number(token.value), 1  # type: ignore[arg-type]  # the lexer stores int or float
        if token.kind == "string":
            return String(str(token.value)), 1
        if token.kind == "ref":
            return Ref(str(token.value)), 1
        if token.kind == "dot":
            return Current(), 1
        if token.kind == "(":
            self.open_parens += 1
            self.check_depth(self.open_parens, token)
            inner = self.expression(0, level)
            self.close(token, "'('")
            self.open_parens -= 1
            return inner
        if token.kind == "name":
            return self.call(token, level)
        if token.kind == "end":
            raise self.error("unexpected end of expression", token)
        raise self.error(f"expected a value, found {describe(token)}", token)

    def call(self, name: Token, level: int) -> _Parsed:
        if self.peek().kind != "(":
            if name.text in _WORD_OPERATORS:
                raise self.error(f"expected a value before {describe(name)}", name)
            hint = f" (to use the answer to a question, write ${{{name.text}}})"
            raise self.error(f"unknown name {describe(name)}{hint}", name)
        function = FUNCTIONS.get(name.text)
        if function is None:
            raise self.error(f"unknown function {describe(name)}", name)
        opening = self.advance()
        args: list[Expr] = []
        deepest = 0
        if self.peek().kind == ")":
            self.advance()
        else:
            while True:
                arg, arg_depth = self.expression(0, level + 1)
                args.append(arg)
                deepest = max(deepest, arg_depth)
                if self.peek().kind != ",":
                    break
                self.advance()
            self.close(opening, f"'(' of {name.text}()", allow_comma=True)
        problem = function.arity_problem(len(args))
        if problem:
            raise self.error(problem, name)
        return Call(name.text, tuple(args)), deepest + 1

    def close(self, opening: Token, what: str, *, allow_comma: bool = False) -> None:
        token = self.advance()
        if token.kind == ")":
            return
        if token.kind == "end":
            raise self.error(f"unclosed {what}", opening)
        expected = "',' or ')'" if allow_comma else "')'"
        raise self.error(f"expected {expected} or an operator, found {describe(token)}", token)
