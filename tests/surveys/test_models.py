"""The database guards the questionnaire's invariants."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from surveys.models import FrozenQuestionnaireError, Question, Questionnaire, Survey, Wave
from tests.factories import (
    ChoiceFactory,
    ChoiceListFactory,
    QuestionFactory,
    QuestionnaireFactory,
    SectionFactory,
    SurveyFactory,
    WaveFactory,
)

pytestmark = pytest.mark.django_db


def test_variable_names_are_unique_within_a_version():
    section = SectionFactory()
    QuestionFactory(section=section, name="age")

    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionFactory(section=SectionFactory(questionnaire=section.questionnaire), name="age")


def test_the_same_variable_name_may_appear_in_another_version():
    first = QuestionFactory(name="age")

    second = QuestionFactory(
        name="age", section=SectionFactory(questionnaire__survey=first.questionnaire.survey)
    )

    assert first.questionnaire != second.questionnaire


def test_database_rejects_a_variable_name_invalid_for_spss_and_stata():
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionFactory(name="Age")


def test_choice_codes_are_unique_within_a_list():
    choice = ChoiceFactory(code="yes")

    with pytest.raises(IntegrityError), transaction.atomic():
        ChoiceFactory(choice_list=choice.choice_list, code="yes")


def test_a_select_question_needs_a_choice_list_in_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionFactory(type=Question.Type.SELECT_ONE, choice_list=None)


def test_version_numbers_are_unique_per_survey():
    questionnaire = QuestionnaireFactory(number=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionnaireFactory(survey=questionnaire.survey, number=1)


def test_published_version_must_have_a_snapshot():
    questionnaire = QuestionnaireFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Questionnaire.objects.filter(pk=questionnaire.pk).update(status="published")


def test_an_open_wave_must_record_when_it_opened():
    wave = WaveFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Wave.objects.filter(pk=wave.pk).update(status="open")


def test_wave_slugs_are_random_and_unique():
    slugs = {WaveFactory().slug for _ in range(20)}

    assert len(slugs) == 20
    assert all(len(slug) >= 16 for slug in slugs)


def test_survey_languages_are_validated():
    survey = SurveyFactory.build(languages=["en", "Russian"], default_language="en")

    with pytest.raises(ValidationError) as raised:
        survey.full_clean(exclude=["team"])

    assert "languages" in raised.value.message_dict


def test_default_language_must_be_a_survey_language():
    survey = SurveyFactory.build(languages=["en", "ru"], default_language="de")

    with pytest.raises(ValidationError) as raised:
        survey.full_clean(exclude=["team"])

    assert "default_language" in raised.value.message_dict


def test_small_cell_threshold_must_be_positive():
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyFactory(small_cell_k=0)


def test_editing_tables_of_a_published_version_refuse_changes(published_questionnaire):
    question = published_questionnaire.questions.first()
    choice_list = ChoiceListFactory.build(questionnaire=published_questionnaire, name="new_list")

    question.label = {"en": "Changed", "ru": "Изменено"}
    with pytest.raises(FrozenQuestionnaireError):
        question.save()
    with pytest.raises(FrozenQuestionnaireError):
        question.delete()
    with pytest.raises(FrozenQuestionnaireError):
        choice_list.save()
    with pytest.raises(FrozenQuestionnaireError):
        published_questionnaire.delete()


def test_survey_languages_can_be_added_without_a_deploy():
    survey = SurveyFactory(languages=["en", "ru"])

    survey.languages = ["en", "ru", "ka"]
    survey.full_clean(exclude=["team"])
    survey.save()

    assert Survey.objects.get(pk=survey.pk).languages == ["en", "ru", "ka"]


def test_a_draft_with_select_questions_can_be_deleted(draft_questionnaire):
    draft_questionnaire.delete()

    assert not Questionnaire.objects.filter(pk=draft_questionnaire.pk).exists()
    assert not Question.objects.filter(questionnaire_id=draft_questionnaire.pk).exists()


def test_a_choice_list_in_use_cannot_be_deleted_alone(draft_questionnaire):
    from django.db.models import RestrictedError

    with pytest.raises(RestrictedError):
        draft_questionnaire.choice_lists.get(name="yes_no").delete()


def test_a_wave_slug_never_starts_like_a_command_line_option(monkeypatch):
    from surveys.models import wave as wave_module

    drawn = iter(["-starts-with-dash", "_underscore-first", "Ab3_-x9QwErTy0Zz"])
    monkeypatch.setattr(wave_module.secrets, "token_urlsafe", lambda size: next(drawn))

    assert wave_module.new_wave_slug() == "Ab3_-x9QwErTy0Zz"
