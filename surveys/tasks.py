"""Celery tasks of the surveys app: each loads ids and calls a service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from surveys import services


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def check_run_task(check_run_id: int) -> None:
    """Run the pre-publication checks of one CheckRun (idempotent: claims a queued run only)."""
    services.check_run_execute(check_run_id=check_run_id)


@shared_task
def check_runs_reconcile_task() -> int:
    """Beat: fail check runs that have been queued or running for too long."""
    return services.check_runs_reconcile()
