"""Survey admin: settings and languages, its versions and waves, XLSForm import, new versions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys import services
from surveys.access import survey_access
from surveys.admin.action_forms import NewVersionForm, XLSFormUploadForm
from surveys.admin.base import ScopedMixin, VolnaModelAdmin, require_perm
from surveys.admin.forms import SurveyForm
from surveys.models import Questionnaire, Survey, Wave
from surveys.translation import text_in
from surveys.xlsform import XLSFormError, xlsform_import


def _version_url(questionnaire: Questionnaire) -> str:
    return reverse("admin:surveys_questionnaire_change", args=[questionnaire.pk])


class VersionRowsInline(ScopedMixin, admin.TabularInline):
    """The survey's versions, newest first, as links (edited on their own pages)."""

    model = Questionnaire
    fields = ("number", "status", "question_count", "notes", "created_at", "published_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = gettext_lazy("version")
    verbose_name_plural = gettext_lazy("versions")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Questionnaire]:
        return super().get_queryset(request).annotate(question_total=Count("questions")).order_by("-number")

    @admin.display(description=gettext_lazy("questions"))
    def question_count(self, obj: Questionnaire) -> int:
        return obj.question_total  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class WaveRowsInline(ScopedMixin, admin.TabularInline):
    model = Wave
    fields = ("number", "name", "status", "mode", "questionnaire", "opened_at", "closed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Wave]:
        return super().get_queryset(request).select_related("questionnaire__survey")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Survey)
class SurveyAdmin(VolnaModelAdmin):
    form = SurveyForm
    survey_lookup = "pk"
    list_display = (
        "slug",
        "title_text",
        "languages_text",
        "team",
        "version_count",
        "wave_count",
        "created_at",
    )
    list_filter = (("team", admin.RelatedOnlyFieldListFilter), "is_panel")
    search_fields = ("slug", "title")
    fieldsets = (
        (None, {"fields": ("slug", "title", "languages", "default_language", "team")}),
        (gettext_lazy("Privacy"), {"fields": ("date_precision", "small_cell_k")}),
        (gettext_lazy("Panel"), {"fields": ("is_panel",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Survey]:
        return (
            super()
            .get_queryset(request)
            .select_related("team")
            .annotate(
                version_total=Count("questionnaires", distinct=True), wave_total=Count("waves", distinct=True)
            )
        )

    def get_inlines(self, request: HttpRequest, obj: Survey | None) -> list:
        return [VersionRowsInline, WaveRowsInline] if obj else []

    def get_form(self, request: HttpRequest, obj: Survey | None = None, **kwargs: Any):
        form = super().get_form(request, obj, **kwargs)
        if "default_language" in form.base_fields:
            form.base_fields["default_language"].help_text = _(
                "The source language: translations are made from it. Must be one of the languages."
            )
        return form

    @admin.display(description=gettext_lazy("title"))
    def title_text(self, obj: Survey) -> str:
        return text_in(obj.title, obj.default_language)

    @admin.display(description=gettext_lazy("languages"))
    def languages_text(self, obj: Survey) -> str:
        return ", ".join(obj.languages or [])

    @admin.display(description=gettext_lazy("versions"), ordering="version_total")
    def version_count(self, obj: Survey) -> int:
        return obj.version_total  # type: ignore[attr-defined]

    @admin.display(description=gettext_lazy("waves"), ordering="wave_total")
    def wave_count(self, obj: Survey) -> int:
        return obj.wave_total  # type: ignore[attr-defined]

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/import/", wrap(self.import_view), name="surveys_survey_import"),
            path(
                "<path:object_id>/versions/new/",
                wrap(self.new_version_view),
                name="surveys_survey_new_version",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        extra = {"can_add_version": request.user.has_perm("surveys.add_questionnaire")}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def import_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Upload an XLSForm; every problem is listed and nothing is created, or a new draft is."""
        survey = survey_access(request.user, object_id)
        require_perm(request, "add_questionnaire")
        problems: list[str] = []
        posted = request.method == "POST"
        form = XLSFormUploadForm(request.POST, request.FILES) if posted else XLSFormUploadForm()
        if posted and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                questionnaire = xlsform_import(survey=survey, file_bytes=upload.read(), filename=upload.name)
            except XLSFormError as error:
                problems = [str(problem) for problem in error.problems]
            else:
                self.message_user(
                    request, _("Imported version %(n)s.") % {"n": questionnaire.number}, messages.SUCCESS
                )
                return HttpResponseRedirect(_version_url(questionnaire))
        return self.volna_render(
            request,
            "admin/surveys/survey/import_xlsform.html",
            survey,
            _("Import an XLSForm into %(survey)s") % {"survey": survey.slug},
            form=form,
            problems=problems,
            max_bytes=settings.VOLNA_XLSFORM_MAX_BYTES,
        )

    def new_version_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A new draft version: empty, or a copy of an existing version (names kept)."""
        survey = survey_access(request.user, object_id)
        require_perm(request, "add_questionnaire")
        versions = list(survey.questionnaires.order_by("-number"))
        posted = request.method == "POST"
        form = NewVersionForm(request.POST if posted else None, versions=versions)
        if posted and form.is_valid():
            source_id = form.cleaned_data["source"]
            source = next((v for v in versions if str(v.pk) == source_id), None)
            if source is None:
                draft = services.questionnaire_create_draft(survey=survey)
                text = _("Created version %(n)s (empty).") % {"n": draft.number}
            else:
                draft = services.questionnaire_copy_as_draft(questionnaire=source)
                numbers = {"n": draft.number, "m": source.number}
                text = _("Created version %(n)s from version %(m)s.") % numbers
            self.message_user(request, text, messages.SUCCESS)
            return HttpResponseRedirect(_version_url(draft))
        return self.volna_render(
            request,
            "admin/surveys/survey/new_version.html",
            survey,
            _("New version of %(survey)s") % {"survey": survey.slug},
            form=form,
        )
