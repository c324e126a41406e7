"""Folding new responses into a previous aggregate gives what a full recomputation gives."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from django.utils import timezone

from exports.aggregation.compute import wave_aggregate
from exports.aggregation.spec import AnalysisSpec, Margin, Pair
from respondents.models import Response
from tests.exports.aggregation.conftest import (
    make_demo_wave,
    normalised,
    question,
    rows_by_code,
    without_time,
)

pytestmark = pytest.mark.django_db

SPEC = AnalysisSpec(
    breakdowns=("gender", "country"),
    pairs=(Pair("act_before", "act_after"),),
    margins=(
        Margin("gender", {"female": 0.5, "male": 0.5}),
        Margin("education", {"higher": 0.3, "secondary": 0.7}),
    ),
    k=1,
)


@pytest.fixture
def wave():
    return make_demo_wave(completed=120, partial=20, screened_out=8, seed=21)


def _stored(state: dict) -> dict:
    """The state as it comes back from the database (JSON; no NaN or infinity allowed)."""
    return json.loads(json.dumps(state, allow_nan=False))


def _assert_same(folded, full) -> None:
    assert without_time(folded.figures) == without_time(full.figures)
    assert normalised(folded.state) == normalised(full.state)
    assert folded.responses == full.responses


def _copy(response: Response, **changes) -> Response:
    """Another respondent with the same answers (a new random ID)."""
    response.pk = uuid.uuid4()
    response._state.adding = True
    for name, value in changes.items():
        setattr(response, name, value)
    response.save()
    return response


def _past_day(wave) -> datetime.date:
    today = timezone.localdate()
    return (
        wave.responses.filter(status=Response.Status.COMPLETED, completed_on__lt=today)
        .values_list("completed_on", flat=True)
        .first()
    )


def test_folding_without_new_responses_gives_the_same_figures(wave, engine):
    first = wave_aggregate(wave, SPEC, engine=engine)

    again = wave_aggregate(wave, SPEC, previous_state=_stored(first.state), engine=engine)

    _assert_same(again, first)
    assert first.state["days"]  # the demo's fieldwork spans past days


def test_a_past_day_whose_count_has_not_changed_is_taken_from_the_state(wave, engine):
    # given a state in which one past day's counts were (deliberately) altered
    first = wave_aggregate(wave, SPEC, engine=engine)
    state = first.state
    keys = state["sealed"]["keys"]
    position = next(i for i, key in enumerate(keys) if key[0] == "gender" and key[2] == "female")
    state["sealed"]["counts"][position] += 1000

    # when folding
    folded = wave_aggregate(wave, SPEC, previous_state=_stored(state), engine=engine)

    # then the stored counts were used as they are: nothing before today was read again
    female = rows_by_code(question(folded.figures, "gender"))["female"]["cell"]["count"]
    assert female == rows_by_code(question(first.figures, "gender"))["female"]["cell"]["count"] + 1000


def test_new_responses_today_are_folded_in(wave, engine):
    previous = wave_aggregate(wave, SPEC, engine=engine).state
    today = timezone.localdate()
    for response in list(wave.responses.order_by("pk")[:7]):
        _copy(response, started_on=today, completed_on=today if response.is_finished else None)

    folded = wave_aggregate(wave, SPEC, previous_state=_stored(previous), engine=engine)

    _assert_same(folded, wave_aggregate(wave, SPEC, engine=engine))
    assert folded.responses == 148 + 7


def test_a_response_added_on_a_past_day_is_folded_in(wave, engine):
    previous = wave_aggregate(wave, SPEC, engine=engine).state
    day = _past_day(wave)
    _copy(wave.responses.filter(status=Response.Status.COMPLETED).first(), completed_on=day)

    folded = wave_aggregate(wave, SPEC, previous_state=_stored(previous), engine=engine)

    _assert_same(folded, wave_aggregate(wave, SPEC, engine=engine))
    assert folded.state["days"][day.isoformat()]["rows"] == previous["days"][day.isoformat()]["rows"] + 1


def test_a_response_deleted_from_a_past_day_is_folded_out(wave, engine):
    previous = wave_aggregate(wave, SPEC, engine=engine).state
    day = _past_day(wave)
    wave.responses.filter(status=Response.Status.COMPLETED, completed_on=day).first().delete()

    folded = wave_aggregate(wave, SPEC, previous_state=_stored(previous), engine=engine)

    _assert_same(folded, wave_aggregate(wave, SPEC, engine=engine))
    assert folded.responses == 147


def test_every_past_day_changing_at_once_is_folded_in(wave, engine):
    previous = wave_aggregate(wave, SPEC, engine=engine).state
    today = timezone.localdate()
    for day in {day for day in wave.responses.values_list("completed_on", flat=True) if day and day < today}:
        _copy(wave.responses.filter(status=Response.Status.COMPLETED).first(), completed_on=day)

    folded = wave_aggregate(wave, SPEC, previous_state=_stored(previous), engine=engine)

    _assert_same(folded, wave_aggregate(wave, SPEC, engine=engine))


def test_todays_responses_join_the_past_days_the_next_day(wave, engine):
    today = timezone.localdate()
    previous = wave_aggregate(wave, SPEC, engine=engine, today=today).state
    tomorrow = today + datetime.timedelta(days=1)
    wave.responses.filter(status=Response.Status.IN_PROGRESS).update(
        status=Response.Status.COMPLETED, completed_on=today
    )

    folded = wave_aggregate(wave, SPEC, previous_state=_stored(previous), engine=engine, today=tomorrow)

    _assert_same(folded, wave_aggregate(wave, SPEC, engine=engine, today=tomorrow))
    assert today.isoformat() in folded.state["days"] and today.isoformat() not in previous["days"]


def test_a_state_counted_for_another_plan_or_wave_is_not_reused(wave, engine):
    previous = wave_aggregate(wave, SPEC, engine=engine).state
    other = AnalysisSpec(breakdowns=("education",), k=1)

    folded = wave_aggregate(wave, other, previous_state=_stored(previous), engine=engine)
    elsewhere = wave_aggregate(
        make_demo_wave(completed=5, partial=0, screened_out=0, slug="other"), other, previous_state=previous
    )

    _assert_same(folded, wave_aggregate(wave, other, engine=engine))
    assert {table["column"] for table in folded.figures["crosstabs"]} == {"education"}
    assert elsewhere.responses == 5
