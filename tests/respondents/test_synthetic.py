"""Synthetic respondents: they walk the real demo form, obey its rules and match the published shares."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from respondents import flow
from respondents.models import Response
from respondents.synthetic import FIELDWORK_DAYS, synthetic_responses_create
from surveys.models import Question, Survey, Wave
from surveys.services import questionnaire_publish, wave_create, wave_open
from surveys.snapshot import variable_names
from tests.factories import ChoiceFactory, ChoiceListFactory, QuestionFactory, SurveyFactory
from tests.surveys.conftest import build_small_questionnaire

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
DEMO_CANDIDATES = (ROOT / "surveys/demo/emigrants_2022.xlsx", Path("/work/shared/demo/emigrants_2022.xlsx"))
DEMO = next((path for path in DEMO_CANDIDATES if path.exists()), DEMO_CANDIDATES[0])
COMPLETED = Response.Status.COMPLETED
PARTIAL = Response.Status.IN_PROGRESS
SCREENED = Response.Status.SCREENED_OUT


def _open_wave(questionnaire, name: str = "Spring 2023") -> Wave:
    wave = wave_create(
        questionnaire=questionnaire,
        name=name,
        welcome={"en": "Welcome", "ru": "Добро пожаловать"},
        thanks={"en": "Thank you", "ru": "Спасибо"},
    )
    return wave_open(wave=wave)


def _demo_wave(survey: Survey | None = None) -> Wave:
    xlsform = pytest.importorskip("surveys.xlsform")
    survey = survey or SurveyFactory(languages=["en", "ru"], default_language="en")
    draft = xlsform.xlsform_import(survey=survey, file_bytes=DEMO.read_bytes(), filename=DEMO.name)
    return _open_wave(questionnaire_publish(questionnaire=draft))


@pytest.fixture
def demo_wave() -> Wave:
    return _demo_wave()


@pytest.fixture
def completed_answers(demo_wave) -> list[dict[str, Any]]:
    """The answers of 2,000 completed synthetic respondents (default seed)."""
    synthetic_responses_create(wave=demo_wave, completed=2000, partial=0, screened_out=0)
    return list(Response.objects.filter(wave=demo_wave, status=COMPLETED).values_list("answers", flat=True))


def share(rows: list[dict[str, Any]], test) -> float:
    return 100 * sum(1 for row in rows if test(row)) / len(rows)


def ticked(variable: str, code: str):
    return lambda answers: code in answers.get(variable, [])


def assert_follows_the_form(snapshot: dict[str, Any], answers: dict[str, Any], pages: list[str]) -> None:
    """Answers to shown questions only, required ones given, constraints holding, values typed."""
    assert flow.prune_irrelevant(snapshot, answers) == answers
    lists = {name: [c["code"] for c in choices] for name, choices in snapshot["choice_lists"].items()}
    for page in pages:
        for question in flow.shown_questions(flow.section_named(snapshot, page), answers):
            if question["type"] == Question.Type.NOTE:
                continue
            name, value = question["name"], answers.get(question["name"])
            if question["required"]:
                assert value not in (None, "", []), name
            if value is None:
                continue
            assert flow.is_true(question["constraint_ast"], answers, current=value), (name, value)
            codes = lists.get(question["choice_list"] or "", [])
            if question["type"] == Question.Type.SELECT_ONE:
                assert value in codes, (name, value)
            elif question["type"] == Question.Type.SELECT_MULTIPLE:
                assert value == [code for code in codes if code in value] and value, (name, value)
            elif question["type"] == Question.Type.INTEGER:
                assert type(value) is int, (name, value)
            elif question["type"] == Question.Type.TEXT:
                assert isinstance(value, str) and value.strip(), (name, value)


def test_counts_by_status_are_the_ones_asked_for(demo_wave):
    counts = synthetic_responses_create(wave=demo_wave, completed=120, partial=30, screened_out=10)

    assert counts == {PARTIAL: 30, COMPLETED: 120, SCREENED: 10}
    stored = Response.objects.filter(wave=demo_wave, questionnaire=demo_wave.questionnaire)
    assert {status: stored.filter(status=status).count() for status in counts} == counts


def test_completed_responses_walk_every_shown_page_and_obey_the_forms_rules(demo_wave):
    synthetic_responses_create(wave=demo_wave, completed=400, partial=0, screened_out=0, seed=7)
    snapshot = demo_wave.questionnaire.snapshot

    for response in Response.objects.filter(wave=demo_wave):
        assert response.trail == ["consent_page", "background", "activism", "attitudes"]
        assert response.current_section == "attitudes"
        assert response.answers["consent"] == "yes"
        assert ("country_other" in response.answers) == (response.answers["country"] == "other")
        assert ("rally_freq" in response.answers) == ("rally" in response.answers["act_after"])
        assert_follows_the_form(snapshot, response.answers, response.trail)


def test_partial_responses_hold_answers_only_for_the_pages_before_where_they_stopped(demo_wave):
    synthetic_responses_create(wave=demo_wave, completed=0, partial=200, screened_out=0, seed=3)
    snapshot = demo_wave.questionnaire.snapshot
    pages = [section["name"] for section in snapshot["sections"]]

    stopped_at = set()
    for response in Response.objects.filter(wave=demo_wave):
        assert response.status == PARTIAL and response.completed_on is None
        stop = pages.index(response.current_section)
        assert response.trail == pages[:stop]
        allowed = {
            variable
            for section in snapshot["sections"][:stop]
            for question in section["questions"]
            for variable in variable_names(question)
        }
        assert set(response.answers) <= allowed
        assert_follows_the_form(snapshot, response.answers, response.trail)
        stopped_at.add(response.current_section)
    assert stopped_at == set(pages)


def test_screened_out_respondents_refuse_consent_on_the_first_page(demo_wave):
    synthetic_responses_create(wave=demo_wave, completed=0, partial=0, screened_out=25)

    for response in Response.objects.filter(wave=demo_wave):
        assert response.status == SCREENED
        assert response.answers == {"consent": "no"}
        assert response.trail == ["consent_page"] and response.current_section == "consent_page"
        assert response.completed_on is not None


def test_rally_and_volunteering_before_and_after_leaving_match_the_published_shares(
    completed_answers,
):
    assert len(completed_answers) == 2000
    assert share(completed_answers, ticked("act_before", "rally")) == pytest.approx(49, abs=4)
    assert share(completed_answers, ticked("act_after", "rally")) == pytest.approx(26, abs=4)
    assert share(completed_answers, ticked("act_before", "volunteer_compatriots")) == pytest.approx(10, abs=4)
    assert share(completed_answers, ticked("act_after", "volunteer_compatriots")) == pytest.approx(32, abs=4)
    assert share(completed_answers, ticked("act_before", "volunteer_ukrainians")) == pytest.approx(4, abs=3)
    assert share(completed_answers, ticked("act_after", "volunteer_ukrainians")) == pytest.approx(29, abs=4)
    for variable in ("act_before", "act_after"):
        combined = [a for a in completed_answers if "none" in a[variable] and len(a[variable]) > 1]
        assert not combined


def test_education_is_mostly_higher_and_about_a_quarter_can_afford_a_car(completed_answers):
    higher = share(completed_answers, lambda a: a["education"] in ("higher", "postgraduate"))
    answered_finances = [a for a in completed_answers if "finances" in a]
    car = share(answered_finances, lambda a: a["finances"] in ("car", "flat"))

    assert higher > 80
    assert car == pytest.approx(27, abs=4)


def test_women_donate_more_than_men_after_leaving(completed_answers):
    women = [a for a in completed_answers if a.get("gender") == "female"]
    men = [a for a in completed_answers if a.get("gender") == "male"]

    assert share(women, ticked("act_after", "donate")) > share(men, ticked("act_after", "donate")) + 5


def test_about_seven_in_ten_answer_in_russian(demo_wave):
    synthetic_responses_create(wave=demo_wave, completed=1000, partial=0, screened_out=0)

    russian = Response.objects.filter(wave=demo_wave, language="ru").count()
    assert Response.objects.filter(wave=demo_wave, language="en").count() == 1000 - russian
    assert russian / 10 == pytest.approx(70, abs=5)


def test_the_same_seed_gives_the_same_respondents(demo_wave):
    other_wave = _open_wave(demo_wave.questionnaire, name="Autumn 2023")

    def generated(wave: Wave, seed: int) -> list[tuple]:
        synthetic_responses_create(wave=wave, completed=60, partial=10, screened_out=5, seed=seed)
        fields = ("status", "language", "answers", "current_section", "trail", "started_on", "completed_on")
        rows = Response.objects.filter(wave=wave).values_list(*fields)
        return sorted(rows, key=repr)

    assert generated(demo_wave, 11) == generated(other_wave, 11)
    third_wave = _open_wave(demo_wave.questionnaire, name="Winter 2023")
    assert generated(third_wave, 12) != generated(demo_wave, 11)


def test_dates_are_days_within_the_fieldwork_weeks(demo_wave):
    synthetic_responses_create(wave=demo_wave, completed=200, partial=20, screened_out=10)
    today = timezone.localdate()
    first_day = today - datetime.timedelta(days=FIELDWORK_DAYS - 1)

    for response in Response.objects.filter(wave=demo_wave):
        assert type(response.started_on) is datetime.date
        assert first_day <= response.started_on <= today
        if response.status != PARTIAL:
            assert type(response.completed_on) is datetime.date
            assert response.started_on <= response.completed_on <= today


def test_no_dates_at_all_when_the_survey_stores_none():
    survey = SurveyFactory(languages=["en", "ru"], default_language="en", date_precision="none")
    wave = _demo_wave(survey)

    synthetic_responses_create(wave=wave, completed=50, partial=10, screened_out=5)

    assert Response.objects.filter(wave=wave).count() == 65
    assert not Response.objects.filter(wave=wave, started_on__isnull=False).exists()
    assert not Response.objects.filter(wave=wave, completed_on__isnull=False).exists()


def test_two_thousand_respondents_are_written_quickly(demo_wave):
    started = timezone.now()

    counts = synthetic_responses_create(wave=demo_wave)

    assert counts == {PARTIAL: 150, COMPLETED: 2000, SCREENED: 40}
    assert (timezone.now() - started).total_seconds() < 10


def _generic_questionnaire():
    """A form unknown to the demo tables: a matrix, a ranking, an "other, specify", numbers and a date."""
    questionnaire = build_small_questionnaire()
    about = questionnaire.sections.get(name="about")
    fruits = ChoiceListFactory(questionnaire=questionnaire, name="fruits")
    for code in ("apple", "pear", "other", "none"):
        ChoiceFactory(choice_list=fruits, code=code, label={"en": code, "ru": code})
    QuestionFactory(
        section=about,
        name="fruit",
        type=Question.Type.SELECT_MULTIPLE,
        choice_list=fruits,
        has_other=True,
        required=True,
        constraint="not(selected(., 'none') and count-selected(.) > 1)",
    )
    grid = QuestionFactory(section=about, name="grid", type=Question.Type.MATRIX, choice_list=fruits)
    for name in ("grid_a", "grid_b"):
        QuestionFactory(
            section=about, name=name, parent=grid, type="select_one", choice_list=fruits, required=True
        )
    QuestionFactory(
        section=about, name="order", type=Question.Type.RANKING, choice_list=fruits, required=True
    )
    QuestionFactory(
        section=about, name="height", type=Question.Type.DECIMAL, constraint=". > 1.2 and . < 2.2"
    )
    QuestionFactory(section=about, name="moved_on", type=Question.Type.DATE, required=True)
    QuestionFactory(section=about, name="why", type=Question.Type.TEXT, required=True)
    return questionnaire


def test_any_form_gets_typed_answers_that_obey_its_rules():
    wave = _open_wave(questionnaire_publish(questionnaire=_generic_questionnaire()))

    counts = synthetic_responses_create(wave=wave, completed=80, partial=10, screened_out=10, seed=5)

    assert counts == {PARTIAL: 10, COMPLETED: 80, SCREENED: 10}
    snapshot = wave.questionnaire.snapshot
    for response in Response.objects.filter(wave=wave, status=COMPLETED):
        answers = response.answers
        assert response.trail == ["start", "about"]
        assert_follows_the_form(snapshot, answers, response.trail)
        assert {"grid_a", "grid_b"} <= set(answers) and "grid" not in answers
        assert sorted(answers["order"]) == sorted(["apple", "pear", "other", "none"])
        assert ("fruit_other" in answers) == ("other" in answers["fruit"])
        assert answers.get("height") is None or 1.2 < answers["height"] < 2.2
        assert datetime.date.fromisoformat(answers["moved_on"])
