"""The translation grid: every string of a version in every survey language, side by side.

Reads a constant number of queries whatever the size of the version (survey, pages, questions,
choices); saves only the cells whose text changed, through ``services.translation_set``, in one
transaction, source language first so new translations record the new source text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys import services
from surveys.models import Choice, Question, Questionnaire
from surveys.translation import TranslatableModel

STATE_LABELS = {"missing": gettext_lazy("missing"), "stale": gettext_lazy("outdated")}


@dataclass
class GridCell:
    name: str
    language: str
    text: str
    state: str  # "source", "ok", "missing" or "stale"

    @property
    def flagged(self) -> bool:
        return self.state in STATE_LABELS

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS.get(self.state, ""))


@dataclass
class GridRow:
    obj: TranslatableModel
    kind: str
    field: str
    where: str
    cells: list[GridCell] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return any(cell.flagged for cell in self.cells)


@dataclass
class LanguageCount:
    language: str
    is_source: bool
    missing: int
    stale: int
    total: int


@dataclass
class GridPage:
    source_language: str
    languages: list[str]
    shown_languages: list[str]
    column: str
    only_flagged: bool
    rows: list[GridRow]
    counts: list[LanguageCount]
    total_rows: int
    too_many_fields: bool


def _has_text(texts: Mapping[str, str] | None) -> bool:
    return any(str(v).strip() for v in (texts or {}).values())


def _question_entries(question: Question, where: str) -> Iterator[tuple[str, TranslatableModel, str, str]]:
    yield "question", question, "label", _("%(where)s: label") % {"where": where}
    if _has_text(question.hint):
        yield "question", question, "hint", _("%(where)s: hint") % {"where": where}
    if question.constraint.strip() or _has_text(question.constraint_message):
        yield (
            "question",
            question,
            "constraint_message",
            _("%(where)s: constraint message") % {"where": where},
        )


def _entries(questionnaire: Questionnaire) -> Iterator[tuple[str, TranslatableModel, str, str]]:
    """(kind, object, field, description) of every string, in questionnaire order."""
    yield "survey", questionnaire.survey, "title", _("Survey title")
    questions = list(questionnaire.questions.order_by("position", "id"))
    items: dict[int, list[Question]] = {}
    for question in questions:
        if question.parent_id:
            items.setdefault(question.parent_id, []).append(question)
    for section in questionnaire.sections.order_by("position", "id"):
        if _has_text(section.title):
            yield "section", section, "title", _("Page %(name)s: title") % {"name": section.name}
        for question in questions:
            if question.section_id != section.pk or question.parent_id:
                continue
            yield from _question_entries(question, question.name)
            for item in items.get(question.pk, []):
                yield from _question_entries(item, f"{question.name} / {item.name}")
    choices = Choice.objects.filter(choice_list__questionnaire=questionnaire).select_related("choice_list")
    for choice in choices.order_by("choice_list__name", "position", "id"):
        where = _("Choice %(list)s / %(code)s") % {"list": choice.choice_list.name, "code": choice.code}
        yield "choice", choice, "label", where


def grid_rows(questionnaire: Questionnaire) -> list[GridRow]:
    """Every row of the grid with a cell per survey language (source language first)."""
    survey = questionnaire.survey
    source = survey.default_language
    languages = [source, *(x for x in survey.languages if x != source)]
    rows = []
    for kind, obj, field_name, where in _entries(questionnaire):
        texts = getattr(obj, field_name) or {}
        row = GridRow(obj=obj, kind=kind, field=field_name, where=where)
        row.cells = [
            GridCell(
                name=f"{kind}-{obj.pk}-{field_name}-{lang}",
                language=lang,
                text=str(texts.get(lang, "")),
                state=obj.translation_state(field_name, lang, source),
            )
            for lang in languages
        ]
        rows.append(row)
    return rows


def _counts(rows: list[GridRow], languages: list[str], source: str) -> list[LanguageCount]:
    counts = []
    for index, lang in enumerate(languages):
        states = [row.cells[index].state for row in rows]
        counts.append(
            LanguageCount(
                language=lang,
                is_source=lang == source,
                missing=states.count("missing"),
                stale=states.count("stale"),
                total=len(rows),
            )
        )
    return counts


def grid_page(questionnaire: Questionnaire, params: Mapping[str, str]) -> GridPage:
    """The grid as shown: optionally only flagged rows, optionally one target language beside the source."""
    survey = questionnaire.survey
    source = survey.default_language
    rows = grid_rows(questionnaire)
    languages = [cell.language for cell in rows[0].cells]
    counts = _counts(rows, languages, source)
    column = params.get("language", "")
    shown = [source, column] if column in languages and column != source else languages
    only_flagged = params.get("only") == "flagged"
    visible = []
    for row in rows:
        cells = [cell for cell in row.cells if cell.language in shown]
        if only_flagged and not any(cell.flagged for cell in cells):
            continue
        visible.append(GridRow(obj=row.obj, kind=row.kind, field=row.field, where=row.where, cells=cells))
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    return GridPage(
        source_language=source,
        languages=languages,
        shown_languages=shown,
        column=column if len(shown) == 2 else "",
        only_flagged=only_flagged,
        rows=visible,
        counts=counts,
        total_rows=len(rows),
        too_many_fields=limit is not None and len(visible) * len(shown) + 2 > limit,
    )


def _submitted(value: str) -> str:
    return value.replace("\r\n", "\n").strip()


def grid_save(questionnaire: Questionnaire, submitted: Mapping[str, str]) -> int:
    """Write the cells whose text differs from the stored one; return how many changed.

    Cells absent from ``submitted`` (filtered out of the page) are left alone.
    """
    source = questionnaire.survey.default_language
    changes = []
    for row in grid_rows(questionnaire):
        for cell in row.cells:  # source language first
            if cell.name in submitted and _submitted(submitted[cell.name]) != cell.text.strip():
                changes.append((row, cell.language, _submitted(submitted[cell.name])))
    with transaction.atomic():
        for row, language, text in changes:
            services.translation_set(
                obj=row.obj, field=row.field, language=language, text=text, source_language=source
            )
    return len(changes)
