"""Celery tasks of the exports app: each takes ids and calls a service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from exports import services
from exports.aggregation import services as aggregation_services


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def export_job_task(job_id: str) -> None:
    """Write the file of one export job.

    Idempotent, so safe to redeliver: it claims a queued job by compare-and-set (a job already
    running, done or failed is left alone) and writes to a fresh temporary name.
    """
    services.export_job_run(job_id=job_id)


@shared_task
def export_jobs_reconcile_task() -> int:
    """Beat: fail jobs whose worker stopped (no heartbeat) or that never left the queue."""
    return services.export_jobs_reconcile()


@shared_task
def export_files_expire_task() -> int:
    """Beat: delete export files past their expiry date."""
    return services.export_files_expire()


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def aggregate_wave_task(snapshot_id: str) -> None:
    """Compute the figures of one aggregate snapshot.

    Idempotent, so safe to redeliver: it claims a queued snapshot by compare-and-set (one already
    running, done or failed is left alone), and everything it computes is recomputable from Postgres.
    """
    aggregation_services.aggregation_run(snapshot_id)


@shared_task
def aggregate_open_waves_task() -> int:
    """Beat: queue a snapshot of every open (or just closed) wave whose responses changed."""
    return aggregation_services.aggregate_open_waves()


@shared_task
def aggregation_reconcile_task() -> int:
    """Beat: fail snapshot runs whose worker stopped (no heartbeat) or that never left the queue."""
    return aggregation_services.aggregation_reconcile()
