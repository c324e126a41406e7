"""The translation grid: every string of a version side by side, flags, counts, saving changed cells."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from surveys.admin.grid import grid_rows
from surveys.models import Choice, ChoiceList, Question, Questionnaire, Section, Survey
from surveys.services import translation_set
from surveys.translation import source_hash
from tests.factories import QuestionnaireFactory, SurveyFactory
from tests.surveys.admin_helpers import admin_url, draft_of, published_of

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"


def cells_of(response) -> dict[str, object]:
    """Grid cells by POST name."""
    return {cell.name: cell for row in response.context["grid"].rows for cell in row.cells}


def all_cells_posted(response) -> dict[str, str]:
    """What the browser posts when the researcher changes nothing."""
    return {name: cell.text for name, cell in cells_of(response).items()}


@pytest.fixture
def draft(own_survey: Survey) -> Questionnaire:
    return draft_of(own_survey)


def test_grid_shows_every_string_with_the_source_language_first(researcher_client: Client, draft):
    response = researcher_client.get(admin_url("questionnaire_translations", draft.pk))

    assert response.status_code == 200
    grid = response.context["grid"]
    assert grid.shown_languages == ["en", "ru"]
    wheres = [row.where for row in grid.rows]
    assert wheres[0] == "Survey title"
    assert "Page start: title" in wheres
    assert "consent: label" in wheres
    assert "birth_year: constraint message" in wheres
    assert "Choice yes_no / yes" in wheres
    assert 'name="question-' in response.content.decode()


def test_missing_and_outdated_cells_are_marked_in_words_and_counted(researcher_client: Client, draft):
    # given one label missing in Russian and one whose English source changed after translation
    consent = draft.questions.get(name="consent")
    Question.objects.filter(pk=consent.pk).update(label={"en": "Agree?"})
    birth_year = draft.questions.get(name="birth_year")
    translation_set(obj=birth_year, field="label", language="ru", text="Год рождения", source_language="en")
    translation_set(obj=birth_year, field="label", language="en", text="Year of birth", source_language="en")

    response = researcher_client.get(admin_url("questionnaire_translations", draft.pk))

    cells = cells_of(response)
    assert cells[f"question-{consent.pk}-label-ru"].state == "missing"
    assert cells[f"question-{birth_year.pk}-label-ru"].state == "stale"
    html = response.content.decode()
    assert '<span class="volna-flag">missing</span>' in html
    assert '<span class="volna-flag">outdated</span>' in html
    total = len(response.context["grid"].rows)
    assert f"ru: 1 missing, 1 outdated of {total}" in html
    assert f"en (source): 0 missing of {total}" in html


def test_filter_shows_only_missing_or_outdated_strings(researcher_client: Client, draft):
    consent = draft.questions.get(name="consent")
    Question.objects.filter(pk=consent.pk).update(label={"en": "Agree?"})

    response = researcher_client.get(admin_url("questionnaire_translations", draft.pk) + "?only=flagged")

    rows = response.context["grid"].rows
    assert [row.where for row in rows] == ["consent: label"]
    assert response.context["grid"].total_rows > 1


def test_one_language_column_beside_the_source(own_survey, researcher_client: Client, draft):
    Survey.objects.filter(pk=own_survey.pk).update(languages=["en", "ru", "uk"])

    response = researcher_client.get(admin_url("questionnaire_translations", draft.pk) + "?language=uk")

    assert response.context["grid"].shown_languages == ["en", "uk"]
    assert all(cell.state == "missing" for row in response.context["grid"].rows for cell in row.cells[1:])


def test_save_writes_only_the_changed_cells_and_records_their_source(researcher_client: Client, draft):
    url = admin_url("questionnaire_translations", draft.pk)
    page = researcher_client.get(url)
    consent = draft.questions.get(name="consent")
    untouched = draft.questions.get(name="birth_year")
    sources_before = dict(untouched.translation_sources)
    posted = all_cells_posted(page)
    posted[f"question-{consent.pk}-label-ru"] = "Вы согласны?\r\n"  # browsers send CRLF

    # when
    response = researcher_client.post(url, posted)

    # then one cell was written, through translation_set (its source hash recorded)
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.label["ru"] == "Вы согласны?"
    assert consent.translation_sources["label"]["ru"] == source_hash(consent.label["en"])
    untouched.refresh_from_db()
    assert untouched.translation_sources == sources_before
    assert "Saved 1 changed text." in [str(m) for m in get_messages(response.wsgi_request)]


def test_saving_an_unchanged_grid_writes_nothing(
    researcher_client: Client, draft, django_assert_max_num_queries
):
    url = admin_url("questionnaire_translations", draft.pk)
    posted = all_cells_posted(researcher_client.get(url))

    response = researcher_client.post(url, posted)

    assert response.status_code == 302
    for question in draft.questions.all():
        assert question.translation_sources == {}


def test_a_source_change_in_the_grid_makes_translations_outdated(researcher_client: Client, draft):
    url = admin_url("questionnaire_translations", draft.pk)
    consent = draft.questions.get(name="consent")
    translation_set(obj=consent, field="label", language="ru", text="Согласны?", source_language="en")

    researcher_client.post(url, {f"question-{consent.pk}-label-en": "Do you consent?"})

    consent.refresh_from_db()
    assert consent.translation_state("label", "ru", "en") == "stale"
    page = researcher_client.get(url)
    assert cells_of(page)[f"question-{consent.pk}-label-ru"].state == "stale"


def test_cells_not_posted_are_left_alone(researcher_client: Client, draft):
    consent = draft.questions.get(name="consent")

    researcher_client.post(
        admin_url("questionnaire_translations", draft.pk), {f"question-{consent.pk}-label-ru": "Только это"}
    )

    consent.refresh_from_db()
    assert consent.label == {"en": "Question consent", "ru": "Только это"}


def test_grid_of_a_published_version_is_read_only(researcher_client: Client, own_survey):
    published = published_of(own_survey)
    url = admin_url("questionnaire_translations", published.pk)
    consent = published.questions.get(name="consent")

    page = researcher_client.get(url)
    response = researcher_client.post(url, {f"question-{consent.pk}-label-ru": "Взлом"})

    assert "<textarea" not in page.content.decode()
    assert 'value="Save"' not in page.content.decode()
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.label["ru"] == "Вопрос consent"


def test_grid_escapes_typed_text(researcher_client: Client, draft):
    consent = draft.questions.get(name="consent")
    Question.objects.filter(pk=consent.pk).update(label={"en": SCRIPT, "ru": SCRIPT})
    Choice.objects.filter(choice_list__questionnaire=draft, code="yes").update(label={"en": SCRIPT})

    html = researcher_client.get(admin_url("questionnaire_translations", draft.pk)).content.decode()

    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def _big_version(strings: int) -> Questionnaire:
    """A version with about ``strings`` translatable strings, in bulk."""
    questionnaire = QuestionnaireFactory(survey=SurveyFactory(slug="big", languages=["en", "ru", "uk"]))
    sections = Section.objects.bulk_create(
        Section(questionnaire=questionnaire, name=f"page_{n}", position=n, title={"en": f"Page {n}"})
        for n in range(10)
    )
    Question.objects.bulk_create(
        Question(
            questionnaire=questionnaire,
            section=sections[n % 10],
            name=f"q{n}",
            position=n,
            type=Question.Type.TEXT,
            label={"en": f"Question {n}", "ru": f"Вопрос {n}"},
            hint={"en": "A hint"} if n % 3 == 0 else {},
        )
        for n in range(strings // 2)
    )
    choice_list = ChoiceList.objects.create(questionnaire=questionnaire, name="many")
    Choice.objects.bulk_create(
        Choice(choice_list=choice_list, code=f"c{n}", position=n, label={"en": f"Choice {n}"})
        for n in range(strings // 3)
    )
    return questionnaire


def test_grid_of_a_large_version_reads_a_constant_number_of_queries(
    researcher, researcher_client: Client, django_assert_max_num_queries
):
    questionnaire = _big_version(500)
    questionnaire.survey.team.user_set.add(researcher)
    assert len(grid_rows(questionnaire)) > 500

    with django_assert_max_num_queries(12):
        response = researcher_client.get(admin_url("questionnaire_translations", questionnaire.pk))

    assert response.status_code == 200


def test_saving_a_large_grid_costs_queries_per_changed_cell_only(
    researcher, researcher_client: Client, django_assert_max_num_queries
):
    questionnaire = _big_version(300)
    questionnaire.survey.team.user_set.add(researcher)
    url = admin_url("questionnaire_translations", questionnaire.pk) + "?language=ru"
    posted = all_cells_posted(researcher_client.get(url))
    question = questionnaire.questions.get(name="q7")
    posted[f"question-{question.pk}-label-ru"] = "Изменено"

    with django_assert_max_num_queries(20):
        response = researcher_client.post(url, posted)

    assert response.status_code == 302
    question.refresh_from_db()
    assert question.label["ru"] == "Изменено"
