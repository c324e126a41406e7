"""What a survey-sheet row is, read from its ``type`` cell."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

from surveys.models import Question


class Kind(Enum):
    BEGIN_GROUP = "begin_group"
    END_GROUP = "end_group"
    BEGIN_REPEAT = "begin_repeat"
    END_REPEAT = "end_repeat"
    QUESTION = "question"
    SKIPPED = "skipped"  # metadata Volna never records (start, end, deviceid, ...)
    EMPTY = "empty"
    INVALID = "invalid"


@dataclass(frozen=True)
class RowKind:
    kind: Kind
    question_type: str | None = None
    list_name: str | None = None
    or_other: bool = False
    problem: str | None = None


_GROUP_WORDS = {
    ("begin_group",): Kind.BEGIN_GROUP,
    ("begin", "group"): Kind.BEGIN_GROUP,
    ("end_group",): Kind.END_GROUP,
    ("end", "group"): Kind.END_GROUP,
    ("begin_repeat",): Kind.BEGIN_REPEAT,
    ("begin", "repeat"): Kind.BEGIN_REPEAT,
    ("begin_loop",): Kind.BEGIN_REPEAT,
    ("begin", "loop"): Kind.BEGIN_REPEAT,
    ("end_repeat",): Kind.END_REPEAT,
    ("end", "repeat"): Kind.END_REPEAT,
    ("end_loop",): Kind.END_REPEAT,
    ("end", "loop"): Kind.END_REPEAT,
}
_SIMPLE = {
    "note": Question.Type.NOTE,
    "text": Question.Type.TEXT,
    "string": Question.Type.TEXT,
    "integer": Question.Type.INTEGER,
    "int": Question.Type.INTEGER,
    "decimal": Question.Type.DECIMAL,
    "date": Question.Type.DATE,
}
# Checked before the select prefixes below, which they would otherwise match.
_UNSUPPORTED_PREFIXES = (
    ("select", "one", "from", "file"),
    ("select", "multiple", "from", "file"),
    ("select", "one", "external"),
    ("select_one_from_file",),
    ("select_multiple_from_file",),
    ("select_one_external",),
)
_SELECT_PREFIXES = (
    (("select_one",), Question.Type.SELECT_ONE),
    (("select", "one"), Question.Type.SELECT_ONE),
    (("select1",), Question.Type.SELECT_ONE),
    (("select_multiple",), Question.Type.SELECT_MULTIPLE),
    (("select", "multiple"), Question.Type.SELECT_MULTIPLE),
    (("select", "all", "that", "apply"), Question.Type.SELECT_MULTIPLE),
    (("rank",), Question.Type.RANKING),
)
METADATA_TYPES = {
    "start",
    "end",
    "today",
    "deviceid",
    "imei",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "start-geopoint",
}
_OTHER_KNOWN = {"range", "hidden", "xml-external", "csv-external", "background-audio", "background-geopoint"}


def row_kind(type_text: str) -> RowKind:
    """Classify a ``type`` cell; unsupported and unknown types come back INVALID with a problem."""
    words = type_text.split()
    lowered = tuple(word.lower() for word in words)
    if not words:
        return RowKind(Kind.EMPTY)
    if lowered in _GROUP_WORDS:
        return RowKind(_GROUP_WORDS[lowered])
    if " ".join(lowered) in _SIMPLE:
        return RowKind(Kind.QUESTION, question_type=_SIMPLE[" ".join(lowered)])
    if " ".join(lowered) in METADATA_TYPES:
        return RowKind(Kind.SKIPPED)
    if any(lowered[: len(prefix)] == prefix for prefix in _UNSUPPORTED_PREFIXES):
        return _unsupported("choices from external files")
    for prefix, question_type in _SELECT_PREFIXES:
        if lowered[: len(prefix)] == prefix:
            keyword = " ".join(words[: len(prefix)])
            return _choice_kind(type_text, keyword, question_type, words[len(prefix) :])
    joined = " ".join(lowered)
    if joined in QUESTION_TYPE_DICT or lowered[0] in _OTHER_KNOWN:
        return _unsupported(f'the question type "{type_text}"')
    return RowKind(Kind.INVALID, problem=f'unknown question type "{type_text}"')


def _unsupported(feature: str) -> RowKind:
    return RowKind(Kind.INVALID, problem=f"Volna does not support {feature} (see docs/xlsform.md)")


def _choice_kind(type_text: str, keyword: str, question_type: str, rest: list[str]) -> RowKind:
    or_other = len(rest) == 2 and rest[1].lower() == "or_other"
    if or_other:
        rest = rest[:1]
    if len(rest) != 1:
        return RowKind(
            Kind.INVALID,
            problem=f'"{type_text}" should be "{keyword} <list_name>", naming a list on the choices sheet',
        )
    if or_other and question_type == Question.Type.RANKING:
        return RowKind(Kind.INVALID, problem="or_other cannot be used with rank")
    return RowKind(Kind.QUESTION, question_type=question_type, list_name=rest[0], or_other=or_other)
