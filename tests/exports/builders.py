"""Test data for the export tests: a published questionnaire with every column kind, waves, responses."""

from __future__ import annotations

import csv
import datetime
import io
import uuid
from typing import Any

from respondents.models import PanelMember, Response
from surveys.models import Question, Questionnaire, Survey, Wave
from surveys.services import questionnaire_publish, wave_create
from tests.factories import ChoiceFactory, ChoiceListFactory, QuestionFactory, SectionFactory, SurveyFactory

COUNTRIES = {
    "GE": ("Georgia", "Грузия"),
    "AM": ("Armenia", "Армения"),
    "-1": ("Refused", "Отказ от ответа"),
    "other": ("Other", "Другая"),
}
ACTIVITIES = {
    "rally": ("Rally", "Митинг"),
    "donate": ("Donation", "Пожертвование"),
    "none": ("None", "Ничего"),
}
AGREE = {"1": ("Disagree", "Не согласен"), "2": ("Neutral", "Нейтрально"), "3": ("Agree", "Согласен")}
THINGS = {"x": ("Ex", "Икс"), "y": ("Why", "Игрек"), "z": ("Zed", "Зет")}


def _choices(questionnaire: Questionnaire, name: str, labels: dict[str, tuple[str, str]]):
    listed = ChoiceListFactory(questionnaire=questionnaire, name=name)
    for position, (code, (en, ru)) in enumerate(labels.items()):
        ChoiceFactory(choice_list=listed, code=code, position=position, label={"en": en, "ru": ru})
    return listed


def build_questionnaire(survey: Survey, *, without: tuple[str, ...] = (), extra: tuple[str, ...] = ()):
    """A published version with every column kind; ``without`` drops questions, ``extra`` adds text ones."""
    section = SectionFactory(questionnaire__survey=survey, name="main")
    questionnaire = section.questionnaire
    countries = _choices(questionnaire, "countries", COUNTRIES)
    activities = _choices(questionnaire, "activities", ACTIVITIES)
    agree = _choices(questionnaire, "agree", AGREE)
    things = _choices(questionnaire, "things", THINGS)
    questions: list[tuple[str, str, dict[str, Any]]] = [
        ("country", Question.Type.SELECT_ONE, {"choice_list": countries, "has_other": True}),
        ("act", Question.Type.SELECT_MULTIPLE, {"choice_list": activities}),
        ("comment", Question.Type.TEXT, {}),
        ("age", Question.Type.INTEGER, {}),
        ("height", Question.Type.DECIMAL, {}),
        ("left_on", Question.Type.DATE, {}),
        ("trust", Question.Type.MATRIX, {"choice_list": agree}),
        ("order", Question.Type.RANKING, {"choice_list": things}),
    ]
    questions += [(name, Question.Type.TEXT, {}) for name in extra]
    for name, kind, fields in questions:
        if name in without:
            continue
        question = QuestionFactory(section=section, name=name, type=kind, **fields)
        if kind == Question.Type.MATRIX:
            for item in ("trust_a", "trust_b"):
                QuestionFactory(
                    section=section,
                    parent=question,
                    name=item,
                    type=Question.Type.SELECT_ONE,
                    choice_list=agree,
                )
    return questionnaire_publish(questionnaire=questionnaire)


def make_survey(*, slug: str = "emigrants-2022", is_panel: bool = False) -> Survey:
    return SurveyFactory(slug=slug, languages=["en", "ru"], default_language="en", is_panel=is_panel)


def make_wave(survey: Survey, questionnaire: Questionnaire | None = None, **build: Any) -> Wave:
    questionnaire = questionnaire or build_questionnaire(survey, **build)
    return wave_create(questionnaire=questionnaire, name="Wave")


def add_response(
    wave: Wave,
    answers: dict[str, Any],
    *,
    status: str = Response.Status.COMPLETED,
    language: str = "ru",
    member: PanelMember | None = None,
    pk: uuid.UUID | None = None,
) -> Response:
    day = datetime.date(2022, 10, 3)
    return Response.objects.create(
        id=pk or uuid.uuid4(),
        wave=wave,
        questionnaire=wave.questionnaire,
        language=language,
        status=status,
        answers=answers,
        started_on=day,
        completed_on=None if status == Response.Status.IN_PROGRESS else day,
        panel_member=member,
    )


def read_csv(data: bytes, *, delimiter: str = ",") -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows (dicts) of CSV bytes, read back with the csv module (BOM tolerated)."""
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = list(reader)
    header = rows[0]
    return header, [dict(zip(header, row, strict=True)) for row in rows[1:]]
