"""Export jobs and the audit log of everything that leaves Volna.

Times here are about researchers' actions, not respondents', so they are precise. Nothing here holds
an answer: an audit entry describes *what* was exported (format, waves, options), never values.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from exports.rows import ExportOptions
from surveys.models import Survey, Wave


class ExportJob(models.Model):
    """One export of one or more waves to a file in private storage, written by a Celery worker."""

    class Format(models.TextChoices):
        CSV = "csv", _("CSV")
        SAV = "sav", _("SPSS (.sav)")
        DTA = "dta", _("Stata (.dta)")
        CODEBOOK_CSV = "codebook_csv", _("Codebook (CSV)")
        CODEBOOK_HTML = "codebook_html", _("Codebook (HTML)")

    class Layout(models.TextChoices):
        WAVE = "wave", _("One row per response")
        PANEL_LONG = "panel_long", _("Panel, long: one row per member and wave")
        PANEL_WIDE = "panel_wide", _("Panel, wide: one row per member")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired (file deleted)")

    EXTENSIONS = {
        Format.CSV: "csv",
        Format.SAV: "sav",
        Format.DTA: "dta",
        Format.CODEBOOK_CSV: "csv",
        Format.CODEBOOK_HTML: "html",
    }

    id = models.UUIDField(verbose_name="ID", primary_key=True, default=uuid.uuid4, editable=False)
    # PROTECT: a survey's export files are removed through the services, never orphaned on disk
    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.PROTECT, related_name="export_jobs"
    )
    waves = models.ManyToManyField(Wave, verbose_name=_("waves"), related_name="export_jobs")
    format = models.CharField(verbose_name=_("format"), max_length=16, choices=Format.choices)
    layout = models.CharField(
        verbose_name=_("layout"), max_length=16, choices=Layout.choices, default=Layout.WAVE
    )
    options = models.JSONField(verbose_name=_("options"), default=dict, blank=True)
    status = models.CharField(
        verbose_name=_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(verbose_name=_("progress (%)"), default=0)
    rows_total = models.PositiveIntegerField(verbose_name=_("rows in total"), default=0)
    rows_done = models.PositiveIntegerField(verbose_name=_("rows written"), default=0)
    # relative to the private root (MEDIA_ROOT); random names that reveal nothing
    file_path = models.CharField(verbose_name=_("file"), max_length=200, blank=True, editable=False)
    temp_path = models.CharField(verbose_name=_("temporary file"), max_length=200, blank=True, editable=False)
    download_name = models.CharField(verbose_name=_("download name"), max_length=200, blank=True)
    checksum = models.CharField(verbose_name=_("SHA-256"), max_length=64, blank=True, editable=False)
    size = models.PositiveBigIntegerField(verbose_name=_("size (bytes)"), default=0, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="export_jobs",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(verbose_name=_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(verbose_name=_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(verbose_name=_("last sign of life"), null=True, blank=True)
    expires_at = models.DateTimeField(verbose_name=_("file expires at"), null=True, blank=True)
    error = models.TextField(verbose_name=_("error"), blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at"]
        permissions = [("export_responses", _("Can export the responses of their teams' surveys"))]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="export_job_progress_range"),
            models.CheckConstraint(
                condition=~Q(status="done") | (~Q(checksum="") & ~Q(file_path="")),
                name="export_job_done_has_file",
            ),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="export_job_status_idx")]

    def __str__(self) -> str:
        return f"{self.download_name or self.pk} ({self.get_status_display()})"

    def export_options(self) -> ExportOptions:
        """The stored options with the job's layout."""
        return ExportOptions.from_dict({**self.options, "layout": self.layout})

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.EXPIRED)


class ExportAuditEntry(models.Model):
    """Who exported what, when, and how (never any answer value)."""

    class Action(models.TextChoices):
        STREAM = "stream", _("Streamed download")
        JOB = "job", _("Export job requested")
        DOWNLOAD = "download", _("Export file downloaded")
        COMMAND = "command", _("Exported by command")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="export_audit_entries",
    )
    # kept when the account is deleted, so the log still says who
    username = models.CharField(verbose_name=_("username"), max_length=150, blank=True)
    at = models.DateTimeField(verbose_name=_("at"), auto_now_add=True, db_index=True)
    action = models.CharField(verbose_name=_("action"), max_length=16, choices=Action.choices)
    survey = models.ForeignKey(
        Survey,
        verbose_name=_("survey"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="export_audit_entries",
    )
    job = models.ForeignKey(
        ExportJob,
        verbose_name=_("export job"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    description = models.TextField(verbose_name=_("description"))

    class Meta:
        verbose_name = _("export audit entry")
        verbose_name_plural = _("export audit entries")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or '—'} {self.action}"


def describe_export(*, survey: Survey, waves: Any, fmt: str, layout: str, options: ExportOptions) -> str:
    """The audit description of an export: survey, waves, format, layout and options."""
    numbers = ", ".join(str(wave.number) for wave in sorted(waves, key=lambda wave: wave.number))
    settings_text = ", ".join(f"{key}={value}" for key, value in options.to_dict().items() if key != "layout")
    return f"survey={survey.slug}; waves={numbers}; format={fmt}; layout={layout}; {settings_text}"
