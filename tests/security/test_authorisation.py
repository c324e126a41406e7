"""A researcher of team B gets 404 for team A's objects by every admin URL that names an object.

The URLs are not listed by hand: every pattern of the site under ``/admin/`` with a parameter is
requested (GET and POST) with team A's IDs, then with IDs that exist nowhere. Both must be refused
the same way, and that way is 404 (405 where a view takes only the other method, before it looks
anything up). Users and groups belong to no team; a researcher holds no ``auth`` permission and
gets a 404 for them too (``surveys/admin/accounts.py``).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType

from exports.models import AggregateSnapshot, AnalysisPlan, ExportAuditEntry, ExportJob
from surveys.models import CheckRun, Questionnaire, Survey, Wave
from tests.security.conftest import TeamWorld
from tests.security.routes import Route, all_routes

pytestmark = pytest.mark.django_db

MISSING_INT = 987_654_321
# Not team objects: a researcher, who holds no auth permission, cannot use their pages at all.
NOT_TEAM_SCOPED = (User, Group)


def admin_routes_with_ids() -> list[Route]:
    return [route for route in all_routes() if route.is_admin and route.parameters and not route.is_regex]


def object_values(route: Route, world: TeamWorld) -> list[dict[str, Any]]:
    """Parameter values naming ``world``'s objects (several when a version may be draft or published)."""
    model = route.admin_model
    by_model: dict[Any, list[Any]] = {
        Survey: [world.survey.pk],
        AnalysisPlan: [world.survey.pk],
        Questionnaire: [world.draft.pk, world.published.pk],
        type(world.section): [world.section.pk],
        type(world.question): [world.question.pk],
        type(world.choice_list): [world.choice_list.pk],
        Wave: [world.wave.pk],
        CheckRun: [world.check_run.pk],
        ExportJob: [world.export_job.pk],
        User: [world.researcher.pk],
        Group: [world.team.pk],
    }
    object_ids = by_model.get(model, [None]) if "object_id" in route.parameters else [None]
    values = []
    for object_id in object_ids:
        value: dict[str, Any] = {
            "wave_id": world.wave.pk,
            "job_id": world.export_job.pk,
            "snapshot_id": world.snapshot.pk,
            "language": "en",
            "id": world.researcher.pk,
        }
        if object_id is not None:
            value["object_id"] = object_id
        values.append(value)
    if route.name == "admin:view_on_site":
        values = [
            {"content_type_id": ContentType.objects.get_for_model(obj).pk, "object_id": obj.pk}
            for obj in world.instances()
        ]
    return values


def missing_values(route: Route) -> dict[str, Any]:
    """IDs that exist nowhere: what a guessed URL holds."""
    int_or_path = MISSING_INT
    return {
        "object_id": uuid.uuid4() if route.admin_model is ExportJob else int_or_path,
        "wave_id": MISSING_INT,
        "job_id": uuid.uuid4(),
        "snapshot_id": uuid.uuid4(),
        "language": "en",
        "id": MISSING_INT,
        "content_type_id": ContentType.objects.get_for_model(Survey).pk,
    }


def status(client, method: str, url: str) -> int:
    response = client.get(url) if method == "GET" else client.post(url, {"name": "taken over"})
    if response.status_code == 302 and response["Location"].endswith("/change/"):
        # the admin's old-style ".../<id>/" URL redirects to ".../<id>/change/" whatever the ID
        return status(client, method, response["Location"])
    return response.status_code


def state_of(world: TeamWorld) -> dict[str, Any]:
    """What a successful write by the other team would change."""
    world.wave.refresh_from_db()
    world.draft.refresh_from_db()
    world.survey.refresh_from_db()
    return {
        "survey": (world.survey.slug, world.survey.title, world.survey.team_id),
        "wave": (world.wave.status, world.wave.name),
        "draft": (world.draft.status, world.draft.notes),
        "versions": Questionnaire.objects.filter(survey=world.survey).count(),
        "sections": world.draft.sections.count(),
        "check runs": CheckRun.objects.filter(questionnaire__survey=world.survey).count(),
        "jobs": ExportJob.objects.filter(survey=world.survey).count(),
        "snapshots": AggregateSnapshot.objects.filter(wave=world.wave).count(),
        "waves": Wave.objects.filter(survey=world.survey).count(),
    }


def test_every_admin_url_with_an_id_is_404_for_another_teams_objects(team_a: TeamWorld, team_b: TeamWorld):
    # given: team B's researcher holds every Volna permission, on their own team only
    routes = admin_routes_with_ids()
    assert len(routes) >= 40, "the walk should find every admin pattern with a parameter"
    before = state_of(team_a)
    refused: list[str] = []

    # when / then
    for route in routes:
        for values in object_values(route, team_a):
            url = route.url(values)
            guessed = route.url(missing_values(route) | {"language": "en"})
            for method in ("GET", "POST"):
                got = status(team_b.client, method, url)
                got_for_guess = status(team_b.client, method, guessed)
                if got not in (404, 405) or got != got_for_guess:
                    refused.append(
                        f"{method} {url} ({route.name}): {got}, a missing ID gives {got_for_guess}"
                    )

    assert refused == [], "another team's objects must be indistinguishable from missing ones:\n" + "\n".join(
        refused
    )
    assert state_of(team_a) == before
    assert not ExportAuditEntry.objects.filter(
        username=team_b.researcher.username, survey=team_a.survey
    ).exists()


def test_each_admin_url_with_an_id_takes_at_least_one_method_to_404(team_a: TeamWorld, team_b: TeamWorld):
    """405 alone would prove nothing: every URL is looked up by one of its methods."""
    for route in admin_routes_with_ids():
        for values in object_values(route, team_a):
            url = route.url(values)
            assert 404 in {status(team_b.client, "GET", url), status(team_b.client, "POST", url)}, url


def test_the_same_urls_work_for_the_owning_team(team_a: TeamWorld, team_b: TeamWorld):
    """The URLs of the test above are real: team A's researcher reaches each of them (not 404)."""
    not_found = []
    for route in admin_routes_with_ids():
        if route.admin_model in NOT_TEAM_SCOPED or route.name in (
            "admin:auth_user_password_change",
            "admin:view_on_site",  # no Volna model has a public URL to show
        ):
            continue
        for values in object_values(route, team_a):
            url = route.url(values)
            if route.name == "dashboard:csv":
                url += "?table=all"
            method = "POST" if status(team_a.client, "GET", url) == 405 else "GET"
            if method == "POST" and route.name in ("admin:surveys_wave_close", "admin:surveys_wave_open"):
                continue  # posting would change the wave for the next URLs; reached in other tests
            got = status(team_a.client, method, url)
            if got == 404:
                not_found.append(f"{method} {url}")

    assert not_found == []


def test_a_guessed_export_download_or_snapshot_uuid_is_404(team_b: TeamWorld):
    from django.urls import reverse

    for _ in range(3):
        for url in (
            reverse("admin:exports_exportjob_download", args=[uuid.uuid4()]),
            reverse("admin:exports_exportjob_status", args=[uuid.uuid4()]),
            reverse("admin:exports_exportjob_change", args=[uuid.uuid4()]),
            reverse("dashboard:progress", args=[team_b.wave.pk, uuid.uuid4()]),
        ):
            assert team_b.client.get(url).status_code == 404, url


def test_own_wave_with_another_teams_snapshot_is_404(team_a: TeamWorld, team_b: TeamWorld):
    from django.urls import reverse

    url = reverse("dashboard:progress", args=[team_b.wave.pk, team_a.snapshot.pk])

    assert team_b.client.get(url).status_code == 404


def test_another_teams_changelists_and_index_show_none_of_its_objects(team_a: TeamWorld, team_b: TeamWorld):
    routes = [r for r in all_routes() if r.is_admin and not r.parameters and r.name]
    secrets = [team_a.survey.slug.encode(), team_a.wave.name.encode(), str(team_a.export_job.pk).encode()]
    for route in routes:
        if route.name in ("admin:logout", "admin:autocomplete"):
            continue
        response = team_b.client.get(route.url({}))
        if response.status_code != 200:
            continue
        content = b"".join(response.streaming_content) if response.streaming else response.content
        for secret in secrets:
            assert secret not in content, f"{route} shows {secret!r}"
