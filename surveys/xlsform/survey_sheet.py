"""Read the survey sheet into sections and questions.

A top-level group is a section (one page); questions outside any group go into an automatic section;
a group with appearance ``table-list`` directly inside a page group is one matrix question whose items
are its select_one rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyxform.aliases import yes_no

from surveys.models import Question
from surveys.xlsform.columns import ENDS_SURVEY_COLUMN, TextColumn
from surveys.xlsform.drafts import QuestionDraft, SectionDraft
from surveys.xlsform.errors import XLSFormProblem
from surveys.xlsform.kinds import Kind, RowKind, row_kind
from surveys.xlsform.workbook import Row, Sheet

MAX_APPEARANCE = 100
_PARAMETER_SPLIT_RE = re.compile(r"[\s,;]+")
_RANDOMIZABLE = (Question.Type.SELECT_ONE, Question.Type.SELECT_MULTIPLE, Question.Type.RANKING)


@dataclass
class _Open:
    """A begin_group/begin_repeat row not yet closed."""

    kind: str  # "section", "matrix", "group" (unsupported nesting) or "repeat"
    row: Row
    matrix: QuestionDraft | None = None


class SurveySheetReader:
    """Walks the survey sheet once, collecting sections and every problem found."""

    def __init__(self, sheet: Sheet, texts: list[TextColumn]) -> None:
        self.sheet = sheet
        self.texts = texts
        self.columns = {
            key: sheet.header(key)
            for key in ("type", "name", "required", "constraint", "appearance", "parameters")
        }
        self.columns["relevant"] = sheet.header("relevant") or sheet.header("relevance")
        self.columns["ends_survey"] = sheet.header(ENDS_SURVEY_COLUMN)
        self.label_header = next((t.header for t in texts if t.field == "label"), None)
        self.sections: list[SectionDraft] = []
        self.problems: list[XLSFormProblem] = []
        self.stack: list[_Open] = []
        self.section: SectionDraft | None = None

    def read(self) -> tuple[list[SectionDraft], list[XLSFormProblem]]:
        """The sections in sheet order, and every problem found."""
        for key in ("type", "name"):
            if not self.columns[key]:
                self.problems.append(self.sheet.problem(f'the sheet has no "{key}" column', row=1))
        if not self.label_header:
            self.problems.append(
                self.sheet.problem('the sheet has no label column (e.g. "label::English (en)")', row=1)
            )
        if self.problems:
            return [], self.problems
        for row in self.sheet.rows:
            self._row(row, row_kind(row.get(self.columns["type"])))
        for still_open in self.stack:
            self._problem(still_open.row, "type", f'"{self._type(still_open.row)}" has no matching end row')
        return self.sections, self.problems

    def _row(self, row: Row, kind: RowKind) -> None:
        if kind.kind is not Kind.BEGIN_GROUP and row.get(self.columns["ends_survey"]):
            self._problem(row, "ends_survey", "ends_survey applies only to begin_group rows")
        if kind.kind is Kind.EMPTY:
            if row.get(self.columns["name"]) or self._texts(row, "label"):
                self._problem(row, "type", "this row has a name or label but no type")
        elif kind.kind is Kind.INVALID:
            self._problem(row, "type", kind.problem or "invalid type")
            # keep its name, so that duplicates are still found and references to it are not reported
            self._section().questions.append(
                QuestionDraft(name=row.get(self.columns["name"]), type="", row=row.number)
            )
        elif kind.kind is Kind.BEGIN_GROUP:
            self._begin_group(row)
        elif kind.kind is Kind.BEGIN_REPEAT:
            self._problem(row, "type", "repeats (begin_repeat) are not supported by Volna")
            self.stack.append(_Open("repeat", row))
        elif kind.kind in (Kind.END_GROUP, Kind.END_REPEAT):
            self._end(row, kind.kind)
        elif kind.kind is Kind.QUESTION:
            self._question(row, kind)

    def _begin_group(self, row: Row) -> None:
        if not self.stack:
            self.section = SectionDraft(
                name=self._name(row),
                row=row.number,
                title=self._texts(row, "label"),
                relevant=row.get(self.columns["relevant"]),
                ends_survey=self._yes_no(row, "ends_survey"),
            )
            self.sections.append(self.section)
            if self._texts(row, "hint"):
                self._problem(row, "hint", "a page (top-level group) cannot have a hint; use a note")
            self.stack.append(_Open("section", row))
            return
        if row.get(self.columns["ends_survey"]):
            self._problem(row, "ends_survey", "ends_survey applies only to page (top-level) groups")
        if self.stack[-1].kind == "section" and "table-list" in self._appearance(row).split():
            matrix = self._draft(row, Question.Type.MATRIX)
            # the type says "grid"; keep only what else the appearance asks for
            matrix.appearance = " ".join(t for t in matrix.appearance.split() if t != "table-list")
            self._section().questions.append(matrix)
            self.stack.append(_Open("matrix", row, matrix))
            return
        self._problem(
            row,
            "type",
            "groups inside groups are supported only as a grid: appearance table-list, directly "
            "inside a page group",
        )
        self.stack.append(_Open("group", row))

    def _end(self, row: Row, kind: Kind) -> None:
        if not self.stack:
            self._problem(row, "type", f'"{self._type(row)}" has no matching begin row')
            return
        closed = self.stack.pop()
        if (closed.kind == "repeat") != (kind is Kind.END_REPEAT):
            self._problem(
                row, "type", f'"{self._type(row)}" closes the group begun in row {closed.row.number}'
            )
        if closed.matrix is not None and not closed.matrix.items:
            self._problem(closed.row, "type", "a table-list group needs at least one select_one row")
        if not self.stack:
            self.section = None

    def _question(self, row: Row, kind: RowKind) -> None:
        question = self._draft(row, kind.question_type or "")
        question.list_name = kind.list_name
        question.has_other = kind.or_other
        if question.randomize and question.type not in _RANDOMIZABLE:
            self._problem(row, "parameters", "randomize applies only to select and rank questions")
        if self.stack and self.stack[-1].matrix is not None:
            self._add_item(self.stack[-1].matrix, question, row)
        else:
            self._section().questions.append(question)

    def _add_item(self, matrix: QuestionDraft, item: QuestionDraft, row: Row) -> None:
        if item.type != Question.Type.SELECT_ONE or item.has_other:
            self._problem(row, "type", "a table-list grid may hold only select_one rows (without or_other)")
            return
        if item.constraint:
            self._problem(row, "constraint", "constraints on the rows of a grid are not supported")
        if matrix.list_name is None:
            matrix.list_name = item.list_name
        elif item.list_name != matrix.list_name:
            self._problem(
                row, "type", f'every row of grid "{matrix.name}" must use list "{matrix.list_name}"'
            )
        matrix.items.append(item)

    def _section(self) -> SectionDraft:
        """The open page group, or the automatic page for questions outside any group."""
        if self.section is None:
            self.section = SectionDraft(name="", row=None)
            self.sections.append(self.section)
        return self.section

    def _draft(self, row: Row, question_type: str) -> QuestionDraft:
        if not self._texts(row, "label"):
            self._problem(row, "label", "the question has no label")
        return QuestionDraft(
            name=self._name(row),
            type=question_type,
            row=row.number,
            label=self._texts(row, "label"),
            hint=self._texts(row, "hint"),
            constraint_message=self._texts(row, "constraint_message"),
            required=self._yes_no(row, "required"),
            relevant=row.get(self.columns["relevant"]),
            constraint=row.get(self.columns["constraint"]),
            appearance=self._appearance(row),
            randomize=self._randomize(row),
        )

    def _name(self, row: Row) -> str:
        name = row.get(self.columns["name"])
        if not name:
            self._problem(row, "name", "the name is empty")
        return name

    def _texts(self, row: Row, field: str) -> dict[str, str]:
        return {t.language: row.get(t.header) for t in self.texts if t.field == field and row.get(t.header)}

    def _appearance(self, row: Row) -> str:
        appearance = row.get(self.columns["appearance"])
        if len(appearance) > MAX_APPEARANCE:
            self._problem(row, "appearance", f"longer than {MAX_APPEARANCE} characters")
        return appearance

    def _yes_no(self, row: Row, key: str) -> bool:
        value = row.get(self.columns[key])
        if value and value not in yes_no:
            hint = " (a conditional required is not supported)" if key == "required" else ""
            self._problem(row, key, f'"{value}" should be yes or no{hint}')
        return yes_no.get(value, False)

    def _randomize(self, row: Row) -> bool:
        for parameter in _PARAMETER_SPLIT_RE.split(row.get(self.columns["parameters"])):
            key, _sep, value = parameter.partition("=")
            if key.strip().lower() == "randomize":
                if value.strip() not in yes_no:
                    self._problem(row, "parameters", f'randomize should be true or false, not "{value}"')
                return yes_no.get(value.strip(), False)
        return False

    def _type(self, row: Row) -> str:
        return row.get(self.columns["type"])

    def _problem(self, row: Row, key: str, message: str) -> None:
        """Record a problem at ``row``, in the column of ``key`` (a column key or a text field)."""
        if key in self.columns:
            header = self.columns[key]
        else:
            header = self._text_header(row, key) or (self.label_header if key == "label" else None)
        self.problems.append(self.sheet.problem(message, row.number, header))

    def _text_header(self, row: Row, field: str) -> str | None:
        return next((t.header for t in self.texts if t.field == field and row.get(t.header)), None)
