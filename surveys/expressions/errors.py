"""The one exception the expression language raises."""

from __future__ import annotations


class ExpressionError(ValueError):
    """A problem with an expression: it does not parse, or it cannot be evaluated.

    ``position`` is the 0-based character offset into ``source`` where the problem is, or -1 when there is
    no source position (run-time problems, malformed JSON). ``str(error)`` reads like
    ``"unknown function 'foo' at position 12"``.
    """

    def __init__(self, message: str, position: int = -1, source: str = "") -> None:
        super().__init__(message, position, source)
        self.message = message
        self.position = position
        self.source = source

    def __str__(self) -> str:
        if self.position < 0:
            return self.message
        return f"{self.message} at position {self.position}"
