"""Aggregation runs: request a snapshot of a wave, compute it on a worker, keep the beat and the
reconciler going.

A snapshot row moves QUEUED → RUNNING → DONE | FAILED, each step a conditional UPDATE whose count is
checked, so a redelivered task or a run the reconciler gave up on changes nothing. The database allows
one queued-or-running snapshot per wave. The computation reads the responses outside any transaction
and folds new responses into the previous snapshot's raw counts (``state``). Respondents never wait on
any of this: nothing on their path calls it, and a broker outage only means no refresh.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from typing import Any

import redis
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_noop
from kombu.exceptions import OperationalError as BrokerError

from exports.aggregation.plan import plan_spec
from exports.aggregation.selectors import PENDING, snapshot_latest, snapshot_pending
from exports.models import AggregateSnapshot
from exports.progress import Heartbeat
from respondents.models import Response
from surveys.models import Wave

logger = logging.getLogger(__name__)

FINISHED = (Response.Status.COMPLETED, Response.Status.SCREENED_OUT)

KEEP_DONE = 3  # DONE snapshots kept per wave (the dashboard shows the latest)
KEEP_FAILED = 3  # FAILED ones kept per wave, to see why refreshes failed
STALE_AFTER = timedelta(minutes=5)  # no heartbeat for this long (it beats every few seconds): dead
QUEUED_AFTER = timedelta(minutes=15)  # never claimed: the message was lost; let a new request through
CLOSED_RECENTLY = timedelta(days=1)  # a wave closed this recently still gets its final snapshot
QUEUE_UNAVAILABLE = gettext_noop("The task queue is unavailable; the figures were not refreshed.")
WORKER_STOPPED = gettext_noop("The worker stopped while computing the figures.")
NEVER_STARTED = gettext_noop("The computation never started (the task queue was unavailable).")
BROKER_ERRORS = (BrokerError, redis.RedisError, OSError)
# Fail fast when the broker is down: a researcher is waiting for the page.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


class AggregationUnavailable(Exception):
    """The task queue cannot be reached: no refresh now; the dashboard shows the last snapshot."""


class AggregationFailed(Exception):
    """The figures cannot be computed; the message is safe to show (it never holds an answer)."""


class AggregationNotDue(Exception):
    """Fewer than k responses finished since the figures shown: a new snapshot would let whoever
    compares the two read those few respondents' answers off the differences."""

    def __init__(self, k: int, waiting: int) -> None:
        super().__init__(k, waiting)
        self.k, self.waiting = k, waiting


# -- requesting -------------------------------------------------------------------------------------


def aggregation_request(*, wave: Wave, user: AbstractBaseUser | None) -> AggregateSnapshot:
    """Queue a snapshot of ``wave`` (computed by ``aggregate_wave_task`` after commit).

    If one is already queued or running it is returned instead of a second. Raises
    ``AggregationUnavailable`` when the broker cannot be reached: the new row is then FAILED, so the
    next request (or the beat) can try again at once.
    """
    pending = snapshot_pending(wave)
    if pending is not None:
        return pending
    finished, shown = finished_responses(wave)
    k = wave.survey.small_cell_k
    if not differencing_safe(finished, shown, k):
        raise AggregationNotDue(k, finished - (shown or 0))
    with transaction.atomic(durable=True):
        snapshot, created = _snapshot_queue(wave=wave, user=user)
        if created:
            transaction.on_commit(lambda: _enqueue(snapshot.pk))
    return snapshot


def finished_responses(wave: Wave) -> tuple[int, int | None]:
    """(finished responses of the wave now, finished responses behind its latest DONE snapshot or None)."""
    now = Response.objects.filter(wave=wave, status__in=FINISHED).count()
    latest = snapshot_latest(wave)
    return now, latest.source_finished if latest is not None else None


def differencing_safe(finished: int, shown: int | None, k: int) -> bool:
    """Whether a new snapshot may replace one computed from ``shown`` finished responses.

    Two snapshots a few responses apart give those respondents' answers away by subtraction, however
    the cells of each are suppressed. So figures move on only once at least k more responses have
    finished (or some were deleted, which must not stay visible); the first snapshot is always due.
    Answers saved by respondents still in progress ride along with those k.
    """
    return shown is None or finished < shown or finished - shown >= k


def _snapshot_queue(*, wave: Wave, user: AbstractBaseUser | None) -> tuple[AggregateSnapshot, bool]:
    """The wave's pending snapshot, or a new QUEUED one (the unique constraint settles races)."""
    for _attempt in range(2):
        pending = snapshot_pending(wave)
        if pending is not None:
            return pending, False
        try:
            with transaction.atomic():
                return AggregateSnapshot.objects.create(wave=wave, requested_by=user), True
        except IntegrityError:
            continue  # another request queued one between our read and our insert
    pending = snapshot_pending(wave)
    if pending is None:  # queued and finished in between, twice: vanishingly unlikely
        raise AggregationUnavailable(QUEUE_UNAVAILABLE)
    return pending, False


def _enqueue(snapshot_id: Any) -> None:
    from exports.tasks import aggregate_wave_task

    try:
        aggregate_wave_task.apply_async(args=[str(snapshot_id)], retry_policy=PUBLISH_RETRY)
    except BROKER_ERRORS as error:
        logger.warning("aggregate snapshot %s not queued: %s", snapshot_id, type(error).__name__)
        AggregateSnapshot.objects.filter(pk=snapshot_id, status=AggregateSnapshot.Status.QUEUED).update(
            status=AggregateSnapshot.Status.FAILED, error=QUEUE_UNAVAILABLE
        )
        raise AggregationUnavailable(QUEUE_UNAVAILABLE) from error


# -- running ----------------------------------------------------------------------------------------


class SnapshotProgress(Heartbeat):
    """The computation's ``progress(percent)`` callback (0–100 of the work done).

    Saved with a heartbeat every few seconds by a thread of its own (see ``exports.progress``).
    """

    name = "aggregate snapshot"

    def __init__(self, snapshot_id: Any, **kwargs: Any) -> None:
        super().__init__(snapshot_id, **kwargs)
        self.percent = 0

    def __call__(self, percent: float) -> None:
        # 0–99 while running: 100 only with the figures in place
        self.percent = max(0, min(99, int(percent)))
        self.recorded()

    def __enter__(self) -> SnapshotProgress:
        super().__enter__()
        return self

    def save(self) -> None:
        AggregateSnapshot.objects.filter(pk=self.row_id, status=AggregateSnapshot.Status.RUNNING).update(
            progress=self.percent, heartbeat_at=timezone.now()
        )


def wave_fingerprint(wave: Wave | int) -> tuple[int, int]:
    """count(*) and sum(revision) of a wave's responses: any new response or saved page changes it."""
    totals = Response.objects.filter(wave=wave).aggregate(count=Count("pk"), revisions=Sum("revision"))
    return totals["count"], totals["revisions"] or 0


def aggregation_run(snapshot_id: Any) -> AggregateSnapshot | None:
    """Claim a QUEUED snapshot and compute its figures (idempotent: any other status is left alone)."""
    now = timezone.now()
    claimed = AggregateSnapshot.objects.filter(pk=snapshot_id, status=AggregateSnapshot.Status.QUEUED).update(
        status=AggregateSnapshot.Status.RUNNING, heartbeat_at=now, progress=0, error=""
    )
    if claimed != 1:
        return None
    snapshot = AggregateSnapshot.objects.select_related("wave__survey", "wave__questionnaire").get(
        pk=snapshot_id
    )
    try:
        result = _compute(snapshot)
    except OperationalError:
        _requeue(snapshot)  # the database hiccuped: the task's retry claims the snapshot again
        raise
    except Exception as error:
        _fail(snapshot, error)
    else:
        _finish(snapshot, result)
    snapshots_prune(wave=snapshot.wave)
    snapshot.refresh_from_db()
    return snapshot


def _compute(snapshot: AggregateSnapshot) -> Any:
    """The figures of the snapshot's wave, folded onto the previous DONE snapshot's raw counts."""
    from exports.aggregation import compute

    wave = snapshot.wave
    # measured before reading: a response saved meanwhile makes the next beat see a change
    count, revisions = wave_fingerprint(wave)
    AggregateSnapshot.objects.filter(pk=snapshot.pk, status=AggregateSnapshot.Status.RUNNING).update(
        source_count=count, source_revisions=revisions
    )
    previous = snapshot_latest(wave, with_state=True)
    spec = plan_spec(wave.survey)
    with SnapshotProgress(snapshot.pk) as progress:
        return compute.wave_aggregate(
            wave, spec, previous_state=previous.state if previous else None, progress=progress
        )


def _finish(snapshot: AggregateSnapshot, result: Any) -> None:
    now = timezone.now()
    finished = AggregateSnapshot.objects.filter(
        pk=snapshot.pk, status=AggregateSnapshot.Status.RUNNING
    ).update(
        status=AggregateSnapshot.Status.DONE,
        figures=result.figures,
        state=result.state,
        responses=result.responses,
        # the finished responses the figures hold (not a count taken before reading: responses that
        # finished meanwhile are in the figures, and the next snapshot waits for k more than these)
        source_finished=_finished_in(result.figures),
        progress=100,
        computed_at=now,
        heartbeat_at=now,
    )
    if finished != 1:  # the reconciler gave up on this run meanwhile; a newer one will follow
        logger.warning("aggregate snapshot %s finished after it was given up", snapshot.pk)


def _finished_in(figures: dict[str, Any]) -> int:
    totals = figures.get("n") or {}
    return int(totals.get("completed") or 0) + int(totals.get("screened_out") or 0)


def _requeue(snapshot: AggregateSnapshot) -> None:
    # if the database is still down, the reconciler fails the run unless a retry claims it
    with contextlib.suppress(OperationalError):
        AggregateSnapshot.objects.filter(pk=snapshot.pk, status=AggregateSnapshot.Status.RUNNING).update(
            status=AggregateSnapshot.Status.QUEUED, progress=0
        )


def _fail(snapshot: AggregateSnapshot, error: Exception) -> None:
    # Only our own messages are shown: another exception's text could quote an answer.
    known = isinstance(error, AggregationFailed | ValidationError)
    message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    logger.warning("aggregate snapshot %s failed: %s", snapshot.pk, type(error).__name__)
    AggregateSnapshot.objects.filter(pk=snapshot.pk, status=AggregateSnapshot.Status.RUNNING).update(
        status=AggregateSnapshot.Status.FAILED, error=(message if known else type(error).__name__)[:500]
    )


def aggregation_compute_now(*, wave: Wave) -> AggregateSnapshot:
    """Compute a snapshot of ``wave`` in this process (the ``aggregate_wave`` command); DONE or FAILED.

    A snapshot queued for a worker is taken over (its task then finds it claimed and does nothing).
    Raises ``AggregationFailed`` while another process is computing the wave.
    """
    with transaction.atomic(durable=True):
        snapshot, _created = _snapshot_queue(wave=wave, user=None)
    finished = aggregation_run(snapshot.pk)
    if finished is None:
        raise AggregationFailed(gettext_noop("This wave is being aggregated right now; try again shortly."))
    return finished


def snapshots_prune(*, wave: Wave | int) -> int:
    """Delete a wave's DONE snapshots beyond the latest few, and its FAILED ones likewise."""
    deleted = 0
    for status, keep, newest in (
        (AggregateSnapshot.Status.DONE, KEEP_DONE, "-computed_at"),
        (AggregateSnapshot.Status.FAILED, KEEP_FAILED, "-created_at"),
    ):
        of_status = AggregateSnapshot.objects.filter(wave=wave, status=status)
        old = list(of_status.order_by(newest, "-created_at").values_list("pk", flat=True)[keep:])
        if old:
            deleted += of_status.filter(pk__in=old).delete()[0]
    return deleted


# -- the beat ---------------------------------------------------------------------------------------


def aggregation_due_waves(*, now: Any = None) -> list[Wave]:
    """Waves whose responses changed since their last finished snapshot, and none pending.

    Open waves, and waves closed within the last day (for their final figures). A change is a new
    count(*) or sum(revision) of the wave's responses (one grouped query); a FAILED run counts as
    finished, so a computation that fails on the same data is not retried every minute. A wave is due
    only once k more responses have finished since the figures shown (``differencing_safe``).
    """
    now = now or timezone.now()
    last = AggregateSnapshot.objects.filter(
        wave=OuterRef("pk"),
        status__in=(AggregateSnapshot.Status.DONE, AggregateSnapshot.Status.FAILED),
    ).order_by("-created_at")
    last_done = AggregateSnapshot.objects.filter(
        wave=OuterRef("pk"), status=AggregateSnapshot.Status.DONE
    ).order_by("-computed_at")
    candidates = list(
        Wave.objects.filter(
            Q(status=Wave.Status.OPEN) | Q(status=Wave.Status.CLOSED, closed_at__gte=now - CLOSED_RECENTLY)
        )
        .exclude(pk__in=AggregateSnapshot.objects.filter(status__in=PENDING).values("wave"))
        .select_related("survey")
        .annotate(
            last_count=Subquery(last.values("source_count")[:1]),
            last_revisions=Subquery(last.values("source_revisions")[:1]),
            shown_finished=Subquery(last_done.values("source_finished")[:1]),
        )
        .order_by("pk")
    )
    fingerprints = {
        row["wave"]: (row["count"], row["revisions"] or 0, row["finished"])
        for row in Response.objects.filter(wave__in=[wave.pk for wave in candidates])
        .values("wave")
        .annotate(
            count=Count("pk"), revisions=Sum("revision"), finished=Count("pk", filter=Q(status__in=FINISHED))
        )
        .order_by()
    }
    due = []
    for wave in candidates:
        count, revisions, finished = fingerprints.get(wave.pk, (0, 0, 0))
        changed = wave.last_count is None or (count, revisions) != (wave.last_count, wave.last_revisions)  # type: ignore[attr-defined]
        if changed and differencing_safe(finished, wave.shown_finished, wave.survey.small_cell_k):  # type: ignore[attr-defined]
            due.append(wave)
    return due


def aggregate_open_waves() -> int:
    """Beat: queue a snapshot of every wave that changed since its last one; return how many."""
    queued = 0
    for wave in aggregation_due_waves():
        try:
            aggregation_request(wave=wave, user=None)
        except AggregationUnavailable:
            break  # the broker is down: the next beat tries again
        queued += 1
    return queued


def aggregation_reconcile(
    *, stale_after: timedelta = STALE_AFTER, queued_after: timedelta = QUEUED_AFTER
) -> int:
    """Fail runs whose worker died (no heartbeat) or that never left the queue; return how many."""
    now = timezone.now()
    failed = AggregateSnapshot.objects.filter(
        status=AggregateSnapshot.Status.RUNNING, heartbeat_at__lt=now - stale_after
    ).update(status=AggregateSnapshot.Status.FAILED, error=WORKER_STOPPED)
    failed += AggregateSnapshot.objects.filter(
        status=AggregateSnapshot.Status.QUEUED, created_at__lt=now - queued_after
    ).update(status=AggregateSnapshot.Status.FAILED, error=NEVER_STARTED)
    return failed
