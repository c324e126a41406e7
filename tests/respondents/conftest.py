"""Snapshots for the respondent tests, built with the factories and compiled like a published version."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.http import QueryDict
from django.test.signals import template_rendered
from django.utils import translation

from respondents.forms import PageForm
from surveys.models import Question
from surveys.snapshot import questionnaire_compile
from tests.factories import ChoiceFactory, ChoiceListFactory, QuestionFactory, SectionFactory


def choice_list(questionnaire, name: str, codes: list[str]):
    listed = ChoiceListFactory(questionnaire=questionnaire, name=name)
    for code in codes:
        ChoiceFactory(
            choice_list=listed, code=code, label={"en": f"{code.title()} (en)", "ru": f"{code.title()} (ru)"}
        )
    return listed


def build_every_type_questionnaire():
    """Page "before" (age), then page "main" holding one question of every type and a same-page condition."""
    before = SectionFactory(name="before")
    questionnaire = before.questionnaire
    yes_no = choice_list(questionnaire, "yes_no", ["yes", "no"])
    colours = choice_list(questionnaire, "colours", ["red", "green", "blue", "other"])
    agree = choice_list(questionnaire, "agree", ["disagree", "neutral", "agree"])
    QuestionFactory(section=before, name="age", type=Question.Type.INTEGER)
    main = SectionFactory(questionnaire=questionnaire, name="main", title={"en": "Main", "ru": "Главная"})

    def add(name: str, kind: str, **fields: Any) -> Question:
        return QuestionFactory(section=main, name=name, type=kind, **fields)

    add("intro", Question.Type.NOTE, label={"en": "Read this\nfirst", "ru": "Прочтите"})
    add("consent", Question.Type.SELECT_ONE, choice_list=yes_no, required=True)
    add("colour", Question.Type.SELECT_ONE, choice_list=colours, has_other=True, appearance="minimal")
    add("colours", Question.Type.SELECT_MULTIPLE, choice_list=colours, has_other=True)
    add(
        "children",
        Question.Type.INTEGER,
        constraint=". <= 20",
        constraint_message={"en": "At most 20", "ru": "Не больше 20"},
    )
    add("height", Question.Type.DECIMAL, hint={"en": "In metres", "ru": "В метрах"})
    add("born", Question.Type.DATE)
    add("comment", Question.Type.TEXT, appearance="multiline")
    add("mood", Question.Type.SELECT_ONE, choice_list=agree, appearance="likert")
    grid = add("grid", Question.Type.MATRIX, choice_list=agree, required=True)
    for item in ("grid_a", "grid_b"):
        QuestionFactory(
            section=main, parent=grid, name=item, type=Question.Type.SELECT_ONE, choice_list=agree
        )
    add("rank", Question.Type.RANKING, choice_list=agree)
    add("why_yes", Question.Type.TEXT, relevant="${consent} = 'yes'", required=True)
    add("adult_only", Question.Type.TEXT, relevant="${age} >= 18")
    return questionnaire


@pytest.fixture
def english():
    """English as the active language, whatever an earlier test left activated."""
    with translation.override("en"):
        yield


@pytest.fixture
def fresh_cache():
    """An empty cache, so that what a test renders first is really rendered."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def template_renders():
    """The names of the templates rendered while the test runs."""
    rendered: list[str] = []

    def count(sender, template, context, **kwargs):
        rendered.append(template.name)

    template_rendered.connect(count)
    yield rendered
    template_rendered.disconnect(count)


@pytest.fixture
def snapshot(db) -> dict[str, Any]:
    return questionnaire_compile(build_every_type_questionnaire())


def section_of(snapshot: dict[str, Any], name: str = "main") -> dict[str, Any]:
    return next(s for s in snapshot["sections"] if s["name"] == name)


def page_form(
    snapshot: dict[str, Any],
    post: dict[str, Any] | None = None,
    *,
    answers: dict[str, Any] | None = None,
    language: str = "en",
    seed: str = "respondent-1",
    section: str = "main",
) -> PageForm:
    """A page form, with ``post`` (a dict; lists for repeated keys) as the submitted data if given."""
    data = None
    if post is not None:
        data = QueryDict(mutable=True)
        for key, value in post.items():
            data.setlist(key, value if isinstance(value, list) else [value])
    with translation.override(language):
        return PageForm(
            snapshot=snapshot,
            section=section_of(snapshot, section),
            language=language,
            answers=answers if answers is not None else {},
            seed=seed,
            data=data,
        )
