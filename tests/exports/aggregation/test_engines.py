"""Counting in SQL (PostgreSQL) and in Python give the same counts, figures and state."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from exports.aggregation.catalogue import catalogue_of
from exports.aggregation.compute import wave_aggregate
from exports.aggregation.spec import AnalysisSpec, Benchmark, Margin, Pair
from exports.aggregation.tally import CountPlan, Counts, Scope, count_python
from exports.aggregation.tally_sql import MAX_FILTER_CODES, chunks, count_sql
from respondents.models import Response
from surveys.models import Question
from surveys.services import questionnaire_publish
from tests.exports.aggregation.conftest import make_demo_wave, normalised, without_time
from tests.exports.builders import add_response, make_survey, make_wave
from tests.factories import ChoiceFactory, ChoiceListFactory, QuestionFactory, SectionFactory

SPEC = AnalysisSpec(
    breakdowns=("gender", "country"),
    pairs=(Pair("act_before", "act_after"),),
    benchmarks=(Benchmark("education", "higher", 0.27),),
    margins=(Margin("gender", {"female": 0.5, "male": 0.5}), Margin("finances", {"car": 0.5, "flat": 0.5})),
    k=5,
)


def _plan(wave, breakdowns=("gender", "country"), weighting=("gender",)) -> CountPlan:
    return CountPlan.of(catalogue_of(wave.questionnaire.snapshot), breakdowns, weighting)


def _plain(counts: Counts) -> tuple[dict, dict]:
    tallies = {bucket: +tally for bucket, tally in counts.tallies.items() if +tally}
    values = {
        bucket: {name: +found for name, found in by_name.items()} for bucket, by_name in counts.values.items()
    }
    return tallies, values


def _odd_answers(wave) -> None:
    """Values the forms never store but imported or edited data may hold."""
    odd = [
        {"country": "XK", "gender": None, "birth_year": "1990", "act_before": "rally"},
        {"country": 5, "act_after": [], "birth_year": "n/a", "sector": ["it"]},
        {"country": "", "act_before": ["rally", "zz", "rally"], "birth_year": 1.5e3, "education": "Высшее"},
        {"country": "GE", "act_after": {"rally": True}, "birth_year": True, "gender": "x\ny"},
    ]
    for response, answers in zip(wave.responses.order_by("pk"), odd, strict=False):
        response.answers = {**response.answers, **answers}
        response.save(update_fields=["answers"])


@pytest.mark.integration
@pytest.mark.django_db
def test_sql_and_python_count_the_same(db):
    assert connection.vendor == "postgresql"
    wave = make_demo_wave()
    _odd_answers(wave)
    plan, scope = _plan(wave), Scope(timezone.localdate())

    assert _plain(count_sql(wave.pk, plan, scope)) == _plain(count_python(wave, plan, scope))


@pytest.mark.integration
@pytest.mark.django_db
def test_sql_and_python_give_the_same_figures_and_state(db):
    wave = make_demo_wave()
    _odd_answers(wave)

    by_sql = wave_aggregate(wave, SPEC, engine="sql")
    by_python = wave_aggregate(wave, SPEC, engine="python")

    assert without_time(by_sql.figures) == without_time(by_python.figures)
    assert normalised(by_sql.state) == normalised(by_python.state)


@pytest.mark.integration
@pytest.mark.django_db
def test_skipped_and_selected_days_are_counted_alike(db):
    wave = make_demo_wave(completed=80, partial=10, screened_out=5)
    plan, today = _plan(wave), timezone.localdate()
    days = tuple(
        sorted({day for day in wave.responses.values_list("completed_on", flat=True) if day and day < today})
    )
    for scope in (Scope(today, skip_days=days[::2]), Scope(today, only_days=days[1::2])):
        assert _plain(count_sql(wave.pk, plan, scope)) == _plain(count_python(wave, plan, scope))


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_reading_in_parallel_slices_counts_the_same():
    wave = make_demo_wave(completed=60, partial=10, screened_out=5)
    plan, scope = _plan(wave), Scope(timezone.localdate())

    # rows=10**9: as if the wave were large enough to be read in slices, on connections of their own
    sliced = count_sql(wave.pk, plan, scope, rows=10**9)

    assert _plain(sliced) == _plain(count_python(wave, plan, scope))


@pytest.mark.integration
@pytest.mark.django_db
def test_a_long_form_is_counted_in_chunks_that_add_up(db):
    wave = make_demo_wave(completed=40, partial=5, screened_out=2)
    plan, scope = _plan(wave), Scope(timezone.localdate())
    parts = chunks(plan, limit=12)

    merged = Counts()
    for part in parts:
        merged.merge(count_sql(wave.pk, part, scope))

    assert len(parts) > 3 and [part.fieldwork for part in parts].count(True) == 1
    assert _plain(merged) == _plain(count_python(wave, plan, scope))


def _long_list_wave():
    survey = make_survey(slug="long-lists")
    section = SectionFactory(questionnaire__survey=survey, name="main")
    places = ChoiceListFactory(questionnaire=section.questionnaire, name="places")
    for position in range(MAX_FILTER_CODES + 20):
        ChoiceFactory(choice_list=places, code=f"p{position}", position=position)
    QuestionFactory(section=section, name="city", type=Question.Type.SELECT_ONE, choice_list=places)
    QuestionFactory(section=section, name="visited", type=Question.Type.SELECT_MULTIPLE, choice_list=places)
    return make_wave(survey, questionnaire_publish(questionnaire=section.questionnaire))


@pytest.mark.integration
@pytest.mark.django_db
def test_questions_with_long_choice_lists_are_counted_alike(db):
    wave = _long_list_wave()
    for position in range(30):
        add_response(wave, {"city": f"p{position * 3}", "visited": [f"p{position}", f"p{position + 100}"]})
    add_response(wave, {"city": "elsewhere", "visited": None}, status=Response.Status.IN_PROGRESS)
    plan, scope = (
        CountPlan.of(catalogue_of(wave.questionnaire.snapshot), ("city",), ()),
        Scope(timezone.localdate()),
    )

    assert _plain(count_sql(wave.pk, plan, scope)) == _plain(count_python(wave, plan, scope))


def test_chunks_cover_every_question_once():
    plan = CountPlan(
        singles=(("a", ("1", "2")), ("b", ("1",))),
        multiples=(("c", ("x", "y", "z")),),
        numbers=("d", "e"),
        sections=("main",),
        breakdowns=("a",),
    )

    parts = chunks(plan, limit=5)

    assert [part.singles + part.multiples for part in parts if part.singles or part.multiples] == [
        (("a", ("1", "2")),),
        (("b", ("1",)), ("c", ("x", "y", "z"))),
    ]
    assert [name for part in parts for name in part.numbers] == ["d", "e"]
    assert [part.sections for part in parts] == [("main",)] + [()] * (len(parts) - 1)
    assert all(part.breakdowns == ("a",) for part in parts)


def test_number_texts_that_only_look_numeric_are_read_one_by_one_not_crash():
    from exports.aggregation.sql_results import plain_numbers

    for odd in ("10-20", "1.2.3\n4", "-", ".", "5\n--1"):
        assert plain_numbers(odd) is None, odd  # the caller then reads each text as tally.number_of does
    assert plain_numbers("1\n2.5\n-0").tolist() == [1.0, 2.5, 0.0]
