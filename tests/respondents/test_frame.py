"""The cached page frame joined with one respondent's values is the page the template renders."""

from __future__ import annotations

import re

import pytest
from django.shortcuts import render
from django.test import RequestFactory
from django.utils import translation

from respondents import frame
from respondents.forms import render_page_html
from tests.respondents.conftest import page_form

pytestmark = pytest.mark.django_db
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _context(**changes):
    return {
        "survey_title": "Survey <b>title</b>",
        "section_title": "Main & more",
        "section_name": "main",
        "progress_percent": 40,
        "page_number": 2,
        "page_count": 5,
        "can_go_back": True,
        "languages": [
            ("en", "English", "/s/w/page/?lang=en", True),
            ("ru", "Русский", "/s/w/page/?lang=ru", False),
        ],
        "language": "en",
        "resume_url": "/s/w/resume/",
        "code_url": "/s/w/code/",
        "page_form_id": "volna-page",
        "ui_language": "en",
        **changes,
    }


def _values(form, ref="signed:ref<&>"):
    return {
        "response_ref": ref,
        "shown_value": form.shown_value,
        "logic_script": frame.logic_script(form.logic()),
        "page_html": render_page_html(form),
    }


@pytest.mark.parametrize(
    "answers", [{}, {"age": 20, "consent": "yes", "comment": "<volna-frame-hole-csrf> </b>"}]
)
def test_a_framed_page_is_the_rendered_page(snapshot, english, answers):
    form = page_form(snapshot, answers=answers)
    request = RequestFactory().get("/s/w/page/")
    values = _values(form)

    framed = frame.render_framed(request, _context(), values)
    rendered = render(request, frame.TEMPLATE, {**_context(), **values, "form": form}).content.decode()

    assert CSRF.sub("", framed) == CSRF.sub("", rendered)
    assert len(CSRF.findall(framed)) == 1
    assert "<volna-frame-hole" not in framed  # the typed look-alike is escaped, the holes filled


def test_a_title_holding_a_placeholder_is_shown_as_text_not_filled_in(snapshot, english):
    form = page_form(snapshot)
    request = RequestFactory().get("/s/w/page/")

    framed = frame.render_framed(request, _context(section_title="<volna-frame-hole-page>"), _values(form))

    assert "&lt;volna-frame-hole-page&gt;" in framed
    assert framed.count('data-volna-question="consent"') == 1  # the questions once, where they belong


def test_the_frame_is_rendered_once_and_each_request_gets_its_own_values(snapshot, english, template_renders):
    form = page_form(snapshot)
    request = RequestFactory().get("/s/w/page/")
    frame.render_framed(request, _context(), _values(form, ref="ref-one"))
    renders = len(template_renders)

    second = frame.render_framed(request, _context(), _values(form, ref="ref-two"))
    other_page = frame.render_framed(request, _context(page_number=3), _values(form, ref="ref-three"))
    with translation.override("ru"):
        russian = frame.render_framed(request, _context(ui_language="ru"), _values(form, ref="ref-four"))

    assert 'name="volna_response" value="ref-two"' in second and "ref-one" not in second
    assert "Page 3 of 5" in other_page and "Page 2 of 5" in second
    assert "Далее" in russian and "Next" in second
    assert len([t for t in template_renders[renders:] if t == frame.TEMPLATE]) == 2
