"""Questionnaire (version) admin: its pages and choice lists, frozen once published."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy, ngettext

from surveys.admin.base import FrozenMixin, VolnaInline, VolnaModelAdmin
from surveys.admin.forms import TranslatedModelForm
from surveys.admin.questionnaire_views import QuestionnaireActionsMixin
from surveys.models import ChoiceList, Questionnaire, Section


def _link(url_name: str, pk: int, text: str) -> str:
    return format_html('<a href="{}">{}</a>', reverse(url_name, args=[pk]), text)


class SectionInline(VolnaInline, FrozenMixin, admin.TabularInline):
    """The pages of a version; their questions are edited on each page's own screen."""

    model = Section
    form = TranslatedModelForm
    survey_lookup = "questionnaire__survey"
    fields = ("position", "name", "title", "relevant", "ends_survey", "questions_link")
    readonly_fields = ("questions_link",)
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Section]:
        return super().get_queryset(request).annotate(question_total=Count("questions"))

    @admin.display(description=gettext_lazy("questions"))
    def questions_link(self, obj: Section) -> str:
        if not obj.pk:
            return "—"
        total = getattr(obj, "question_total", 0)
        text = ngettext("%(n)d question", "%(n)d questions", total) % {"n": total}
        return _link("admin:surveys_section_change", obj.pk, text)


class ChoiceListInline(VolnaInline, FrozenMixin, admin.TabularInline):
    model = ChoiceList
    survey_lookup = "questionnaire__survey"
    fields = ("name", "choices_link")
    readonly_fields = ("choices_link",)
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[ChoiceList]:
        return super().get_queryset(request).annotate(choice_total=Count("choices"))

    @admin.display(description=gettext_lazy("choices"))
    def choices_link(self, obj: ChoiceList) -> str:
        if not obj.pk:
            return "—"
        total = getattr(obj, "choice_total", 0)
        text = ngettext("%(n)d choice", "%(n)d choices", total) % {"n": total}
        return _link("admin:surveys_choicelist_change", obj.pk, text)


@admin.register(Questionnaire)
class QuestionnaireAdmin(QuestionnaireActionsMixin, FrozenMixin, VolnaModelAdmin):
    list_display = ("__str__", "survey", "number", "status", "question_count", "created_at", "published_at")
    list_display_links = ("__str__",)
    list_filter = ("status", ("survey", admin.RelatedOnlyFieldListFilter))
    search_fields = ("survey__slug", "notes", "source_filename")
    fields = ("survey", "number", "status", "notes", "source_filename", "created_at", "published_at")
    readonly_fields = ("survey", "number", "status", "source_filename", "created_at", "published_at")
    inlines = (SectionInline, ChoiceListInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Questionnaire]:
        return (
            super()
            .get_queryset(request)
            .select_related("survey")
            .defer("source_file", "snapshot")
            .annotate(question_total=Count("questions"))
        )

    @admin.display(description=gettext_lazy("questions"), ordering="question_total")
    def question_count(self, obj: Questionnaire) -> int:
        return obj.question_total  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Versions are made from the survey page (empty, copied or imported), numbered by the service.
        return False

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        questionnaire = self.get_object(request, object_id)
        user = request.user
        draft = not questionnaire.is_published
        extra: dict[str, Any] = {
            "languages": questionnaire.survey.languages,
            "can_publish": draft and user.has_perm("surveys.change_questionnaire"),
            "can_run_checks": user.has_perm("surveys.add_checkrun"),
            "can_create_wave": not draft and user.has_perm("surveys.add_wave"),
            "can_copy": user.has_perm("surveys.add_questionnaire"),
            "last_check_run": questionnaire.check_runs.only("pk", "status").first(),
        }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})
