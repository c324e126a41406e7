"""The analysis plan: its models and constraints, ``plan_spec``, and the checks against the latest
published version that the admin forms rely on."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from exports.aggregation import plan
from exports.aggregation.spec import AnalysisSpec, Benchmark, Margin, Pair
from exports.models import AggregateSnapshot, BeforeAfterPair, Breakdown, PopulationBenchmark, WeightMargin
from tests.exports.aggregation_builders import make_open_wave, make_plan_survey, publish_plan_version
from tests.factories import SurveyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey():
    return make_plan_survey(k=7)


@pytest.fixture
def questions(survey):
    return plan.plan_questions(survey)


def messages_of(error: ValidationError) -> list[str]:
    return [message for messages in error.message_dict.values() for message in messages]


def refused(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


# -- models -----------------------------------------------------------------------------------------


def test_the_database_refuses_shares_outside_0_to_100(survey):
    assert refused(
        lambda: PopulationBenchmark.objects.create(
            survey=survey, variable="gender", code="f", share_percent=Decimal("100.01")
        )
    )
    assert refused(
        lambda: WeightMargin.objects.create(
            survey=survey, variable="gender", code="f", share_percent=Decimal("-1")
        )
    )
    assert not refused(
        lambda: WeightMargin.objects.create(
            survey=survey, variable="gender", code="f", share_percent=Decimal("100")
        )
    )


def test_the_database_refuses_duplicate_plan_rows(survey):
    Breakdown.objects.create(survey=survey, variable="gender")
    PopulationBenchmark.objects.create(survey=survey, variable="gender", code="f", share_percent=50)
    WeightMargin.objects.create(survey=survey, variable="gender", code="f", share_percent=50)
    BeforeAfterPair.objects.create(survey=survey, before="act_before", after="act_after")

    assert refused(lambda: Breakdown.objects.create(survey=survey, variable="gender", position=3))
    assert refused(
        lambda: PopulationBenchmark.objects.create(
            survey=survey, variable="gender", code="f", share_percent=10
        )
    )
    assert refused(
        lambda: WeightMargin.objects.create(survey=survey, variable="gender", code="f", share_percent=10)
    )
    assert refused(
        lambda: BeforeAfterPair.objects.create(
            survey=survey, before="act_before", after="act_after", label="again"
        )
    )
    assert refused(lambda: BeforeAfterPair.objects.create(survey=survey, before="now", after="now"))
    # the same rows in another survey are fine
    other = SurveyFactory()
    assert not refused(lambda: Breakdown.objects.create(survey=other, variable="gender"))


def test_one_pending_snapshot_per_wave_and_done_ones_have_a_time(survey):
    wave = make_open_wave(survey)
    AggregateSnapshot.objects.create(wave=wave, status="done", computed_at=timezone.now())
    AggregateSnapshot.objects.create(wave=wave, status="done", computed_at=timezone.now())
    AggregateSnapshot.objects.create(wave=wave, status="queued")

    assert refused(lambda: AggregateSnapshot.objects.create(wave=wave, status="running"))
    assert refused(lambda: AggregateSnapshot.objects.create(wave=wave, status="done"))
    assert refused(lambda: AggregateSnapshot.objects.create(wave=wave, status="failed", progress=101))
    assert not refused(lambda: AggregateSnapshot.objects.create(wave=wave, status="failed"))


# -- plan_spec --------------------------------------------------------------------------------------


def test_plan_spec_turns_the_plan_into_plain_values(survey):
    Breakdown.objects.create(survey=survey, variable="country", position=2)
    Breakdown.objects.create(survey=survey, variable="gender", position=1)
    BeforeAfterPair.objects.create(survey=survey, before="act_before", after="act_after", label="Activism")
    PopulationBenchmark.objects.create(
        survey=survey, variable="gender", code="f", share_percent=Decimal("53.5"), source="Census 2021"
    )
    for code, share in (("f", "52.25"), ("m", "47.75")):
        WeightMargin.objects.create(survey=survey, variable="gender", code=code, share_percent=Decimal(share))
    for code, share in (("GE", "60"), ("AM", "40")):
        WeightMargin.objects.create(
            survey=survey, variable="country", code=code, share_percent=Decimal(share)
        )

    spec = plan.plan_spec(survey)

    assert spec == AnalysisSpec(
        breakdowns=("gender", "country"),
        pairs=(Pair(before="act_before", after="act_after", label="Activism"),),
        benchmarks=(Benchmark(variable="gender", code="f", share=0.535, source="Census 2021"),),
        margins=(
            Margin(variable="country", shares={"GE": 0.6, "AM": 0.4}),
            Margin(variable="gender", shares={"f": 0.5225, "m": 0.4775}),
        ),
        k=7,
    )


def test_an_empty_plan_is_an_empty_spec_with_the_survey_k(survey):
    assert plan.plan_spec(survey) == AnalysisSpec(k=7)


# -- checks -----------------------------------------------------------------------------------------


def test_a_breakdown_must_be_a_select_one_question(questions):
    plan.breakdown_check(questions, variable="gender")

    with pytest.raises(ValidationError) as integer:
        plan.breakdown_check(questions, variable="age")
    with pytest.raises(ValidationError) as multiple:
        plan.breakdown_check(questions, variable="act_before")
    with pytest.raises(ValidationError) as missing:
        plan.breakdown_check(questions, variable="income")

    assert integer.value.message_dict == {
        "variable": ["variable: “age” is of type integer; a breakdown needs a select_one question."]
    }
    assert "“act_before” is of type select_multiple" in messages_of(multiple.value)[0]
    assert missing.value.message_dict == {
        "variable": ["variable: there is no question “income” in the latest published version."]
    }


def test_a_pair_needs_two_select_questions_on_one_choice_list(questions):
    plan.pair_check(questions, before="act_before", after="act_after")
    plan.pair_check(questions, before="act_before", after="now")  # select_one on the same list

    with pytest.raises(ValidationError) as lists:
        plan.pair_check(questions, before="act_before", after="gender")
    with pytest.raises(ValidationError) as not_select:
        plan.pair_check(questions, before="age", after="act_after")
    with pytest.raises(ValidationError) as same:
        plan.pair_check(questions, before="now", after="now")

    assert lists.value.message_dict == {
        "after": [
            "after: “gender” uses the choice list “genders” but “act_before” uses “activities”; "
            "a pair needs the same choice list."
        ]
    }
    assert not_select.value.message_dict == {
        "before": ["before: “age” is of type integer, not a select question."]
    }
    assert list(same.value.message_dict) == ["after"]


def test_benchmark_and_margin_codes_must_be_choices_of_their_variable(questions):
    plan.benchmark_check(questions, variable="act_after", code="rally")  # select_multiple is fine
    plan.margin_check(questions, variable="country", code="GE")

    with pytest.raises(ValidationError) as benchmark:
        plan.benchmark_check(questions, variable="country", code="RU")
    with pytest.raises(ValidationError) as margin_code:
        plan.margin_check(questions, variable="gender", code="F")
    with pytest.raises(ValidationError) as margin_multiple:
        plan.margin_check(questions, variable="act_after", code="rally")

    assert benchmark.value.message_dict == {
        "code": ["code: “RU” is not a choice of “country” (its codes: GE, AM, TR)."]
    }
    assert margin_code.value.message_dict == {
        "code": ["code: “F” is not a choice of “gender” (its codes: f, m, x)."]
    }
    assert "weights need a select_one question" in margin_multiple.value.message_dict["variable"][0]


def test_margins_add_up_to_100_per_variable_and_use_at_most_two_variables():
    plan.margins_check([("gender", Decimal("52.2")), ("gender", Decimal("47.4"))])  # 99.6: within 0.5
    plan.margins_check([])

    with pytest.raises(ValidationError) as short:
        plan.margins_check(
            [("gender", Decimal("50")), ("gender", Decimal("40")), ("country", Decimal("100"))]
        )
    with pytest.raises(ValidationError) as three:
        plan.margins_check([("gender", Decimal(100)), ("country", Decimal(100)), ("now", Decimal(100))])

    assert short.value.messages == ["share (%): the shares of “gender” add up to 90 %, not 100 %."]
    assert three.value.messages == [
        "Weights can use at most 2 variables; these margins use 3: country, gender, now."
    ]


def test_checks_use_the_latest_published_version_and_need_one():
    survey = make_plan_survey()
    unpublished = SurveyFactory()

    with pytest.raises(ValidationError):
        plan.breakdown_check(plan.plan_questions(survey), variable="region")
    publish_plan_version(survey, extra_select_one="region")
    plan.breakdown_check(plan.plan_questions(survey), variable="region")

    assert plan.plan_questions(unpublished) is None
    with pytest.raises(ValidationError) as error:
        plan.breakdown_check(plan.plan_questions(unpublished), variable="gender")
    assert error.value.messages == [
        "Publish a version of the questionnaire first: the analysis plan is checked against it."
    ]


def test_variable_choices_offer_the_right_types_and_keep_a_stale_value(questions):
    choices = plan.variable_choices(questions, types=("select_one",), current="gone")

    assert [name for name, _label in choices] == ["", "gender", "country", "now", "gone"]
    assert ("gender", "gender — Question gender") in choices
