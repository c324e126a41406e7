"""Admin sign-in throttling: per username, in the database, recording no address or user agent, and
apart from the respondents' resume-code and invitation limits."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from respondents.models import Response
from tests.factories import UserFactory
from tests.security.conftest import TeamWorld

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
LOGIN = "/admin/login/"
CANARY_IP = "203.0.113.77"
CANARY_FORWARDED = "198.51.100.23"
CANARY_AGENT = "CanaryBrowser/9.9 (canary-agent-7f3a)"
CANARY_ACCEPT = "text/canary-accept-5b1e"
CANARY_REFERER = "https://canary-referer.example/p"
CLIENT_HEADERS = {
    "REMOTE_ADDR": CANARY_IP,
    "HTTP_X_FORWARDED_FOR": CANARY_FORWARDED,
    "HTTP_USER_AGENT": CANARY_AGENT,
    "HTTP_ACCEPT": CANARY_ACCEPT,
    "HTTP_REFERER": CANARY_REFERER,
}
CANARIES = (CANARY_IP, CANARY_FORWARDED, CANARY_AGENT, "canary-agent", CANARY_ACCEPT, "canary-referer")


def sign_in(client: Client, username: str, password: str, **headers: str):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, **headers)


def signed_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The count does not depend on the hasher; the default one makes each sign-in take 0.3 s."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


def test_the_limit_is_five_failures_and_the_lock_lasts_fifteen_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]


def test_the_fifth_failure_locks_the_username_and_then_even_the_right_password_is_refused(alice):
    client = Client()
    for attempt in range(1, 5):
        response = sign_in(client, "alice", f"wrong {attempt}")
        assert response.status_code == 200, attempt
        assert "Please enter the correct username and password" in response.content.decode()

    locked = sign_in(client, "alice", "wrong 5")

    assert locked.status_code == 429
    html = locked.content.decode()
    assert "This username is locked after 5 failed sign-in attempts." in html
    assert "Please wait 15 minutes" in html
    assert locked["Retry-After"] == "900"
    right = sign_in(Client(), "alice", PASSWORD)
    assert right.status_code == 429
    assert not signed_in(client)
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 5


def test_attempts_while_locked_do_not_extend_the_lock(alice):
    client = Client()
    for attempt in range(5):
        sign_in(client, "alice", f"wrong {attempt}")
    locked_at = AccessAttempt.objects.get(username="alice").attempt_time

    for _ in range(3):
        assert sign_in(client, "alice", "still wrong").status_code == 429

    attempt = AccessAttempt.objects.get(username="alice")
    assert (attempt.failures_since_start, attempt.attempt_time) == (5, locked_at)


def test_after_the_cool_off_the_right_password_signs_in_and_clears_the_count(alice):
    client = Client()
    for attempt in range(5):
        sign_in(client, "alice", f"wrong {attempt}")
    # the lock began sixteen minutes ago
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    response = sign_in(client, "alice", PASSWORD)

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert signed_in(client)
    assert not AccessAttempt.objects.exists()


def test_a_success_before_the_limit_resets_the_count(alice):
    client = Client()
    for attempt in range(4):
        sign_in(client, "alice", f"wrong {attempt}")

    assert sign_in(client, "alice", PASSWORD).status_code == 302
    client.post("/admin/logout/")
    for attempt in range(4):
        assert sign_in(client, "alice", f"wrong again {attempt}").status_code == 200

    assert AccessAttempt.objects.get(username="alice").failures_since_start == 4


def test_the_count_is_per_username_whatever_address_or_browser_the_guesses_come_from(alice):
    UserFactory(username="boris")
    for attempt in range(5):
        # every guess from another address and another browser
        sign_in(
            Client(),
            "alice",
            f"wrong {attempt}",
            REMOTE_ADDR=f"192.0.2.{attempt + 1}",
            HTTP_USER_AGENT=f"Agent/{attempt}",
        )

    assert sign_in(Client(), "alice", PASSWORD).status_code == 429
    boris = Client()
    assert sign_in(boris, "boris", PASSWORD).status_code == 302  # another username is not affected
    assert signed_in(boris)


def test_nothing_about_the_client_is_stored_or_logged(alice, caplog):
    caplog.set_level(logging.DEBUG)
    client = Client()

    for attempt in range(6):
        sign_in(client, "alice", f"wrong {attempt}", **CLIENT_HEADERS)
    UserFactory(username="boris")
    sign_in(Client(), "boris", PASSWORD, **CLIENT_HEADERS)

    attempt = AccessAttempt.objects.get(username="alice")
    assert attempt.ip_address is None
    assert (attempt.user_agent, attempt.http_accept) == ("", "")
    assert not AccessLog.objects.exists() and not AccessFailureLog.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM axes_accessattempt")
        stored = repr(cursor.fetchall())
    assert not [canary for canary in CANARIES if canary in stored]
    assert "alice" in stored  # the username is what the count is kept by
    assert "wrong" not in stored  # nor any password typed
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "AXES: Locking out" in logged  # the log does say what happened
    assert not [canary for canary in CANARIES if canary in logged]


def test_lockout_works_with_redis_down(alice, settings):
    # the cache points at a port where nothing listens
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    client = Client()

    statuses = [sign_in(client, "alice", f"wrong {attempt}").status_code for attempt in range(5)]

    assert statuses == [200, 200, 200, 200, 429]
    assert sign_in(Client(), "alice", PASSWORD).status_code == 429


# -- the respondents' limits are separate ----------------------------------------------------------


def resume(client: Client, world: TeamWorld, code: str, **headers: str):
    return client.post(f"/s/{world.wave.slug}/resume/", {"code": code}, **headers)


def test_respondents_guesses_neither_reset_nor_add_to_an_admin_lockout(team_a: TeamWorld):
    # given: alice's username is locked
    client = Client()
    for attempt in range(5):
        sign_in(client, "alice", f"wrong {attempt}")
    before = AccessAttempt.objects.values_list("username", "failures_since_start", "attempt_time")
    before = list(before)

    # when: from the same browser, wrong and right resume codes and unknown invitation tokens
    statuses = [resume(client, team_a, "AAAAA-AAAAA").status_code for _ in range(11)]
    unknown = [client.get(f"/i/not-a-real-token-{n}/").status_code for n in range(3)]
    right = resume(Client(), team_a, team_a.resume_code, REMOTE_ADDR="192.0.2.200")

    # then
    assert statuses[:10] == [200] * 10 and statuses[10] == 429  # the respondents' own limit
    assert unknown == [404, 404, 404]
    assert right.status_code == 302
    assert (
        list(AccessAttempt.objects.values_list("username", "failures_since_start", "attempt_time")) == before
    )
    assert sign_in(Client(), "alice", PASSWORD).status_code == 429


def test_admin_sign_ins_neither_reset_nor_add_to_the_respondents_limit(team_a: TeamWorld):
    # given: nine wrong resume codes from one address (the tenth failure would lock the form)
    client = Client(REMOTE_ADDR=CANARY_IP)
    for _ in range(9):
        assert resume(client, team_a, "AAAAA-AAAAA").status_code == 200

    # when: many failed admin sign-ins from the same address do not count against respondents
    for attempt in range(6):
        sign_in(client, "alice", f"wrong {attempt}")
    # then
    assert resume(client, team_a, "AAAAA-AAAAA").status_code == 200  # the tenth failure
    assert resume(client, team_a, "AAAAA-AAAAA").status_code == 429  # now locked

    # when: a successful admin sign-in from the same address does not lift the respondents' lock
    UserFactory(username="boris")
    assert sign_in(client, "boris", PASSWORD).status_code == 302
    # then
    assert resume(client, team_a, team_a.resume_code).status_code == 429
    assert Response.objects.get(pk=team_a.response.pk).resume_code_hash
