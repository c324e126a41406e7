"""Aggregate snapshots: request, run, redelivery, failure, the reconciler, the beat, a broker outage,
and a real worker."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from exports.aggregation import selectors, services
from exports.aggregation.services import (
    AggregationFailed,
    AggregationUnavailable,
    SnapshotProgress,
    aggregate_open_waves,
    aggregation_due_waves,
    aggregation_reconcile,
    aggregation_request,
    aggregation_run,
)
from exports.models import AggregateSnapshot, Breakdown
from exports.tasks import aggregate_wave_task
from respondents.models import Response
from surveys.services import wave_close, wave_create
from tests.exports.aggregation_builders import (
    add_response,
    install_fake_compute,
    make_open_wave,
    make_plan_survey,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SECRET_ANSWER = "my very private answer"


@pytest.fixture
def fake(monkeypatch):
    return install_fake_compute(monkeypatch)


@pytest.fixture
def survey():
    return make_plan_survey()


@pytest.fixture
def wave(survey):
    wave = make_open_wave(survey)
    for gender in ["f"] * 6 + ["m"] * 3:
        add_response(wave, {"gender": gender})
    add_response(wave, {"gender": None}, status=Response.Status.IN_PROGRESS)
    return wave


def request(wave, callbacks, *, execute=True, user=None) -> AggregateSnapshot:
    with callbacks(execute=execute):
        snapshot = aggregation_request(wave=wave, user=user)
    snapshot.refresh_from_db()
    return snapshot


# -- request and run --------------------------------------------------------------------------------


def test_a_request_queues_one_snapshot_and_enqueues_it_after_commit(
    wave, fake, django_capture_on_commit_callbacks
):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = aggregation_request(wave=wave, user=user)
    with django_capture_on_commit_callbacks(execute=False) as again:
        second = aggregation_request(wave=wave, user=None)

    assert len(callbacks) == 1 and again == []  # the pending one is returned, not queued twice
    assert second.pk == first.pk
    first.refresh_from_db()
    assert (first.status, first.requested_by, first.progress) == ("queued", user, 0)
    assert selectors.snapshot_pending(wave) == first and selectors.snapshot_latest(wave) is None
    assert fake.calls == []


def test_a_run_stores_figures_state_counts_and_the_time(
    wave, survey, fake, django_capture_on_commit_callbacks
):
    Breakdown.objects.create(survey=survey, variable="gender")

    snapshot = request(wave, django_capture_on_commit_callbacks)

    assert snapshot.status == AggregateSnapshot.Status.DONE, snapshot.error
    assert (snapshot.progress, snapshot.responses, snapshot.error) == (100, 10, "")
    assert snapshot.figures["n"] == {"all": 10, "completed": 9, "in_progress": 1, "screened_out": 0}
    assert snapshot.state == {"rows": 10, "folded_onto": None}
    assert snapshot.computed_at <= timezone.now() and snapshot.heartbeat_at == snapshot.computed_at
    assert (snapshot.source_count, snapshot.source_revisions) == (10, 10)
    assert fake.calls[0]["spec"].breakdowns == ("gender",) and fake.calls[0]["spec"].k == 5
    assert selectors.snapshot_latest(wave) == snapshot and selectors.snapshot_pending(wave) is None
    assert selectors.snapshot_age(snapshot, now=snapshot.computed_at + timedelta(minutes=3)) == timedelta(
        minutes=3
    )


def test_the_next_run_folds_onto_the_previous_snapshots_state(wave, fake, django_capture_on_commit_callbacks):
    request(wave, django_capture_on_commit_callbacks)
    for _ in range(wave.survey.small_cell_k):
        add_response(wave, {"gender": "x"})

    latest = request(wave, django_capture_on_commit_callbacks)

    assert fake.calls[1]["previous_state"] == {"rows": 10, "folded_onto": None}
    assert latest.state == {"rows": 10 + wave.survey.small_cell_k, "folded_onto": 10}
    assert selectors.snapshot_latest(wave) == latest


def test_a_redelivered_task_changes_nothing(wave, fake, django_capture_on_commit_callbacks):
    done = request(wave, django_capture_on_commit_callbacks)

    aggregate_wave_task.delay(str(done.pk))  # the broker hands the same message out again
    assert aggregation_run(done.pk) is None

    again = AggregateSnapshot.objects.get(pk=done.pk)
    assert (again.status, again.computed_at, again.figures) == ("done", done.computed_at, done.figures)
    assert len(fake.calls) == 1


def test_a_running_snapshot_is_not_claimed_twice(wave, fake, django_capture_on_commit_callbacks):
    snapshot = request(wave, django_capture_on_commit_callbacks, execute=False)
    AggregateSnapshot.objects.filter(pk=snapshot.pk).update(status="running", heartbeat_at=timezone.now())

    assert aggregation_run(snapshot.pk) is None
    assert aggregation_run("00000000-0000-0000-0000-000000000000") is None
    assert fake.calls == []


def test_a_failing_computation_fails_the_snapshot_without_quoting_answers(
    wave, fake, django_capture_on_commit_callbacks
):
    fake.error = ValueError(f"cannot parse {SECRET_ANSWER}")

    snapshot = request(wave, django_capture_on_commit_callbacks)

    assert snapshot.status == AggregateSnapshot.Status.FAILED
    assert snapshot.error == "ValueError"
    assert snapshot.computed_at is None and snapshot.figures == {}
    assert selectors.snapshot_pending(wave) is None  # so the next refresh can start at once
    fake.error = AggregationFailed("Weights did not converge.")
    assert request(wave, django_capture_on_commit_callbacks).error == "Weights did not converge."


def test_a_database_error_hands_the_snapshot_back_for_the_retry(
    wave, fake, django_capture_on_commit_callbacks
):
    snapshot = request(wave, django_capture_on_commit_callbacks, execute=False)
    fake.error = OperationalError("server closed the connection unexpectedly")

    with pytest.raises(OperationalError):
        aggregation_run(snapshot.pk)

    snapshot.refresh_from_db()
    assert snapshot.status == AggregateSnapshot.Status.QUEUED
    fake.error = None
    assert aggregation_run(snapshot.pk).status == AggregateSnapshot.Status.DONE


@pytest.mark.django_db(transaction=True)
def test_progress_and_heartbeat_are_saved_while_computing(wave):
    snapshot = AggregateSnapshot.objects.create(wave=wave, status="running")
    long_ago = timezone.now() - timedelta(hours=1)
    AggregateSnapshot.objects.filter(pk=snapshot.pk).update(heartbeat_at=long_ago)

    with SnapshotProgress(snapshot.pk, interval=0.05) as progress:
        progress(50)
        deadline = time.monotonic() + 10
        while AggregateSnapshot.objects.get(pk=snapshot.pk).progress != 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        progress(100)  # all counted, but the figures are not stored yet

    snapshot.refresh_from_db()
    assert snapshot.progress in (50, 99) and snapshot.heartbeat_at > long_ago
    assert snapshot.status == AggregateSnapshot.Status.RUNNING


def test_only_the_latest_few_done_snapshots_are_kept(wave, fake, django_capture_on_commit_callbacks):
    made = []
    for _ in range(services.KEEP_DONE + 2):
        made.append(request(wave, django_capture_on_commit_callbacks))
        for _ in range(wave.survey.small_cell_k):  # enough new responses for the next snapshot
            add_response(wave, {"gender": "f"})

    kept = list(AggregateSnapshot.objects.filter(wave=wave).order_by("created_at"))

    assert kept == made[-services.KEEP_DONE :]


# -- the reconciler ---------------------------------------------------------------------------------


def test_the_reconciler_fails_dead_and_lost_runs_only(survey, fake, django_capture_on_commit_callbacks):
    waves = [make_open_wave(survey, name=f"Wave {n}") for n in range(4)]
    stale, alive, lost, recent = (
        request(wave, django_capture_on_commit_callbacks, execute=False) for wave in waves
    )
    now = timezone.now()
    AggregateSnapshot.objects.filter(pk=stale.pk).update(
        status="running", heartbeat_at=now - timedelta(minutes=6)
    )
    AggregateSnapshot.objects.filter(pk=alive.pk).update(
        status="running", heartbeat_at=now - timedelta(seconds=5)
    )
    AggregateSnapshot.objects.filter(pk=lost.pk).update(created_at=now - timedelta(minutes=16))

    assert aggregation_reconcile() == 2

    statuses = dict(AggregateSnapshot.objects.values_list("pk", "status"))
    assert statuses == {stale.pk: "failed", alive.pk: "running", lost.pk: "failed", recent.pk: "queued"}
    assert "worker stopped" in AggregateSnapshot.objects.get(pk=stale.pk).error
    assert "never started" in AggregateSnapshot.objects.get(pk=lost.pk).error
    # the dead run no longer blocks a new request, and its late finish changes nothing
    assert request(waves[0], django_capture_on_commit_callbacks).status == "done"
    services._finish(stale, types_result())
    assert AggregateSnapshot.objects.get(pk=stale.pk).status == "failed"


def types_result():
    import types

    return types.SimpleNamespace(figures={"late": True}, state={}, responses=0)


# -- the beat ---------------------------------------------------------------------------------------


def test_the_beat_picks_only_waves_that_changed(survey, fake, django_capture_on_commit_callbacks):
    unchanged, grown, edited, never = (make_open_wave(survey, name=f"Wave {n}") for n in range(4))
    for wave in (unchanged, grown, edited):
        add_response(wave, {"gender": "f"})
        request(wave, django_capture_on_commit_callbacks)
    draft = wave_create(questionnaire=survey.questionnaires.get(), name="Draft")
    add_response(draft, {"gender": "m"})
    for _ in range(survey.small_cell_k):  # k more finished responses: new figures may be shown
        add_response(grown, {"gender": "m"})
    response = edited.responses.get()
    Response.objects.filter(pk=response.pk).update(revision=response.revision + 1)  # a page saved again

    # edited changed, but fewer than k responses finished since its figures (differencing_safe)
    assert {wave.pk for wave in aggregation_due_waves()} == {grown.pk, never.pk}
    for _ in range(survey.small_cell_k - 1):
        add_response(edited, {"gender": "m"})
    assert edited.pk not in {wave.pk for wave in aggregation_due_waves()}
    add_response(edited, {"gender": "f"})

    with django_capture_on_commit_callbacks(execute=True):
        assert aggregate_open_waves() == 3
    assert aggregation_due_waves() == []
    assert set(AggregateSnapshot.objects.filter(status="done").values_list("wave", flat=True)) == {
        unchanged.pk,
        grown.pk,
        edited.pk,
        never.pk,
    }


def test_the_beat_skips_pending_and_failed_on_the_same_data_but_not_a_just_closed_wave(
    survey, fake, django_capture_on_commit_callbacks
):
    pending, failing, closing, closed_long_ago = (make_open_wave(survey, name=f"Wave {n}") for n in range(4))
    for wave in (pending, failing, closing, closed_long_ago):
        add_response(wave, {"gender": "f"})
    request(pending, django_capture_on_commit_callbacks, execute=False)
    fake.error = ValueError("broken")
    assert request(failing, django_capture_on_commit_callbacks).status == "failed"
    fake.error = None
    request(closing, django_capture_on_commit_callbacks)
    for _ in range(survey.small_cell_k):  # the last answers, just before the wave closed
        add_response(closing, {"gender": "m"})
    wave_close(wave=closing)
    wave_close(wave=closed_long_ago)
    type(closed_long_ago).objects.filter(pk=closed_long_ago.pk).update(
        closed_at=timezone.now() - timedelta(days=2)
    )

    assert [wave.pk for wave in aggregation_due_waves()] == [closing.pk]
    add_response(failing, {"gender": "x"})
    assert {wave.pk for wave in aggregation_due_waves()} == {failing.pk, closing.pk}


# -- the broker is down -----------------------------------------------------------------------------


@pytest.fixture
def broker_down():
    """Tasks go to a Redis broker where nothing listens (for this test only).

    The app's connection pools are set aside and put back afterwards: others hold references to them.
    """
    from config.celery import app

    previous = (app.conf.task_always_eager, app.conf.broker_url, app._pool, app.amqp._producer_pool)
    app._pool = app.amqp._producer_pool = None
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    yield
    if app._pool is not None:
        app._pool.force_close_all()
    app.conf.task_always_eager, app.conf.broker_url, app._pool, app.amqp._producer_pool = previous


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_a_request_fails_fast_and_leaves_the_last_snapshot(wave, fake, broker_down):
    previous = AggregateSnapshot.objects.create(wave=wave, status="done", computed_at=timezone.now())

    started = time.monotonic()
    with pytest.raises(AggregationUnavailable):
        aggregation_request(wave=wave, user=None)
    elapsed = time.monotonic() - started

    assert elapsed < 5
    refused = AggregateSnapshot.objects.exclude(pk=previous.pk).get()
    assert refused.status == "failed" and "queue is unavailable" in refused.error
    assert selectors.snapshot_latest(wave) == previous and selectors.snapshot_pending(wave) is None
    assert aggregate_open_waves() == 0  # the beat stops at the first refusal
    assert fake.calls == []


# -- a real worker ----------------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_computes_the_snapshot(celery_worker_process):
    survey = make_plan_survey(slug="worker-aggregation")
    wave = make_open_wave(survey)
    for gender in ["f"] * 7 + ["m"] * 6 + ["x"] * 2 + [None] * 3:  # two small cells: "x" and no answer
        add_response(wave, {"gender": gender, "age": 30})

    snapshot = aggregation_request(wave=wave, user=None)
    deadline = time.monotonic() + 60
    while not snapshot.is_finished and time.monotonic() < deadline:
        time.sleep(0.2)
        snapshot.refresh_from_db()

    assert snapshot.status == AggregateSnapshot.Status.DONE, snapshot.error
    assert snapshot.responses == 18 and snapshot.figures["n"]["completed"] == 18
    gender = next(question for question in snapshot.figures["questions"] if question["name"] == "gender")
    cells = {row["code"]: row["cell"] for row in gender["rows"]}
    assert cells["f"]["count"] == 7 and cells["m"]["count"] == 6
    assert cells["x"] == {"count": None, "share": None, "suppressed": True}
    assert gender["no_answer"]["suppressed"] and snapshot.state  # raw counts kept for folding


def test_new_figures_wait_for_k_more_finished_responses_so_two_snapshots_cannot_be_differenced(
    wave, fake, django_capture_on_commit_callbacks
):
    k = wave.survey.small_cell_k
    assert services.differencing_safe(3, None, k)  # the first snapshot
    assert not services.differencing_safe(10 + k - 1, 10, k)
    assert services.differencing_safe(10 + k, 10, k)
    assert services.differencing_safe(9, 10, k)  # a response was deleted: it must not stay shown

    first = request(wave, django_capture_on_commit_callbacks)
    add_response(wave, {"gender": "f"})
    with pytest.raises(services.AggregationNotDue) as not_due:
        aggregation_request(wave=wave, user=None)

    assert (not_due.value.k, not_due.value.waiting) == (k, 1)
    assert first.source_finished == Response.objects.filter(wave=wave, status="completed").count() - 1
    assert selectors.snapshot_latest(wave) == first and selectors.snapshot_pending(wave) is None
