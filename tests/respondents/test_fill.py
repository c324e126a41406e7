"""A page with stored answers, filled into its cached blank rendering, is byte for byte the page that
crispy-forms and the question templates render with those answers."""

from __future__ import annotations

import datetime
import io
import random
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation

from respondents.forms import PageForm, render
from respondents.forms.fill import fill, holes_of
from respondents.models import Response
from surveys.models import Wave
from surveys.snapshot import variable_names
from tests.respondents.conftest import page_form, section_of

HOSTILE_TEXT = ['"><script>alert(1)</script>', "a & b < c", "«Ёлка»\u202e", "it's\nmultiline\n", "  ", " "]


def _random_answers(snapshot: dict[str, Any], section: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Stored answers for the page, of every kind, some empty (None) and some absent."""
    answers: dict[str, Any] = {"age": rng.choice([None, 15, 40])}
    codes = {name: [c["code"] for c in choices] for name, choices in snapshot["choice_lists"].items()}
    for question in section["questions"]:
        kind, listed = question["type"], codes.get(question.get("choice_list") or "", [])
        for name in variable_names(question):
            if rng.random() < 0.2:
                continue  # never shown
            if rng.random() < 0.15:
                answers[name] = None  # shown, left empty
            elif name == question.get("other_name"):
                answers[name] = rng.choice(HOSTILE_TEXT)
            elif kind == "select_multiple":
                answers[name] = rng.sample(listed, k=rng.randint(0, len(listed)))
            elif kind == "ranking":
                answers[name] = rng.sample(listed, k=len(listed))
            elif kind == "integer":
                answers[name] = rng.randint(-5, 30)
            elif kind == "decimal":
                answers[name] = rng.choice([1.75, 2, 0.1, 1e-7])
            elif kind == "date":
                answers[name] = (
                    datetime.date(1990, 1, 1) + datetime.timedelta(days=rng.randint(0, 9999))
                ).isoformat()
            elif kind == "text":
                answers[name] = rng.choice(HOSTILE_TEXT)
            elif listed:  # select_one, matrix items
                answers[name] = rng.choice(listed)
    return answers


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_filled_page_is_the_blank_page_with_the_answers_in_place(snapshot, language, fresh_cache):
    section = section_of(snapshot)
    rng = random.Random(20261126)
    with translation.override(language):
        for _round in range(150):
            answers = _random_answers(snapshot, section, rng)
            filled = render.render_page_html(page_form(snapshot, answers=answers, language=language))
            rendered = render._render(page_form(snapshot, answers=answers, language=language))
            assert str(filled) == str(rendered), answers


def test_the_blank_page_is_cut_at_every_control(snapshot, english, fresh_cache):
    blank = str(render.render_page_html(page_form(snapshot)))

    holes = holes_of(blank)

    assert fill(holes, page_form(snapshot)) == blank
    kinds = {(hole.kind, hole.name) for hole in holes.holes}
    assert {
        ("checked", "consent"),
        ("checked", "colours"),
        ("checked", "grid_a"),
        ("checked", "mood"),
    } <= kinds
    assert {("selected", "colour"), ("selected", "rank:agree")} <= kinds
    assert {("value", "children"), ("value", "height"), ("value", "born"), ("value", "colour_other")} <= kinds
    assert ("text", "comment") in kinds
    assert not any(
        hole.name.startswith("volna_") or hole.name == "csrfmiddlewaretoken" for hole in holes.holes
    )


def test_a_filled_page_escapes_what_the_respondent_typed(snapshot, english, fresh_cache):
    answers = {"consent": "yes", "why_yes": '"><script>alert(1)</script>', "comment": "</textarea><b>x</b>"}

    html = str(render.render_page_html(page_form(snapshot, answers=answers)))

    assert "<script>" not in html and "<b>x</b>" not in html
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert "&lt;/textarea&gt;&lt;b&gt;x&lt;/b&gt;</textarea>" in html


def test_every_demo_page_of_demo_respondents_fills_as_it_renders(db, fresh_cache):
    call_command("load_demo", password="demo-password-for-tests", stdout=io.StringIO())
    wave = Wave.objects.get(survey__slug="emigrants-2022", status=Wave.Status.OPEN)
    snapshot = wave.questionnaire.snapshot
    compared = 0
    for response in Response.objects.filter(wave=wave).order_by("pk")[:60]:
        for section in snapshot["sections"]:
            if not section["questions"]:
                continue
            with translation.override(response.language):
                form = PageForm(
                    snapshot=snapshot,
                    section=section,
                    language=response.language,
                    answers=response.answers,
                    seed=str(response.pk),
                )
                twin = PageForm(
                    snapshot=snapshot,
                    section=section,
                    language=response.language,
                    answers=response.answers,
                    seed=str(response.pk),
                )
                assert str(render.render_page_html(form)) == str(render._render(twin))
                compared += 1
    assert compared >= 60 * 3
