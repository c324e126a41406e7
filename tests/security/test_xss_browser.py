"""Stored XSS in Chromium: hostile texts (script tags, broken-out attributes, event handlers,
``javascript:`` URLs, template syntax) from an imported XLSForm, the admin, the translation grid and
respondents' answers stay inert on every page that shows them.

On each page: no dialog opened, no injected element or handler exists, and the hostile text is
there as text (so the page really showed it). The pages' CSP would block inline scripts anyway, so
it is bypassed here: only escaping may protect them.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser, log_in, new_context  # noqa: F401 (fixtures)
from tests.factories import UserFactory
from tests.security.hostile import SCRIPT, TEMPLATE, admin_paths, build_hostile_survey, codebook_html

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INJECTED = """() => {
    const found = [];
    if (document.querySelector('img[src="x"]')) found.push('an injected <img>');
    for (const script of document.scripts) {
        if (script.textContent.includes('alert(1)')) found.push('an injected <script>');
    }
    for (const element of document.querySelectorAll('*')) {
        for (const attribute of element.attributes) {
            const name = attribute.name.toLowerCase();
            const value = attribute.value.trim().toLowerCase();
            if (name.startsWith('on') && value.includes('alert(1)')) found.push(`a ${name} handler`);
            if (['href', 'src', 'action', 'formaction'].includes(name) && value.startsWith('javascript:')) {
                found.push(`a javascript: ${name}`);
            }
        }
    }
    return found;
}"""
# The hostile text as text: in the page's words or in a form field's value.
SHOWN = """(needle) => document.body.innerText.includes(needle) ||
    [...document.querySelectorAll('input, textarea')].some((field) => field.value.includes(needle))"""


class Watched:
    """A page whose dialogs (alert, confirm, prompt) are recorded and dismissed."""

    def __init__(self, context: Any) -> None:
        self.page = context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def inert(self, where: str, *, shows: str = SCRIPT) -> None:
        self.page.wait_for_load_state("load")
        assert self.dialogs == [], f"a dialog opened on {where}: {self.dialogs}"
        assert self.page.evaluate(INJECTED) == [], f"hostile markup became live on {where}"
        assert self.page.evaluate(SHOWN, shows), f"{where} should show the hostile text as text"


@pytest.fixture
def hostile(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return build_hostile_survey()


def test_hostile_texts_stay_inert_in_the_admin_dashboard_and_codebook(live_server, new_context, hostile):  # noqa: F811
    context = new_context(bypass_csp=True)
    log_in(context, live_server, UserFactory(username="root", is_superuser=True))
    watched = Watched(context)

    for where, path in admin_paths(hostile).items():
        shown = watched.page.goto(f"{live_server.url}{path}")
        assert shown is not None and shown.status == 200, f"{where}: {shown and shown.status}"
        watched.inert(f"the admin {where}")

    watched.page.goto(f"{live_server.url}{admin_paths(hostile)['preview in English']}")
    watched.inert("the preview", shows=TEMPLATE)  # template syntax shown as typed, never evaluated

    watched.page.set_content(codebook_html(hostile))
    watched.inert("the codebook page")


def test_hostile_texts_and_answers_stay_inert_for_respondents(live_server, new_context, hostile):  # noqa: F811
    wave = hostile.wave
    watched = Watched(new_context(bypass_csp=True, locale="en-GB"))
    page = watched.page

    page.goto(f"{live_server.url}/s/{wave.slug}/")
    watched.inert("the welcome page")
    page.locator("main form.volna-form button[type=submit]").click()
    expect(page.locator("input[name=story]")).to_be_visible()
    watched.inert("the first page of questions")

    # the respondent types hostile text, goes on, then comes back to what they typed
    typed = f'</textarea></script>{SCRIPT}"><img src=x onerror=alert(1)>'
    page.locator("input[name=colour][value=blue]").check()
    page.locator("input[name=size][value=small]").check()
    page.locator("input[name=story]").fill(typed)
    page.locator("input[name=age]").fill("30")
    page.locator("button[name=volna_action][value=next]").click()
    expect(page.locator("input[name=colour_after]").first).to_be_visible()
    watched.inert("the second page (whose same-page logic carries the answer)")
    page.locator("button[name=volna_action][value=back]").click()
    expect(page.locator("input[name=story]")).to_have_value(typed)
    watched.inert("the first page showing the typed answer", shows=typed)

    # a wrong number brings the page back with the researcher's hostile constraint message
    page.locator("input[name=age]").fill("200")
    page.locator("button[name=volna_action][value=next]").click()
    expect(page.locator("input[name=age]")).to_have_value("200")
    watched.inert("the page with the constraint message")

    page.goto(f"{live_server.url}/s/{wave.slug}/thanks/")
    watched.inert("the thanks page (not finished: back to the page)")
