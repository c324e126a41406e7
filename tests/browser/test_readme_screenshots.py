"""The README's screenshots, taken from what ``make demo`` serves.

Every run renders them into test-artifacts/; with VOLNA_SCREENSHOTS=1 they are written to docs/img/
instead (tracked files, so CI never rewrites them).
"""

from __future__ import annotations

import io
import os

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import expect

from respondents.management.commands.load_demo import ADMIN_USERNAME, SURVEY_SLUG
from surveys.models import Questionnaire, Wave
from tests import conftest as suite
from tests.browser import respondent as r
from tests.browser.conftest import ARTIFACTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def screenshot_dir():
    target = suite.ROOT / "docs" / "img" if os.environ.get("VOLNA_SCREENSHOTS") == "1" else ARTIFACTS
    target.mkdir(parents=True, exist_ok=True)
    return target


def test_readme_screenshots_show_the_translation_grid_and_a_russian_phone_page(live_server, new_context):
    call_command("load_demo", "--password", "demo-screenshots-only", stdout=io.StringIO())
    questionnaire = Questionnaire.objects.get(survey__slug=SURVEY_SLUG, status=Questionnaire.Status.PUBLISHED)
    wave = Wave.objects.get(survey__slug=SURVEY_SLUG, status=Wave.Status.OPEN)
    target = screenshot_dir()

    desk = new_context(viewport={"width": 1280, "height": 800}, color_scheme="light")
    log_in(desk, live_server, User.objects.get(username=ADMIN_USERNAME))
    grid = desk.new_page()
    grid.goto(f"{live_server.url}/admin/surveys/questionnaire/{questionnaire.pk}/translations/")
    expect(grid.locator("table.volna-grid-table")).to_contain_text("Укажите страну")
    grid.screenshot(path=str(target / "translation-grid.png"), animations="disabled")

    phone = new_context(
        viewport={"width": 390, "height": 844}, locale="ru-RU", color_scheme="light", is_mobile=True
    ).new_page()
    r.start(phone, f"{live_server.url}/s/{wave.slug}/")
    r.choose(phone, "consent", "yes")
    r.next_page(phone)
    r.on_page(phone, "ru", 2)
    phone.locator("select[name=country]").select_option("other")
    phone.get_by_label("Укажите страну").fill("Уругвай")
    r.choose(phone, "departure", "autumn_2022")
    phone.evaluate("document.activeElement.blur()")
    phone.screenshot(path=str(target / "respondent-page.png"), animations="disabled")
