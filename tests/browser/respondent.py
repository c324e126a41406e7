"""Steps of a respondent in the browser, shared by the browser tests.

Controls are found by their variable name and choice code (``input[name=consent][value=yes]``), so the
same steps work in every language; the tests check the visible texts separately.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

NEXT = "button[name=volna_action][value=next]"
LATER = "button[name=volna_action][value=later]"
START = "main form.volna-form button[type=submit]"
# Section titles of the demo questionnaire (surveys/demo/survey.csv), by language.
TITLES = {
    "en": ["About this survey", "About you", "Civic activity", "Trust and plans"],
    "ru": ["Об этом опросе", "О вас", "Гражданская активность", "Доверие и планы"],
}


def start(page: Page, welcome_url: str) -> None:
    """Open the welcome page and press Start: the first page of questions follows."""
    page.goto(welcome_url)
    page.locator(START).click()
    expect(page, "Start should lead to the first page of questions").to_have_url(re.compile(r"/page/$"))


def on_page(page: Page, language: str, number: int) -> None:
    """Wait until the browser shows page ``number`` (1-based) of the demo survey in ``language``."""
    expect(page.locator("h1")).to_have_text(TITLES[language][number - 1])
    expect(page.locator("html")).to_have_attribute("lang", language)


def next_page(page: Page) -> None:
    page.locator(NEXT).click()
    page.wait_for_load_state()


def choose(page: Page, name: str, *codes: str) -> None:
    """Tick radio buttons or checkboxes of question ``name`` by choice code."""
    for code in codes:
        page.locator(f"input[name={name}][value='{code}']").check()


def answer_background(page: Page, answers: dict[str, Any]) -> None:
    """Page 2 of the demo survey, except country_other (its visibility is what tests look at)."""
    page.locator("select[name=country]").select_option(answers["country"])
    for name in ("departure", "gender", "education", "sector", "finances"):
        if name in answers:
            choose(page, name, answers[name])
    page.locator("input[name=birth_year]").fill(str(answers["birth_year"]))


def answer_attitudes(page: Page, answers: dict[str, Any]) -> None:
    """Page 4 of the demo survey, except return_conditions."""
    for name in ("trust_emigrants", "trust_stayed", "politics_interest", "return_plan"):
        if name in answers:
            choose(page, name, answers[name])
    if "comment" in answers:
        page.locator("textarea[name=comment]").fill(answers["comment"])


def question(page: Page, name: str):
    """The wrapper of question ``name`` (hidden while the question is not relevant)."""
    return page.locator(f"[data-volna-question={name}]")


def assert_styled(page: Page) -> None:
    """Bootstrap and respondent.css were served and applied (the live server serves static files)."""
    main_width = page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth")
    assert main_width == "704px", f"respondent.css is not applied (main max-width {main_width})"
    button = page.locator("main .btn-primary").first
    colour = button.evaluate("(button) => getComputedStyle(button).backgroundColor")
    assert colour == "rgb(13, 110, 253)", f"Bootstrap is not applied (primary button {colour})"


def mark_document(page: Page) -> None:
    """Tag the current document, so that ``same_document`` can tell whether the page was reloaded."""
    page.evaluate("window.__volnaSameDocument = true")


def same_document(page: Page) -> bool:
    return page.evaluate("window.__volnaSameDocument === true")
