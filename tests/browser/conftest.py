"""Browser tests: headless Debian Chromium driven by Playwright against pytest-django's live server.

Chromium is launched from /usr/bin/chromium (``VOLNA_CHROMIUM``), never downloaded by Playwright. The
network of a test machine is closed, so the flags below also stop Chromium from calling Google.
Accessibility checks inject axe-core from ``tests/browser/node_modules`` (``npm ci --prefix
tests/browser``, run by ``make install`` when npm is there); without it they are reported as "could not
run", like the other tests that need a missing service (tests/conftest.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests import conftest as suite

HERE = Path(__file__).resolve().parent
AXE_JS = HERE / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = suite.ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Accessibility tests also need axe-core: report them as "could not run" without it."""
    if AXE_JS.exists() or suite._browser_missing():
        return  # without Chromium or Playwright, tests/conftest.py reports every browser test already
    reason = "needs axe-core (npm ci --prefix tests/browser)"
    for item in items:
        if "axe" not in getattr(item, "fixturenames", ()):
            continue
        if os.environ.get("VOLNA_REQUIRE_ALL") == "1":
            raise pytest.UsageError(f"VOLNA_REQUIRE_ALL=1 but {item.nodeid} {reason}")
        suite._not_run.append((item.nodeid, reason))
        item.add_marker(pytest.mark.skip(reason=f"could not run: {reason}"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module (per module so that the flag below is set only while it runs)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs its own asyncio event loop in this thread, the test's, for as long as it
    # is started; Django then sees a running loop and refuses every ORM call of the tests and fixtures
    # (SynchronousOnlyOperation), although no coroutine touches the database: the loop only talks to
    # Chromium. Allowed while Chromium runs; the other test modules keep Django's guard.
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=suite.CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


class Contexts:
    """Opens fresh browser contexts (cookies, locale, viewport…) and notes every 5xx they receive."""

    def __init__(self, browser) -> None:
        self.browser = browser
        self.opened: list[Any] = []
        self.server_errors: list[str] = []

    def __call__(self, **options: Any):
        options.setdefault("locale", "en-GB")
        context = self.browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("response", self._note)
        self.opened.append(context)
        return context

    def _note(self, response) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.request.method} {response.url}")


@pytest.fixture
def new_context(browser) -> Iterator[Contexts]:
    """Browser contexts for one test; all are closed after it, and no page may have answered 5xx."""
    contexts = Contexts(browser)
    yield contexts
    for context in contexts.opened:
        context.close()
    assert contexts.server_errors == [], "the server answered with an error"


@pytest.fixture
def axe(new_context: Contexts) -> Callable[..., Any]:
    """Open a context for accessibility checks (see ``run_axe``)."""

    def open_context(**options: Any):
        # axe-core is injected with add_script_tag(path=...), which inlines the script; the pages' CSP
        # (default-src 'self') rightly blocks inline scripts, so this context alone bypasses CSP.
        return new_context(bypass_csp=True, **options)

    return open_context


def run_axe(page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now."""
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")


def serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v.get("impact") in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['html'][:160]}")
    return "\n".join(lines)


@dataclass
class Demo:
    """The demo survey (surveys/demo/emigrants_2022.xlsx), published, with an open and a closed wave."""

    survey: Any
    questionnaire: Any
    wave: Any
    closed_wave: Any

    def url(self, live_server, path: str = "") -> str:
        return f"{live_server.url}/s/{self.wave.slug}/{path}"


@pytest.fixture
def demo(transactional_db) -> Demo:
    """What ``load_demo`` makes, minus its ~3,000 synthetic responses (which only slow these tests)."""
    from django.contrib.auth.models import Group

    from respondents.management.commands import load_demo
    from surveys.services import questionnaire_publish, survey_create, wave_close, wave_create, wave_open
    from surveys.xlsform import xlsform_import

    survey = survey_create(
        slug=load_demo.SURVEY_SLUG,
        title=load_demo.SURVEY_TITLE,
        languages=["en", "ru"],
        default_language="en",
        team=Group.objects.create(name=load_demo.TEAM_NAME),
    )
    form = load_demo.DEMO_FORM
    draft = xlsform_import(survey=survey, file_bytes=form.read_bytes(), filename=form.name)
    questionnaire = questionnaire_publish(questionnaire=draft)
    texts = {"welcome": load_demo.WELCOME, "thanks": load_demo.THANKS}
    closed = wave_close(wave=wave_open(wave=wave_create(questionnaire=questionnaire, name="Spring", **texts)))
    wave = wave_open(wave=wave_create(questionnaire=questionnaire, name="Autumn", **texts))
    return Demo(survey=survey, questionnaire=questionnaire, wave=wave, closed_wave=closed)


@pytest.fixture
def concurrent_requests(request: pytest.FixtureRequest, transactional_db) -> None:
    """Needs a database that serves the live server's request threads concurrently (PostgreSQL).

    The SQLite test database lives in memory and is shared by every thread through one connection: two
    requests at once fail there with "database table is locked", which says nothing about Volna.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    reason = "needs PostgreSQL for concurrent requests (set DATABASE_URL=postgresql://...)"
    if os.environ.get("VOLNA_REQUIRE_ALL") == "1":
        pytest.fail(f"VOLNA_REQUIRE_ALL=1 but this test {reason}")
    suite._not_run.append((request.node.nodeid, reason))
    pytest.skip(f"could not run: {reason}")


@pytest.fixture
def every_type_wave(transactional_db):
    """An open wave whose second page holds one question of every type (matrix, ranking, likert…)."""
    from surveys.services import questionnaire_publish, wave_create, wave_open
    from tests.respondents.conftest import build_every_type_questionnaire

    questionnaire = questionnaire_publish(questionnaire=build_every_type_questionnaire())
    texts = {"en": "Welcome", "ru": "Добро пожаловать"}
    return wave_open(wave=wave_create(questionnaire=questionnaire, name="Every type", welcome=texts))


def log_in(context, live_server, user) -> None:
    """Sign ``user`` in to the admin in this browser context, with a session made by the test client."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
