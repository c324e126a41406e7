from __future__ import annotations

import json

import pytest
from django.db import OperationalError, connection


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["database"] == "ok"
    assert body["broker"] in {"ok", "eager"}


@pytest.mark.django_db
def test_healthz_is_503_when_database_does_not_answer(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(connection, "cursor", broken_cursor)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert json.loads(response.content)["database"] == "down"


@pytest.mark.django_db
def test_healthz_reports_broker_down_without_failing(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get("/healthz")

    assert response.status_code == 200
    assert json.loads(response.content) == {"database": "ok", "broker": "down"}


@pytest.mark.integration
@pytest.mark.django_db
def test_healthz_sees_real_postgres_and_redis(client):
    response = client.get("/healthz")

    assert json.loads(response.content) == {"database": "ok", "broker": "ok"}
    assert connection.vendor == "postgresql"
