"""The XLSForm functions: their arity (checked at parse time) and what they compute.

Each implementation takes the already evaluated arguments and the evaluation's ``today``. ``if`` is
registered here for its arity but evaluated lazily by the evaluator.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal

from surveys.expressions.errors import ExpressionError
from surveys.expressions.values import (
    Value,
    format_number,
    to_date,
    to_number,
    to_string,
    truthy,
)

Implementation = Callable[[Sequence[Value], datetime.date], Value]
_ROUNDING = Context(prec=100)


@dataclass(frozen=True, slots=True)
class Function:
    """A function the language knows: its name, how many arguments it takes, and its implementation."""

    name: str
    min_args: int
    max_args: int | None  # None: any number
    implementation: Implementation

    def arity_problem(self, count: int) -> str | None:
        """Why ``count`` arguments are wrong for this function, or None when they are fine."""
        if self.min_args <= count and (self.max_args is None or count <= self.max_args):
            return None
        if self.max_args is None:
            wanted = f"at least {self.min_args}"
        elif self.max_args == self.min_args:
            wanted = str(self.min_args)
        else:
            wanted = f"{self.min_args} or {self.max_args}"
        plural = "" if wanted == "1" else "s"
        return f"{self.name}() takes {wanted} argument{plural}, not {count}"


FUNCTIONS: dict[str, Function] = {}


def _function(
    name: str, min_args: int, max_args: int | None = -1
) -> Callable[[Implementation], Implementation]:
    def register(implementation: Implementation) -> Implementation:
        FUNCTIONS[name] = Function(name, min_args, min_args if max_args == -1 else max_args, implementation)
        return implementation

    return register


def _codes(value: Value) -> list[str]:
    return to_string(value).split()


@_function("selected", 2)
def _selected(args: Sequence[Value], today: datetime.date) -> Value:
    return to_string(args[1]).strip() in _codes(args[0])


@_function("count-selected", 1)
def _count_selected(args: Sequence[Value], today: datetime.date) -> Value:
    return float(len(_codes(args[0])))


@_function("selected-at", 2)
def _selected_at(args: Sequence[Value], today: datetime.date) -> Value:
    codes = _codes(args[0])
    index = to_number(args[1])
    if not math.isfinite(index) or not 0 <= index < len(codes):
        return ""
    return codes[int(index)]


@_function("string-length", 1)
def _string_length(args: Sequence[Value], today: datetime.date) -> Value:
    return float(len(to_string(args[0])))


@_function("regex", 2)
def _regex(args: Sequence[Value], today: datetime.date) -> Value:
    # JavaRosa uses Matcher.find(): the pattern may match anywhere unless anchored with ^...$.
    return compile_pattern(to_string(args[1])).search(to_string(args[0])) is not None


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a regex() pattern, turning every way it can fail into ExpressionError."""
    try:
        return re.compile(pattern)
    except re.error as error:
        where = "" if error.pos is None else f" (character {error.pos + 1} of the pattern)"
        problem = f"{error.msg}{where}"
    except (RecursionError, OverflowError, ValueError):
        problem = "pattern too complex"
    raise ExpressionError(f"invalid regular expression {pattern[:60]!r}: {problem}")


@_function("if", 3)
def _if(args: Sequence[Value], today: datetime.date) -> Value:
    return args[1] if truthy(args[0]) else args[2]


@_function("coalesce", 2)
def _coalesce(args: Sequence[Value], today: datetime.date) -> Value:
    return args[0] if to_string(args[0]) != "" else args[1]


@_function("today", 0)
def _today(args: Sequence[Value], today: datetime.date) -> Value:
    return today


@_function("date", 1)
def _date(args: Sequence[Value], today: datetime.date) -> Value:
    return to_date(args[0])


@_function("string", 1)
def _string(args: Sequence[Value], today: datetime.date) -> Value:
    return to_string(args[0])


@_function("number", 1)
def _number(args: Sequence[Value], today: datetime.date) -> Value:
    return to_number(args[0])


@_function("boolean", 1)
def _boolean(args: Sequence[Value], today: datetime.date) -> Value:
    return truthy(args[0])


@_function("not", 1)
def _not(args: Sequence[Value], today: datetime.date) -> Value:
    return not truthy(args[0])


@_function("true", 0)
def _true(args: Sequence[Value], today: datetime.date) -> Value:
    return True


@_function("false", 0)
def _false(args: Sequence[Value], today: datetime.date) -> Value:
    return False


@_function("concat", 0, None)
def _concat(args: Sequence[Value], today: datetime.date) -> Value:
    return "".join(to_string(arg) for arg in args)


@_function("contains", 2)
def _contains(args: Sequence[Value], today: datetime.date) -> Value:
    return to_string(args[1]) in to_string(args[0])


@_function("starts-with", 2)
def _starts_with(args: Sequence[Value], today: datetime.date) -> Value:
    return to_string(args[0]).startswith(to_string(args[1]))


@_function("ends-with", 2)
def _ends_with(args: Sequence[Value], today: datetime.date) -> Value:
    return to_string(args[0]).endswith(to_string(args[1]))


@_function("normalize-space", 1)
def _normalize_space(args: Sequence[Value], today: datetime.date) -> Value:
    return " ".join(to_string(args[0]).split())


def _whole(number: float, towards: Callable[[float], int]) -> float:
    return number if not math.isfinite(number) else float(towards(number))


@_function("int", 1)
def _int(args: Sequence[Value], today: datetime.date) -> Value:
    return _whole(to_number(args[0]), math.trunc)


@_function("floor", 1)
def _floor(args: Sequence[Value], today: datetime.date) -> Value:
    return _whole(to_number(args[0]), math.floor)


@_function("ceiling", 1)
def _ceiling(args: Sequence[Value], today: datetime.date) -> Value:
    return _whole(to_number(args[0]), math.ceil)


@_function("abs", 1)
def _abs(args: Sequence[Value], today: datetime.date) -> Value:
    return abs(to_number(args[0]))


@_function("round", 1, 2)
def _round(args: Sequence[Value], today: datetime.date) -> Value:
    """Round half away from zero on the number as written (2.675 → 2.68), like JavaRosa's BigDecimal."""
    number = to_number(args[0])
    digits = to_number(args[1]) if len(args) > 1 else 0.0
    if math.isnan(digits):
        return math.nan
    if not math.isfinite(number) or abs(number) >= 1e17:  # no fraction left to round
        return number
    places = int(max(-20.0, min(20.0, digits)))
    exact = Decimal(format_number(number))
    rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=_ROUNDING)
    return float(rounded)


FUNCTION_NAMES: tuple[str, ...] = tuple(sorted(FUNCTIONS))
