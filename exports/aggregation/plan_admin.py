"""The analysis plan in the admin: one page per survey ("Dashboard settings") with four tables.

Registered in ``exports.admin`` on the ``AnalysisPlan`` proxy of Survey. Scoping is the survey
admin's (another team's survey, or a guessed ID, is a 404). The plan is part of a survey's settings,
so the survey permissions govern it: viewing the survey shows the plan, changing the survey changes
it. Every row is checked against the latest published version (``exports.aggregation.plan``) in the
forms' ``clean``; one bad row is a form error and nothing on the page is saved.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exports.aggregation import plan
from exports.aggregation.plan import PlanQuestion
from exports.models import AnalysisPlan, BeforeAfterPair, Breakdown, PopulationBenchmark, WeightMargin
from surveys.admin.base import VolnaInline, VolnaModelAdmin
from surveys.models import Questionnaire, Survey
from surveys.translation import text_in

SELECT_ONE = ("select_one",)
ANY_SELECT = plan.SELECT_TYPES


def may_view_survey(request: HttpRequest) -> bool:
    user = request.user
    return user.has_perm("surveys.view_survey") or user.has_perm("surveys.change_survey")


def may_change_survey(request: HttpRequest) -> bool:
    return request.user.has_perm("surveys.change_survey")


class PlanRowForm(forms.ModelForm):
    """A plan row: variables are picked from the latest published version, then the row is checked."""

    plan_questions: ClassVar[dict[str, PlanQuestion] | None] = None
    variable_types: ClassVar[dict[str, Iterable[str]]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.plan_questions is None:
            return  # nothing published yet: plain text inputs (and clean says why they are refused)
        for name, types in self.variable_types.items():
            current = getattr(self.instance, name, "") or ""
            choices = plan.variable_choices(self.plan_questions, types=types, current=current)
            self.fields[name].widget = forms.Select(choices=choices)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        needed = (*self.variable_types, *self.checked_fields())
        if cleaned.get("DELETE") or any(self.has_error(name) or not cleaned.get(name) for name in needed):
            return cleaned  # a deleted row is not checked; a missing value has its own error already
        self.check(cleaned)
        return cleaned

    def checked_fields(self) -> tuple[str, ...]:
        return ()

    def check(self, cleaned: dict[str, Any]) -> None:
        raise NotImplementedError


class BreakdownForm(PlanRowForm):
    variable_types = {"variable": SELECT_ONE}

    class Meta:
        model = Breakdown
        fields = ("variable", "position")

    def check(self, cleaned: dict[str, Any]) -> None:
        plan.breakdown_check(self.plan_questions, variable=cleaned["variable"])


class PairForm(PlanRowForm):
    variable_types = {"before": ANY_SELECT, "after": ANY_SELECT}

    class Meta:
        model = BeforeAfterPair
        fields = ("before", "after", "label")

    def check(self, cleaned: dict[str, Any]) -> None:
        plan.pair_check(self.plan_questions, before=cleaned["before"], after=cleaned["after"])


class BenchmarkForm(PlanRowForm):
    variable_types = {"variable": ANY_SELECT}

    class Meta:
        model = PopulationBenchmark
        fields = ("variable", "code", "share_percent", "source")

    def checked_fields(self) -> tuple[str, ...]:
        return ("code",)

    def check(self, cleaned: dict[str, Any]) -> None:
        plan.benchmark_check(self.plan_questions, variable=cleaned["variable"], code=cleaned["code"])


class MarginForm(PlanRowForm):
    variable_types = {"variable": SELECT_ONE}

    class Meta:
        model = WeightMargin
        fields = ("variable", "code", "share_percent")

    def checked_fields(self) -> tuple[str, ...]:
        return ("code",)

    def check(self, cleaned: dict[str, Any]) -> None:
        plan.margin_check(self.plan_questions, variable=cleaned["variable"], code=cleaned["code"])


class MarginFormSet(forms.BaseInlineFormSet):
    """The margins together: at most two variables, each adding up to 100 %."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [
            (form.cleaned_data["variable"], form.cleaned_data["share_percent"])
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        plan.margins_check(kept)


class PlanInline(VolnaInline, admin.TabularInline):
    """A table of plan rows; its forms know the survey's latest published questions."""

    extra = 1

    def volna_form_attrs(self, request: HttpRequest, obj: Model | None) -> dict[str, Any]:
        return {"plan_questions": _questions(request, obj)}

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return may_view_survey(request)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return may_change_survey(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return may_change_survey(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return may_change_survey(request)


def _questions(request: HttpRequest, obj: Model | None) -> dict[str, PlanQuestion] | None:
    """The latest published questions of the page's survey, read once per request."""
    if not isinstance(obj, Survey):
        return None
    cache = request.__dict__.setdefault("_volna_plan_questions", {})
    if obj.pk not in cache:
        cache[obj.pk] = plan.plan_questions(obj)
    return cache[obj.pk]


class BreakdownInline(PlanInline):
    model = Breakdown
    form = BreakdownForm
    fields = ("variable", "position")


class PairInline(PlanInline):
    model = BeforeAfterPair
    form = PairForm
    fields = ("before", "after", "label")


class BenchmarkInline(PlanInline):
    model = PopulationBenchmark
    form = BenchmarkForm
    fields = ("variable", "code", "share_percent", "source")


class MarginInline(PlanInline):
    model = WeightMargin
    form = MarginForm
    formset = MarginFormSet
    fields = ("variable", "code", "share_percent")


class AnalysisPlanAdmin(VolnaModelAdmin):
    """A survey's dashboard settings: what to break the figures down by, compare, and weight to."""

    survey_lookup = "pk"
    inlines = [BreakdownInline, PairInline, BenchmarkInline, MarginInline]
    list_display = ("slug", "title_text", "team", "plan_version", "plan_size")
    list_filter = (("team", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("slug",)
    fields = ("slug", "title_text", "small_cell_k", "plan_version")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[AnalysisPlan]:
        return (
            super()
            .get_queryset(request)
            .select_related("team")
            .annotate(
                breakdown_total=Count("breakdowns", distinct=True),
                pair_total=Count("before_after_pairs", distinct=True),
                benchmark_total=Count("population_benchmarks", distinct=True),
                margin_total=Count("weight_margins", distinct=True),
            )
        )

    @admin.display(description=gettext_lazy("title"))
    def title_text(self, obj: Survey) -> str:
        return text_in(obj.title, obj.default_language)

    @admin.display(description=gettext_lazy("checked against version"))
    def plan_version(self, obj: Survey) -> str:
        number = (
            Questionnaire.objects.filter(survey=obj, status=Questionnaire.Status.PUBLISHED)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        return str(number) if number is not None else "—"

    @admin.display(description=gettext_lazy("plan"))
    def plan_size(self, obj: Survey) -> str:
        return _(
            "%(breakdowns)d breakdowns, %(pairs)d pairs, %(benchmarks)d benchmarks, %(margins)d margins"
        ) % {
            "breakdowns": obj.breakdown_total,  # type: ignore[attr-defined]
            "pairs": obj.pair_total,  # type: ignore[attr-defined]
            "benchmarks": obj.benchmark_total,  # type: ignore[attr-defined]
            "margins": obj.margin_total,  # type: ignore[attr-defined]
        }

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_view_survey(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return may_view_survey(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return may_change_survey(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # surveys are created in the survey admin

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Model, form: forms.ModelForm, change: bool) -> None:
        """Nothing of the survey itself is edited here (its row is not written back)."""
