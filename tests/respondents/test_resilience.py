"""Expired sessions and CSRF tokens never lose answers; hostile input stores nothing; no tracking."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from respondents.models import Response
from tests.respondents.test_flow_views import page_fields, post_form, start, submit

pytestmark = pytest.mark.django_db


def test_an_expired_csrf_token_brings_the_page_back_filled_in(open_wave):
    client = Client(enforce_csrf_checks=True)
    welcome = client.get(f"/s/{open_wave.slug}/")
    import re

    token = re.search(r'name="start_token" value="([^"]+)"', welcome.content.decode()).group(1)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', welcome.content.decode()).group(1)
    client.post(f"/s/{open_wave.slug}/", {"start_token": token, "csrfmiddlewaretoken": csrf})
    hidden = page_fields(client, open_wave)
    client.cookies.clear()  # the session and CSRF cookies expired while the respondent was away

    response = post_form(
        client,
        f"/s/{open_wave.slug}/page/",
        {**hidden, "volna_action": "next", "consent": "yes", "csrfmiddlewaretoken": "stale"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "expired" in html
    assert re.search(r'value="yes"[^>]*checked|checked[^>]*value="yes"', html)
    assert Response.objects.get().answers == {}  # not saved yet: the respondent submits again
    # the page came back with a fresh token: submitting again now works
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    again = post_form(
        client,
        f"/s/{open_wave.slug}/page/",
        {**hidden, "volna_action": "next", "consent": "yes", "csrfmiddlewaretoken": csrf},
    )
    assert again.status_code == 302
    assert Response.objects.get().answers == {"consent": "yes"}


def test_a_lost_cookie_does_not_lose_the_response(client, open_wave):
    start(client, open_wave)
    hidden = page_fields(client, open_wave)
    client.cookies.clear()

    response = submit(client, open_wave, {"consent": "yes"}, hidden=hidden)

    assert response.status_code == 302
    assert Response.objects.get().answers == {"consent": "yes"}


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"consent": "maybe"}, 200),  # unknown choice code: a form error
        ({"consent": ["yes", "no"]}, 200),  # two values for a single choice
        ({"consent": "yes", "birth_year": "1990"}, 400),  # a question that is not on this page
        ({"consent": "yes", "is_admin": "1"}, 400),  # a field that exists nowhere
    ],
)
def test_hostile_answers_store_nothing(client, open_wave, answers, expected):
    start(client, open_wave)

    response = submit(client, open_wave, answers)

    assert response.status_code == expected
    assert Response.objects.get().answers == {}


def test_a_one_megabyte_text_is_a_form_error(client, open_wave):
    start(client, open_wave)
    submit(client, open_wave, {"consent": "yes"})

    response = submit(client, open_wave, {"birth_year": "9" * 1_000_000})

    assert response.status_code == 200
    assert "birth_year" not in Response.objects.get().answers


def test_wrong_types_are_form_errors(client, open_wave):
    start(client, open_wave)
    submit(client, open_wave, {"consent": "yes"})

    for value in ("twelve", "1e999", "NaN", "12abc", "1990.5"):
        response = submit(client, open_wave, {"birth_year": value})
        assert response.status_code == 200, value
    assert "birth_year" not in Response.objects.get().answers


def test_invalid_utf8_is_refused(client, open_wave):
    start(client, open_wave)
    hidden = page_fields(client, open_wave)
    body = "&".join(f"{k}={v}" for k, v in hidden.items()) + "&volna_action=next&consent=%FF%FEyes"

    response = client.post(
        f"/s/{open_wave.slug}/page/", body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert Response.objects.get().answers == {}


def test_ten_thousand_fields_are_refused(client, open_wave):
    start(client, open_wave)
    hidden = page_fields(client, open_wave)
    flood = {f"f{i}": "x" for i in range(10_000)}

    response = post_form(client, f"/s/{open_wave.slug}/page/", {**hidden, "consent": "yes", **flood})

    assert response.status_code == 400
    assert Response.objects.get().answers == {}


def test_a_filled_honeypot_stores_nothing(client, open_wave):
    start(client, open_wave)

    response = submit(client, open_wave, {"consent": "yes", "website": "http://spam.example"})

    assert response.status_code == 400
    assert Response.objects.get().answers == {}


def test_a_forged_page_reference_is_ignored(client, open_wave):
    start(client, open_wave)
    hidden = {**page_fields(client, open_wave), "volna_response": "forged"}
    client.cookies.clear()

    response = submit(client, open_wave, {"consent": "yes"}, hidden=hidden)

    assert response.status_code == 302 and response["Location"] == f"/s/{open_wave.slug}/"
    assert Response.objects.get().answers == {}


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there: Redis is down
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
)
def test_respondents_complete_the_survey_while_redis_is_down(client, open_wave):
    start(client, open_wave)
    submit(client, open_wave, {"consent": "yes"})
    finished = submit(client, open_wave, {"birth_year": "1990"})

    assert finished["Location"].endswith("/thanks/")
    assert Response.objects.get().status == Response.Status.COMPLETED


def test_no_address_agent_or_referrer_is_stored_or_logged(client, open_wave, caplog):
    canaries = {
        "REMOTE_ADDR": "203.0.113.77",
        "HTTP_X_FORWARDED_FOR": "198.51.100.23",
        "HTTP_USER_AGENT": "CanaryBrowser/9.9",
        "HTTP_REFERER": "https://canary-referrer.example/",
    }
    client.defaults.update(canaries)
    caplog.set_level(logging.DEBUG)

    start(client, open_wave)
    submit(client, open_wave, {"consent": "yes"})
    submit(client, open_wave, {"birth_year": "1990"})

    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    everything = dump.getvalue() + caplog.text
    for value in canaries.values():
        assert value not in everything
    assert json.loads(dump.getvalue())  # the dump is real
    response = Response.objects.get()
    assert not hasattr(response.started_on, "hour")


def test_a_multipart_post_is_refused_with_a_reason(client, open_wave):
    start(client, open_wave)
    hidden = page_fields(client, open_wave)

    response = client.post(f"/s/{open_wave.slug}/page/", {**hidden, "volna_action": "next", "consent": "yes"})

    assert response.status_code == 400
    assert b"URL-encoded" in response.content
