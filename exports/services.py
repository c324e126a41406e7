"""Exports: request a job, run it on a worker, reconcile stuck jobs, expire old files, stream small ones.

A job's file is written to a temporary name in the private root, synced, hashed and then renamed
atomically to its final random name; only then does the job become DONE (compare-and-set), so a
partial file is never servable. No file is touched inside a transaction, and every state change is a
conditional UPDATE whose count is checked.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from exports import storage
from exports.columns import Column
from exports.models import ExportAuditEntry, ExportJob, describe_export
from exports.progress import JobProgress
from exports.rows import ExportOptions, Layout, export_plan, rows_count, survey_of
from exports.writers import csv as csv_writer
from surveys.models import Survey, Wave

logger = logging.getLogger(__name__)

RETENTION = timedelta(days=7)
STALE_AFTER = timedelta(minutes=10)
QUEUED_AFTER = timedelta(hours=1)
TEMP_FILES_AFTER = timedelta(days=1)
WORKER_STOPPED = gettext_noop("The worker stopped while writing the file; run the export again.")
NEVER_STARTED = gettext_noop("The export never started (the task queue was unavailable); run it again.")


class ExportFailed(Exception):
    """An export that cannot be written; the message is safe to show (it never holds answers)."""


# -- names ----------------------------------------------------------------------------------------


def download_name(*, survey: Survey, waves: Sequence[Wave], fmt: str, layout: str) -> str:
    """The name a downloaded file is offered under, e.g. ``emigrants-2022-wave-2.csv``."""
    numbers = sorted(wave.number for wave in waves)
    if layout in Layout.PANEL:
        stem = f"{survey.slug}-panel-{'long' if layout == Layout.PANEL_LONG else 'wide'}"
    elif len(numbers) == 1:
        stem = f"{survey.slug}-wave-{numbers[0]}"
    else:
        stem = f"{survey.slug}-waves-{'-'.join(map(str, numbers))}"
    if fmt in (ExportJob.Format.CODEBOOK_CSV, ExportJob.Format.CODEBOOK_HTML):
        stem += "-codebook"
    return f"{stem}.{ExportJob.EXTENSIONS[ExportJob.Format(fmt)]}"


# -- writing --------------------------------------------------------------------------------------


def _write_codebook_html(
    path: Path, *, waves: Sequence[Wave], plan: list[Column], options: ExportOptions
) -> int:
    from exports.writers.codebook import render_codebook_html

    path.write_text(render_codebook_html(waves=waves, plan=plan, options=options), encoding="utf-8")
    return len(plan)


def export_write(
    *,
    fmt: str,
    out: Path,
    waves: Sequence[Wave],
    plan: list[Column],
    options: ExportOptions,
    progress: Any = None,
) -> int:
    """Write one export file at ``out`` in format ``fmt``; return the rows (variables for a codebook)."""
    if fmt == ExportJob.Format.CSV:
        with open(out, "wb", buffering=storage.CHUNK) as handle:
            return csv_writer.write_csv(handle, waves=waves, plan=plan, options=options, progress=progress)
    if fmt == ExportJob.Format.SAV:
        from exports.writers.sav import write_sav

        return write_sav(out, waves=waves, plan=plan, options=options, progress=progress)
    if fmt == ExportJob.Format.DTA:
        from exports.writers.dta import write_dta

        return write_dta(out, waves=waves, plan=plan, options=options, progress=progress)
    if fmt == ExportJob.Format.CODEBOOK_CSV:
        from exports.writers.codebook import write_codebook_csv

        return write_codebook_csv(out, waves=waves, plan=plan, options=options)
    if fmt == ExportJob.Format.CODEBOOK_HTML:
        return _write_codebook_html(out, waves=waves, plan=plan, options=options)
    raise ExportFailed(_("Unknown export format: %(format)s") % {"format": fmt})


def export_stream(
    *,
    waves: Sequence[Wave],
    plan: list[Column],
    options: ExportOptions,
    user: AbstractBaseUser | None = None,
) -> Iterator[bytes]:
    """A small export as CSV byte chunks, for a StreamingHttpResponse (constant memory).

    The audit entry is written now, before the first byte, not when the stream is consumed.
    """
    waves = sorted(waves, key=lambda wave: wave.number)
    survey = survey_of(waves)
    _check_request(survey=survey, waves=waves, fmt=ExportJob.Format.CSV, layout=options.layout)
    if user is not None:
        description = describe_export(
            survey=survey, waves=waves, fmt="csv", layout=options.layout, options=options
        )
        export_audit_record(
            user=user, action=ExportAuditEntry.Action.STREAM, survey=survey, description=description
        )
    return csv_writer.csv_chunks(waves=waves, plan=plan, options=options)


def export_file_write(
    *,
    survey: Survey,
    waves: Sequence[Wave],
    fmt: str,
    layout: str = ExportJob.Layout.WAVE,
    options: dict[str, Any] | ExportOptions | None = None,
    out: Path,
    user: AbstractBaseUser | None = None,
) -> int:
    """Export synchronously to ``out`` (scripts): written beside it, then renamed; audited as a command.

    Returns the rows written (variables for a codebook).
    """
    waves = sorted(waves, key=lambda wave: wave.number)
    _check_request(survey=survey, waves=waves, fmt=fmt, layout=layout)
    cleaned = export_options_clean(survey=survey, options={**_as_dict(options), "layout": layout})
    description = describe_export(survey=survey, waves=waves, fmt=fmt, layout=layout, options=cleaned)
    export_audit_record(
        user=user, action=ExportAuditEntry.Action.COMMAND, survey=survey, description=description
    )
    plan = export_plan(waves=waves, layout=layout)
    temp = storage.sibling_temp(out)
    try:
        rows = export_write(fmt=fmt, out=temp, waves=waves, plan=plan, options=cleaned)
        storage.sync_and_digest(temp)
        storage.publish_file(temp, out)
    finally:
        storage.discard(temp)
    return rows


# -- audit ----------------------------------------------------------------------------------------


def export_audit_record(
    *,
    user: AbstractBaseUser | None,
    action: str,
    survey: Survey | None,
    description: str,
    job: ExportJob | None = None,
) -> ExportAuditEntry:
    """Record who exported what (never answer values). ``user=None``: a shell command."""
    username = user.get_username() if user is not None else f"shell:{getpass.getuser()}"
    return ExportAuditEntry.objects.create(
        user=user, username=username, action=action, survey=survey, job=job, description=description
    )


# -- jobs -----------------------------------------------------------------------------------------


def export_options_clean(*, survey: Survey, options: dict[str, Any] | ExportOptions) -> ExportOptions:
    """Validated options for ``survey`` (ValidationError with a message for the researcher)."""
    try:
        cleaned = options if isinstance(options, ExportOptions) else ExportOptions.from_dict(options)
    except (TypeError, ValueError) as error:
        raise ValidationError(_("Invalid export options: %(error)s") % {"error": error}) from None
    if cleaned.language is not None and cleaned.language not in survey.languages:
        raise ValidationError(
            _("%(language)s is not a language of this survey.") % {"language": cleaned.language}
        )
    return cleaned


def _check_request(*, survey: Survey, waves: Sequence[Wave], fmt: str, layout: str) -> None:
    if fmt not in ExportJob.Format.values:
        raise ValidationError(_("Unknown export format: %(format)s") % {"format": fmt})
    if layout not in ExportJob.Layout.values:
        raise ValidationError(_("Unknown layout: %(layout)s") % {"layout": layout})
    if not waves:
        raise ValidationError(_("Choose at least one wave."))
    if any(wave.survey_id != survey.pk for wave in waves):
        raise ValidationError(_("Every wave must belong to the survey being exported."))
    if layout in Layout.PANEL and not survey.is_panel:
        raise ValidationError(_("Panel layouts need a panel survey."))


def export_job_create(
    *,
    survey: Survey,
    waves: Sequence[Wave],
    format: str,
    layout: str = ExportJob.Layout.WAVE,
    options: dict[str, Any] | ExportOptions | None = None,
    user: AbstractBaseUser | None,
) -> ExportJob:
    """Queue an export of ``waves``; a worker writes the file (``export_job_task``, after commit)."""
    from exports.tasks import export_job_task

    waves = sorted(waves, key=lambda wave: wave.number)
    _check_request(survey=survey, waves=waves, fmt=format, layout=layout)
    cleaned = export_options_clean(survey=survey, options={**_as_dict(options), "layout": layout})
    stored = {key: value for key, value in cleaned.to_dict().items() if key != "layout"}
    with transaction.atomic(durable=True):
        job = ExportJob.objects.create(
            survey=survey,
            format=format,
            layout=layout,
            options=stored,
            requested_by=user,
            download_name=download_name(survey=survey, waves=waves, fmt=format, layout=layout),
        )
        job.waves.set(waves)
        description = describe_export(survey=survey, waves=waves, fmt=format, layout=layout, options=cleaned)
        export_audit_record(
            user=user, action=ExportAuditEntry.Action.JOB, survey=survey, job=job, description=description
        )
        # If the broker is down the job stays queued; the reconciler marks it failed later.
        export_job_task.delay_on_commit(str(job.pk))
    return job


def _as_dict(options: dict[str, Any] | ExportOptions | None) -> dict[str, Any]:
    if isinstance(options, ExportOptions):
        return options.to_dict()
    return dict(options or {})


def export_job_run(*, job_id: Any) -> ExportJob | None:
    """Claim a queued job and write its file (idempotent: a job that is not queued is left alone)."""
    temp_name = storage.temp_name()
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, started_at=now, heartbeat_at=now, temp_path=temp_name, error=""
    )
    if claimed != 1:
        return None
    job = ExportJob.objects.select_related("survey").get(pk=job_id)
    temp = storage.export_file(temp_name)
    try:
        rows, checksum, size = _write_job_file(job, temp)
    except OperationalError:
        storage.discard(temp)
        _requeue(job)  # the database hiccuped: the task's retry claims the job again
        raise
    except Exception as error:
        storage.discard(temp)
        _fail(job, error)
        return _reloaded(job)
    _finish(job, temp, rows=rows, checksum=checksum, size=size)
    return _reloaded(job)


def _reloaded(job: ExportJob) -> ExportJob:
    job.refresh_from_db()
    return job


def _write_job_file(job: ExportJob, temp: Path) -> tuple[int, str, int]:
    """Write the job's file at ``temp``; return rows, SHA-256 and size. Outside any transaction."""
    waves = list(job.waves.select_related("survey", "questionnaire").order_by("number"))
    try:
        options = job.export_options()
    except ValueError as error:
        raise ExportFailed(_("Invalid export options: %(error)s") % {"error": error}) from None
    plan = export_plan(waves=waves, layout=job.layout)
    total = rows_count(waves=waves, options=options)
    ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(rows_total=total)
    temp.parent.mkdir(parents=True, exist_ok=True)
    with JobProgress(job.pk, total) as progress:
        rows = export_write(
            fmt=job.format, out=temp, waves=waves, plan=plan, options=options, progress=progress
        )
    checksum, size = storage.sync_and_digest(temp)
    return rows, checksum, size


def _finish(job: ExportJob, temp: Path, *, rows: int, checksum: str, size: int) -> None:
    final_name = storage.random_name(job.format)
    final = storage.export_file(final_name)
    storage.publish_file(temp, final)
    now = timezone.now()
    finished = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
        status=ExportJob.Status.DONE,
        file_path=final_name,
        temp_path="",
        checksum=checksum,
        size=size,
        rows_done=rows,
        progress=100,
        finished_at=now,
        heartbeat_at=now,
        expires_at=now + RETENTION,
    )
    if finished != 1:  # the reconciler gave up on this job meanwhile: the file is nobody's
        storage.discard(final)


def _requeue(job: ExportJob) -> None:
    # if the database is still down, the reconciler fails the job unless a retry claims it
    with contextlib.suppress(OperationalError):
        ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
            status=ExportJob.Status.QUEUED, temp_path="", progress=0, rows_done=0
        )


def _fail(job: ExportJob, error: Exception) -> None:
    # Only our own messages are shown: another exception's text could quote an answer.
    message = str(error) if isinstance(error, ExportFailed | ValidationError) else type(error).__name__
    logger.warning("export job %s failed: %s", job.pk, type(error).__name__)
    ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
        status=ExportJob.Status.FAILED, error=message, temp_path="", finished_at=timezone.now()
    )


def export_jobs_reconcile(
    *, stale_after: timedelta = STALE_AFTER, queued_after: timedelta = QUEUED_AFTER
) -> int:
    """Fail jobs whose worker died (no heartbeat) or that never left the queue; return how many."""
    now = timezone.now()
    failed = 0
    stale = ExportJob.objects.filter(status=ExportJob.Status.RUNNING, heartbeat_at__lt=now - stale_after)
    for pk, temp_path in stale.values_list("pk", "temp_path"):
        updated = stale.filter(pk=pk).update(
            status=ExportJob.Status.FAILED, error=WORKER_STOPPED, temp_path="", finished_at=now
        )
        if updated == 1:
            failed += 1
            if temp_path:
                storage.discard(storage.export_file(temp_path))
    failed += ExportJob.objects.filter(
        status=ExportJob.Status.QUEUED, created_at__lt=now - queued_after
    ).update(status=ExportJob.Status.FAILED, error=NEVER_STARTED, finished_at=now)
    return failed


def export_files_expire(*, now: Any = None) -> int:
    """Delete the files of jobs past ``expires_at`` (the job becomes EXPIRED) and stray temp files."""
    now = now or timezone.now()
    expired = 0
    due = ExportJob.objects.filter(status=ExportJob.Status.DONE, expires_at__lt=now)
    for pk, file_path in due.values_list("pk", "file_path"):
        # claim first: once the job no longer points at the file, nobody can be served it
        if due.filter(pk=pk).update(status=ExportJob.Status.EXPIRED, file_path="") == 1:
            storage.discard(storage.export_file(file_path))
            expired += 1
    writing = ExportJob.objects.filter(status=ExportJob.Status.RUNNING).values_list("temp_path", flat=True)
    storage.sweep_temp_files(before=now - TEMP_FILES_AFTER, keep=set(writing))
    return expired


def export_job_download(*, user: AbstractBaseUser, job_id: Any) -> tuple[Path, str]:
    """The file and download name of a finished job ``user`` may export; the download is audited.

    PermissionDenied (403) otherwise, also for a guessed or unknown ID (``export_job_for_download``).
    """
    from exports.selectors import export_job_for_download

    job = export_job_for_download(user=user, job_id=job_id)
    waves = list(job.waves.all())
    description = describe_export(
        survey=job.survey, waves=waves, fmt=job.format, layout=job.layout, options=job.export_options()
    )
    export_audit_record(
        user=user,
        action=ExportAuditEntry.Action.DOWNLOAD,
        survey=job.survey,
        job=job,
        description=description,
    )
    return storage.export_file(job.file_path), job.download_name
