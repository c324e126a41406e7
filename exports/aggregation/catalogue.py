"""What a wave's aggregates are made of, read from its questionnaire snapshot.

- every select_one and select_multiple question, and every matrix item as a select_one question named
  by its item variable (label "<question>: <item>", the export's variable label);
- every integer and decimal question (numbers);
- every section, for the completion funnel.

Ranking, text and date questions have no place in the dashboard's figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from surveys.models import Question
from surveys.snapshot import iter_questions

Labels = dict[str, str]
SELECT_ONE = Question.Type.SELECT_ONE.value
SELECT_MULTIPLE = Question.Type.SELECT_MULTIPLE.value
NUMBER_TYPES = frozenset({Question.Type.INTEGER.value, Question.Type.DECIMAL.value})


@dataclass(frozen=True)
class SelectVariable:
    """A question answered with one code (select_one, matrix item) or several (select_multiple)."""

    name: str
    type: str  # SELECT_ONE or SELECT_MULTIPLE
    label: Labels
    section: str
    choices: dict[str, Labels] = field(default_factory=dict)  # code → label, in list order

    @property
    def multiple(self) -> bool:
        return self.type == SELECT_MULTIPLE


@dataclass(frozen=True)
class NumberVariable:
    name: str
    label: Labels
    section: str


@dataclass(frozen=True)
class SectionInfo:
    name: str
    label: Labels


@dataclass(frozen=True)
class Catalogue:
    selects: tuple[SelectVariable, ...]
    numbers: tuple[NumberVariable, ...]
    sections: tuple[SectionInfo, ...]

    def select(self, name: str) -> SelectVariable | None:
        return next((variable for variable in self.selects if variable.name == name), None)


def code_labels(variable: SelectVariable, code: str, languages: Sequence[str]) -> Labels:
    """The label of ``code``; an unlisted code is its own label in every language."""
    return dict(variable.choices[code]) if code in variable.choices else dict.fromkeys(languages, code)


def row_codes(variable: SelectVariable, found: Iterable[str]) -> list[str]:
    """Listed codes in list order, then codes found but not listed, sorted."""
    return [*variable.choices, *sorted(set(found) - set(variable.choices), key=str)]


def _joined(first: Labels, second: Labels) -> Labels:
    languages = list(dict.fromkeys([*first, *second]))
    return {lang: f"{first.get(lang, '')}: {second.get(lang, '')}".strip(": ") for lang in languages}


def _choices(snapshot: dict[str, Any], list_name: str | None) -> dict[str, Labels]:
    return {
        choice["code"]: dict(choice["label"]) for choice in snapshot["choice_lists"].get(list_name or "", [])
    }


def catalogue_of(snapshot: dict[str, Any]) -> Catalogue:
    """The selects, numbers and sections of a compiled snapshot, in questionnaire order."""
    selects: list[SelectVariable] = []
    numbers: list[NumberVariable] = []
    for section, question in iter_questions(snapshot):
        kind, name, label = question["type"], question["name"], dict(question["label"])
        if kind in (SELECT_ONE, SELECT_MULTIPLE):
            choices = _choices(snapshot, question["choice_list"])
            selects.append(SelectVariable(name, kind, label, section["name"], choices))
        elif kind == Question.Type.MATRIX:
            choices = _choices(snapshot, question["choice_list"])
            selects += [
                SelectVariable(
                    item["name"], SELECT_ONE, _joined(label, item["label"]), section["name"], choices
                )
                for item in question["items"]
            ]
        elif kind in NUMBER_TYPES:
            numbers.append(NumberVariable(name, label, section["name"]))
    sections = tuple(SectionInfo(section["name"], dict(section["title"])) for section in snapshot["sections"])
    return Catalogue(tuple(selects), tuple(numbers), sections)
