"""What the preview page shows: a compiled snapshot resolved into one language.

Texts missing in the language fall back to the source language and are flagged, so the researcher
sees what is left to translate. Templates escape everything (no ``|safe``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from surveys.models import Question


@dataclass
class PreviewText:
    value: str
    fallback: bool  # shown in the source language because this language lacks it


@dataclass
class PreviewChoice:
    code: str
    label: PreviewText | None


@dataclass
class PreviewQuestion:
    name: str
    type: str
    type_label: str
    widget: str
    label: PreviewText | None
    hint: PreviewText | None
    required: bool
    relevant: str | None
    constraint: str | None
    constraint_message: PreviewText | None
    appearance: str
    has_other: bool
    randomize: bool
    choices: list[PreviewChoice] = field(default_factory=list)
    items: list[PreviewQuestion] = field(default_factory=list)


@dataclass
class PreviewSection:
    name: str
    title: PreviewText | None
    relevant: str | None
    ends_survey: bool
    questions: list[PreviewQuestion]


@dataclass
class Preview:
    title: PreviewText | None
    language: str
    source_language: str
    sections: list[PreviewSection]


_WIDGETS = {
    Question.Type.NOTE: "note",
    Question.Type.SELECT_ONE: "radio",
    Question.Type.SELECT_MULTIPLE: "checkbox",
    Question.Type.MATRIX: "matrix",
    Question.Type.RANKING: "ranking",
    Question.Type.INTEGER: "number",
    Question.Type.DECIMAL: "number",
    Question.Type.DATE: "date",
}


class _Resolver:
    def __init__(self, language: str, source_language: str) -> None:
        self.language = language
        self.source_language = source_language

    def text(self, texts: Mapping[str, Any] | None) -> PreviewText | None:
        texts = texts or {}
        own = str(texts.get(self.language, "")).strip()
        if own:
            return PreviewText(own, fallback=False)
        source = str(texts.get(self.source_language, "")).strip()
        return PreviewText(source, fallback=True) if source else None


def _widget(question: Mapping[str, Any]) -> str:
    if question["type"] == Question.Type.TEXT and "multiline" in (question.get("appearance") or ""):
        return "textarea"
    return _WIDGETS.get(question["type"], "text")


def _type_label(type_code: str) -> str:
    try:
        return str(Question.Type(type_code).label)
    except ValueError:
        return type_code


def _question(question: Mapping[str, Any], lists: Mapping[str, Any], resolve: _Resolver) -> PreviewQuestion:
    choices = [
        PreviewChoice(code=str(choice["code"]), label=resolve.text(choice.get("label")))
        for choice in lists.get(question.get("choice_list") or "", [])
    ]
    items = [
        _question({**item, "type": Question.Type.SELECT_ONE, "choice_list": None}, lists, resolve)
        for item in question.get("items") or []
    ]
    return PreviewQuestion(
        name=question["name"],
        type=question["type"],
        type_label=_type_label(question["type"]),
        widget=_widget(question),
        label=resolve.text(question.get("label")),
        hint=resolve.text(question.get("hint")),
        required=bool(question.get("required")),
        relevant=question.get("relevant"),
        constraint=question.get("constraint"),
        constraint_message=resolve.text(question.get("constraint_message")),
        appearance=question.get("appearance") or "",
        has_other=bool(question.get("has_other")),
        randomize=bool(question.get("randomize")),
        choices=choices,
        items=items,
    )


def preview_build(snapshot: Mapping[str, Any], language: str) -> Preview:
    """Resolve ``snapshot`` (format 1, see surveys.snapshot) into ``language`` for display."""
    resolve = _Resolver(language, snapshot["default_language"])
    lists = snapshot.get("choice_lists") or {}
    sections = [
        PreviewSection(
            name=section["name"],
            title=resolve.text(section.get("title")),
            relevant=section.get("relevant"),
            ends_survey=bool(section.get("ends_survey")),
            questions=[_question(q, lists, resolve) for q in section.get("questions") or []],
        )
        for section in snapshot["sections"]
    ]
    return Preview(
        title=resolve.text(snapshot.get("title")),
        language=language,
        source_language=snapshot["default_language"],
        sections=sections,
    )
