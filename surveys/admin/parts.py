"""The editing tables of a version: pages with their questions, choice lists with their choices."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from surveys.admin.base import FrozenMixin, VolnaInline, VolnaModelAdmin
from surveys.admin.forms import QuestionForm, QuestionFormSet, TranslatedModelForm
from surveys.models import Choice, ChoiceList, Question, Section
from surveys.translation import text_in

QUESTION_FIELDSETS = (
    (None, {"fields": ("position", "name", "type", "label", "required", "choice_list", "parent")}),
    (
        gettext_lazy("Hint, logic and display"),
        {
            "classes": ("collapse",),
            "fields": (
                "hint",
                "relevant",
                "constraint",
                "constraint_message",
                "appearance",
                "has_other",
                "randomize",
            ),
        },
    ),
)


def _questionnaire_id(obj: Model | None) -> dict[str, Any]:
    questionnaire_id = getattr(obj, "questionnaire_id", None)
    return {"volna_questionnaire_id": questionnaire_id} if questionnaire_id else {}


class QuestionInline(VolnaInline, FrozenMixin, admin.StackedInline):
    model = Question
    fk_name = "section"
    form = QuestionForm
    formset = QuestionFormSet
    survey_lookup = "questionnaire__survey"
    fieldsets = QUESTION_FIELDSETS
    extra = 0
    show_change_link = True

    def volna_form_attrs(self, request: HttpRequest, obj: Model | None) -> dict[str, Any]:
        return _questionnaire_id(obj)


class ChoiceInline(VolnaInline, FrozenMixin, admin.TabularInline):
    model = Choice
    form = TranslatedModelForm
    survey_lookup = "choice_list__questionnaire__survey"
    fields = ("position", "code", "label")
    extra = 0


class PartAdmin(FrozenMixin, VolnaModelAdmin):
    """Pages and lists are added on their version's page; here they are edited with their contents."""

    survey_lookup = "questionnaire__survey"
    list_filter = (("questionnaire__survey", admin.RelatedOnlyFieldListFilter), "questionnaire__status")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Section)
class SectionAdmin(PartAdmin):
    form = TranslatedModelForm
    list_display = ("name", "title_text", "questionnaire", "position", "question_count", "ends_survey")
    search_fields = ("name", "questionnaire__survey__slug")
    fields = ("questionnaire", "position", "name", "title", "relevant", "ends_survey")
    readonly_fields = ("questionnaire",)
    inlines = (QuestionInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Section]:
        return (
            super()
            .get_queryset(request)
            .select_related("questionnaire__survey")
            .annotate(question_total=Count("questions"))
        )

    @admin.display(description=gettext_lazy("title"))
    def title_text(self, obj: Section) -> str:
        return text_in(obj.title, obj.questionnaire.survey.default_language)

    @admin.display(description=gettext_lazy("questions"), ordering="question_total")
    def question_count(self, obj: Section) -> int:
        return obj.question_total  # type: ignore[attr-defined]


@admin.register(ChoiceList)
class ChoiceListAdmin(PartAdmin):
    list_display = ("name", "questionnaire", "choice_count")
    search_fields = ("name", "questionnaire__survey__slug")
    fields = ("questionnaire", "name")
    readonly_fields = ("questionnaire",)
    inlines = (ChoiceInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ChoiceList]:
        return (
            super()
            .get_queryset(request)
            .select_related("questionnaire__survey")
            .annotate(choice_total=Count("choices"))
        )

    @admin.display(description=gettext_lazy("choices"), ordering="choice_total")
    def choice_count(self, obj: ChoiceList) -> int:
        return obj.choice_total  # type: ignore[attr-defined]


@admin.register(Question)
class QuestionAdmin(PartAdmin):
    """Find a question across versions; edit one question with every field."""

    form = QuestionForm
    list_display = ("name", "label_text", "type", "required", "section", "questionnaire")
    list_filter = ("type", "required", *PartAdmin.list_filter)
    search_fields = ("name", "label", "questionnaire__survey__slug")
    fieldsets = (
        (None, {"fields": ("questionnaire", "section", *QUESTION_FIELDSETS[0][1]["fields"])}),
        QUESTION_FIELDSETS[1],
    )
    readonly_fields = ("questionnaire",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Question]:
        return super().get_queryset(request).select_related("questionnaire__survey", "section")

    def volna_form_attrs(self, request: HttpRequest, obj: Model | None) -> dict[str, Any]:
        return _questionnaire_id(obj)

    @admin.display(description=gettext_lazy("label"))
    def label_text(self, obj: Question) -> str:
        return text_in(obj.label, obj.questionnaire.survey.default_language)
