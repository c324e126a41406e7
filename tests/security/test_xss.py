"""Stored XSS, fast: hostile texts reach every page escaped, never as markup (the browser test
``test_xss_browser.py`` shows the same pages inert in Chromium)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.respondents.test_flow_views import start, submit
from tests.security.hostile import (
    ESCAPED_IMG,
    ESCAPED_SCRIPT,
    RAW_MARKUP,
    HostileSurvey,
    admin_paths,
    build_hostile_survey,
    codebook_html,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hostile(private_root) -> HostileSurvey:
    return build_hostile_survey()


@pytest.fixture
def admin_client(db) -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_superuser=True))
    return client


def raw_markup_in(html: str) -> list[str]:
    return [markup for markup in RAW_MARKUP if markup in html]


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_every_admin_page_shows_the_hostile_texts_escaped(admin_client, hostile):
    problems = []
    for where, path in admin_paths(hostile).items():
        html = text(admin_client.get(path))
        if raw_markup_in(html):
            problems.append(f"{where}: raw {raw_markup_in(html)}")
        if ESCAPED_SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" not in html:
            problems.append(f"{where}: the hostile text is not shown (so this check proves nothing)")

    assert problems == []


def test_the_hostile_template_syntax_is_shown_literally_never_evaluated(admin_client, hostile):
    html = text(admin_client.get(admin_paths(hostile)["preview in English"]))

    assert "{{7*7}}{% debug %}" in html.replace("&#x27;", "'")
    assert "{% debug %}" in html and "sql_queries" not in html


def test_the_dashboard_escapes_labels_pair_labels_and_benchmark_sources(admin_client, hostile):
    html = text(admin_client.get(admin_paths(hostile)["dashboard"]))

    assert raw_markup_in(html) == []
    for shown in ("Pair &lt;script&gt;", "Source &lt;script&gt;", "Colour &lt;script&gt;", ESCAPED_IMG):
        assert shown in html, shown


def test_the_codebook_page_escapes_every_text(hostile):
    html = codebook_html(hostile)

    assert raw_markup_in(html) == []
    assert ESCAPED_SCRIPT in html and ESCAPED_IMG in html
    assert "<script" not in html  # the codebook is a file people open from disk: no script at all


def test_respondent_pages_escape_researchers_texts_and_the_respondents_answers(hostile):
    wave = hostile.wave
    client = Client()
    welcome = text(client.get(f"/s/{wave.slug}/", HTTP_ACCEPT_LANGUAGE="en"))
    start(client, wave)
    first = text(client.get(f"/s/{wave.slug}/page/"))

    # the respondent types script into a text answer, goes on, then comes back to it
    typed = '</textarea></script><script>alert(1)</script>"><img src=x onerror=alert(1)>'
    saved = submit(client, wave, {"colour": "blue", "size": "small", "story": typed, "age": "30"})
    assert saved.status_code == 302, saved.content[:500]
    second = text(client.get(f"/s/{wave.slug}/page/"))
    assert submit(client, wave, {}, action="back").status_code == 302
    first_again = text(client.get(f"/s/{wave.slug}/page/"))

    for html in (welcome, first, second, first_again):
        assert raw_markup_in(html) == []
    assert ESCAPED_SCRIPT in welcome and ESCAPED_SCRIPT in first and ESCAPED_SCRIPT in second
    assert "&lt;/textarea&gt;&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in first_again


def test_the_thanks_page_escapes_the_thank_you_text(hostile):
    html = text(Client().get(f"/s/{hostile.wave.slug}/thanks/", HTTP_ACCEPT_LANGUAGE="en"))

    assert raw_markup_in(html) == []
    assert f"Thanks {ESCAPED_SCRIPT}" in html
