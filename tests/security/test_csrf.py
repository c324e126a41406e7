"""CSRF: no view is exempt, and a POST without a valid token changes nothing anywhere.

Every URL pattern of ``config.urls`` is walked from the resolver. Admin and other pages answer 403;
two respondent pages answer more kindly (``respondents.resume_views.csrf_failure``): the page of
questions comes back filled in, asking to submit again, and the welcome page is shown again. None
of them writes to the database.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from respondents import pages
from respondents.models import Response
from tests.factories import UserFactory
from tests.security.conftest import TeamWorld
from tests.security.routes import Route, all_routes

pytestmark = pytest.mark.django_db

# Views of config.urls allowed to skip CSRF checks, each with its reason (docs/security.md). None.
CSRF_EXEMPT_ALLOWED: dict[str, str] = {}
# Outside config.urls: the benchmark server's bare baseline view (bench/urls.py, never deployed).
BENCH_EXEMPT = {"bench-baseline"}
# Respondent pages whose CSRF failure is a friendly page rather than a bare 403.
FRIENDLY = {"respondents:page": 200, "respondents:welcome": 302}
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
CSRF_SECRET = "a" * 32  # a well-formed CSRF cookie, so the refusal is for the missing token


def exempt(route: Route) -> bool:
    return bool(getattr(route.callback, "csrf_exempt", False))


def test_no_view_of_the_site_is_csrf_exempt():
    routes = all_routes()

    found = {route.name or route.route for route in routes if exempt(route)}

    assert len(routes) > 80
    assert found == set(CSRF_EXEMPT_ALLOWED)


def test_the_benchmark_servers_baseline_is_its_only_exempt_view_and_is_not_in_the_site():
    bench = all_routes("bench.urls")
    site = {route.route for route in all_routes()}

    found = {route.name for route in bench if exempt(route)}

    assert found == BENCH_EXEMPT
    assert not any(route.route in site for route in bench if route.name in BENCH_EXEMPT)


def route_values(world: TeamWorld) -> dict[str, object]:
    return {
        "object_id": world.survey.pk,
        "wave_id": world.wave.pk,
        "job_id": world.export_job.pk,
        "snapshot_id": world.snapshot.pk,
        "language": "en",
        "id": world.researcher.pk,
        "content_type_id": 1,
        "slug": world.wave.slug,
        "token": world.invitation_token,
    }


def object_id_for(route: Route, world: TeamWorld) -> object:
    """An existing object of the route's own model, so each view would act if CSRF let it."""
    from surveys.models import CheckRun, Question, Questionnaire, Section, Wave

    model = route.admin_model
    ids = {
        Questionnaire: world.draft.pk,
        Section: world.section.pk,
        Question: world.question.pk,
        type(world.choice_list): world.choice_list.pk,
        Wave: world.wave.pk,
        CheckRun: world.check_run.pk,
        type(world.export_job): world.export_job.pk,
        type(world.researcher): world.researcher.pk,
        type(world.team): world.team.pk,
    }
    return ids.get(model, world.survey.pk)


def posted_form(world: TeamWorld) -> dict[str, str]:
    """What a real form would send, minus the CSRF token (the page form carries its signed reference)."""
    return {
        "volna_response": pages.sign_response(world.response),
        "volna_section": "about",
        "volna_action": "next",
        "birth_year": "1990",
        "code": world.resume_code,
        "username": world.researcher.username,
        "password": "correct horse battery staple",
        "name": "renamed",
        "action": "job",
        "format": "csv",
    }


@pytest.mark.parametrize("token", [None, "wrong-token-" + "b" * 52], ids=["no token", "wrong token"])
def test_a_post_without_a_valid_token_is_refused_everywhere_and_writes_nothing(team_a: TeamWorld, token):
    # given: a signed-in superuser (every admin view would act) whose browser holds a CSRF cookie
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="root", is_superuser=True))
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    data = posted_form(team_a)
    if token:
        data["csrfmiddlewaretoken"] = token
    refused: list[str] = []

    for route in all_routes():
        values = {**route_values(team_a), "object_id": object_id_for(route, team_a)}
        url = route.url(values)
        # when
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, data)
        # then
        expected = FRIENDLY.get(route.name, 403)
        writes = [query["sql"][:80] for query in queries if WRITES.match(query["sql"])]
        if response.status_code != expected or writes:
            refused.append(f"{route}: {response.status_code} (expected {expected}), writes {writes}")

    assert refused == []


def test_the_friendly_refusal_of_a_page_keeps_what_was_typed_and_saves_nothing(team_a: TeamWorld):
    client = Client(enforce_csrf_checks=True)
    before = Response.objects.get(pk=team_a.response.pk)

    response = client.post(f"/s/{team_a.wave.slug}/page/", posted_form(team_a))

    html = response.content.decode()
    assert response.status_code == 200
    assert "expired" in html and 'value="1990"' in html
    after = Response.objects.get(pk=team_a.response.pk)
    assert (after.answers, after.revision, after.current_section) == (
        before.answers,
        before.revision,
        before.current_section,
    )


def test_the_friendly_refusal_of_the_welcome_page_starts_no_response(team_a: TeamWorld):
    client = Client(enforce_csrf_checks=True)
    count = Response.objects.count()

    response = client.post(f"/s/{team_a.wave.slug}/", {"start_token": "anything"})

    assert response.status_code == 302 and response["Location"] == f"/s/{team_a.wave.slug}/"
    assert Response.objects.count() == count


@pytest.mark.parametrize("path", ["resume/", "code/"])
def test_resume_code_pages_refuse_a_post_without_a_token(team_a: TeamWorld, path: str):
    client = Client(enforce_csrf_checks=True)

    response = client.post(f"/s/{team_a.wave.slug}/{path}", {"code": team_a.resume_code})

    assert response.status_code == 403
    assert Response.objects.get(pk=team_a.response.pk).resume_code_hash  # the code was not replaced


def test_admin_login_refuses_a_post_without_a_token_and_counts_no_failure(team_a: TeamWorld):
    from axes.models import AccessAttempt

    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "alice", "password": "wrong"})

    assert response.status_code == 403
    assert not AccessAttempt.objects.exists()
