"""Static checks over a compiled snapshot: translations, expressions, choices, variable names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from surveys import expressions
from surveys.models import VARIABLE_NAME_PATTERN, Question, Questionnaire
from surveys.snapshot import CONSENT_GIVEN, CONSENT_QUESTION, iter_questions, variable_names

_VARIABLE_RE = re.compile(VARIABLE_NAME_PATTERN)
_CHOICE_TYPES = {t.value for t in Question.CHOICE_TYPES}
# names of the respondent page's own form fields (honeypot, hidden fields)
RESERVED_NAMES = {"website", "csrfmiddlewaretoken"}


@dataclass
class Problems:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _has_text(texts: dict[str, str] | None) -> bool:
    return any(str(v).strip() for v in (texts or {}).values())


def _missing_languages(texts: dict[str, str] | None, languages: list[str], required: bool) -> list[str]:
    """Languages lacking a text that must exist (always when required, else when any exists)."""
    if not required and not _has_text(texts):
        return []
    return [lang for lang in languages if not str((texts or {}).get(lang, "")).strip()]


def _translation_errors(snapshot: dict[str, Any]) -> list[str]:
    languages = snapshot["languages"]
    errors: list[str] = []

    def need(texts: dict[str, str] | None, what: str, required: bool = False) -> None:
        for lang in _missing_languages(texts, languages, required):
            errors.append(_("%(lang)s: %(what)s is missing") % {"lang": lang, "what": what})

    need(snapshot["title"], _("survey title"), required=True)
    used_lists: set[str] = set()
    for section in snapshot["sections"]:
        need(section["title"], _("title of page %(name)s") % {"name": section["name"]})
        for question in section["questions"]:
            name = question["name"]
            need(question["label"], _("label of %(name)s") % {"name": name}, required=True)
            need(question["hint"], _("hint of %(name)s") % {"name": name})
            if question["constraint"]:
                need(question["constraint_message"], _("constraint message of %(name)s") % {"name": name})
            for item in question["items"]:
                need(item["label"], _("label of %(name)s") % {"name": item["name"]}, required=True)
                need(item["hint"], _("hint of %(name)s") % {"name": item["name"]})
            if question["choice_list"]:
                used_lists.add(question["choice_list"])
    for list_name in sorted(used_lists):
        for choice in snapshot["choice_lists"].get(list_name, []):
            what = _("label of choice %(code)s in list %(list)s") % {
                "code": choice["code"],
                "list": list_name,
            }
            need(choice["label"], what, required=True)
    return errors


def _expression_errors(snapshot: dict[str, Any]) -> list[str]:
    """Every expression parses and refers only to known questions that come before it."""
    known = list(snapshot["variables"])
    before: list[str] = []
    errors: list[str] = []

    def check(source: str | None, where: str) -> None:
        if source:
            errors.extend(expressions.check(source, known, before=before, question=where))

    for section in snapshot["sections"]:
        check(section["relevant"], _("page %(name)s: relevant") % {"name": section["name"]})
        for question in section["questions"]:
            name = question["name"]
            check(question["relevant"], _("%(name)s: relevant") % {"name": name})
            own = variable_names(question)
            if question["constraint"]:
                before.extend(own)  # a constraint may refer to its own question ('.' or ${name})
                check(question["constraint"], _("%(name)s: constraint") % {"name": name})
                del before[len(before) - len(own) :]
            for item in question["items"]:
                check(item["relevant"], _("%(name)s: relevant") % {"name": item["name"]})
            before.extend(own)
    return errors


def _structure_errors(snapshot: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    lists = snapshot["choice_lists"]
    if not any(section["questions"] for section in snapshot["sections"]):
        errors.append(_("The questionnaire has no questions."))
    for _section, question in iter_questions(snapshot):
        name = question["name"]
        if question["type"] in _CHOICE_TYPES and not lists.get(question["choice_list"] or ""):
            errors.append(_("%(name)s: the choice list has no choices") % {"name": name})
        if question["type"] == Question.Type.MATRIX and not question["items"]:
            errors.append(_("%(name)s: a matrix needs at least one item") % {"name": name})
        if name == CONSENT_QUESTION and question["type"] == Question.Type.SELECT_ONE:
            codes = {choice["code"] for choice in lists.get(question["choice_list"] or "", [])}
            if CONSENT_GIVEN not in codes or not question["required"]:
                errors.append(
                    _(
                        "consent: a consent question must be required and have the code 'yes' "
                        "(any other answer ends the response as screened out)"
                    )
                )
    seen: set[str] = set()
    for variable in snapshot["variables"]:
        if variable in RESERVED_NAMES or variable.startswith("volna_"):
            errors.append(_("%(name)s: this name is reserved by Volna; choose another") % {"name": variable})
        if not _VARIABLE_RE.match(variable):
            message = _("%(name)s: not a valid variable name for SPSS and Stata")
            errors.append(message % {"name": variable} + " (a-z, then a-z, 0-9, _; 32 at most)")
        if variable in seen:
            errors.append(_("%(name)s: the variable name is used twice") % {"name": variable})
        seen.add(variable)
    return errors


def static_problems(snapshot: dict[str, Any]) -> Problems:
    """Errors that block publishing, found in the snapshot alone."""
    return Problems(
        errors=_structure_errors(snapshot) + _expression_errors(snapshot) + _translation_errors(snapshot)
    )


def stale_translations(questionnaire: Questionnaire) -> list[str]:
    """Translations made from an older source text, as warnings (they do not block publishing)."""
    survey = questionnaire.survey
    source = survey.default_language
    objects: list[tuple[str, Any]] = [(_("survey"), survey)]
    objects += [(_("page %(name)s") % {"name": s.name}, s) for s in questionnaire.sections.all()]
    objects += [(q.name, q) for q in questionnaire.questions.all()]
    for choice_list in questionnaire.choice_lists.prefetch_related("choices"):
        objects += [(f"{choice_list.name}/{c.code}", c) for c in choice_list.choices.all()]
    warnings = []
    for where, obj in objects:
        for field_name in obj.translated_fields:
            for lang in survey.languages:
                if obj.translation_state(field_name, lang, source) == "stale":
                    warnings.append(
                        _("%(lang)s: %(where)s %(field)s is outdated (the %(source)s text changed)")
                        % {
                            "lang": lang,
                            "where": where,
                            "field": obj._meta.get_field(field_name).verbose_name,
                            "source": source,
                        }
                    )
    return warnings
