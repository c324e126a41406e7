"""Page weight budget (DESIGN.md §6): every respondent page of the demo, HTML + CSS + JS, under 60 KB gzipped,
with no web font and nothing from another origin.

A size check, not a timing: it belongs in the suite. The measuring is bench/page_weight.py's.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from bench import page_weight
from surveys.models import Wave


@pytest.fixture
def demo_wave(db) -> Wave:
    call_command("load_demo", password="demo-password-for-tests", stdout=io.StringIO())
    return Wave.objects.get(survey__slug="emigrants-2022", status=Wave.Status.OPEN)


def test_every_demo_page_weighs_under_60_kb_compressed_with_no_font_and_no_other_origin(client, demo_wave):
    report = page_weight.measure_demo(client, demo_wave.slug)

    assert report.problems == []
    names = {page.name for page in report.pages}
    assert {"welcome", "consent_page", "background", "background (errors)", "activism", "attitudes"} <= names
    assert "thanks" in names
    assert {page.language for page in report.pages} == {"en", "ru"}
    assert all(page.css_gzip_bytes > 0 for page in report.pages)  # the stylesheets were fetched and weighed
    assert report.heaviest.total_gzip_bytes < page_weight.BUDGET_BYTES, page_weight.markdown_table(report)


def test_a_script_from_another_origin_and_a_font_preload_are_problems():
    html = (
        '<link rel="stylesheet" href="/static/a.css"><script src="https://cdn.example/x.js"></script>'
        '<link rel="preload" as="font" href="/static/f.woff2">'
    )

    _markup, fetched, problems = page_weight.page_resources(html, "/s/wave/page/")

    assert fetched == [("css", "http://testserver/static/a.css")]
    assert len(problems) == 2


def test_a_web_font_or_a_url_on_another_origin_in_a_stylesheet_is_a_problem():
    css = "@font-face{font-family:x;src:url(f.woff2)} a{background:url('https://cdn.example/a.png')}"

    problems = page_weight.stylesheet_problems(css, "http://testserver/static/a.css")

    assert len(problems) == 3  # the @font-face, its font file, the other origin


def test_data_urls_and_same_origin_images_in_a_stylesheet_are_fine():
    css = (
        '/* https://example.com */ a{background:url("data:image/svg+xml,%3csvg%3e")} b{background:url(i.png)}'
    )

    assert page_weight.stylesheet_problems(css, "http://testserver/static/a.css") == []
