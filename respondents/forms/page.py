"""The respondent's page: one form for one section of a compiled snapshot, in one language.

The form reads only the snapshot (``surveys.snapshot``), never the editing tables. Every question of the
section gets its fields; which of them count is decided after parsing, in questionnaire order, from the
stored answers plus this page's own typed values (same-page conditions). Questions that are not relevant
are ignored entirely: nothing they posted is validated or stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from respondents.flow import choice_order, is_true
from respondents.forms import fields as answer_fields
from surveys.snapshot import variable_names
from surveys.translation import text_in

NOT_VALID = _("This answer is not valid.")
INVALID_VALUE = _("Enter a valid value.")  # Django's own message: already translated
EMPTY = (None, "", [])


@dataclass(frozen=True)
class Unit:
    """Something on the page that can be shown or hidden: a question, or one item of a matrix."""

    name: str
    question: dict[str, Any]
    item: dict[str, Any] | None = None

    @property
    def relevant_ast(self) -> Any:
        return (self.item or self.question)["relevant_ast"]

    @property
    def required(self) -> bool:
        return bool(self.question["required"] or (self.item and self.item["required"]))


def chose_other(value: Any) -> bool:
    return value == "other" or (isinstance(value, list) and "other" in value)


class PageForm(forms.Form):
    """The fields of one section. See ``respondents/forms/__init__.py`` for how views use it."""

    # Browsers must not block a submit on a hidden required input: the server decides (and translates).
    use_required_attribute = False

    def __init__(
        self,
        *,
        snapshot: dict[str, Any],
        section: dict[str, Any],
        language: str,
        answers: dict[str, Any],
        seed: str,
        data: QueryDict | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.section = section
        self.language = language
        self.default_language = snapshot.get("default_language") or language
        self.seed = seed
        self.answers = answers
        self.page_variables = {name for q in section["questions"] for name in variable_names(q)}
        self.earlier_answers = {k: v for k, v in answers.items() if k not in self.page_variables}
        initial = {name: answers[name] for name in self.page_variables if answers.get(name) not in EMPTY}
        super().__init__(data=data, initial=initial, auto_id="id_%s")
        self.units: list[Unit] = []
        self.choices: dict[str, list[dict[str, Any]]] = {}  # question name -> choices in display order
        for question in section["questions"]:
            self._add_question(question)
        self.posted_shown = self._posted_shown(data)
        self._shown_units: list[str] | None = None
        self._values: dict[str, Any] = {}

    # -- building ------------------------------------------------------------------------------------

    def text(self, texts: dict[str, str] | None) -> str:
        """A snapshot text in the respondent's language, else the survey's default language."""
        return text_in(texts, self.language, self.default_language)

    def _add_question(self, question: dict[str, Any]) -> None:
        name, kind = question["name"], question["type"]
        self.units.append(Unit(name, question))
        listed = self.snapshot["choice_lists"].get(question.get("choice_list") or "", [])
        shown_choices = choice_order(listed, question, self.seed)
        self.choices[name] = shown_choices
        pairs = [(c["code"], self.text(c["label"])) for c in shown_choices]
        appearance = (question.get("appearance") or "").split()
        if kind == "select_one":
            self.fields[name] = answer_fields.SingleChoiceField(
                choices=pairs, dropdown="minimal" in appearance
            )
        elif kind == "select_multiple":
            order = [c["code"] for c in listed]
            self.fields[name] = answer_fields.MultipleChoiceAnswerField(choices=pairs, order=order)
        elif kind == "text":
            self.fields[name] = answer_fields.TextAnswerField(multiline="multiline" in appearance)
        elif kind == "integer":
            self.fields[name] = answer_fields.IntegerAnswerField()
        elif kind == "decimal":
            self.fields[name] = answer_fields.DecimalAnswerField()
        elif kind == "date":
            self.fields[name] = answer_fields.DateAnswerField()
        elif kind == "ranking":
            self.fields[name] = answer_fields.RankingField(codes=[c["code"] for c in shown_choices])
        elif kind == "matrix":
            for item in question["items"]:
                self.units.append(Unit(item["name"], question, item))
                self.fields[item["name"]] = answer_fields.SingleChoiceField(choices=pairs)
        if question.get("has_other") and question.get("other_name"):
            self.fields[question["other_name"]] = answer_fields.TextAnswerField()

    @property
    def post_keys(self) -> set[str]:
        """Every POST key this page reads: its field names, and '<name>:<code>' for each ranked choice."""
        keys = set(self.fields)
        for name, field in self.fields.items():
            if isinstance(field, answer_fields.RankingField):
                keys.update(f"{name}:{code}" for code in field.codes)
        return keys

    @staticmethod
    def _posted_shown(data: QueryDict | None) -> set[str] | None:
        if data is None or "volna_shown" not in data:
            return None
        return {name.strip() for name in str(data.get("volna_shown", ""))[:20_000].split(",") if name.strip()}

    # -- relevance -----------------------------------------------------------------------------------

    def _walk(self, values: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
        """The shown units in page order, and the answers they see (earlier pages + this page so far).

        Expressions refer only to earlier questions, so one pass in order is exact: a hidden question
        contributes nothing, and whatever depends on it sees it unanswered.
        """
        context = dict(self.earlier_answers)
        shown: list[str] = []
        for unit in self.units:
            parent_hidden = unit.item is not None and unit.question["name"] not in shown
            if parent_hidden or not is_true(unit.relevant_ast, context):
                continue
            shown.append(unit.name)
            if unit.item is not None:
                names = [unit.name]
            elif unit.question["type"] == "matrix":
                names = []  # each item is a unit of its own, with its own relevance
            else:
                names = variable_names(unit.question)
            for name in names:
                if values.get(name) not in EMPTY:
                    context[name] = values[name]
            other = unit.question.get("other_name")
            if unit.item is None and other in context and not chose_other(context.get(unit.name)):
                del context[other]
        return shown, context

    @property
    def shown_units(self) -> list[str]:
        """Names of the questions and matrix items shown on this rendering, in page order."""
        if self._shown_units is None:
            if self.is_bound:
                self.errors  # noqa: B018 -- parsing the data decides what is shown
            else:
                self._shown_units, _context = self._walk(self.initial)
        return self._shown_units or []

    @property
    def shown(self) -> list[str]:
        """Names of the top-level questions shown on this rendering."""
        tops = {q["name"] for q in self.section["questions"]}
        return [name for name in self.shown_units if name in tops]

    @property
    def shown_value(self) -> str:
        """The value of the hidden ``volna_shown`` input (relevant.js keeps it current)."""
        return ",".join(self.shown_units)

    # -- validation ----------------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        for name in self._repeated_single_values():
            self.add_error(name, INVALID_VALUE)
        cleaned = self.cleaned_data
        typed = {name: value for name, value in cleaned.items() if name not in self._errors}
        shown, context = self._walk(typed)
        self._shown_units = shown
        relevant = self._relevant_fields(shown)
        for name in list(self.fields):
            if name not in relevant:  # hidden: whatever it posted does not count
                self._errors.pop(name, None)
                cleaned.pop(name, None)
        for unit in self.units:
            if unit.name in shown:
                self._check_unit(unit, typed, context)
        # a shown question left empty is kept as None ("shown, not answered", unlike a question
        # never shown, which has no key at all); an "other" text counts as shown only with "other"
        unchosen_others = {
            unit.question["other_name"]
            for unit in self.units
            if unit.item is None and unit.question.get("other_name") and not chose_other(typed.get(unit.name))
        }
        # without JavaScript, a question made relevant by an answer on this page was not displayed:
        # left empty, it was not seen (unless the browser says it showed it)
        unit_of = {unit.name: unit.name for unit in self.units}
        unit_of.update(
            {unit.question["other_name"]: unit.name for unit in self.units if unit.question.get("other_name")}
        )
        displayed = self.posted_shown
        self._values = {}
        for name in relevant:
            value = typed[name] if name in context and typed.get(name) not in EMPTY else None
            if name in unchosen_others:
                continue
            if value is None and displayed is not None and unit_of.get(name, name) not in displayed:
                continue
            self._values[name] = value
        return cleaned

    def _repeated_single_values(self) -> list[str]:
        """Fields that take one value but were posted several (a hand-made request): each is an error."""
        getlist = getattr(self.data, "getlist", None)
        if getlist is None:
            return []
        repeated = []
        for name, field in self.fields.items():
            if isinstance(field, answer_fields.MultipleChoiceAnswerField) or name in self._errors:
                continue
            keys = (
                [f"{name}:{code}" for code in field.codes]
                if isinstance(field, answer_fields.RankingField)
                else [name]
            )
            if any(len(getlist(key)) > 1 for key in keys):
                repeated.append(name)
        return repeated

    def _relevant_fields(self, shown: list[str]) -> set[str]:
        names: set[str] = set()
        for unit in self.units:
            if unit.name not in shown:
                continue
            if unit.item is not None:
                names.add(unit.name)
            elif unit.question["type"] not in ("note", "matrix"):
                names.add(unit.name)
                if unit.question.get("other_name"):
                    names.add(unit.question["other_name"])
        return names & set(self.fields)  # a question of a type this version does not know asks nothing

    def _check_unit(self, unit: Unit, typed: dict[str, Any], context: dict[str, Any]) -> None:
        question = unit.question
        if question["type"] == "note" or (question["type"] == "matrix" and unit.item is None):
            return
        newly_shown = self.posted_shown is not None and unit.name not in self.posted_shown
        if unit.name in self._errors:
            return
        value = typed.get(unit.name)
        if value in EMPTY:
            if unit.required and not newly_shown:
                self.add_error(unit.name, forms.Field.default_error_messages["required"])
            return
        other = question.get("other_name")
        other_missing = unit.item is None and other and chose_other(value) and typed.get(other) in EMPTY
        if other_missing and other not in self._errors and not newly_shown:
            self.add_error(other, forms.Field.default_error_messages["required"])
        constraint = question.get("constraint_ast")
        if constraint is not None and not is_true(constraint, context, current=value):
            self.add_error(unit.name, self.text(question.get("constraint_message")) or NOT_VALID)

    # -- results -------------------------------------------------------------------------------------

    def page_answers(self) -> dict[str, Any]:
        """After ``is_valid()``: this page's typed answers by variable name, for the shown questions
        (None for one left empty)."""
        return self._answers_without_errors()

    def partial_answers(self) -> dict[str, Any]:
        """After ``is_valid()`` returned False: the answers that did validate (kept when going Back)."""
        return self._answers_without_errors()

    def _answers_without_errors(self) -> dict[str, Any]:
        if self._errors is None:
            self.full_clean()
        # a field in error counts as shown and unanswered (None): its value is not kept
        return {name: None if name in self._errors else value for name, value in self._values.items()}

    def newly_shown(self) -> list[str]:
        """After ``is_valid()``: units relevant now that the browser did not show (no JavaScript ran)."""
        if self.posted_shown is None:
            return []
        return [name for name in self.shown_units if name not in self.posted_shown]

    def logic(self) -> dict[str, Any] | None:
        """What relevant.js needs: each unit's relevant AST, and the earlier answers those ASTs read."""
        rules = {unit.name: unit.relevant_ast for unit in self.units if unit.relevant_ast is not None}
        if not rules:
            return None
        names: set[str] = set()
        for ast in rules.values():
            _references(ast, names)
        answers = {name: self.earlier_answers[name] for name in sorted(names) if name in self.earlier_answers}
        return {"rules": rules, "answers": answers}

    def error_summary(self) -> list[dict[str, str]]:
        """The errors in page order, each with the id of the input to link to and the question label."""
        errors = self.errors
        return [
            {"href": f"#{self.focus_id(name)}", "label": self.label_of(name), "message": str(message)}
            for name in self.fields
            for message in errors.get(name, ())
        ]

    def focus_id(self, name: str) -> str:
        """The id of the first input of field ``name`` (what an error link jumps to)."""
        field = self.fields[name]
        if isinstance(field, answer_fields.RankingField):
            return f"id_{name}_rank_0"
        if isinstance(field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            return f"id_{name}_0"
        return f"id_{name}"

    def label_of(self, name: str) -> str:
        for unit in self.units:
            if unit.name == name:
                label = self.text(unit.question["label"])
                return f"{label} — {self.text(unit.item['label'])}" if unit.item else label
            if unit.question.get("other_name") == name:
                return f"{self.text(unit.question['label'])} — {answer_fields.OTHER_LABEL}"
        return name


def _references(ast: Any, names: set[str]) -> None:
    """Add the names that ``${...}`` reads in a JSON expression tree (surveys.expressions.serialize)."""
    stack = [ast]
    while stack:
        node = stack.pop()
        if isinstance(node, list) and node:
            if node[0] == "ref" and len(node) == 2:
                names.add(node[1])
            else:
                stack.extend(node[1:])
