"""The buttons on admin pages: import, new version, download, publish, waves, checks, preview."""

from __future__ import annotations

import io

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from openpyxl import load_workbook

from surveys import services
from surveys.models import CheckRun, Question, Questionnaire, Survey, Wave
from tests.factories import ChoiceFactory, ChoiceListFactory, QuestionFactory
from tests.surveys.admin_helpers import admin_url, draft_of, published_of
from tests.xlsform_helpers import SURVEY_HEADER, YES_NO, make_xlsform

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def upload(content: bytes, name: str = "form.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def good_form() -> bytes:
    return make_xlsform(
        [
            SURVEY_HEADER,
            ["begin_group", "about", "About you", "Про вас"],
            ["select_one yes_no", "consent", "Do you agree?", "Согласны?"],
            ["end_group", "about", "", ""],
        ],
        YES_NO,
    )


def bad_form() -> bytes:
    return make_xlsform(
        [
            SURVEY_HEADER,
            ["begin_group", "about", "About you", "Про вас"],
            ["select_one nowhere", "consent", "Do you agree?", "Согласны?"],
            ["no_such_type", "Bad Name", "Broken", "Сломано"],
            ["end_group", "about", "", ""],
        ],
        YES_NO,
    )


# Import XLSForm


def test_import_creates_a_draft_and_goes_to_it(researcher_client: Client, own_survey: Survey):
    response = researcher_client.post(
        admin_url("survey_import", own_survey.pk), {"file": upload(good_form())}
    )

    questionnaire = Questionnaire.objects.get(survey=own_survey)
    assert response.status_code == 302
    assert response["Location"] == admin_url("questionnaire_change", questionnaire.pk)
    assert f"Imported version {questionnaire.number}." in messages_of(response)
    assert questionnaire.questions.get().label == {"en": "Do you agree?", "ru": "Согласны?"}


def test_import_lists_every_problem_on_the_form_and_creates_nothing(researcher_client: Client, own_survey):
    response = researcher_client.post(admin_url("survey_import", own_survey.pk), {"file": upload(bad_form())})

    assert response.status_code == 200
    problems = response.context["problems"]
    assert len(problems) >= 2
    html = response.content.decode()
    for problem in problems:
        assert str(problem).replace('"', "&quot;") in html
    assert "survey sheet" in html
    assert "nothing was created" in html
    assert not Questionnaire.objects.filter(survey=own_survey).exists()


def test_import_of_a_file_that_is_not_a_workbook_is_refused(researcher_client: Client, own_survey):
    response = researcher_client.post(
        admin_url("survey_import", own_survey.pk), {"file": upload(b"not a spreadsheet")}
    )

    assert response.status_code == 200
    assert response.context["problems"] or response.context["form"].errors
    assert not Questionnaire.objects.exists()


@override_settings(VOLNA_XLSFORM_MAX_BYTES=100)
def test_import_refuses_a_file_over_the_size_limit(researcher_client: Client, own_survey):
    response = researcher_client.post(
        admin_url("survey_import", own_survey.pk), {"file": upload(good_form())}
    )

    assert response.status_code == 200
    assert "largest accepted is 100 bytes" in str(response.context["form"].errors["file"])
    assert not Questionnaire.objects.exists()


def test_import_refuses_other_file_types(researcher_client: Client, own_survey):
    response = researcher_client.post(
        admin_url("survey_import", own_survey.pk), {"file": upload(good_form(), "form.csv")}
    )

    assert response.status_code == 200
    assert "file" in response.context["form"].errors


def test_survey_page_links_to_import_and_new_version(researcher_client: Client, own_survey):
    html = researcher_client.get(admin_url("survey_change", own_survey.pk)).content.decode()

    assert admin_url("survey_import", own_survey.pk) in html
    assert admin_url("survey_new_version", own_survey.pk) in html


# New version, download


def test_new_version_from_a_published_one_copies_it_as_a_draft(researcher_client: Client, own_survey):
    published = published_of(own_survey)

    response = researcher_client.post(
        admin_url("survey_new_version", own_survey.pk), {"source": published.pk}
    )

    draft = Questionnaire.objects.get(survey=own_survey, status=Questionnaire.Status.DRAFT)
    assert response.status_code == 302
    assert response["Location"] == admin_url("questionnaire_change", draft.pk)
    assert sorted(draft.questions.values_list("name", flat=True)) == ["birth_year", "consent"]
    assert f"Created version {draft.number} from version {published.number}." in messages_of(response)


def test_new_empty_version(researcher_client: Client, own_survey):
    response = researcher_client.post(admin_url("survey_new_version", own_survey.pk), {"source": ""})

    assert response.status_code == 302
    assert Questionnaire.objects.get(survey=own_survey).sections.count() == 0


def test_new_version_cannot_copy_another_surveys_version(researcher_client: Client, own_survey, team):
    from tests.factories import SurveyFactory

    elsewhere = draft_of(SurveyFactory(team=team))

    response = researcher_client.post(
        admin_url("survey_new_version", own_survey.pk), {"source": elsewhere.pk}
    )

    assert response.status_code == 200
    assert "source" in response.context["form"].errors
    assert not Questionnaire.objects.filter(survey=own_survey).exists()


def test_download_is_an_xlsx_attachment_named_after_the_survey_and_version(
    researcher_client: Client, own_survey
):
    draft = draft_of(own_survey)

    response = researcher_client.get(admin_url("questionnaire_download", draft.pk))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="north-panel-v{draft.number}.xlsx"'
    assert "survey" in load_workbook(io.BytesIO(response.content)).sheetnames


# Publish


def test_publish_refusal_lists_every_problem_on_the_page(researcher_client: Client, own_survey):
    # given a draft whose question lacks its Russian label
    draft = draft_of(own_survey)
    Question.objects.filter(questionnaire=draft, name="consent").update(label={"en": "Agree?"})

    response = researcher_client.post(admin_url("questionnaire_publish", draft.pk))

    assert response.status_code == 200
    problems = response.context["problems"]
    assert any("consent" in problem for problem in problems)
    html = response.content.decode()
    assert "Publishing was refused" in html
    for problem in problems:
        assert problem in html
    draft.refresh_from_db()
    assert draft.status == Questionnaire.Status.DRAFT


def test_publish_freezes_the_version_with_a_message(researcher_client: Client, own_survey):
    draft = draft_of(own_survey)

    confirm = researcher_client.get(admin_url("questionnaire_publish", draft.pk))
    response = researcher_client.post(admin_url("questionnaire_publish", draft.pk))

    assert confirm.status_code == 200
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Questionnaire.Status.PUBLISHED
    assert any("Published version" in m for m in messages_of(response))


def test_publishing_twice_says_so(researcher_client: Client, own_survey):
    published = published_of(own_survey)

    response = researcher_client.post(admin_url("questionnaire_publish", published.pk))

    assert response.status_code == 302
    assert "This version is already published." in messages_of(response)


def test_a_get_never_publishes(researcher_client: Client, own_survey):
    draft = draft_of(own_survey)

    researcher_client.get(admin_url("questionnaire_publish", draft.pk))

    draft.refresh_from_db()
    assert draft.status == Questionnaire.Status.DRAFT


# Waves


def test_create_wave_on_a_published_version(researcher_client: Client, own_survey):
    published = published_of(own_survey)

    response = researcher_client.post(
        admin_url("questionnaire_wave_create", published.pk),
        {
            "name": "Spring",
            "mode": Wave.Mode.OPEN_LINK,
            "welcome_en": "Welcome",
            "welcome_ru": "Добро пожаловать",
            "thanks_en": "",
            "thanks_ru": "",
        },
    )

    wave = Wave.objects.get(survey=own_survey)
    assert response.status_code == 302
    assert response["Location"] == admin_url("wave_change", wave.pk)
    assert wave.welcome == {"en": "Welcome", "ru": "Добро пожаловать"}
    assert wave.questionnaire == published


def test_no_wave_on_a_draft(researcher_client: Client, own_survey):
    draft = draft_of(own_survey)

    response = researcher_client.post(
        admin_url("questionnaire_wave_create", draft.pk), {"name": "X", "mode": "open"}
    )

    assert response.status_code == 302
    assert not Wave.objects.exists()


def test_wave_opens_and_closes_through_post_buttons(researcher_client: Client, own_survey):
    wave = services.wave_create(questionnaire=published_of(own_survey), name="Spring")
    page = researcher_client.get(admin_url("wave_change", wave.pk))
    assert admin_url("wave_open", wave.pk) in page.content.decode()
    assert f"/s/{wave.slug}/" in page.content.decode()

    opened = researcher_client.post(admin_url("wave_open", wave.pk))
    wave.refresh_from_db()
    assert opened.status_code == 302
    assert wave.status == Wave.Status.OPEN

    closed = researcher_client.post(admin_url("wave_close", wave.pk))
    wave.refresh_from_db()
    assert closed.status_code == 302
    assert wave.status == Wave.Status.CLOSED
    assert wave.closed_at is not None


def test_wave_buttons_refuse_get(researcher_client: Client, own_survey):
    wave = services.wave_create(questionnaire=published_of(own_survey), name="Spring")

    assert researcher_client.get(admin_url("wave_open", wave.pk)).status_code == 405
    wave.refresh_from_db()
    assert wave.status == Wave.Status.DRAFT


def test_opening_a_wave_with_a_missing_translation_lists_it(researcher_client: Client, own_survey):
    wave = services.wave_create(
        questionnaire=published_of(own_survey), name="Spring", welcome={"en": "Hello"}
    )

    response = researcher_client.post(admin_url("wave_open", wave.pk))

    wave.refresh_from_db()
    assert wave.status == Wave.Status.DRAFT
    assert any("ru: welcome text" in message for message in messages_of(response))


def test_closing_a_draft_wave_is_a_message_not_an_error(researcher_client: Client, own_survey):
    wave = services.wave_create(questionnaire=published_of(own_survey), name="Spring")

    response = researcher_client.post(admin_url("wave_close", wave.pk))

    assert response.status_code == 302
    assert "Only an open wave can be closed." in messages_of(response)


def test_wave_csrf_is_enforced(researcher, own_survey):
    wave = services.wave_create(questionnaire=published_of(own_survey), name="Spring")
    client = Client(enforce_csrf_checks=True)
    client.force_login(researcher)

    response = client.post(admin_url("wave_open", wave.pk))

    assert response.status_code == 403
    wave.refresh_from_db()
    assert wave.status == Wave.Status.DRAFT


# Checks


def test_run_checks_shows_the_run_with_progress_then_its_report(
    researcher_client: Client, own_survey, django_capture_on_commit_callbacks
):
    draft = draft_of(own_survey)
    Question.objects.filter(questionnaire=draft, name="consent").update(label={"en": "Agree?"})

    # when the checks are started (the task runs inline: Celery is eager in tests)
    with django_capture_on_commit_callbacks(execute=True):
        response = researcher_client.post(admin_url("questionnaire_checks", draft.pk))

    # then the run page shows the finished run's report
    run = CheckRun.objects.get(questionnaire=draft)
    assert response.status_code == 302
    assert response["Location"] == admin_url("checkrun_change", run.pk)
    page = researcher_client.get(response["Location"])
    html = page.content.decode()
    assert run.status == CheckRun.Status.DONE
    assert "<progress" in html
    assert "ru: label of consent is missing" in html
    assert "Simulated respondents" in html
    assert 'http-equiv="refresh"' not in html  # finished: no more refreshing


def test_a_running_check_page_refreshes_itself_and_reports_progress(researcher_client: Client, own_survey):
    draft = draft_of(own_survey)
    run = CheckRun.objects.create(questionnaire=draft, status=CheckRun.Status.RUNNING, progress=40)

    page = researcher_client.get(admin_url("checkrun_change", run.pk))
    status = researcher_client.get(admin_url("checkrun_status", run.pk))

    html = page.content.decode()
    assert '<meta http-equiv="refresh"' in html
    assert "admin/volna/progress.js" in html
    assert 'value="40"' in html
    assert status.json() == {
        "status": "running",
        "status_label": "Running",
        "progress": 40,
        "finished": False,
    }


def test_checks_must_be_started_with_post(researcher_client: Client, own_survey):
    draft = draft_of(own_survey)

    assert researcher_client.get(admin_url("questionnaire_checks", draft.pk)).status_code == 405
    assert not CheckRun.objects.exists()


# Preview


def test_preview_renders_every_page_in_russian(researcher_client: Client, own_survey):
    draft = draft_of(own_survey)

    response = researcher_client.get(admin_url("questionnaire_preview", draft.pk, "ru"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Вопрос consent" in html
    assert "Да" in html
    assert "Нет" in html
    assert "От 1930 до 2008" in html
    assert "${consent} = &#x27;yes&#x27;" in html  # the page's condition, as a note
    assert 'class="volna-required"' in html


def test_preview_of_a_published_version_reads_its_snapshot(researcher_client: Client, own_survey):
    published = published_of(own_survey)

    response = researcher_client.get(admin_url("questionnaire_preview", published.pk, "en"))

    assert response.status_code == 200
    assert "Question consent" in response.content.decode()


def test_preview_flags_texts_missing_in_the_language(researcher_client: Client, own_survey):
    draft = draft_of(own_survey)
    Question.objects.filter(questionnaire=draft, name="consent").update(label={"en": "Agree?"})

    html = researcher_client.get(admin_url("questionnaire_preview", draft.pk, "ru")).content.decode()

    assert "Agree?" in html
    assert "not translated into ru" in html


def test_preview_in_a_language_the_survey_lacks_is_not_found(researcher_client: Client, own_survey):
    draft = draft_of(own_survey)

    assert researcher_client.get(admin_url("questionnaire_preview", draft.pk, "de")).status_code == 404


def test_preview_escapes_typed_text(researcher_client: Client, own_survey):
    draft = draft_of(own_survey)
    question = draft.questions.get(name="consent")
    Question.objects.filter(pk=question.pk).update(label={"en": SCRIPT, "ru": SCRIPT}, relevant=SCRIPT)
    question.choice_list.choices.filter(code="yes").update(label={"en": SCRIPT, "ru": SCRIPT})

    html = researcher_client.get(admin_url("questionnaire_preview", draft.pk, "ru")).content.decode()

    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_version_page_offers_its_buttons(researcher_client: Client, own_survey):
    draft = draft_of(own_survey)

    html = researcher_client.get(admin_url("questionnaire_change", draft.pk)).content.decode()

    for url in (
        admin_url("questionnaire_download", draft.pk),
        admin_url("questionnaire_translations", draft.pk),
        admin_url("questionnaire_checks", draft.pk),
        admin_url("questionnaire_publish", draft.pk),
        admin_url("questionnaire_preview", draft.pk, "en"),
        admin_url("questionnaire_preview", draft.pk, "ru"),
    ):
        assert url in html
    assert admin_url("questionnaire_wave_create", draft.pk) not in html  # only for published versions


def test_a_staff_user_without_permissions_gets_403_on_own_team_actions(researcher, own_survey):
    draft = draft_of(own_survey)
    researcher.user_permissions.clear()
    client = Client()
    client.force_login(researcher)

    assert client.post(admin_url("questionnaire_publish", draft.pk)).status_code == 403
    draft.refresh_from_db()
    assert draft.status == Questionnaire.Status.DRAFT


def test_preview_draws_a_matrix_as_a_grid_with_its_items(researcher_client: Client, own_survey):
    # given a likert matrix with two items, and a multiple choice with "other, specify"
    draft = draft_of(own_survey)
    section = draft.sections.get(name="about")
    agree = ChoiceListFactory(questionnaire=draft, name="agree")
    ChoiceFactory(choice_list=agree, code="1", label={"en": "Disagree", "ru": "Не согласен"})
    ChoiceFactory(choice_list=agree, code="2", label={"en": "Agree", "ru": "Согласен"})
    matrix = QuestionFactory(section=section, name="trust", type=Question.Type.MATRIX, choice_list=agree)
    for name, ru in (("trust_left", "Уехавшим"), ("trust_stayed", "Оставшимся")):
        QuestionFactory(
            section=section,
            parent=matrix,
            name=name,
            type=Question.Type.SELECT_ONE,
            choice_list=agree,
            label={"en": name, "ru": ru},
        )
    QuestionFactory(
        section=section, name="media", type=Question.Type.SELECT_MULTIPLE, choice_list=agree, has_other=True
    )

    html = researcher_client.get(admin_url("questionnaire_preview", draft.pk, "ru")).content.decode()

    assert '<table class="volna-matrix">' in html
    assert "Уехавшим" in html
    assert "Оставшимся" in html
    assert "Не согласен" in html
    assert 'type="checkbox"' in html
    assert "Other, specify:" in html
