"""Suite-wide fixtures and the rules for tests that need real services.

- ``@pytest.mark.integration`` tests need PostgreSQL (DATABASE_URL), Redis (REDIS_URL) and a Celery
  worker. Without them they are reported as "could not run", by name, at the end of the run.
- ``@pytest.mark.browser`` tests need Chromium (/usr/bin/chromium) and Playwright.
- With VOLNA_REQUIRE_ALL=1 (CI), a test that could not run is an error, not a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("VOLNA_CHROMIUM", "/usr/bin/chromium")
_not_run: list[tuple[str, str]] = []


def _integration_missing() -> str | None:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        return "needs PostgreSQL (set DATABASE_URL=postgresql://...)"
    if not os.environ.get("REDIS_URL"):
        return "needs Redis and a Celery worker (set REDIS_URL=redis://...)"
    return None


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "needs Playwright for Python (pip install -r requirements-dev.txt)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    require_all = os.environ.get("VOLNA_REQUIRE_ALL") == "1"
    reasons = {"integration": _integration_missing(), "browser": _browser_missing()}
    for item in items:
        for marker, reason in reasons.items():
            if reason and item.get_closest_marker(marker):
                if require_all:
                    raise pytest.UsageError(f"VOLNA_REQUIRE_ALL=1 but {item.nodeid} {reason}")
                _not_run.append((item.nodeid, reason))
                item.add_marker(pytest.mark.skip(reason=f"could not run: {reason}"))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not _not_run:
        return
    terminalreporter.section("tests that could not run here")
    by_reason: dict[str, list[str]] = {}
    for nodeid, reason in _not_run:
        by_reason.setdefault(reason, []).append(nodeid)
    for reason, nodeids in by_reason.items():
        terminalreporter.write_line(f"{len(nodeids)} test(s) {reason}:")
        for nodeid in nodeids:
            terminalreporter.write_line(f"    {nodeid}")
    terminalreporter.write_line("CI runs all of them against real PostgreSQL, Redis, Celery and Chromium.")


@pytest.fixture(autouse=True)
def _celery_mode(request: pytest.FixtureRequest) -> Iterator[None]:
    """Unit tests run tasks eagerly; integration tests send them to the real worker."""
    from config.celery import app

    eager = request.node.get_closest_marker("integration") is None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager or previous
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fresh_memory() -> Iterator[None]:
    """Forget what the respondent path keeps in process memory (primary keys are reused between
    tests once their transactions roll back)."""
    from respondents.forms.render import local_cache_clear
    from respondents.frame import frames_clear
    from respondents.snapshots import caches_clear

    caches_clear()
    local_cache_clear()
    frames_clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_cache(request: pytest.FixtureRequest, settings) -> Iterator[None]:
    """Each unit test gets an empty in-memory cache (counters of one test never leak into another).

    Integration tests keep the configured cache (Redis).
    """
    if request.node.get_closest_marker("integration") is None:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": request.node.nodeid,
            }
        }
        from django.core.cache import cache

        cache.clear()
    yield


def _database_url_for_worker() -> str:
    from django.db import connection

    settings_dict = connection.settings_dict
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgresql://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker) -> Iterator[None]:
    """A real Celery worker consuming from Redis and writing to the test database.

    CI starts one before the suite (VOLNA_EXTERNAL_WORKER=1); elsewhere this fixture starts one.
    """
    from config.celery import app

    process = None
    if os.environ.get("VOLNA_EXTERNAL_WORKER") != "1":
        env = dict(os.environ, DATABASE_URL=_database_url_for_worker(), CONN_MAX_AGE="0")
        celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
        process = subprocess.Popen(
            [celery, "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING", "-n", "pytest@%h"],
            cwd=ROOT,
            env=env,
        )
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=1.0):
        if time.monotonic() > deadline:
            if process:
                process.terminate()
            pytest.fail("no Celery worker answered within 60 s")
    yield
    if process:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def open_wave(db):
    """An open wave on a published two-page bilingual questionnaire (see build_small_questionnaire)."""
    from surveys.services import questionnaire_publish, wave_create, wave_open
    from tests.surveys.conftest import build_small_questionnaire

    questionnaire = questionnaire_publish(questionnaire=build_small_questionnaire())
    wave = wave_create(
        questionnaire=questionnaire,
        name="Wave 1",
        welcome={"en": "Welcome", "ru": "Добро пожаловать"},
        thanks={"en": "Thank you", "ru": "Спасибо"},
    )
    return wave_open(wave=wave)
