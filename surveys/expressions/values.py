"""Run-time values and the XPath conversions between them.

During evaluation every value is one of ``bool``, ``float``, ``str`` or ``datetime.date``. Stored answers
are brought into that shape by ``from_answer``: numbers become floats, a select_multiple list becomes the
space-separated string ODK itself uses, an unanswered question becomes ``''``.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from surveys.expressions.errors import ExpressionError

Value = bool | float | str | datetime.date

EPOCH = datetime.date(1970, 1, 1)
_XPATH_NUMBER = re.compile(r"[ \t\r\n]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*")
_ISO_DATE = re.compile(r"[ \t\r\n]*([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T[0-9:.+\-Z]*)?[ \t\r\n]*")


def from_answer(answer: Any) -> Value:
    """Turn a stored answer (code, list of codes, number, ISO date, text or None) into a run-time value."""
    if answer is None:
        return ""
    if isinstance(answer, bool | str):
        return answer
    if isinstance(answer, int | float | Decimal):
        return to_number(answer)
    if isinstance(answer, list | tuple):
        return " ".join(to_string(from_answer(item)) for item in answer)
    if isinstance(answer, datetime.datetime):
        return answer.date()
    if isinstance(answer, datetime.date):
        return answer
    raise ExpressionError(f"cannot use an answer of type {type(answer).__name__}")


def answer_of(answers: Mapping[str, Any], name: str) -> Value:
    """The run-time value of question ``name``; an absent key reads as unanswered."""
    try:
        return from_answer(answers.get(name))
    except ExpressionError as error:
        raise ExpressionError(f"${{{name}}}: {error.message}") from None


def truthy(value: Any) -> bool:
    """XPath ``boolean()``: false for false, 0, NaN, '' , None and empty lists; true otherwise."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        number = to_number(value)
        return number != 0 and not math.isnan(number)
    if isinstance(value, str | list | tuple):
        return len(value) > 0
    return True


def to_number(value: Any) -> float:
    """XPath ``number()``. Strings that are not numbers give NaN, except ISO dates, which give days since
    1970-01-01 like real dates do: Volna stores date answers as ISO strings, and ``${start} < ${end}``
    must compare them as dates, as ODK does."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, Decimal):
        return math.nan if value.is_nan() else float(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return float((value - EPOCH).days)
    if isinstance(value, str):
        if _XPATH_NUMBER.fullmatch(value):
            return float(value)
        day = parse_iso_date(value)
        return float((day - EPOCH).days) if day else math.nan
    if isinstance(value, list | tuple):
        return to_number(from_answer(value))
    return math.nan


def to_string(value: Any) -> str:
    """XPath ``string()``: numbers without a needless '.0', booleans as 'true'/'false', dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return format_number(to_number(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return to_string(from_answer(value))
    return str(value)


def format_number(number: float) -> str:
    """Write a number the way XPath does: ``5``, ``2.5``, ``NaN``, ``Infinity``; never an exponent."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number.is_integer():
        return str(int(number))
    text = repr(number)
    return format(Decimal(text), "f") if "e" in text else text


def parse_iso_date(text: str) -> datetime.date | None:
    """The date of an ISO ``YYYY-MM-DD`` string (a time part is ignored), or None."""
    match = _ISO_DATE.fullmatch(text)
    if not match:
        return None
    try:
        return datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def to_date(value: Value) -> datetime.date | str:
    """XLSForm ``date()``: an ISO string or a number of days since 1970-01-01; ``''`` stays ``''``."""
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        if not value.strip():
            return ""
        day = parse_iso_date(value)
        if day is None:
            raise ExpressionError(f"cannot read {value[:40]!r} as a date (expected YYYY-MM-DD)")
        return day
    if isinstance(value, bool) or not math.isfinite(value):
        raise ExpressionError(f"cannot convert {to_string(value)} to a date")
    try:
        return EPOCH + datetime.timedelta(days=math.floor(value))
    except (OverflowError, ValueError):
        raise ExpressionError(f"date out of range: {format_number(value)} days after 1970-01-01") from None


def values_equal(left: Value, right: Value) -> bool:
    """XPath ``=``: as booleans if either is one, else as numbers if either is a number or a date, else as
    strings. So ``'18' = 18`` is true, and ``'' = 18`` is false (NaN)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return truthy(left) == truthy(right)
    if isinstance(left, float | datetime.date) or isinstance(right, float | datetime.date):
        return to_number(left) == to_number(right)
    return to_string(left) == to_string(right)
