"""Editing in the admin: translated text per language, survey languages, frozen published versions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from surveys import services
from surveys.models import Question, Questionnaire, Section, Survey
from surveys.services import questionnaire_publish
from surveys.translation import source_hash
from tests.factories import ChoiceFactory, QuestionFactory, SectionFactory, SurveyFactory
from tests.surveys.admin_helpers import admin_url, change_form_data, draft_of, published_of

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"


def post_change(client: Client, url: str, **changes: object):
    """GET an admin change page, change some fields, POST it back."""
    page = client.get(url)
    assert page.status_code == 200
    data = change_form_data(page)
    data.update(changes)
    return client.post(url, data)


def test_survey_title_is_edited_per_language_with_labelled_inputs(
    researcher_client: Client, own_survey: Survey
):
    response = researcher_client.get(admin_url("survey_change", own_survey.pk))

    html = response.content.decode()
    assert 'name="title_en"' in html
    assert 'name="title_ru"' in html
    assert 'for="id_title_ru"' in html
    assert "en (source)" in html
    assert '"en": "Survey' not in html  # no raw JSON


def test_saving_a_translation_records_its_source_and_a_source_change_makes_it_outdated(
    researcher_client: Client, own_survey: Survey
):
    url = admin_url("survey_change", own_survey.pk)

    # when the Russian title is edited
    response = post_change(researcher_client, url, title_ru="Жизнь после отъезда")

    # then it is saved with the hash of the English title it translates
    assert response.status_code == 302
    own_survey.refresh_from_db()
    assert own_survey.title["ru"] == "Жизнь после отъезда"
    assert own_survey.translation_sources["title"]["ru"] == source_hash(own_survey.title["en"])
    assert own_survey.translation_state("title", "ru", "en") == "ok"

    # when the English source changes
    response = post_change(researcher_client, url, title_en="Life after departure, 2nd edition")

    # then the Russian translation is outdated, and its text is kept
    assert response.status_code == 302
    own_survey.refresh_from_db()
    assert own_survey.title["ru"] == "Жизнь после отъезда"
    assert own_survey.translation_state("title", "ru", "en") == "stale"


def test_changing_source_and_translation_together_keeps_the_translation_current(
    researcher_client: Client, own_survey: Survey
):
    post_change(
        researcher_client,
        admin_url("survey_change", own_survey.pk),
        title_en="New English",
        title_ru="Новый русский",
    )

    own_survey.refresh_from_db()
    assert own_survey.translation_state("title", "ru", "en") == "ok"


def test_question_labels_are_edited_per_language_on_their_page(researcher_client: Client, own_survey: Survey):
    # given a draft page with a question
    draft = draft_of(own_survey)
    section = draft.sections.get(name="start")
    question = section.questions.get(name="consent")

    # when its Russian label is changed in the page's question inline
    response = post_change(
        researcher_client,
        admin_url("section_change", section.pk),
        **{"questions-0-label_ru": "Согласны ли вы?"},
    )

    # then the question records which English label it translates
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.label["ru"] == "Согласны ли вы?"
    assert question.translation_sources["label"]["ru"] == source_hash(question.label["en"])


def test_clearing_a_translation_removes_it(researcher_client: Client, own_survey: Survey):
    post_change(researcher_client, admin_url("survey_change", own_survey.pk), title_ru="")

    own_survey.refresh_from_db()
    assert "ru" not in own_survey.title
    assert own_survey.translation_state("title", "ru", "en") == "missing"


def test_the_source_language_text_is_required(researcher_client: Client, own_survey: Survey):
    response = post_change(researcher_client, admin_url("survey_change", own_survey.pk), title_en="")

    assert response.status_code == 200
    assert "title" in response.context["adminform"].form.errors
    own_survey.refresh_from_db()
    assert own_survey.title["en"]


def test_survey_languages_are_typed_as_a_comma_separated_list(researcher_client: Client, own_survey: Survey):
    response = post_change(
        researcher_client, admin_url("survey_change", own_survey.pk), languages="en, ru ,uk"
    )

    assert response.status_code == 302
    own_survey.refresh_from_db()
    assert own_survey.languages == ["en", "ru", "uk"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("en, English", "Not language codes: English"),
        ("en, ru, en", "listed twice"),
        ("", "at least one language"),
    ],
)
def test_bad_survey_languages_are_refused_with_a_reason(
    researcher_client: Client, own_survey: Survey, typed: str, message: str
):
    response = post_change(researcher_client, admin_url("survey_change", own_survey.pk), languages=typed)

    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors["languages"])
    own_survey.refresh_from_db()
    assert own_survey.languages == ["en", "ru"]


def test_a_new_survey_gets_its_title_in_the_default_language(researcher_client: Client, team):
    response = researcher_client.post(
        admin_url("survey_add"),
        {
            "slug": "exiles-2026",
            "title": "Exiles 2026",
            "languages": "ru, en",
            "default_language": "ru",
            "team": team.pk,
            "date_precision": "day",
            "small_cell_k": 5,
        },
    )

    assert response.status_code == 302
    survey = Survey.objects.get(slug="exiles-2026")
    assert survey.title == {"ru": "Exiles 2026"}
    assert survey.languages == ["ru", "en"]


def test_default_language_outside_the_languages_is_refused(researcher_client: Client, own_survey: Survey):
    response = post_change(
        researcher_client, admin_url("survey_change", own_survey.pk), default_language="de"
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors


def test_a_published_version_shows_no_save_button_and_ignores_a_post(researcher_client: Client, own_survey):
    published = published_of(own_survey)
    url = admin_url("questionnaire_change", published.pk)

    page = researcher_client.get(url)
    response = researcher_client.post(url, {"notes": "sneaky edit"})

    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert response.status_code == 403
    published.refresh_from_db()
    assert published.notes == ""


def test_the_parts_of_a_published_version_cannot_be_changed_or_deleted(researcher_client: Client, own_survey):
    published = published_of(own_survey)
    section = published.sections.get(name="start")
    choice_list = published.choice_lists.get()
    question = published.questions.get(name="consent")

    for url in (
        admin_url("section_change", section.pk),
        admin_url("choicelist_change", choice_list.pk),
        admin_url("question_change", question.pk),
    ):
        page = researcher_client.get(url)
        assert page.status_code == 200
        assert b'name="_save"' not in page.content
        assert researcher_client.post(url, {"name": "renamed"}).status_code == 403
    assert researcher_client.post(admin_url("section_delete", section.pk), {"post": "yes"}).status_code == 403
    assert (
        researcher_client.post(admin_url("questionnaire_delete", published.pk), {"post": "yes"}).status_code
        == 403
    )
    section.refresh_from_db()
    assert section.name == "start"
    assert Questionnaire.objects.filter(pk=published.pk).exists()


def test_published_texts_are_shown_per_language_when_read_only(researcher_client: Client, own_survey):
    published = published_of(own_survey)
    section = published.sections.get(name="start")

    response = researcher_client.get(admin_url("section_change", section.pk))

    html = response.content.decode()
    assert "Страница" in html
    assert '<span class="volna-lang">ru</span>' in html


def test_bulk_delete_of_a_published_version_is_refused(researcher_client: Client, own_survey):
    published = published_of(own_survey)

    response = researcher_client.post(
        admin_url("questionnaire_changelist"),
        {"action": "delete_selected", "_selected_action": [published.pk], "post": "yes"},
    )

    assert response.status_code == 403  # the admin has no delete permission on a published version
    assert Questionnaire.objects.filter(pk=published.pk).exists()


def test_a_draft_version_can_be_deleted(researcher_client: Client, own_survey):
    draft = services.questionnaire_create_draft(survey=own_survey)
    SectionFactory(questionnaire=draft, name="only_page")

    response = researcher_client.post(admin_url("questionnaire_delete", draft.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Questionnaire.objects.filter(pk=draft.pk).exists()


def test_two_questions_with_one_variable_name_are_refused_with_a_message(
    researcher_client: Client, own_survey
):
    draft = draft_of(own_survey)
    section = draft.sections.get(name="about")

    response = post_change(
        researcher_client, admin_url("section_change", section.pk), **{"questions-0-name": "consent"}
    )

    assert response.status_code == 200
    assert "already named" in response.content.decode()
    assert Question.objects.get(section=section).name == "birth_year"


def test_a_question_may_only_use_lists_of_its_own_version(researcher_client: Client, own_survey):
    draft = draft_of(own_survey)
    other = draft_of(own_survey)
    question = draft.questions.get(name="consent")

    response = post_change(
        researcher_client,
        admin_url("question_change", question.pk),
        choice_list=other.choice_lists.get().pk,
    )

    assert response.status_code == 200
    assert "choice_list" in response.context["adminform"].form.errors
    question.refresh_from_db()
    assert question.choice_list.questionnaire_id == draft.pk


def test_typed_text_is_escaped_on_change_pages(researcher_client: Client, own_survey):
    # given a question label and a choice label holding a script
    draft = draft_of(own_survey)
    question = draft.questions.get(name="consent")
    Question.objects.filter(pk=question.pk).update(label={"en": SCRIPT, "ru": SCRIPT})
    ChoiceFactory(choice_list=question.choice_list, code="evil", label={"en": SCRIPT, "ru": SCRIPT})

    for url in (
        admin_url("section_change", question.section_id),
        admin_url("choicelist_change", question.choice_list_id),
        admin_url("question_change", question.pk),
        admin_url("question_changelist"),
    ):
        html = researcher_client.get(url).content.decode()
        assert SCRIPT not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_typed_text_is_escaped_on_read_only_published_pages(researcher_client: Client, own_survey):
    draft = draft_of(own_survey)
    Section.objects.filter(questionnaire=draft).update(title={"en": SCRIPT, "ru": SCRIPT})
    published = questionnaire_publish(questionnaire=draft)
    section = published.sections.first()

    html = researcher_client.get(admin_url("section_change", section.pk)).content.decode()

    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_superuser_edits_any_team_survey(superuser_client: Client, own_survey):
    response = post_change(superuser_client, admin_url("survey_change", own_survey.pk), title_ru="Любой")

    assert response.status_code == 302
    own_survey.refresh_from_db()
    assert own_survey.title["ru"] == "Любой"


def test_a_survey_with_a_published_version_cannot_be_deleted(researcher_client: Client, own_survey):
    published_of(own_survey)

    page = researcher_client.get(admin_url("survey_delete", own_survey.pk))
    response = researcher_client.post(admin_url("survey_delete", own_survey.pk), {"post": "yes"})

    assert "Cannot delete survey" in page.content.decode()
    assert response.status_code in (200, 403)  # the "cannot delete" page, or refused outright
    assert Survey.objects.filter(pk=own_survey.pk).exists()


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "changelist", ["survey", "questionnaire", "section", "choicelist", "question", "wave"]
)
def test_lists_with_counts_cost_the_same_queries_for_one_row_or_many(
    researcher_client: Client, own_survey, team, changelist: str
):
    # given one survey with one published version and a wave
    services.wave_create(questionnaire=published_of(own_survey), name="First")
    url = admin_url(f"{changelist}_changelist")
    one = _queries(researcher_client, url)

    # when there are many more rows
    for n in range(4):
        survey = SurveyFactory(slug=f"more-{n}", team=team)
        services.wave_create(questionnaire=published_of(survey), name="More")

    # then the list costs no more queries
    assert _queries(researcher_client, url) == one


def test_a_page_with_many_questions_costs_the_same_queries_as_one_with_few(
    researcher_client: Client, own_survey
):
    draft = draft_of(own_survey)
    section = draft.sections.get(name="start")
    choice_list = draft.choice_lists.get()
    url = admin_url("section_change", section.pk)
    few = _queries(researcher_client, url)

    for n in range(15):
        QuestionFactory(
            section=section, name=f"extra_{n}", type=Question.Type.SELECT_ONE, choice_list=choice_list
        )

    assert _queries(researcher_client, url) == few
