"""A form read from the workbook, not yet saved: what the importer checks and then writes.

Every draft remembers its spreadsheet row so later checks (names, expressions) can point at it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from surveys.models import Question


@dataclass
class ChoiceDraft:
    code: str
    label: dict[str, str]
    row: int | None


@dataclass
class ListDraft:
    name: str
    row: int | None
    choices: list[ChoiceDraft] = field(default_factory=list)


@dataclass
class QuestionDraft:
    name: str
    type: str
    row: int
    label: dict[str, str] = field(default_factory=dict)
    hint: dict[str, str] = field(default_factory=dict)
    constraint_message: dict[str, str] = field(default_factory=dict)
    required: bool = False
    relevant: str = ""
    constraint: str = ""
    appearance: str = ""
    list_name: str | None = None
    has_other: bool = False
    randomize: bool = False
    items: list[QuestionDraft] = field(default_factory=list)

    @property
    def answer_names(self) -> list[str]:
        """The variables this question stores (none for a note or a matrix: its items do)."""
        if self.type in (Question.Type.NOTE, Question.Type.MATRIX):
            return []
        return [self.name, f"{self.name}_other"] if self.has_other else [self.name]


@dataclass
class SectionDraft:
    name: str
    row: int | None  # None for an automatic section (questions outside any group)
    title: dict[str, str] = field(default_factory=dict)
    relevant: str = ""
    ends_survey: bool = False
    questions: list[QuestionDraft] = field(default_factory=list)


@dataclass
class FormDraft:
    sections: list[SectionDraft]
    lists: dict[str, ListDraft]

    def questions(self) -> Iterator[QuestionDraft]:
        """Every question, matrix items right after their matrix, in form order."""
        for section in self.sections:
            for question in section.questions:
                yield question
                yield from question.items
