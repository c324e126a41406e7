"""Test data for the aggregation tests: a survey whose published version has what a plan refers to."""

from __future__ import annotations

import types
from collections import Counter
from typing import Any

from exports.aggregation.spec import AnalysisSpec
from respondents.models import Response
from surveys.models import Question, Questionnaire, Survey, Wave
from surveys.services import questionnaire_publish, wave_create, wave_open
from tests.factories import ChoiceFactory, ChoiceListFactory, QuestionFactory, SectionFactory, SurveyFactory

GENDERS = {"f": ("Female", "Женщина"), "m": ("Male", "Мужчина"), "x": ("Other", "Другое")}
COUNTRIES = {"GE": ("Georgia", "Грузия"), "AM": ("Armenia", "Армения"), "TR": ("Turkey", "Турция")}
ACTIVITIES = {
    "rally": ("Rally", "Митинг"),
    "donate": ("Donation", "Пожертвование"),
    "none": ("None", "Ничего"),
}


def _choices(questionnaire: Questionnaire, name: str, labels: dict[str, tuple[str, str]]):
    listed = ChoiceListFactory(questionnaire=questionnaire, name=name)
    for position, (code, (en, ru)) in enumerate(labels.items()):
        ChoiceFactory(choice_list=listed, code=code, position=position, label={"en": en, "ru": ru})
    return listed


def publish_plan_version(survey: Survey, *, extra_select_one: str = "") -> Questionnaire:
    """A published version: gender, country (select_one), act_before / act_after (select_multiple on
    one list), now (select_one on that list), age (integer); ``extra_select_one`` adds one more."""
    section = SectionFactory(questionnaire__survey=survey, name="main")
    questionnaire = section.questionnaire
    genders = _choices(questionnaire, "genders", GENDERS)
    countries = _choices(questionnaire, "countries", COUNTRIES)
    activities = _choices(questionnaire, "activities", ACTIVITIES)
    questions = [
        ("gender", Question.Type.SELECT_ONE, genders),
        ("country", Question.Type.SELECT_ONE, countries),
        ("act_before", Question.Type.SELECT_MULTIPLE, activities),
        ("act_after", Question.Type.SELECT_MULTIPLE, activities),
        ("now", Question.Type.SELECT_ONE, activities),
        ("age", Question.Type.INTEGER, None),
    ]
    if extra_select_one:
        questions.append((extra_select_one, Question.Type.SELECT_ONE, genders))
    for name, kind, choice_list in questions:
        QuestionFactory(section=section, name=name, type=kind, choice_list=choice_list)
    return questionnaire_publish(questionnaire=questionnaire)


def make_plan_survey(*, slug: str = "exiles-2023", team=None, k: int = 5) -> Survey:
    fields: dict[str, Any] = {"slug": slug, "languages": ["en", "ru"], "default_language": "en"}
    if team is not None:
        fields["team"] = team
    survey = SurveyFactory(small_cell_k=k, **fields)
    publish_plan_version(survey)
    return survey


def make_open_wave(survey: Survey, *, name: str = "Wave 1") -> Wave:
    questionnaire = survey.questionnaires.filter(status="published").order_by("-number").first()
    return wave_open(wave=wave_create(questionnaire=questionnaire, name=name))


def add_response(
    wave: Wave, answers: dict[str, Any], *, status: str = Response.Status.COMPLETED, revision: int = 1
) -> Response:
    return Response.objects.create(
        wave=wave,
        questionnaire=wave.questionnaire,
        language="en",
        status=status,
        answers=answers,
        revision=revision,
    )


class FakeCompute:
    """Stands in for ``exports.aggregation.compute.wave_aggregate`` where a test needs to see or steer
    what the services hand it. It counts the wave's rows itself and suppresses gender counts under k."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.error: Exception | None = None

    def __call__(self, wave: Wave, spec: AnalysisSpec, *, previous_state=None, progress=None):
        self.calls.append({"wave": wave, "spec": spec, "previous_state": previous_state})
        if progress is not None:
            progress(50)
        if self.error is not None:
            raise self.error
        rows = list(Response.objects.filter(wave=wave).values_list("status", "answers"))
        statuses = Counter(status for status, _answers in rows)
        shown = [answers["gender"] for _status, answers in rows if "gender" in answers]
        genders = Counter(code for code in shown if code is not None)
        figures = {
            "version": 1,
            "k": spec.k,
            "default_language": "en",
            "n": {"all": len(rows), **{status: statuses.get(status, 0) for status in Response.Status.values}},
            "questions": [
                {
                    "name": "gender",
                    "type": "select_one",
                    "label": {"en": "Gender", "ru": "Пол"},
                    "base": len(shown),
                    "rows": [
                        {
                            "code": code,
                            "label": {"en": en, "ru": ru},
                            "cell": _cell(genders.get(code, 0), len(shown), spec.k),
                        }
                        for code, (en, ru) in GENDERS.items()
                    ],
                    "no_answer": _cell(shown.count(None), len(shown), spec.k),
                    "not_shown": {"count": len(rows) - len(shown)},
                }
            ],
        }
        state = {"rows": len(rows), "folded_onto": (previous_state or {}).get("rows")}
        return types.SimpleNamespace(figures=figures, state=state, responses=len(rows))


def _cell(count: int, base: int, k: int) -> dict[str, Any]:
    if 0 < count < k:
        return {"count": None, "share": None, "suppressed": True}
    return {"count": count, "share": count / base if base else 0.0, "suppressed": False}


def install_fake_compute(monkeypatch) -> FakeCompute:
    """Put a ``FakeCompute`` in place of ``wave_aggregate`` for one test."""
    from exports.aggregation import compute

    fake = FakeCompute()
    monkeypatch.setattr(compute, "wave_aggregate", fake)
    return fake
