"""Fault and load tests against a private stack (tests/live/servers.py), one for this folder.

The stack is shared by the tests of this folder to keep them within a few minutes; each test that
breaks a server puts it back, and ``stack`` checks before every test that all of it answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from tests.live.servers import Stack, live_stack, report_not_runnable

HERE = Path(__file__).resolve().parent
GUNICORN_WORKERS = 4  # enough for five identical POSTs to race in different processes


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    report_not_runnable(items, HERE)


@pytest.fixture(scope="package")
def _reliability_stack() -> Iterator[Stack]:
    with live_stack(name="reliability", web_workers=GUNICORN_WORKERS) as stack:
        yield stack


@pytest.fixture
def stack(_reliability_stack: Stack) -> Stack:
    """The private stack, with every server running (a previous test may have left one down)."""
    stack = _reliability_stack
    try:
        stack.postgres.query("SELECT 1")
    except psycopg2.OperationalError:
        stack.postgres.start()
    if not stack.redis.ping():
        stack.redis.stop()
        stack.redis.start()
    if stack.worker is None or stack.worker.process.poll() is not None:
        stack.start_worker()
    return stack
