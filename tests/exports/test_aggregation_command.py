"""manage.py aggregate_wave WAVE: computes now, stores a DONE snapshot, prints a readable summary."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from exports.aggregation.selectors import snapshot_latest
from exports.models import AggregateSnapshot
from respondents.models import Response
from tests.exports.aggregation_builders import (
    add_response,
    install_fake_compute,
    make_open_wave,
    make_plan_survey,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def wave():
    wave = make_open_wave(make_plan_survey(k=5))
    for gender in ["f"] * 12 + ["m"] * 6 + ["x"] * 2:
        add_response(wave, {"gender": gender, "age": 40})
    add_response(wave, {"gender": None}, status=Response.Status.SCREENED_OUT)
    add_response(wave, {}, status=Response.Status.IN_PROGRESS)
    return wave


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("aggregate_wave", *args, stdout=out)
    return out.getvalue()


def test_the_command_stores_a_snapshot_and_prints_counts_and_top_lines(wave, monkeypatch):
    install_fake_compute(monkeypatch)

    output = run(wave.slug)

    snapshot = snapshot_latest(wave)
    assert snapshot is not None and snapshot.status == AggregateSnapshot.Status.DONE
    lines = output.splitlines()
    assert lines[0].startswith(f"exiles-2023 wave 1: figures computed {snapshot.computed_at:%Y-%m-%d}")
    assert "cells under 5 suppressed" in lines[0]
    assert lines[1] == "Responses: 22 (completed 20, screened out 1, in progress 1)"
    assert "gender — Gender (select_one, base 21)" in lines
    rows = lines[lines.index("gender — Gender (select_one, base 21)") + 1 :]
    assert rows[0].split() == ["f", "Female", "12", "57.1%"]
    assert rows[1].split() == ["m", "Male", "6", "28.6%"]
    assert rows[2].split() == ["x", "Other", "<", "5"]  # 2 respondents: suppressed, count not shown
    assert rows[3].split() == ["(no", "answer)", "<", "5"]


def test_top_limits_the_lines_per_question(wave, monkeypatch):
    install_fake_compute(monkeypatch)

    output = run(str(wave.pk), "--top", "1")

    assert "  … 2 more" in output.splitlines()
    assert "Male" not in output


def test_the_command_takes_over_a_queued_snapshot(wave, monkeypatch, django_capture_on_commit_callbacks):
    from exports.aggregation.services import aggregation_request

    fake = install_fake_compute(monkeypatch)
    with django_capture_on_commit_callbacks(execute=False):
        queued = aggregation_request(wave=wave, user=None)

    run(wave.slug)

    queued.refresh_from_db()
    assert queued.status == AggregateSnapshot.Status.DONE and len(fake.calls) == 1


def test_the_command_reports_a_failure_and_an_unknown_wave(wave, monkeypatch):
    fake = install_fake_compute(monkeypatch)
    fake.error = RuntimeError("boom")

    with pytest.raises(CommandError, match="failed: RuntimeError"):
        run(wave.slug)
    with pytest.raises(CommandError, match="No wave 'nope'"):
        run("nope")
    AggregateSnapshot.objects.create(wave=wave, status="running")
    with pytest.raises(CommandError, match="being aggregated right now"):
        run(wave.slug)


def test_the_command_with_the_real_computation(wave):
    output = run(wave.slug)

    snapshot = snapshot_latest(wave)
    assert snapshot.responses == 22 and snapshot.state  # raw counts kept for folding
    lines = output.splitlines()
    assert lines[1] == "Responses: 22 (completed 20, screened out 1, in progress 1)"
    header = next(line for line in lines if line.startswith("gender — "))
    rows = lines[lines.index(header) + 1 :]
    assert rows[0].split() == ["f", "Female", "12", f"{12 / 21 * 100:.1f}%"]
    assert rows[1].split() == ["m", "Male", "6", f"{6 / 21 * 100:.1f}%"]
    assert rows[2].split() == ["x", "Other", "<", "5"]
    assert "age: n 20, median 40, mean 40, min 40, max 40" in lines
