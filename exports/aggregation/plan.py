"""A survey's analysis plan: turned into an ``AnalysisSpec`` for the computation, and checked.

The plan (breakdowns, before/after pairs, population benchmarks, weighting margins) names variables
and codes as text, so it survives new questionnaire versions that keep their variable names. It is
checked against the survey's latest published version when a researcher edits it (the admin forms call
the ``*_check`` functions from their ``clean``), so a typo is a form error, not a dashboard that
silently leaves something out. The computation never reads the plan models: it gets ``plan_spec``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from exports.aggregation.spec import AnalysisSpec, Benchmark, Margin, Pair
from exports.models import BeforeAfterPair, Breakdown, PopulationBenchmark, WeightMargin
from surveys.models import Question, Questionnaire, Survey
from surveys.snapshot import iter_questions

SELECT_TYPES = (Question.Type.SELECT_ONE, Question.Type.SELECT_MULTIPLE)
MAX_MARGIN_VARIABLES = 2
MARGIN_TOLERANCE = Decimal("0.5")  # percentage points either side of 100


@dataclass(frozen=True)
class PlanQuestion:
    """What the plan needs to know about one question of the latest published version."""

    name: str
    type: str
    choice_list: str | None
    codes: tuple[str, ...] = ()
    label: dict[str, str] = field(default_factory=dict)

    @property
    def is_select(self) -> bool:
        return self.type in SELECT_TYPES


def plan_spec(survey: Survey) -> AnalysisSpec:
    """The survey's analysis plan as plain values: shares as fractions, k from the survey."""
    margins: dict[str, dict[str, float]] = {}
    for margin in WeightMargin.objects.filter(survey=survey).order_by("variable", "id"):
        margins.setdefault(margin.variable, {})[margin.code] = float(margin.share_percent) / 100
    return AnalysisSpec(
        breakdowns=tuple(
            Breakdown.objects.filter(survey=survey)
            .order_by("position", "id")
            .values_list("variable", flat=True)
        ),
        pairs=tuple(
            Pair(before=pair.before, after=pair.after, label=pair.label)
            for pair in BeforeAfterPair.objects.filter(survey=survey).order_by("id")
        ),
        benchmarks=tuple(
            Benchmark(
                variable=benchmark.variable,
                code=benchmark.code,
                share=float(benchmark.share_percent) / 100,
                source=benchmark.source,
            )
            for benchmark in PopulationBenchmark.objects.filter(survey=survey).order_by("variable", "id")
        ),
        margins=tuple(Margin(variable=variable, shares=shares) for variable, shares in margins.items()),
        k=survey.small_cell_k,
    )


# -- what the plan may refer to ---------------------------------------------------------------------


def latest_published_snapshot(survey: Survey) -> dict[str, Any] | None:
    """The compiled snapshot of the survey's highest-numbered published version, or None."""
    return (
        Questionnaire.objects.filter(survey=survey, status=Questionnaire.Status.PUBLISHED)
        .order_by("-number")
        .values_list("snapshot", flat=True)
        .first()
    )


def plan_questions(survey: Survey) -> dict[str, PlanQuestion] | None:
    """The top-level questions of the latest published version by name; None before any is published."""
    snapshot = latest_published_snapshot(survey)
    if snapshot is None:
        return None
    lists = snapshot.get("choice_lists", {})
    questions = {}
    for _section, question in iter_questions(snapshot):
        choice_list = question.get("choice_list")
        codes = tuple(choice["code"] for choice in lists.get(choice_list, ())) if choice_list else ()
        questions[question["name"]] = PlanQuestion(
            name=question["name"],
            type=question["type"],
            choice_list=choice_list,
            codes=codes,
            label=question.get("label") or {},
        )
    return questions


def variable_choices(
    questions: dict[str, PlanQuestion] | None, *, types: Iterable[str], current: str = ""
) -> list[tuple[str, str]]:
    """(name, "name — label") of the questions of ``types``, for a select widget.

    ``current`` (a stored value no longer in the version) stays selectable, so the form shows it and
    its error instead of silently replacing it.
    """
    wanted = set(types)
    choices = [("", "---------")]
    for question in (questions or {}).values():
        if question.type in wanted:
            label = next(iter(question.label.values()), "") if question.label else ""
            choices.append((question.name, f"{question.name} — {label}" if label else question.name))
    if current and current not in {name for name, _label in choices}:
        choices.append((current, current))
    return choices


# -- checks (each raises ValidationError keyed by the form field it is about) ------------------------


def _require_version(questions: dict[str, PlanQuestion] | None) -> dict[str, PlanQuestion]:
    if questions is None:
        raise ValidationError(
            _("Publish a version of the questionnaire first: the analysis plan is checked against it.")
        )
    return questions


def _question(questions: dict[str, PlanQuestion] | None, name: str, field_name: str) -> PlanQuestion:
    found = _require_version(questions).get(name)
    if found is None:
        raise ValidationError(
            {
                field_name: _("%(field)s: there is no question “%(name)s” in the latest published version.")
                % {"field": field_name, "name": name}
            }
        )
    return found


def breakdown_check(questions: dict[str, PlanQuestion] | None, *, variable: str) -> None:
    """A breakdown must be a select_one question (each respondent in exactly one group)."""
    question = _question(questions, variable, "variable")
    if question.type != Question.Type.SELECT_ONE:
        raise ValidationError(
            {
                "variable": _(
                    "variable: “%(name)s” is of type %(type)s; a breakdown needs a select_one question."
                )
                % {"name": variable, "type": question.type}
            }
        )


def pair_check(questions: dict[str, PlanQuestion] | None, *, before: str, after: str) -> None:
    """Both questions are select questions on the same choice list, and they are two questions."""
    first = _question(questions, before, "before")
    second = _question(questions, after, "after")
    for field_name, question in (("before", first), ("after", second)):
        if not question.is_select:
            raise ValidationError(
                {
                    field_name: _("%(field)s: “%(name)s” is of type %(type)s, not a select question.")
                    % {"field": field_name, "name": question.name, "type": question.type}
                }
            )
    if before == after:
        raise ValidationError({"after": _("after: choose a different question than before.")})
    if first.choice_list != second.choice_list:
        raise ValidationError(
            {
                "after": _(
                    "after: “%(after)s” uses the choice list “%(after_list)s” but “%(before)s” uses "
                    "“%(before_list)s”; a pair needs the same choice list."
                )
                % {
                    "after": after,
                    "after_list": second.choice_list,
                    "before": before,
                    "before_list": first.choice_list,
                }
            }
        )


def _code_check(question: PlanQuestion, code: str) -> None:
    if code not in question.codes:
        raise ValidationError(
            {
                "code": _("code: “%(code)s” is not a choice of “%(name)s” (its codes: %(codes)s).")
                % {"code": code, "name": question.name, "codes": ", ".join(question.codes)}
            }
        )


def benchmark_check(questions: dict[str, PlanQuestion] | None, *, variable: str, code: str) -> None:
    """A benchmark is about one code of a select question."""
    question = _question(questions, variable, "variable")
    if not question.is_select:
        raise ValidationError(
            {
                "variable": _("variable: “%(name)s” is of type %(type)s, not a select question.")
                % {"name": variable, "type": question.type}
            }
        )
    _code_check(question, code)


def margin_check(questions: dict[str, PlanQuestion] | None, *, variable: str, code: str) -> None:
    """A weighting margin is about one code of a select_one question (raking needs one group each)."""
    question = _question(questions, variable, "variable")
    if question.type != Question.Type.SELECT_ONE:
        raise ValidationError(
            {
                "variable": _("variable: “%(name)s” is of type %(type)s; weights need a select_one question.")
                % {"name": variable, "type": question.type}
            }
        )
    _code_check(question, code)


def margins_check(margins: Iterable[tuple[str, Decimal]]) -> None:
    """At most two weighting variables, and each variable's shares add up to 100 % (± 0.5).

    ``margins`` are (variable, share_percent) of every margin row that will be saved.
    """
    totals: dict[str, Decimal] = {}
    for variable, share in margins:
        totals[variable] = totals.get(variable, Decimal(0)) + Decimal(share)
    errors = []
    if len(totals) > MAX_MARGIN_VARIABLES:
        errors.append(
            _("Weights can use at most %(max)d variables; these margins use %(n)d: %(names)s.")
            % {"max": MAX_MARGIN_VARIABLES, "n": len(totals), "names": ", ".join(sorted(totals))}
        )
    for variable, total in sorted(totals.items()):
        if abs(total - 100) > MARGIN_TOLERANCE:
            errors.append(
                _("share (%%): the shares of “%(name)s” add up to %(total)s %%, not 100 %%.")
                % {"name": variable, "total": f"{total.normalize():f}"}
            )
    if errors:
        raise ValidationError(errors)
