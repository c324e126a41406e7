"""Logs carry no tokens, query strings or addresses; a database outage is a 503, not a 500."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError

from config.logging import RedactFilter, redact


def test_redaction_removes_tokens_queries_and_addresses():
    line = (
        'Internal Server Error: /i/AbC123-token_x/ from ip=203.0.113.9 "GET /s/w/page/?lang=ru" 2001:db8::7'
    )

    cleaned = redact(line)

    for secret in ("AbC123-token_x", "203.0.113.9", "lang=ru", "2001:db8::7"):
        assert secret not in cleaned
    assert "/i/…/" in cleaned and "/s/w/page/?…" in cleaned


def test_redaction_leaves_clock_times_and_plain_paths_alone():
    assert redact("took 12:30:45 on /s/wave/page/") == "took 12:30:45 on /s/wave/page/"


def test_every_configured_handler_redacts(settings):
    config = settings.LOGGING

    for name, handler in config["handlers"].items():
        assert "redact" in handler.get("filters", []), name
    assert config["filters"]["redact"]["()"] == "config.logging.RedactFilter"


def test_the_filter_rewrites_formatted_records():
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Error: %s", ("/i/secret/",), None
    )

    RedactFilter().filter(record)

    assert record.getMessage() == "Error: /i/…/"


@pytest.mark.django_db
def test_a_database_outage_is_a_503_with_retry_after(client, monkeypatch):
    from respondents import services

    def database_down(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "invitation_find", database_down)

    response = client.get("/i/some-token/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
