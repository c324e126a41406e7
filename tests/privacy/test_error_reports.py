"""A 500 on a respondent page: neither the error report nor the log carries answers or who sent them.

Django's report of an unhandled exception (mailed to ADMINS by ``AdminEmailHandler``, or shown by any
tool fed from the same reporter) lists the POST body, every frame's local variables, the cookies and
the request's headers. Here a page submit fails deep inside the saving service (where the locals
hold the answers) from a browser with a canary address, agent and referrer, with DEBUG off.
"""

from __future__ import annotations

import io
import logging
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils.log import AdminEmailHandler
from django.utils.module_loading import import_string

from surveys.services import questionnaire_publish, wave_create, wave_open
from tests.factories import QuestionFactory, SectionFactory
from tests.respondents.test_flow_views import page_fields, post_form, start

pytestmark = pytest.mark.django_db

ANSWER = "canary-answer-5b1e: I was detained at the border"
CANARY_IP = "203.0.113.77"
CANARY_AGENT = "CanaryAgent/7.7 (canary-agent-5b1e)"
CANARY_REFERRER = "https://canary-referrer.example/from-5b1e"


@pytest.fixture
def text_wave():
    section = SectionFactory(name="story")
    QuestionFactory(section=section, name="story", label={"en": "Your story", "ru": "Ваша история"})
    questionnaire = questionnaire_publish(questionnaire=section.questionnaire)
    return wave_open(wave=wave_create(questionnaire=questionnaire, name="Errors"))


@pytest.fixture
def reports(settings):
    """Mail and log every unhandled exception the way a deployment with ADMINS would."""
    settings.DEBUG = False
    settings.ADMINS = [("Operations", "ops@example.org")]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    logger = logging.getLogger("django.request")
    mailer = AdminEmailHandler(include_html=True)
    log = io.StringIO()
    # the project's own console handler, formatter and filters (config/settings.py LOGGING)
    console = logging.StreamHandler(log)
    plain = settings.LOGGING["formatters"]["plain"]
    console.setFormatter(import_string(plain["()"])(plain["format"]))
    for handler in logger.handlers:
        for log_filter in handler.filters:
            console.addFilter(log_filter)
    logger.addHandler(mailer)
    logger.addHandler(console)
    try:
        yield log
    finally:
        logger.removeHandler(mailer)
        logger.removeHandler(console)


def _fail_while_saving(monkeypatch) -> None:
    """The page's UPDATE fails (a bug, a constraint): the saving service's frames hold the answers,
    and the error's message quotes the row, as PostgreSQL's "Failing row contains (…)" does."""
    from respondents import statements

    def broken(response, seen_revision, **kwargs):
        raise RuntimeError(f"Failing row contains ({response.pk}, {response.answers})")

    monkeypatch.setattr(statements, "response_save_if_unchanged", broken)


def test_a_500_on_a_respondent_page_reports_no_answer_and_no_identity(text_wave, reports, monkeypatch):
    client = Client(
        raise_request_exception=False,
        REMOTE_ADDR=CANARY_IP,
        HTTP_X_FORWARDED_FOR=CANARY_IP,
        HTTP_USER_AGENT=CANARY_AGENT,
        HTTP_REFERER=CANARY_REFERRER,
    )
    start(client, text_wave)
    hidden = page_fields(client, text_wave)
    _fail_while_saving(monkeypatch)

    response = post_form(
        client, f"/s/{text_wave.slug}/page/", {**hidden, "volna_action": "next", "story": ANSWER}
    )

    assert response.status_code == 500
    assert len(mail.outbox) == 1
    report = mail.outbox[0]
    html = report.alternatives[0][0] if report.alternatives else ""
    text = "\n".join([report.subject, report.body, html, reports.getvalue()])
    assert "RuntimeError (message hidden)" in text  # a report was written, naming the exception
    # the message quoted the row's answers: the canary answer below must not be found anywhere
    assert "story" in report.body  # which field was posted may be seen, not what it held
    secrets = ["canary-answer-5b1e", "detained", CANARY_IP, "canary-agent-5b1e", "canary-referrer.example"]
    secrets += [morsel.value for morsel in client.cookies.values()]  # CSRF token, response cookie
    secrets += [hidden["volna_response"]]
    found = [secret for secret in secrets if secret in text]
    assert found == [], found
    # the response ID (in the cookie and the signed page reference) is not there either
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-", text)
