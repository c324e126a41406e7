"""Exports in the admin: the export form of a wave, the job page, its JSON status and the download.

All pages live under ``/admin/exports/exportjob/`` and go through ``admin_site.admin_view``. Scoping
comes first (another team's wave or job, or a guessed ID, is a 404), then the export permission
(``exports.export_responses``: 403 for a team member without it). Files are served only from the
private root through ``download_view``, never by a public URL. Writes go through ``exports.services``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exports import services, storage
from exports.aggregation.plan_admin import AnalysisPlanAdmin
from exports.models import AnalysisPlan, ExportJob
from exports.rows import ExportOptions, export_plan, rows_count
from exports.selectors import can_export
from surveys.access import wave_access
from surveys.admin.base import VolnaModelAdmin
from surveys.models import Survey, Wave

STREAM_LIMIT = 20_000  # below this many responses a CSV may be streamed instead of queued
REFRESH_SECONDS = 3
NO_STORE = "private, no-store"


def language_choices(survey: Survey) -> list[tuple[str, str]]:
    return [(code, code) for code in survey.languages or [survey.default_language]]


class ExportForm(forms.Form):
    """What to export from a wave and how; the options map one to one onto ``ExportOptions``."""

    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=ExportJob.Format.choices)
    layout = forms.ChoiceField(label=gettext_lazy("Rows"), choices=())
    values = forms.ChoiceField(
        label=gettext_lazy("Answers as"),
        choices=[("codes", gettext_lazy("Codes")), ("labels", gettext_lazy("Labels"))],
        widget=forms.RadioSelect,
        initial="codes",
    )
    language = forms.ChoiceField(label=gettext_lazy("Label language"), choices=())
    dialect = forms.ChoiceField(
        label=gettext_lazy("CSV separator"),
        choices=[
            ("comma", gettext_lazy("Comma")),
            ("semicolon", gettext_lazy("Semicolon (Excel with a decimal comma)")),
        ],
        widget=forms.RadioSelect,
        initial="comma",
    )
    bom = forms.BooleanField(
        label=gettext_lazy("Byte order mark for Excel"),
        required=False,
        initial=True,
        help_text=gettext_lazy("So that Excel reads Cyrillic correctly."),
    )
    include = forms.ChoiceField(
        label=gettext_lazy("Responses"),
        choices=[
            ("completed", gettext_lazy("Completed only")),
            ("all", gettext_lazy("All (in progress and screened out too)")),
        ],
        widget=forms.RadioSelect,
        initial="completed",
    )

    def __init__(self, *args: Any, wave: Wave, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wave = wave
        layouts = [(ExportJob.Layout.WAVE.value, _("This wave: one row per response"))]
        if wave.survey.is_panel:
            layouts += [
                (ExportJob.Layout.PANEL_LONG.value, ExportJob.Layout.PANEL_LONG.label),
                (ExportJob.Layout.PANEL_WIDE.value, ExportJob.Layout.PANEL_WIDE.label),
            ]
        self.fields["layout"].choices = layouts
        self.fields["language"].choices = language_choices(wave.survey)
        self.fields["language"].initial = wave.survey.default_language

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            cleaned["export_options"] = services.export_options_clean(
                survey=self.wave.survey, options={**self.options_dict(), "layout": cleaned["layout"]}
            )
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None
        return cleaned

    def options_dict(self) -> dict[str, Any]:
        names = ("values", "language", "dialect", "bom", "include")
        return {name: self.cleaned_data[name] for name in names}

    def waves(self) -> list[Wave]:
        """This wave, or every wave of the survey for a panel layout."""
        if self.cleaned_data["layout"] == ExportJob.Layout.WAVE:
            return [self.wave]
        return list(self.wave.survey.waves.select_related("survey", "questionnaire").order_by("number"))


def require_export(request: HttpRequest) -> None:
    """403 unless the user holds the export permission (scoping has already given 404s)."""
    if not can_export(request.user):
        raise PermissionDenied


def job_state(job: ExportJob) -> dict[str, Any]:
    """The JSON the job page polls (never anything about the answers)."""
    return {
        "status": job.status,
        "status_label": job.get_status_display(),
        "progress": job.progress,
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "finished": job.is_finished,
    }


def unavailable_reason(job: ExportJob) -> tuple[int, str] | None:
    """Why a job's file cannot be downloaded (HTTP status and message), or None when it can."""
    if job.status == ExportJob.Status.EXPIRED or (
        job.status == ExportJob.Status.DONE and job.expires_at and job.expires_at <= timezone.now()
    ):
        return 410, _("This export has expired and its file was deleted. Run the export again.")
    if job.status == ExportJob.Status.FAILED:
        return 404, _("This export failed; there is no file to download.")
    if job.status != ExportJob.Status.DONE or not job.file_path:
        return 404, _("This export is not finished yet.")
    return None


@admin.register(ExportJob)
class ExportJobAdmin(VolnaModelAdmin):
    """Read-only list of the team's export jobs; each job's page follows it to its download."""

    list_display = ("__str__", "status", "format", "wave_numbers", "requested_by", "created_at", "file_size")
    list_filter = ("status", "format", ("survey", admin.RelatedOnlyFieldListFilter))
    search_fields = ("download_name", "survey__slug")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExportJob]:
        return (
            super().get_queryset(request).select_related("survey", "requested_by").prefetch_related("waves")
        )

    @admin.display(description=gettext_lazy("waves"))
    def wave_numbers(self, obj: ExportJob) -> str:
        return ", ".join(str(wave.number) for wave in sorted(obj.waves.all(), key=lambda w: w.number))

    @admin.display(description=gettext_lazy("size"), ordering="size")
    def file_size(self, obj: ExportJob) -> str:
        return filesizeformat(obj.size) if obj.status == ExportJob.Status.DONE else "—"

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return can_export(request.user) or super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_export(request.user) or super().has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # started with "Export…" on a wave

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # files are removed by expiry, through the services

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("wave/<int:wave_id>/", wrap(self.export_view), name="exports_exportjob_wave"),
            path("<uuid:job_id>/status/", wrap(self.status_view), name="exports_exportjob_status"),
            path("<uuid:job_id>/download/", wrap(self.download_view), name="exports_exportjob_download"),
            *super().get_urls(),
        ]

    # -- the export form ------------------------------------------------------------------------

    def export_view(self, request: HttpRequest, wave_id: int) -> HttpResponse:
        """GET: the export form of a wave. POST: queue a job, or stream a small CSV at once."""
        wave = wave_access(request.user, wave_id)
        require_export(request)
        responses = wave.responses.count()
        form = ExportForm(request.POST or None, wave=wave)
        if request.method == "POST" and form.is_valid():
            if request.POST.get("action") == "stream":
                streamed = self._stream(request, form, wave)
                if streamed is not None:
                    return streamed
            else:
                return self._queue(request, form, wave)
        return self.volna_render(
            request,
            "admin/exports/exportjob/export.html",
            None,
            _("Export %(wave)s") % {"wave": wave},
            wave=wave,
            form=form,
            responses=responses,
            can_stream=responses < STREAM_LIMIT,
            stream_limit=STREAM_LIMIT,
        )

    def _queue(self, request: HttpRequest, form: ExportForm, wave: Wave) -> HttpResponse:
        try:
            job = services.export_job_create(
                survey=wave.survey,
                waves=form.waves(),
                format=form.cleaned_data["format"],
                layout=form.cleaned_data["layout"],
                options=form.options_dict(),
                user=request.user,
            )
        except ValidationError as error:
            for message in error.messages:
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:exports_exportjob_wave", args=[wave.pk]))
        self.message_user(request, _("The export is being prepared."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:exports_exportjob_change", args=[job.pk]))

    def _stream(self, request: HttpRequest, form: ExportForm, wave: Wave) -> HttpResponse | None:
        """A CSV streamed straight to the browser (audited by the service), or None with a message."""
        options: ExportOptions = form.cleaned_data["export_options"]
        waves = form.waves()
        if form.cleaned_data["format"] != ExportJob.Format.CSV:
            form.add_error("format", _("Only CSV can be downloaded at once; prepare other formats instead."))
            return None
        if rows_count(waves=waves, options=options) >= STREAM_LIMIT:
            form.add_error(None, _("This export is too large to download at once; prepare it instead."))
            return None
        name = services.download_name(
            survey=wave.survey, waves=waves, fmt=ExportJob.Format.CSV, layout=options.layout
        )
        chunks = services.export_stream(
            waves=waves,
            plan=export_plan(waves=waves, layout=options.layout),
            options=options,
            user=request.user,
        )
        response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = NO_STORE
        return response

    # -- the job page, its status and its file -----------------------------------------------------

    def _job(self, request: HttpRequest, job_id: Any) -> ExportJob:
        job = self.get_object(request, str(job_id))  # 404 for another team's job or a guessed ID
        require_export(request)
        return job

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        """The job: a progress bar that follows it, then the download (or the error)."""
        job = self._job(request, object_id)
        waves = sorted(job.waves.all(), key=lambda wave: wave.number)
        return self.volna_render(
            request,
            "admin/exports/exportjob/job.html",
            job,
            _("Export %(name)s") % {"name": job.download_name},
            job=job,
            waves=waves,
            state=job_state(job),
            unavailable=unavailable_reason(job) if job.is_finished else None,
            refresh_seconds=REFRESH_SECONDS,
            status_url=reverse("admin:exports_exportjob_status", args=[job.pk]),
            download_url=reverse("admin:exports_exportjob_download", args=[job.pk]),
        )

    def status_view(self, request: HttpRequest, job_id: Any) -> HttpResponse:
        response = JsonResponse(job_state(self._job(request, job_id)))
        response["Cache-Control"] = NO_STORE
        return response

    def download_view(self, request: HttpRequest, job_id: Any) -> HttpResponse:
        """The job's file from private storage, as an attachment; audited by the service."""
        job = self._job(request, job_id)
        reason = unavailable_reason(job)
        if reason is None and not storage.export_file(job.file_path).is_file():
            reason = 410, _("The file of this export is missing. Run the export again.")
        if reason is not None:
            status, message = reason
            response = self.volna_render(
                request, "admin/exports/exportjob/unavailable.html", job, message, job=job, message=message
            )
            response.status_code = status
            return response
        file_path, name = services.export_job_download(user=request.user, job_id=job.pk)
        response = FileResponse(open(file_path, "rb"), as_attachment=True, filename=name)  # noqa: SIM115
        response["Cache-Control"] = NO_STORE
        return response


# The analysis plan of each survey (breakdowns, pairs, benchmarks, weights) that the dashboard computes.
admin.site.register(AnalysisPlan, AnalysisPlanAdmin)
