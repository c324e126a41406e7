"""Rendering a page form: crispy layout objects with Volna's own question templates, and the cache.

Every question of the section is rendered (those not relevant now get ``hidden``), so that
``static/volna/relevant.js`` can show them as the respondent answers, without a round trip. The blank
form of a section in a language is the same for every respondent who sees the same questions, so it is
rendered once and served from the cache (DESIGN.md §6).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, LayoutObject
from crispy_forms.utils import TEMPLATE_PACK, render_crispy_form
from django.core.cache import cache
from django.template.loader import get_template
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from respondents.forms.fields import OTHER_LABEL, RankingField
from respondents.forms.fill import Holes, fill, holes_of
from respondents.forms.page import PageForm

CACHE_SECONDS = 24 * 60 * 60
logger = logging.getLogger(__name__)
QUESTION_TEMPLATE = "respondents/questions/question.html"


def render_page_html(form: PageForm) -> SafeString:
    """The page's questions as HTML (no ``<form>`` tag, no buttons, no hidden inputs).

    The blank page is rendered once and cached; a page showing stored answers is that blank page
    filled in (``fill``). Only a submitted page (with its errors) is rendered afresh.
    """
    key = blank_page_cache_key(form)
    if key is None:
        return _render(form)
    blank = _cache_get(key)
    if blank is None:
        blank = str(_render(_blank_twin(form) if form.initial else form))
        _cache_set(key, blank)
    if not form.initial:
        return mark_safe(blank)  # noqa: S308 -- our own rendering, escaped when it was made
    return mark_safe(fill(_holes(key, blank), form))  # noqa: S308 -- fill escapes every value


def _render(form: PageForm) -> SafeString:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*(QuestionBlock(q["name"]) for q in form.section["questions"]))
    html = render_crispy_form(form, helper)
    return mark_safe(html)  # noqa: S308 -- rendered by templates that escape every text


def _blank_twin(form: PageForm) -> PageForm:
    """``form`` without its answers but showing the same questions: what its blank page looks like."""
    twin = copy.copy(form)
    twin.initial = {}
    twin._bound_fields_cache = {}
    twin._shown_units = list(form.shown_units)
    return twin


def _holes(key: str, blank: str) -> Holes:
    holes = _local_holes.get(key)
    if holes is None or holes[0] != blank:
        if len(_local_holes) >= LOCAL_MAX:
            _local_holes.clear()
        holes = _local_holes[key] = (blank, holes_of(blank))
    return holes[1]


# Blank pages are keyed by their content, so they never go stale: each process keeps the ones it
# served in memory (no round trip at all), in front of the shared cache (Redis) that spares the
# other processes the rendering.
_local: dict[str, str] = {}
_local_holes: dict[str, tuple[str, Holes]] = {}
LOCAL_MAX = 512


# Redis is a cache, never a dependency (DESIGN.md §4): when it fails, the page is rendered without it.
def _cache_get(key: str) -> str | None:
    html = _local.get(key)
    if html is not None:
        return html
    try:
        html = cache.get(key)
    except Exception as error:
        logger.warning("page cache unavailable: %s", type(error).__name__)
        return None
    if html is not None:
        _remember(key, html)
    return html


def _cache_set(key: str, html: str) -> None:
    _remember(key, html)
    try:
        cache.set(key, html, CACHE_SECONDS)
    except Exception as error:
        logger.warning("page cache unavailable: %s", type(error).__name__)


def _remember(key: str, html: str) -> None:
    if len(_local) >= LOCAL_MAX:
        _local.clear()
    _local[key] = html


def local_cache_clear() -> None:
    _local.clear()
    _local_holes.clear()


def blank_page_cache_key(form: PageForm) -> str | None:
    """The cache key of this page's blank rendering, or None when it is specific to one respondent.

    A version's snapshot never changes, but a test database (or a re-created survey) can reuse a slug and
    version number: the key holds a hash of everything the rendering reads, so it can never be stale.
    """
    section = form.section
    if form.is_bound or any(q.get("randomize") for q in section["questions"]):
        return None
    lists = sorted({q["choice_list"] for q in section["questions"] if q.get("choice_list")})
    rendered_from = [
        section,
        [form.snapshot["choice_lists"].get(name) for name in lists],
        form.default_language,
    ]
    fingerprint = hashlib.sha256(json.dumps(rendered_from, sort_keys=True).encode()).hexdigest()[:24]
    hidden = ",".join(unit.name for unit in form.units if unit.name not in set(form.shown_units))
    hidden_hash = hashlib.sha256(hidden.encode()).hexdigest()[:16]
    snapshot = form.snapshot
    return (
        f"volna:page:{snapshot['survey']}:{snapshot['version']}:{section['name']}:{form.language}:"
        f"{translation.get_language()}:{fingerprint}:{hidden_hash}"
    )


class QuestionBlock(LayoutObject):
    """One question (with its wrapper for same-page logic), rendered by a Volna question template."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.fields: list[Any] = []

    def render(self, form: PageForm, context: Any, template_pack: Any = TEMPLATE_PACK, **kwargs: Any) -> str:
        question = next(q for q in form.section["questions"] if q["name"] == self.name)
        return get_template(QUESTION_TEMPLATE).render({"q": question_context(form, question)})


def _describedby(*ids: str | None) -> str:
    return " ".join(i for i in ids if i)


def _common(form: PageForm, question: dict[str, Any], shown: set[str]) -> dict[str, Any]:
    name = question["name"]
    hint = form.text(question.get("hint"))
    errors = [str(e) for e in form.errors.get(name, ())] if form.is_bound else []
    field_id = f"id_{name}"
    return {
        "name": name,
        "id": field_id,
        "hidden": name not in shown,
        "label": form.text(question.get("label")),
        "hint": hint,
        "hint_id": f"{field_id}_hint" if hint else "",
        "errors": errors,
        "error_id": f"{field_id}_error" if errors else "",
        "describedby": _describedby(
            f"{field_id}_hint" if hint else "", f"{field_id}_error" if errors else ""
        ),
        "required": bool(question.get("required")),
    }


def question_context(form: PageForm, question: dict[str, Any]) -> dict[str, Any]:
    """Everything a question template needs, computed here so the templates hold no logic."""
    shown = set(form.shown_units)
    q = _common(form, question, shown)
    kind = question["type"]
    appearance = (question.get("appearance") or "").split()
    if kind == "note":
        q["template"] = "respondents/questions/note.html"
    elif kind == "matrix":
        q.update(template="respondents/questions/matrix.html", **_matrix(form, question, shown))
    elif kind == "ranking":
        q.update(template="respondents/questions/ranking.html", rows=_ranking_rows(form, question))
    elif kind == "select_one" and "minimal" in appearance:
        q.update(template="respondents/questions/select.html", options=_options(form, question["name"]))
    elif kind in ("select_one", "select_multiple"):
        q.update(
            template="respondents/questions/choice.html",
            input_type="radio" if kind == "select_one" else "checkbox",
            likert="likert" in appearance,
            options=_options(form, question["name"]),
        )
    elif question["name"] in form.fields:
        q.update(template="respondents/questions/input.html", widget=_widget(form, question["name"], q))
    else:  # a type this version of Volna does not know: show its text, ask nothing
        q["template"] = "respondents/questions/note.html"
    if question.get("has_other") and question.get("other_name"):
        q["other"] = _other(form, question["other_name"])
    return q


def _selected(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, list | tuple):
        return {str(v) for v in value}
    return {str(value)}


def _options(form: PageForm, name: str) -> list[dict[str, Any]]:
    selected = _selected(form[name].value())
    return [
        {"id": f"id_{name}_{index}", "value": code, "label": label, "checked": code in selected}
        for index, (code, label) in enumerate(form.fields[name].choices)
        if code != ""
    ]


def _widget(form: PageForm, name: str, q: dict[str, Any]) -> str:
    css = "form-control is-invalid" if q["errors"] else "form-control"
    attrs = {"class": css}
    if q["describedby"]:
        attrs["aria-describedby"] = q["describedby"]
    return form[name].as_widget(attrs=attrs)


def _other(form: PageForm, name: str) -> dict[str, Any]:
    errors = [str(e) for e in form.errors.get(name, ())] if form.is_bound else []
    field_id = f"id_{name}"
    attrs = {"class": "form-control is-invalid" if errors else "form-control"}
    if errors:
        attrs["aria-describedby"] = f"{field_id}_error"
    return {
        "id": field_id,
        "label": OTHER_LABEL,
        "errors": errors,
        "error_id": f"{field_id}_error" if errors else "",
        "widget": form[name].as_widget(attrs=attrs),
    }


def _matrix(form: PageForm, question: dict[str, Any], shown: set[str]) -> dict[str, Any]:
    columns = [form.text(choice["label"]) for choice in form.choices[question["name"]]]
    rows = []
    for item in question["items"]:
        name = item["name"]
        errors = [str(e) for e in form.errors.get(name, ())] if form.is_bound else []
        rows.append(
            {
                "name": name,
                "id": f"id_{name}",
                "hidden": name not in shown,
                "label": form.text(item.get("label")),
                "required": bool(question.get("required") or item.get("required")),
                "errors": errors,
                "error_id": f"id_{name}_error" if errors else "",
                "options": _options(form, name),
            }
        )
    return {"columns": columns, "rows": rows}


def _ranking_rows(form: PageForm, question: dict[str, Any]) -> list[dict[str, Any]]:
    name = question["name"]
    field = form.fields[name]
    assert isinstance(field, RankingField)
    value = form[name].value()
    if isinstance(value, list):  # a stored answer: codes, rank 1 first
        ranks = {code: str(position) for position, code in enumerate(value, start=1)}
    else:
        ranks = {code: str(rank).strip() for code, rank in (value or {}).items()}
    numbers = [str(n) for n in range(1, len(field.codes) + 1)]
    labels = {choice["code"]: form.text(choice["label"]) for choice in form.choices[name]}
    return [
        {
            "id": f"id_{name}_rank_{index}",
            "name": f"{name}:{code}",
            "label": labels.get(code, code),
            "ranks": [(n, ranks.get(code) == n) for n in numbers],
        }
        for index, code in enumerate(field.codes)
    ]
