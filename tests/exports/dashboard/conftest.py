"""Fixtures of the dashboard tests: a team's researcher who may view (and refresh) the dashboard, a
wave of their team, and DONE snapshots whose figures are the hand-written documents of
tests/exports/dashboard_fixtures.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from exports.models import AggregateSnapshot
from surveys.models import Wave
from tests.exports.builders import make_survey, make_wave
from tests.exports.dashboard_fixtures import figures
from tests.factories import GroupFactory, UserFactory
from tests.surveys.admin_helpers import grant_survey_permissions

VIEW = "view_aggregatesnapshot"
ADD = "add_aggregatesnapshot"


def make_researcher(username: str, team: Group, *, codenames: tuple[str, ...] = (VIEW, ADD)) -> Client:
    """A staff member of ``team`` with the survey permissions and the given dashboard ones."""
    user = UserFactory(username=username)
    user.groups.add(team)
    grant_survey_permissions(user)
    dashboard = Permission.objects.filter(content_type__app_label="exports", codename__in=codenames)
    user.user_permissions.add(*dashboard)
    client = Client()
    client.force_login(user)
    return client


def make_snapshot(wave: Wave, document: dict[str, Any] | None = None, **fields: Any) -> AggregateSnapshot:
    values = {
        "status": AggregateSnapshot.Status.DONE,
        "computed_at": timezone.now(),
        "progress": 100,
        "responses": 240,
        "figures": document if document is not None else figures(wave_id=wave.pk),
        **fields,
    }
    return AggregateSnapshot.objects.create(wave=wave, **values)


def urls(wave: Wave) -> dict[str, str]:
    return {
        "page": reverse("dashboard:wave", args=[wave.pk]),
        "refresh": reverse("dashboard:refresh", args=[wave.pk]),
        "csv": reverse("dashboard:csv", args=[wave.pk]),
    }


@pytest.fixture
def team(db) -> Group:
    return GroupFactory(name="team-north")


@pytest.fixture
def wave(team: Group) -> Wave:
    survey = make_survey()
    survey.team = team
    survey.save(update_fields=["team"])
    return make_wave(survey)


@pytest.fixture
def researcher_client(team: Group) -> Client:
    return make_researcher("anna", team)


@pytest.fixture
def snapshot(wave: Wave) -> AggregateSnapshot:
    return make_snapshot(wave)
