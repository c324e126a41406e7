"""The production settings documented in the README pass ``manage.py check --deploy`` cleanly, and the
admin session cookie they give is Secure, HttpOnly and SameSite.

The settings are read from the README's "Production settings" block, so the documentation and this
test cannot drift apart; ``<...>`` placeholders get fresh random values.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys

import pytest
from django.test import Client, override_settings

from tests.conftest import ROOT
from tests.factories import UserFactory

README = ROOT / "README.md"
SECURITY_DOC = ROOT / "docs" / "security.md"
# Checks that settings.py silences, each explained in docs/security.md ("Checks that are silenced").
SILENCED = ["axes.W006"]
REQUIRED = {
    "DEBUG",
    "SECRET_KEY",
    "VOLNA_TOKEN_KEY",
    "ALLOWED_HOSTS",
    "BEHIND_TLS_PROXY",
    "SECURE_COOKIES",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
}
# Variables of the test run that must not leak into the production process.
TEST_ONLY = {"DEBUG", "SECRET_KEY", "VOLNA_TOKEN_KEY", "STATIC_MANIFEST", "DJANGO_SETTINGS_MODULE"}
SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
names = ["DEBUG", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
         "CSRF_COOKIE_SECURE", "CSRF_COOKIE_SAMESITE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
         "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER",
         "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS", "SECURE_REDIRECT_EXEMPT",
         "AXES_HANDLER", "AXES_LOCKOUT_PARAMETERS", "AXES_FAILURE_LIMIT", "SILENCED_SYSTEM_CHECKS"]
print(json.dumps({name: getattr(s, name) for name in names}))
"""


def production_environment() -> dict[str, str]:
    """The README's production block as environment variables (placeholders filled in)."""
    text = README.read_text()
    block = re.search(r"<!-- production-settings -->\s*```sh\n(.*?)```", text, re.DOTALL)
    assert block, "README.md lacks its production settings block"
    values: dict[str, str] = {}
    for line in block.group(1).splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, value = line.partition("=")
        if value.startswith("<"):
            value = secrets.token_urlsafe(50)
        values[name.strip()] = re.sub(r"<[^>]+>", "placeholder", value.strip())
    return values


def run_in_production(*args: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in TEST_ONLY}
    environment.update(production_environment(), DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def production_settings() -> dict:
    shown = run_in_production("-c", SHOW_SETTINGS)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def test_the_readme_block_sets_every_production_knob():
    values = production_environment()

    assert set(values) >= REQUIRED
    assert values["DEBUG"] == "false"
    assert values["SECRET_KEY"] != values["VOLNA_TOKEN_KEY"]


def test_check_deploy_reports_no_issues_with_the_documented_production_settings():
    result = run_in_production("manage.py", "check", "--deploy", "--fail-level", "DEBUG")

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"System check identified no issues ({len(SILENCED)} silenced)." in output


def test_check_deploy_would_flag_a_setting_left_out():
    """The test above can fail: without the HSTS knobs the same command reports them."""
    environment = production_environment()
    for name in ("SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"):
        environment.pop(name)
    base = {key: value for key, value in os.environ.items() if key not in TEST_ONLY}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert "security.W004" in result.stdout + result.stderr


def test_every_silenced_check_is_explained_in_the_security_doc(production_settings):
    doc = SECURITY_DOC.read_text()

    assert production_settings["SILENCED_SYSTEM_CHECKS"] == SILENCED
    for check in SILENCED:
        assert f"`{check}`" in doc


def test_production_cookies_headers_and_throttling(production_settings):
    expected = {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "X_FRAME_OPTIONS": "DENY",
        "AXES_HANDLER": "config.login_throttle.AnonymousDatabaseHandler",
        "AXES_LOCKOUT_PARAMETERS": ["username"],
    }

    assert {name: production_settings[name] for name in expected} == expected


@pytest.mark.django_db
def test_signing_in_with_the_production_cookie_settings_sets_a_secure_httponly_samesite_cookie(
    production_settings, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cookie_settings = {
        name: production_settings[name]
        for name in ("SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE")
    }
    UserFactory(username="alice")

    with override_settings(**cookie_settings):
        response = Client().post(
            "/admin/login/",
            {"username": "alice", "password": "correct horse battery staple", "next": "/admin/"},
            secure=True,
        )

    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@pytest.mark.django_db
def test_https_redirect_spares_only_the_health_check(production_settings):
    with override_settings(
        SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=production_settings["SECURE_REDIRECT_EXEMPT"]
    ):
        client = Client()
        health = client.get("/healthz")
        admin = client.get("/admin/login/")
        survey = client.get("/s/any-wave/")

    assert health.status_code == 200
    assert (admin.status_code, admin["Location"]) == (301, "https://testserver/admin/login/")
    assert (survey.status_code, survey["Location"]) == (301, "https://testserver/s/any-wave/")
