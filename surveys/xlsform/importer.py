"""Import an XLSForm (.xlsx) as a new draft version of a survey's questionnaire.

The whole file is read and checked first (no database access); only a form without problems is
written, in one durable transaction. Mapping and limits: docs/xlsform.md.
"""

from __future__ import annotations

from django.db import transaction

from surveys.models import Choice, ChoiceList, Question, Questionnaire, Section, Survey
from surveys.services import questionnaire_create_draft
from surveys.xlsform.drafts import ListDraft, QuestionDraft, SectionDraft
from surveys.xlsform.reader import xlsform_read


def xlsform_import(*, survey: Survey, file_bytes: bytes, filename: str) -> Questionnaire:
    """Create a draft questionnaire version of ``survey`` from an XLSForm workbook.

    Raises ``XLSFormError`` (nothing written) listing every problem with its sheet, row and column.
    The original file is kept on the version (``source_file``).
    """
    form = xlsform_read(survey=survey, file_bytes=file_bytes, filename=filename)
    source_language = survey.default_language
    with transaction.atomic(durable=True):
        questionnaire = questionnaire_create_draft(
            survey=survey, source_filename=filename[-255:], source_file=file_bytes
        )
        lists = {
            name: _save_list(questionnaire, choice_list, source_language)
            for name, choice_list in form.lists.items()
        }
        for position, section in enumerate(form.sections):
            _save_section(questionnaire, section, position, lists, source_language)
    return questionnaire


def _save_list(questionnaire: Questionnaire, draft: ListDraft, source_language: str) -> ChoiceList:
    choice_list = ChoiceList.objects.create(questionnaire=questionnaire, name=draft.name)
    choices = []
    for position, choice_draft in enumerate(draft.choices):
        choice = Choice(
            choice_list=choice_list, position=position, code=choice_draft.code, label=choice_draft.label
        )
        choice.mark_translations_current(source_language)
        choices.append(choice)
    Choice.objects.bulk_create(choices)
    return choice_list


def _save_section(
    questionnaire: Questionnaire,
    draft: SectionDraft,
    position: int,
    lists: dict[str, ChoiceList],
    source_language: str,
) -> Section:
    section = Section(
        questionnaire=questionnaire,
        position=position,
        name=draft.name,
        title=draft.title,
        relevant=draft.relevant,
        ends_survey=draft.ends_survey,
    )
    section.mark_translations_current(source_language)
    section.save()
    for question_position, question_draft in enumerate(draft.questions):
        parent = _save_question(section, question_draft, question_position, lists, source_language)
        for item_position, item in enumerate(question_draft.items):
            _save_question(section, item, item_position, lists, source_language, parent=parent)
    return section


def _save_question(
    section: Section,
    draft: QuestionDraft,
    position: int,
    lists: dict[str, ChoiceList],
    source_language: str,
    parent: Question | None = None,
) -> Question:
    question = Question(
        questionnaire=section.questionnaire,
        section=section,
        parent=parent,
        position=position,
        name=draft.name,
        type=draft.type,
        label=draft.label,
        hint=draft.hint,
        required=draft.required,
        relevant=draft.relevant,
        constraint=draft.constraint,
        constraint_message=draft.constraint_message,
        appearance=draft.appearance,
        choice_list=lists[draft.list_name] if draft.list_name else None,
        has_other=draft.has_other,
        randomize=draft.randomize,
    )
    question.mark_translations_current(source_language)
    question.save()
    return question
