"""Compile a questionnaire version's editing tables into one JSON snapshot.

The snapshot is what respondents, exports and aggregation read. Its shape (format 1)::

    {"format": 1, "survey": slug, "version": n, "title": {lang: text},
     "languages": [...], "default_language": "en",
     "choice_lists": {name: [{"code": ..., "label": {lang: text}}, ...]},
     "sections": [{"name", "title", "relevant", "relevant_ast", "ends_survey",
                   "questions": [question, ...]}],
     "variables": [name, ...]}      # every stored answer key, in questionnaire order

    question = {"name", "type", "label", "hint", "required", "relevant", "relevant_ast",
                "constraint", "constraint_ast", "constraint_message", "appearance",
                "choice_list", "has_other", "other_name", "randomize",
                "items": [{"name", "label", "hint", "required", "relevant", "relevant_ast"}]}

``*_ast`` hold parsed expressions (``surveys.expressions.to_json``), or null when the source is
empty or does not parse (the checks report that, and publishing is refused).
"""

from __future__ import annotations

from typing import Any

from surveys import expressions
from surveys.models import Question, Questionnaire

SNAPSHOT_FORMAT = 1


def other_variable_name(name: str) -> str:
    """The variable that holds the "other, specify" text of question ``name``."""
    return f"{name}_other"


def _ast(source: str) -> Any:
    if not source.strip():
        return None
    try:
        return expressions.to_json(expressions.parse(source))
    except expressions.ExpressionError:
        return None


def _question(question: Question, items: list[Question]) -> dict[str, Any]:
    return {
        "name": question.name,
        "type": question.type,
        "label": question.label or {},
        "hint": question.hint or {},
        "required": question.required,
        "relevant": question.relevant or None,
        "relevant_ast": _ast(question.relevant),
        "constraint": question.constraint or None,
        "constraint_ast": _ast(question.constraint),
        "constraint_message": question.constraint_message or {},
        "appearance": question.appearance,
        "choice_list": question.choice_list.name if question.choice_list_id else None,
        "has_other": question.has_other,
        "other_name": other_variable_name(question.name) if question.has_other else None,
        "randomize": question.randomize,
        "items": [
            {
                "name": item.name,
                "label": item.label or {},
                "hint": item.hint or {},
                "required": item.required,
                "relevant": item.relevant or None,
                "relevant_ast": _ast(item.relevant),
            }
            for item in (items if question.type == Question.Type.MATRIX else [])
        ],
    }


def questionnaire_compile(questionnaire: Questionnaire) -> dict[str, Any]:
    """Build the snapshot of ``questionnaire`` from its editing tables (reads only)."""
    survey = questionnaire.survey
    choice_lists = {
        choice_list.name: [{"code": c.code, "label": c.label or {}} for c in choice_list.choices.all()]
        for choice_list in questionnaire.choice_lists.prefetch_related("choices")
    }
    questions = list(
        questionnaire.questions.select_related("choice_list").order_by("section_id", "position", "id")
    )
    items_by_parent: dict[int, list[Question]] = {}
    for question in questions:
        if question.parent_id:
            items_by_parent.setdefault(question.parent_id, []).append(question)
    sections = []
    variables: list[str] = []
    for section in questionnaire.sections.order_by("position", "id"):
        compiled = []
        for question in questions:
            if question.section_id != section.pk or question.parent_id:
                continue
            items = items_by_parent.get(question.pk, [])
            compiled.append(_question(question, items))
            variables.extend(variable_names(compiled[-1]))
        sections.append(
            {
                "name": section.name,
                "title": section.title or {},
                "relevant": section.relevant or None,
                "relevant_ast": _ast(section.relevant),
                "ends_survey": section.ends_survey,
                "questions": compiled,
            }
        )
    return {
        "format": SNAPSHOT_FORMAT,
        "survey": survey.slug,
        "version": questionnaire.number,
        "title": survey.title or {},
        "languages": list(survey.languages),
        "default_language": survey.default_language,
        "choice_lists": choice_lists,
        "sections": sections,
        "variables": variables,
    }


def variable_names(question: dict[str, Any]) -> list[str]:
    """The answer keys one compiled question stores (none for a note; one per matrix item)."""
    if question["type"] == Question.Type.NOTE:
        return []
    if question["type"] == Question.Type.MATRIX:
        return [item["name"] for item in question["items"]]
    names = [question["name"]]
    if question.get("other_name"):
        names.append(question["other_name"])
    return names


def iter_questions(snapshot: dict[str, Any]):
    """Yield (section, question) for every top-level question of a snapshot, in order."""
    for section in snapshot["sections"]:
        for question in section["questions"]:
            yield section, question


CONSENT_QUESTION = "consent"
CONSENT_GIVEN = "yes"


def screens_out(section: dict[str, Any], answers: dict[str, Any]) -> bool:
    """Whether submitting ``section`` with ``answers`` ends the response as screened out.

    A page marked as the end does; so does a select_one named ``consent`` answered with anything
    but ``yes`` (the checks refuse a consent question that is optional or has no ``yes`` code).
    """
    if section["ends_survey"]:
        return True
    for question in section["questions"]:
        if question["name"] == CONSENT_QUESTION and question["type"] == "select_one":
            return answers.get(CONSENT_QUESTION) != CONSENT_GIVEN
    return False
