"""A translation made from an older source text is flagged stale."""

from __future__ import annotations

import pytest

from surveys.checks import stale_translations
from surveys.services import translation_set
from tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db


def test_translation_becomes_stale_when_its_source_changes():
    question = QuestionFactory(label={})
    translation_set(obj=question, field="label", language="en", text="Age?", source_language="en")
    translation_set(obj=question, field="label", language="ru", text="Возраст?", source_language="en")
    assert question.translation_state("label", "ru", "en") == "ok"

    translation_set(obj=question, field="label", language="en", text="How old are you?", source_language="en")

    question.refresh_from_db()
    assert question.translation_state("label", "ru", "en") == "stale"
    assert question.translation_state("label", "en", "en") == "source"


def test_updating_a_stale_translation_makes_it_current():
    question = QuestionFactory(label={})
    translation_set(obj=question, field="label", language="en", text="Age?", source_language="en")
    translation_set(obj=question, field="label", language="ru", text="Возраст?", source_language="en")
    translation_set(obj=question, field="label", language="en", text="How old?", source_language="en")

    translation_set(obj=question, field="label", language="ru", text="Сколько вам лет?", source_language="en")

    assert question.translation_state("label", "ru", "en") == "ok"


def test_missing_translation_is_reported_as_missing():
    question = QuestionFactory(label={"en": "Age?"})

    assert question.translation_state("label", "ru", "en") == "missing"


def test_stale_translations_are_listed_as_warnings(draft_questionnaire):
    question = draft_questionnaire.questions.get(name="birth_year")
    translation_set(obj=question, field="label", language="ru", text="Год рождения", source_language="en")
    translation_set(
        obj=question, field="label", language="en", text="Year you were born", source_language="en"
    )

    warnings = stale_translations(draft_questionnaire)

    assert warnings == ["ru: birth_year label is outdated (the en text changed)"]
