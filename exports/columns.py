"""The column plan of an export: which columns, in what order, holding what, labelled how.

One plan serves every format (CSV, SPSS, Stata, codebook) and both paths that fill it (SQL in
PostgreSQL, Python elsewhere). Conventions (docs/exports.md):

- select_one → one column of codes (or labels);
- select_multiple → one 0/1 column per choice, ``<variable>_<code>``, empty when the question has no
  answer (not shown or skipped), plus ``<variable>_other`` for "other, specify";
- matrix → one column per item; ranking → ``<variable>_1`` … ``<variable>_n``, the code at each rank;
- text, integer, decimal, date → one column each (dates ISO).

Column names are valid SPSS and Stata names (``^[a-z][a-z0-9_]{0,31}$``): choice codes are
lower-cased and cleaned, and a name that would be too long or taken is shortened with a numeric
suffix, never silently merged with another.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from surveys.models import Question
from surveys.snapshot import iter_questions

MAX_NAME = 32


class Kind:
    CODE = "code"  # select_one and matrix items: a choice code
    DUMMY = "dummy"  # one choice of a select_multiple: 1, 0 or empty
    RANK = "rank"  # the code ranked at position ``rank``
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"

    NUMERIC = frozenset({DUMMY, INTEGER, DECIMAL})
    LABELLED = frozenset({CODE, RANK})


@dataclass(frozen=True)
class Column:
    """One column of an export."""

    name: str  # the column's name in every format
    variable: str  # the answer key it reads in Response.answers
    kind: str  # a Kind
    label: dict[str, str]  # variable label per language
    question: str  # the question (or matrix item) it comes from
    choice: str | None = None  # DUMMY: the choice code this column counts
    rank: int | None = None  # RANK: 1-based position
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)  # code → {language: label}
    relevant: str | None = None  # the question's condition, for the codebook
    wave: int | None = None  # panel_wide: the wave number whose answers fill this column

    def value(self, answers: dict[str, Any]) -> Any:
        """This column's typed value for one response's answers (None when empty)."""
        raw = answers.get(self.variable)
        if raw is None:
            return None
        if self.kind == Kind.DUMMY:
            return 1 if isinstance(raw, list) and self.choice in raw else 0
        if self.kind == Kind.RANK:
            return raw[self.rank - 1] if isinstance(raw, list) and len(raw) >= (self.rank or 0) else None
        return raw


def clean_code(code: str) -> str:
    """A choice code as a name fragment: lower case, [a-z0-9_] only."""
    cleaned = re.sub(r"[^a-z0-9_]+", "_", code.lower()).strip("_")
    return cleaned or "x"


class _Names:
    """Hands out unique, valid column names."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def claim(self, wanted: str) -> str:
        name = wanted[:MAX_NAME]
        counter = 2
        while name in self.taken:
            suffix = f"_{counter}"
            name = wanted[: MAX_NAME - len(suffix)] + suffix
            counter += 1
        self.taken.add(name)
        return name


def _labels(lists: dict[str, list[dict]], list_name: str | None) -> dict[str, dict[str, str]]:
    return {choice["code"]: dict(choice["label"]) for choice in lists.get(list_name or "", [])}


def _joined(first: dict[str, str], second: dict[str, str]) -> dict[str, str]:
    return {lang: f"{text}: {second.get(lang, '')}".rstrip(": ") for lang, text in first.items()}


def _question_columns(question: dict[str, Any], lists: dict[str, list[dict]], names: _Names) -> list[Column]:
    kind, name, label = question["type"], question["name"], question["label"]
    value_labels = _labels(lists, question["choice_list"])
    common = {"question": name, "relevant": question["relevant"]}
    if kind == Question.Type.NOTE:
        return []
    if kind == Question.Type.MATRIX:
        return [
            Column(
                names.claim(item["name"]),
                item["name"],
                Kind.CODE,
                _joined(label, item["label"]),
                question=item["name"],
                value_labels=value_labels,
                relevant=item["relevant"] or question["relevant"],
            )
            for item in question["items"]
        ]
    if kind == Question.Type.SELECT_MULTIPLE:
        columns = [
            Column(
                names.claim(f"{name}_{clean_code(code)}"),
                name,
                Kind.DUMMY,
                _joined(label, texts),
                choice=code,
                **common,
            )
            for code, texts in value_labels.items()
        ]
    elif kind == Question.Type.RANKING:
        columns = [
            Column(
                names.claim(f"{name}_{position}"),
                name,
                Kind.RANK,
                {lang: f"{text} ({position})" for lang, text in label.items()},
                rank=position,
                value_labels=value_labels,
                **common,
            )
            for position in range(1, len(value_labels) + 1)
        ]
    else:
        column_kind = {
            Question.Type.SELECT_ONE: Kind.CODE,
            Question.Type.INTEGER: Kind.INTEGER,
            Question.Type.DECIMAL: Kind.DECIMAL,
            Question.Type.DATE: Kind.DATE,
        }.get(kind, Kind.TEXT)
        labels = value_labels if column_kind == Kind.CODE else {}
        columns = [Column(names.claim(name), name, column_kind, dict(label), value_labels=labels, **common)]
    if question.get("other_name"):
        other = question["other_name"]
        columns.append(Column(names.claim(other), other, Kind.TEXT, _joined(label, {"": ""}), **common))
    return columns


def column_plan(snapshots: Iterable[dict[str, Any]], reserved: Iterable[str] = ()) -> list[Column]:
    """The answer columns for responses to these versions, in questionnaire order.

    Several versions (waves of a panel) are aligned by variable name: a variable keeps the place
    where it first appears; one that a later version adds goes after the ones before it.
    ``reserved`` names are taken already (the export's meta columns): a variable called
    ``language`` becomes the column ``language_2``.
    """
    names = _Names()
    names.taken.update(reserved)
    plan: list[Column] = []
    seen_variables: dict[tuple[str, str | None, int | None], Column] = {}
    for snapshot in snapshots:
        lists = snapshot["choice_lists"]
        for _section, question in iter_questions(snapshot):
            for column in _question_columns(question, lists, _Names()):
                key = (column.variable, column.choice, column.rank)
                if key in seen_variables:
                    continue
                column = Column(**{**column.__dict__, "name": names.claim(column.name)})
                seen_variables[key] = column
                plan.append(column)
    return plan
