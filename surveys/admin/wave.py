"""Wave admin: texts, mode, the public link, and Open / Close buttons."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from surveys import services
from surveys.access import wave_access
from surveys.admin.base import VolnaModelAdmin, require_perm
from surveys.admin.forms import TranslatedModelForm
from surveys.models import Wave

READ_ONLY_FIELDS = (
    "survey",
    "number",
    "questionnaire",
    "status",
    "created_at",
    "opened_at",
    "closed_at",
)


def public_path(wave: Wave) -> str:
    """The respondents' start URL of a wave (DESIGN.md §5)."""
    return f"/s/{wave.slug}/"


@admin.register(Wave)
class WaveAdmin(VolnaModelAdmin):
    form = TranslatedModelForm
    list_display = (
        "__str__",
        "name",
        "status",
        "mode",
        "questionnaire",
        "public_link",
        "opened_at",
        "closed_at",
    )
    list_filter = ("status", "mode", ("survey", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "survey__slug")
    fieldsets = (
        (None, {"fields": ("survey", "number", "name", "questionnaire", "status", "mode")}),
        (gettext_lazy("Texts for respondents"), {"fields": ("welcome", "thanks")}),
        (gettext_lazy("Times"), {"fields": ("created_at", "opened_at", "closed_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Wave]:
        return super().get_queryset(request).select_related("survey", "questionnaire__survey")

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple[str, ...]:
        fields = READ_ONLY_FIELDS
        # The mode decides who may answer; it is fixed once respondents could have started.
        if obj is not None and obj.status != Wave.Status.DRAFT:  # type: ignore[attr-defined]
            fields += ("mode",)
        return fields

    @admin.display(description=gettext_lazy("public link"))
    def public_link(self, obj: Wave) -> str:
        return format_html('<code class="volna-public-link">{}</code>', public_path(obj))

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Waves are created on a published version's page ("Create wave").
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        draft = obj is None or obj.status == Wave.Status.DRAFT  # type: ignore[attr-defined]
        return draft and super().has_delete_permission(request, obj)

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/open/", wrap(require_POST(self.open_view)), name="surveys_wave_open"),
            path("<path:object_id>/close/", wrap(require_POST(self.close_view)), name="surveys_wave_close"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        wave = self.get_object(request, object_id)
        may_change = request.user.has_perm("surveys.change_wave")
        extra = {
            "can_open": may_change and wave.status in (Wave.Status.DRAFT, Wave.Status.CLOSED),
            "can_close": may_change and wave.status == Wave.Status.OPEN,
            "public_url": request.build_absolute_uri(public_path(wave)),
        }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def open_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Open (or reopen) the wave; a refusal lists each missing text."""
        wave = wave_access(request.user, object_id)
        require_perm(request, "change_wave")
        try:
            services.wave_open(wave=wave)
        except services.PublishRefused as refused:
            self.message_user(request, _("The wave was not opened:"), messages.ERROR)
            for problem in refused.problems:
                self.message_user(request, problem, messages.ERROR)
        except services.InvalidTransition as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, _("The wave is open: respondents can use its link."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:surveys_wave_change", args=[wave.pk]))

    def close_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Close the wave: its link stops accepting answers."""
        wave = wave_access(request.user, object_id)
        require_perm(request, "change_wave")
        try:
            services.wave_close(wave=wave)
        except services.InvalidTransition as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, _("The wave is closed."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:surveys_wave_change", args=[wave.pk]))
