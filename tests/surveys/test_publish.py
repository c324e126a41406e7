"""Publishing freezes a version into a snapshot, and is refused with reasons when incomplete."""

from __future__ import annotations

import pytest

from surveys.models import Question, Questionnaire, Wave
from surveys.services import (
    InvalidTransition,
    PublishRefused,
    questionnaire_copy_as_draft,
    questionnaire_publish,
    translation_set,
    wave_close,
    wave_create,
    wave_open,
)
from tests.factories import QuestionFactory, SectionFactory

pytestmark = pytest.mark.django_db


def test_publishing_compiles_a_snapshot_with_every_language(draft_questionnaire):
    published = questionnaire_publish(questionnaire=draft_questionnaire)

    assert published.status == Questionnaire.Status.PUBLISHED
    snapshot = published.snapshot
    assert snapshot["languages"] == ["en", "ru"]
    assert [s["name"] for s in snapshot["sections"]] == ["start", "about"]
    assert snapshot["variables"] == ["consent", "birth_year"]
    assert snapshot["choice_lists"]["yes_no"][1]["label"] == {"en": "No", "ru": "Нет"}
    about = snapshot["sections"][1]
    assert about["relevant"] == "${consent} = 'yes'"
    assert about["relevant_ast"] is not None


def test_publishing_is_refused_with_a_list_of_missing_translations(draft_questionnaire):
    question = draft_questionnaire.questions.get(name="birth_year")
    question.label = {"en": "Year of birth"}
    question.hint = {"en": "For example 1990"}
    question.save()

    with pytest.raises(PublishRefused) as refused:
        questionnaire_publish(questionnaire=draft_questionnaire)

    assert "ru: label of birth_year is missing" in refused.value.problems
    assert "ru: hint of birth_year is missing" in refused.value.problems
    draft_questionnaire.refresh_from_db()
    assert draft_questionnaire.status == Questionnaire.Status.DRAFT
    assert draft_questionnaire.snapshot is None


def test_publishing_is_refused_for_a_reference_to_a_later_question(draft_questionnaire):
    consent = draft_questionnaire.questions.get(name="consent")
    consent.relevant = "${birth_year} > 1990"
    consent.save()

    with pytest.raises(PublishRefused) as refused:
        questionnaire_publish(questionnaire=draft_questionnaire)

    assert any("consent" in p and "birth_year" in p for p in refused.value.problems)


def test_publishing_is_refused_for_an_expression_that_does_not_parse(draft_questionnaire):
    question = draft_questionnaire.questions.get(name="birth_year")
    question.constraint = ". >= 1930 and"
    question.save()

    with pytest.raises(PublishRefused) as refused:
        questionnaire_publish(questionnaire=draft_questionnaire)

    assert any(p.startswith("birth_year: constraint") and "position" in p for p in refused.value.problems)


def test_a_survey_language_added_later_blocks_publishing_until_translated(draft_questionnaire):
    survey = draft_questionnaire.survey
    survey.languages = ["en", "ru", "ka"]
    survey.save()

    with pytest.raises(PublishRefused) as refused:
        questionnaire_publish(questionnaire=draft_questionnaire)

    assert "ka: survey title is missing" in refused.value.problems
    assert "ka: label of choice yes in list yes_no is missing" in refused.value.problems


def test_the_snapshot_does_not_change_when_a_later_draft_is_edited(published_questionnaire):
    before = dict(published_questionnaire.snapshot)

    draft = questionnaire_copy_as_draft(questionnaire=published_questionnaire)
    question = draft.questions.get(name="birth_year")
    translation_set(obj=question, field="label", language="en", text="Born in?", source_language="en")

    published_questionnaire.refresh_from_db()
    assert published_questionnaire.snapshot == before
    assert draft.number == published_questionnaire.number + 1
    assert draft.questions.count() == published_questionnaire.questions.count()


def test_a_version_cannot_be_published_twice(published_questionnaire):
    with pytest.raises(InvalidTransition):
        questionnaire_publish(questionnaire=published_questionnaire)


def test_copy_keeps_matrix_items_under_their_copied_matrix(draft_questionnaire):
    section = SectionFactory(questionnaire=draft_questionnaire, name="grid")
    choice_list = draft_questionnaire.choice_lists.get(name="yes_no")
    matrix = QuestionFactory(
        section=section, name="trust", type=Question.Type.MATRIX, choice_list=choice_list
    )
    QuestionFactory(
        section=section, name="trust_a", parent=matrix, type="select_one", choice_list=choice_list
    )
    published = questionnaire_publish(questionnaire=draft_questionnaire)

    draft = questionnaire_copy_as_draft(questionnaire=published)

    item = draft.questions.get(name="trust_a")
    assert item.parent.name == "trust" and item.parent.questionnaire == draft
    assert item.choice_list.questionnaire == draft
    assert published.snapshot["variables"][-1] == "trust_a"


def test_waves_need_a_published_version(draft_questionnaire):
    with pytest.raises(InvalidTransition):
        wave_create(questionnaire=draft_questionnaire, name="Wave 1")


def test_wave_opens_and_closes_once(published_questionnaire):
    wave = wave_create(
        questionnaire=published_questionnaire,
        name="Spring",
        welcome={"en": "Welcome", "ru": "Добро пожаловать"},
    )

    wave_open(wave=wave)
    assert wave.status == Wave.Status.OPEN and wave.opened_at is not None
    with pytest.raises(InvalidTransition):
        wave_open(wave=wave)
    wave_close(wave=wave)
    assert wave.status == Wave.Status.CLOSED and wave.closed_at is not None
    with pytest.raises(InvalidTransition):
        wave_close(wave=wave)


def test_a_wave_with_an_untranslated_welcome_text_does_not_open(published_questionnaire):
    wave = wave_create(questionnaire=published_questionnaire, name="Spring", welcome={"en": "Welcome"})

    with pytest.raises(PublishRefused) as refused:
        wave_open(wave=wave)

    assert refused.value.problems == ["Missing translation: ru: welcome text"]
    wave.refresh_from_db()
    assert wave.status == Wave.Status.DRAFT


def test_waves_are_numbered_per_survey(published_questionnaire):
    first = wave_create(questionnaire=published_questionnaire, name="One")
    second = wave_create(questionnaire=published_questionnaire, name="Two")

    assert (first.number, second.number) == (1, 2)
