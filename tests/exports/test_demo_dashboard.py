"""``demo_dashboard``: the demo's dashboard settings pass the plan's checks and every wave gets figures."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from exports.aggregation.plan import plan_spec
from exports.aggregation.selectors import snapshot_latest
from exports.models import AggregateSnapshot
from surveys.models import Survey

pytestmark = pytest.mark.django_db


def test_the_demo_dashboard_has_settings_and_a_snapshot_per_wave_and_a_second_run_adds_nothing():
    call_command("load_demo", password="demo-password-for-tests", stdout=io.StringIO())

    call_command("demo_dashboard", stdout=io.StringIO())
    survey = Survey.objects.get(slug="emigrants-2022")
    snapshots = AggregateSnapshot.objects.count()
    call_command("demo_dashboard", stdout=io.StringIO())

    spec = plan_spec(survey)
    assert spec.breakdowns == ("gender", "departure") and len(spec.pairs) == 1 and len(spec.margins) == 1
    assert AggregateSnapshot.objects.count() == snapshots == survey.waves.count()
    for wave in survey.waves.all():
        figures = snapshot_latest(wave).figures
        assert figures["n"]["all"] == wave.responses.count()
        assert figures["pairs"][0]["before"] == "act_before" and figures["benchmarks"]
        assert figures["weights"] is not None
