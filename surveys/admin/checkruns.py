"""Check runs: a page that follows a run (progress, then its report) and a JSON status for polling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys.admin.base import VolnaModelAdmin
from surveys.models import CheckRun

FINISHED = (CheckRun.Status.DONE, CheckRun.Status.FAILED)
REFRESH_SECONDS = 3


@dataclass
class SimulationRow:
    """One line of the simulation summary: a value, or a small table of (name, value) pairs."""

    label: str
    text: str = ""
    pairs: list[tuple[str, str]] | None = None


def _flat(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_flat(v) for v in value) if value else "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_flat(v)}" for k, v in value.items()) if value else "—"
    return str(value)


def simulation_rows(simulation: dict[str, Any]) -> list[SimulationRow]:
    """The free-form simulation report, readable: scalars and lists as text, mappings as tables."""
    rows = []
    for key, value in simulation.items():
        label = str(key).replace("_", " ").capitalize()
        if isinstance(value, dict) and value:
            rows.append(SimulationRow(label=label, pairs=[(str(k), _flat(v)) for k, v in value.items()]))
        else:
            rows.append(SimulationRow(label=label, text=_flat(value)))
    return rows


def run_report(run: CheckRun) -> dict[str, Any]:
    report = run.report if isinstance(run.report, dict) else {}
    return {
        "errors": [str(e) for e in report.get("errors") or []],
        "warnings": [str(w) for w in report.get("warnings") or []],
        "simulation": simulation_rows(report.get("simulation") or {}),
    }


@admin.register(CheckRun)
class CheckRunAdmin(VolnaModelAdmin):
    survey_lookup = "questionnaire__survey"
    list_display = ("run_label", "questionnaire", "status", "progress", "created_at", "finished_at")
    list_filter = ("status", ("questionnaire__survey", admin.RelatedOnlyFieldListFilter))
    search_fields = ("questionnaire__survey__slug",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CheckRun]:
        return super().get_queryset(request).select_related("questionnaire__survey")

    @admin.display(description=gettext_lazy("check run"), ordering="pk")
    def run_label(self, obj: CheckRun) -> str:
        return _("Checks #%(n)s") % {"n": obj.pk}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # started with "Run checks" on a version

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        status = path("<path:object_id>/status/", wrap(self.status_view), name="surveys_checkrun_status")
        return [status, *super().get_urls()]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        """The run: a progress bar that refreshes itself until the run ends, then the report."""
        run = self.get_object(request, object_id)
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        finished = run.status in FINISHED
        return self.volna_render(
            request,
            "admin/surveys/checkrun/run.html",
            run,
            _("Checks of %(version)s") % {"version": run.questionnaire},
            run=run,
            questionnaire=run.questionnaire,
            finished=finished,
            report=run_report(run) if finished else None,
            refresh_seconds=REFRESH_SECONDS,
            status_url=reverse("admin:surveys_checkrun_status", args=[run.pk]),
        )

    def status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        run = self.get_object(request, object_id)
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        return JsonResponse(
            {
                "status": run.status,
                "status_label": run.get_status_display(),
                "progress": run.progress,
                "finished": run.status in FINISHED,
            }
        )
