"""axe-core on every kind of respondent page: no violation of impact "serious" or "critical"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import respondent as r
from tests.browser.conftest import describe, run_axe, serious

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Audit:
    """Runs axe on each page it is shown and keeps the serious and critical violations by page."""

    def __init__(self, page) -> None:
        self.page = page
        self.found: dict[str, list] = {}
        self.audited: list[str] = []

    def __call__(self, name: str) -> None:
        self.audited.append(name)
        violations = serious(run_axe(self.page))
        if violations:
            self.found[name] = violations

    def report(self) -> str:
        return "\n".join(f"--- {name}\n{describe(violations)}" for name, violations in self.found.items())


@pytest.mark.parametrize("locale,language", [("en-GB", "en"), ("ru-RU", "ru")])
def test_respondent_pages_have_no_serious_accessibility_violations(live_server, demo, axe, locale, language):
    page = axe(locale=locale).new_page()
    audit = Audit(page)

    page.goto(demo.url(live_server))
    audit("welcome")
    page.locator(r.START).click()
    r.on_page(page, language, 1)
    audit("page 1 (consent)")
    r.next_page(page)
    expect(page.locator("#volna-errors")).to_be_visible()
    audit("page 1 with a validation error")
    r.choose(page, "consent", "yes")
    r.next_page(page)
    r.on_page(page, language, 2)
    page.locator("select[name=country]").select_option("other")
    expect(r.question(page, "country_other")).to_be_visible()
    audit("page 2 (background, 'specify' shown)")
    r.next_page(page)
    expect(page.locator("#volna-errors")).to_be_visible()
    audit("page 2 with validation errors")
    r.answer_background(page, {"country": "GE", "departure": "spring_2022", "birth_year": 1800})
    r.choose(page, "education", "higher")
    r.next_page(page)
    expect(page.locator("#volna-errors")).to_be_visible()
    audit("page 2 with a constraint error")
    page.locator("input[name=birth_year]").fill("1990")
    r.next_page(page)
    r.on_page(page, language, 3)
    r.choose(page, "act_after", "rally")
    audit("page 3 (activism)")
    r.choose(page, "act_after", "none")
    r.next_page(page)
    expect(page.locator("#volna-errors")).to_be_visible()
    audit("page 3 with errors on checkboxes and radios")
    page.locator("input[name=act_after][value=rally]").uncheck()
    page.locator("input[name=act_after][value=none]").uncheck()
    r.next_page(page)
    r.on_page(page, language, 4)
    r.choose(page, "return_plan", "conditional")
    audit("page 4 (likert)")
    page.locator(r.LATER).click()
    expect(page.locator(".volna-code")).to_be_visible()
    audit("resume code")
    page.locator("main a.btn").click()
    r.on_page(page, language, 4)
    r.next_page(page)
    expect(page).to_have_url(re.compile(r"/thanks/$"))
    audit("thanks")
    page.goto(demo.url(live_server, "resume/"))
    audit("resume")
    page.locator("input[name=code]").fill("AAAAA-AAAAA")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".invalid-feedback, .is-invalid").first).to_be_visible()
    audit("resume with a wrong code")
    page.goto(f"{live_server.url}/s/{demo.closed_wave.slug}/")
    audit("closed wave")
    page.goto(f"{live_server.url}/s/no-such-wave/")
    audit("unknown wave")

    assert not audit.found, "axe found serious or critical violations:\n" + audit.report()


def test_a_page_of_every_question_type_has_no_serious_accessibility_violations(
    live_server, every_type_wave, axe
):
    page = axe().new_page()
    audit = Audit(page)
    r.start(page, f"{live_server.url}/s/{every_type_wave.slug}/")
    page.locator("input[name=age]").fill("30")
    r.next_page(page)
    expect(page.locator("table.volna-grid")).to_be_visible()
    audit("every question type")
    r.next_page(page)
    expect(page.locator("#volna-errors")).to_be_visible()
    audit("every question type, with errors")

    assert not audit.found, "axe found serious or critical violations:\n" + audit.report()


def test_the_accessibility_check_reports_a_known_violation(axe):
    page = axe().new_page()
    page.set_content('<html lang="en"><title>t</title><main><h1>h</h1><input type="text"></main></html>')

    found = [violation["id"] for violation in serious(run_axe(page))]

    assert found == ["label"]
