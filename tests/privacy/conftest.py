"""The anonymity audit runs one private stack (tests/live/servers.py) configured to log all it can:
gunicorn, Django and the Celery worker at DEBUG level, PostgreSQL logging every statement and
connection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live.servers import Stack, live_stack, report_not_runnable

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    report_not_runnable(items, HERE)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with live_stack(
        name="privacy",
        web_workers=2,
        env={"LOG_LEVEL": "DEBUG", "GUNICORN_CMD_ARGS": "--log-level debug"},
        worker_log_level="DEBUG",
        postgres_settings={"log_statement": "all", "log_connections": "on", "log_disconnections": "on"},
    ) as stack:
        yield stack
