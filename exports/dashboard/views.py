"""The research dashboard of a wave, in the admin: the page, its refresh, its progress, its CSV files.

Every view goes through ``admin_site.admin_view`` (staff only, CSRF, never cached) and fetches the wave
with ``wave_access`` first, so another team's wave, or a guessed ID, is a 404 by every URL. Then the
permission: viewing needs ``exports.view_aggregatesnapshot`` (not the export permission: the figures
are aggregates, already suppressed below k), refreshing needs ``exports.add_aggregatesnapshot``.
The page renders from the latest snapshot alone; the refresh goes through
``exports.aggregation.services.aggregation_request``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.timesince import timesince
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from exports.aggregation.selectors import snapshot_latest, snapshot_pending
from exports.aggregation.services import AggregationNotDue, AggregationUnavailable, aggregation_request
from exports.dashboard.cells import file_stem, table_csv, tables_zip
from exports.dashboard.page import DashboardPage, dashboard_page, label_language
from exports.models import AggregateSnapshot
from surveys.access import wave_access
from surveys.models import Wave

VIEW_PERMISSION = "exports.view_aggregatesnapshot"
REFRESH_PERMISSION = "exports.add_aggregatesnapshot"
REFRESH_SECONDS = 3
NO_STORE = "private, no-store"
ALL_TABLES = "all"


def can_view_dashboard(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(VIEW_PERMISSION))


def can_refresh_dashboard(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(REFRESH_PERMISSION))


def dashboard_wave(request: HttpRequest, wave_id: int) -> Wave:
    """The wave, 404 outside the user's teams, then 403 without the view permission."""
    wave = wave_access(request.user, wave_id)
    if not can_view_dashboard(request.user):
        raise PermissionDenied
    return wave


def snapshot_state(snapshot: AggregateSnapshot) -> dict[str, Any]:
    """The JSON the page polls while a refresh runs (progress.js reads these keys)."""
    return {
        "status": snapshot.status,
        "status_label": snapshot.get_status_display(),
        "progress": snapshot.progress,
        "finished": snapshot.is_finished,
    }


def page_for(wave: Wave, snapshot: AggregateSnapshot, *, with_charts: bool = True) -> DashboardPage:
    survey = wave.survey
    figures = snapshot.figures or {}
    languages = list(survey.languages or figures.get("languages") or [])
    default = survey.default_language or str(figures.get("default_language") or "")
    language = label_language(figures, active=get_language() or "", languages=languages, default=default)
    return dashboard_page(figures, language=language, fallback=default, with_charts=with_charts)


def failed_since(wave: Wave, latest: AggregateSnapshot | None) -> AggregateSnapshot | None:
    """The newest refresh, when it failed after the snapshot shown (so the page can say so)."""
    newest = (
        AggregateSnapshot.objects.filter(wave=wave).defer("figures", "state").order_by("-created_at").first()
    )
    if newest is None or newest.status != AggregateSnapshot.Status.FAILED:
        return None
    if latest is not None and newest.created_at <= latest.created_at:
        return None
    return newest


def snapshot_counts(snapshot: AggregateSnapshot) -> dict[str, Any]:
    """n of the figures (all rows of the wave) and how many completed, for the page's header."""
    counts = (snapshot.figures or {}).get("n") or {}
    return {"all": counts.get("all", snapshot.responses), "completed": counts.get("completed")}


def settings_url(wave: Wave, user: Any) -> str:
    """The survey's dashboard settings (analysis plan) page, if the admin has one the user may see."""
    if not user.has_perm("exports.view_analysisplan"):
        return ""
    try:
        return reverse("admin:exports_analysisplan_change", args=[wave.survey_id])
    except NoReverseMatch:
        return ""


def age_text(snapshot: AggregateSnapshot | None) -> str:
    """ "computed 3 minutes ago", or "computed just now" within the first minute."""
    if snapshot is None or snapshot.computed_at is None:
        return ""
    if timezone.now() - snapshot.computed_at < timedelta(minutes=1):
        return _("computed just now")
    return _("computed %(age)s ago") % {"age": timesince(snapshot.computed_at)}


def when(snapshot: AggregateSnapshot | None) -> str:
    if snapshot is None or snapshot.computed_at is None:
        return ""
    return formats.date_format(timezone.localtime(snapshot.computed_at), "DATETIME_FORMAT")


@require_GET
def dashboard_view(request: HttpRequest, wave_id: int) -> HttpResponse:
    """The dashboard: the latest snapshot's figures, and the refresh in flight if there is one."""
    wave = dashboard_wave(request, wave_id)
    latest = snapshot_latest(wave)
    pending = snapshot_pending(wave)
    site = admin.site
    request.current_app = site.name
    context = {
        **site.each_context(request),
        "opts": Wave._meta,
        "original": wave,
        "title": _("Dashboard of wave %(number)s: %(name)s") % {"number": wave.number, "name": wave.name},
        "wave": wave,
        "snapshot": latest,
        "counts": snapshot_counts(latest) if latest is not None else None,
        "computed": when(latest),
        "age": age_text(latest),
        "page": page_for(wave, latest) if latest is not None else None,
        "pending": pending,
        "pending_state": snapshot_state(pending) if pending else None,
        "failed": failed_since(wave, latest) if pending is None else None,
        "can_refresh": can_refresh_dashboard(request.user),
        "refresh_seconds": REFRESH_SECONDS,
        "settings_url": settings_url(wave, request.user),
        "all_tables": ALL_TABLES,
    }
    response = TemplateResponse(request, "admin/exports/dashboard.html", context)
    response["Cache-Control"] = NO_STORE
    return response


@require_POST
def refresh_view(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Queue a new snapshot (or join the one in flight) and go back to the page, which follows it."""
    wave = dashboard_wave(request, wave_id)
    if not can_refresh_dashboard(request.user):
        raise PermissionDenied
    try:
        aggregation_request(wave=wave, user=request.user)
    except AggregationNotDue as not_due:
        text = ngettext(
            "%(waiting)d response has finished since these figures. They are refreshed once %(k)d have, so "
            "that no one's answers can be read off the difference between two snapshots.",
            "%(waiting)d responses have finished since these figures. They are refreshed once %(k)d have, "
            "so that no one's answers can be read off the difference between two snapshots.",
            not_due.waiting,
        ) % {"waiting": not_due.waiting, "k": not_due.k}
        messages.info(request, text)
    except AggregationUnavailable:
        latest = snapshot_latest(wave)
        if latest is not None:
            text = _("Refresh unavailable; showing the last snapshot from %(time)s.") % {"time": when(latest)}
        else:
            text = _("Refresh unavailable: the task queue cannot be reached. Try again in a few minutes.")
        messages.warning(request, text)
    else:
        messages.success(request, _("The figures are being computed; this page follows the progress."))
    return HttpResponseRedirect(reverse("dashboard:wave", args=[wave.pk]))


@require_GET
def progress_view(request: HttpRequest, wave_id: int, snapshot_id: Any) -> HttpResponse:
    """The status of one of this wave's snapshots as JSON (never any figure)."""
    wave = dashboard_wave(request, wave_id)
    snapshot = AggregateSnapshot.objects.filter(wave=wave, pk=snapshot_id).defer("figures", "state").first()
    if snapshot is None:
        raise Http404(_("Not found."))
    response = JsonResponse(snapshot_state(snapshot))
    response["Cache-Control"] = NO_STORE
    return response


@require_GET
def csv_view(request: HttpRequest, wave_id: int) -> HttpResponse:
    """One table of the latest snapshot as CSV (``?table=frequencies:gender``), or all as a ZIP."""
    wave = dashboard_wave(request, wave_id)
    latest = snapshot_latest(wave)
    key = request.GET.get("table", "")
    if latest is None or not key:
        raise Http404(_("Not found."))
    downloads = page_for(wave, latest, with_charts=False).downloads
    stem = f"{file_stem(wave.survey.slug)}-wave{wave.number}"
    if key == ALL_TABLES:
        response = HttpResponse(tables_zip(downloads.values()), content_type="application/zip")
        name = f"{stem}-dashboard.zip"
    elif key in downloads:
        response = HttpResponse(table_csv(downloads[key]), content_type="text/csv; charset=utf-8")
        name = f"{stem}-{file_stem(key)}.csv"
    else:
        raise Http404(_("Not found."))
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = NO_STORE
    return response
