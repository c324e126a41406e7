"""Split XLSForm expression source into tokens, each with its character position."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from surveys.expressions.errors import ExpressionError

TokenKind = Literal["number", "string", "ref", "dot", "name", "op", "(", ")", ",", "end"]

# XLSForm question names: a letter or underscore, then letters, digits, '_', '-' or '.'.
REF_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
# Function names and the word operators (and, or, div, mod); a prefix like 'jr:' is read so that the
# researcher sees "unknown function 'jr:choice-name'" rather than a stray ':'.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?::[A-Za-z_][A-Za-z0-9_-]*)?")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_DIGITS = frozenset("0123456789")
_WHITESPACE = frozenset(" \t\r\n")
_OPERATORS = ("!=", "<=", ">=", "=", "<", ">", "+", "-", "*")
_MISTAKES = {
    "==": "use '=' to compare, not '=='",
    "&&": "use 'and' instead of '&&'",
    "||": "use 'or' instead of '||'",
    "..": "'..' is not supported; refer to other questions as ${name}",
}
_CURLY_QUOTES = frozenset("\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb")
MAX_NUMBER_LENGTH = 400  # room for any float written out without an exponent


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its exact source text, where it starts, and its value if it has one."""

    kind: TokenKind
    text: str
    position: int
    value: str | int | float = ""


def show_char(char: str) -> str:
    """Quote a character for an error message, making invisible ones visible."""
    return f"'{char}'" if char.isprintable() and char != " " else repr(char)


def tokenize(source: str) -> list[Token]:
    """Return the tokens of ``source``, always ending with an ``end`` token at ``len(source)``.

    Raises ExpressionError at the position of the first character that cannot start a token.
    """
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        if source[position] in _WHITESPACE:
            position += 1
            continue
        token = _read_token(source, position)
        tokens.append(token)
        position += len(token.text)
    tokens.append(Token("end", "", len(source)))
    return tokens


def _read_token(source: str, position: int) -> Token:
    char = source[position]
    for mistake, advice in _MISTAKES.items():
        if source.startswith(mistake, position):
            raise ExpressionError(advice, position, source)
    if char == "$":
        return _read_ref(source, position)
    if char in "'\"":
        end = source.find(char, position + 1)
        if end < 0:
            raise ExpressionError("unterminated string", position, source)
        return Token("string", source[position : end + 1], position, source[position + 1 : end])
    if char in _DIGITS or (char == "." and source[position + 1 : position + 2] in _DIGITS):
        return _read_number(source, position)
    if char == ".":
        return Token("dot", ".", position)
    if char in "(),":
        return Token(char, char, position)  # type: ignore[arg-type]  # the kind is the character
    for operator in _OPERATORS:
        if source.startswith(operator, position):
            return Token("op", operator, position)
    name = _NAME.match(source, position)
    if name:
        return Token("name", name.group(), position)
    if char in _CURLY_QUOTES:
        raise ExpressionError(
            f"curly quote {show_char(char)}: put text in straight quotes ' or \"", position, source
        )
    if char == "!":
        raise ExpressionError("unexpected '!': use not(...) to negate, or '!=' to compare", position, source)
    raise ExpressionError(f"unexpected character {show_char(char)}", position, source)


def _read_ref(source: str, position: int) -> Token:
    if not source.startswith("${", position):
        raise ExpressionError("'$' must start a reference like ${name}", position, source)
    name = REF_NAME.match(source, position + 2)
    end = name.end() if name else position + 2
    if end >= len(source):
        raise ExpressionError("unclosed '${'", position, source)
    if not name:
        if source[end] == "}":
            raise ExpressionError("empty reference '${}'", position, source)
        raise ExpressionError(
            f"expected a question name after '${{', found {show_char(source[end])}", end, source
        )
    if source[end] != "}":
        raise ExpressionError(
            f"expected '}}' after the question name, found {show_char(source[end])}", end, source
        )
    return Token("ref", source[position : end + 1], position, name.group())


def _read_number(source: str, position: int) -> Token:
    match = _NUMBER.match(source, position)
    assert match is not None  # the caller saw a digit
    text = match.group()
    if len(text) > MAX_NUMBER_LENGTH:
        raise ExpressionError("number too long", position, source)
    value: int | float = float(text) if "." in text else int(text)
    return Token("number", text, position, value)
