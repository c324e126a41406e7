"""Reads of aggregate snapshots: the latest figures of a wave, the run in flight, and their age.

Scoping is the caller's: views fetch the wave with ``surveys.access.wave_access`` first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from exports.models import AggregateSnapshot
from surveys.models import Wave

PENDING = (AggregateSnapshot.Status.QUEUED, AggregateSnapshot.Status.RUNNING)


def snapshots_done(wave: Wave | int) -> QuerySet[AggregateSnapshot]:
    """The wave's finished snapshots with figures, newest first."""
    return AggregateSnapshot.objects.filter(wave=wave, status=AggregateSnapshot.Status.DONE).order_by(
        "-computed_at", "-created_at"
    )


def snapshot_latest(wave: Wave | int, *, with_state: bool = False) -> AggregateSnapshot | None:
    """The wave's latest DONE snapshot (what the dashboard shows), or None before the first one.

    The raw counts (``state``) are left out unless asked for: only the computation folds them in,
    and on a large wave they outweigh the figures.
    """
    snapshots = snapshots_done(wave)
    if not with_state:
        snapshots = snapshots.defer("state")
    return snapshots.first()


def snapshot_pending(wave: Wave | int) -> AggregateSnapshot | None:
    """The wave's queued or running snapshot, or None (the database allows one at a time)."""
    return (
        AggregateSnapshot.objects.filter(wave=wave, status__in=PENDING)
        .defer("figures", "state")
        .order_by("-created_at")
        .first()
    )


def snapshot_age(snapshot: AggregateSnapshot | None, *, now: datetime | None = None) -> timedelta | None:
    """How old a snapshot's figures are (since they were computed); None without figures."""
    if snapshot is None or snapshot.computed_at is None:
        return None
    return max(timedelta(0), (now or timezone.now()) - snapshot.computed_at)
