"""Export jobs, the audit log of everything that leaves Volna, aggregate snapshots and analysis plans.

Times here are about researchers' actions, not respondents', so they are precise. Nothing here holds
an answer: an audit entry describes *what* was exported (format, waves, options), never values; an
aggregate snapshot holds counts, already suppressed below the survey's k in its ``figures``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
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


# -- live aggregation -------------------------------------------------------------------------------


class AggregateSnapshot(models.Model):
    """One computation of a wave's dashboard figures (already suppressed) and the raw counts behind them.

    A wave keeps its few latest DONE snapshots; the dashboard shows the latest one while a newer one is
    queued or running. ``source_count`` and ``source_revisions`` record count(*) and sum(revision) of the
    wave's responses just before the figures were read: responses carry no timestamps (by design), and
    every saved page raises a response's revision, so this pair is how the beat task tells that a wave
    changed since.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(verbose_name="ID", primary_key=True, default=uuid.uuid4, editable=False)
    wave = models.ForeignKey(
        Wave, verbose_name=_("wave"), on_delete=models.CASCADE, related_name="aggregate_snapshots"
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(verbose_name=_("progress (%)"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="aggregate_snapshots",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    computed_at = models.DateTimeField(verbose_name=_("computed at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(verbose_name=_("last sign of life"), null=True, blank=True)
    responses = models.PositiveIntegerField(verbose_name=_("responses"), default=0)
    figures = models.JSONField(verbose_name=_("figures"), default=dict, blank=True)
    state = models.JSONField(verbose_name=_("raw counts"), default=dict, blank=True)
    source_count = models.PositiveIntegerField(verbose_name=_("responses when computed"), default=0)
    source_revisions = models.PositiveBigIntegerField(
        verbose_name=_("sum of response revisions when computed"), default=0
    )
    # finished (completed or screened out) responses when computed: a new snapshot waits for k more
    source_finished = models.PositiveIntegerField(
        verbose_name=_("finished responses when computed"), default=0
    )
    error = models.TextField(verbose_name=_("error"), blank=True)

    class Meta:
        verbose_name = _("aggregate snapshot")
        verbose_name_plural = _("aggregate snapshots")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="aggregate_snapshot_progress_range"),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(computed_at__isnull=False),
                name="aggregate_snapshot_done_has_time",
            ),
            # One run in flight per wave: a second refresh (or the beat) gets the pending one. This is
            # also the index that finds a wave's pending snapshot.
            models.UniqueConstraint(
                fields=["wave"],
                condition=Q(status__in=["queued", "running"]),
                name="aggregate_snapshot_one_pending_per_wave",
            ),
        ]
        indexes = [
            # the latest DONE snapshot of a wave: what the dashboard shows
            models.Index(
                fields=["wave", "-computed_at"],
                condition=Q(status="done"),
                name="aggregate_snapshot_done_idx",
            ),
            models.Index(fields=["status", "heartbeat_at"], name="aggregate_snapshot_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.wave_id}: {self.get_status_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class AnalysisPlan(Survey):
    """A survey seen through its dashboard settings (breakdowns, pairs, benchmarks, weights)."""

    class Meta:
        proxy = True
        verbose_name = _("dashboard settings")
        verbose_name_plural = _("dashboard settings")


def _percent_field() -> models.DecimalField:
    return models.DecimalField(
        verbose_name=_("share (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )


def _percent_range(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(share_percent__gte=0) & Q(share_percent__lte=100), name=f"{name}_share_range"
    )


class Breakdown(models.Model):
    """A select_one variable the dashboard cross-tabulates everything by (e.g. gender, country)."""

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="breakdowns"
    )
    variable = models.CharField(verbose_name=_("variable"), max_length=32)
    position = models.PositiveSmallIntegerField(verbose_name=_("position"), default=0)

    class Meta:
        verbose_name = _("breakdown")
        verbose_name_plural = _("breakdowns")
        ordering = ["survey", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "variable"], name="breakdown_variable_unique"),
        ]

    def __str__(self) -> str:
        return self.variable


class BeforeAfterPair(models.Model):
    """Two questions on one choice list asked about before and after (e.g. leaving the country)."""

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="before_after_pairs"
    )
    before = models.CharField(verbose_name=_("before"), max_length=32)
    after = models.CharField(verbose_name=_("after"), max_length=32)
    label = models.CharField(verbose_name=_("label"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("before/after pair")
        verbose_name_plural = _("before/after pairs")
        ordering = ["survey", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "before", "after"], name="before_after_pair_unique"),
            models.CheckConstraint(condition=~Q(before=F("after")), name="before_after_pair_distinct"),
        ]

    def __str__(self) -> str:
        return f"{self.before} → {self.after}"


class AnswerShare(models.Model):
    """A population share (in percent) of one answer of one variable."""

    variable = models.CharField(verbose_name=_("variable"), max_length=32)
    code = models.CharField(verbose_name=_("code"), max_length=64)
    share_percent = _percent_field()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.variable}={self.code}: {self.share_percent}%"


class PopulationBenchmark(AnswerShare):
    """The population share of one answer, to compare the sample with (e.g. from a census)."""

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="population_benchmarks"
    )
    source = models.CharField(verbose_name=_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("population benchmark")
        verbose_name_plural = _("population benchmarks")
        ordering = ["survey", "variable", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "variable", "code"], name="benchmark_code_unique"),
            _percent_range("benchmark"),
        ]


class WeightMargin(AnswerShare):
    """The population share of one answer of a weighting variable (weights are raked to these)."""

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="weight_margins"
    )

    class Meta:
        verbose_name = _("weighting margin")
        verbose_name_plural = _("weighting margins")
        ordering = ["survey", "variable", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "variable", "code"], name="weight_margin_code_unique"),
            _percent_range("weight_margin"),
        ]
