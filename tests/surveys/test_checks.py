"""Pre-publication checks: the simulated run and the check-run task."""

from __future__ import annotations

import datetime
import time

import pytest
from django.utils import timezone

from surveys.checks import simulate
from surveys.models import CheckRun, Question
from surveys.services import check_run_start, check_runs_reconcile
from surveys.snapshot import questionnaire_compile
from tests.factories import QuestionFactory, SectionFactory

pytestmark = pytest.mark.django_db


def test_simulation_walks_both_branches_in_every_language(draft_questionnaire):
    report = simulate(questionnaire_compile(draft_questionnaire), respondents_per_language=50)

    assert report["respondents"] == 100
    assert report["languages"] == ["en", "ru"]
    assert report["unreachable_sections"] == []
    assert report["never_shown"] == []
    # consent cycles yes/no, so about half of the respondents see the second page
    assert 30 <= report["section_shown"]["about"] <= 70


def test_simulation_reports_a_page_that_can_never_be_reached(draft_questionnaire):
    SectionFactory(questionnaire=draft_questionnaire, name="never", relevant="${consent} = 'maybe'")
    QuestionFactory(section=draft_questionnaire.sections.get(name="never"), name="lost")

    report = simulate(questionnaire_compile(draft_questionnaire), respondents_per_language=30)

    assert report["unreachable_sections"] == ["never"]
    assert report["never_shown"] == ["lost"]


def test_simulation_reports_a_required_question_no_answer_can_satisfy(draft_questionnaire):
    question = draft_questionnaire.questions.get(name="birth_year")
    question.required = True
    question.constraint = ". > 10 and . < 5"
    question.save()

    report = simulate(questionnaire_compile(draft_questionnaire), respondents_per_language=10)

    assert report["unsatisfiable"] == ["birth_year"]


def test_simulation_stops_at_a_page_that_ends_the_survey(draft_questionnaire):
    end = SectionFactory(
        questionnaire=draft_questionnaire, name="screen_out", relevant="${birth_year} < 1960"
    )
    end.ends_survey = True
    end.save()
    QuestionFactory(section=end, name="goodbye", type=Question.Type.NOTE)
    after = SectionFactory(questionnaire=draft_questionnaire, name="after")
    QuestionFactory(section=after, name="later", type=Question.Type.TEXT)

    report = simulate(questionnaire_compile(draft_questionnaire), respondents_per_language=20)

    ended = report["section_shown"]["screen_out"]
    assert ended > 0
    # everyone who declined consent or reached the end page stops there; the rest go on
    assert report["section_shown"]["after"] == report["respondents"] - report["screened_out"]
    assert report["screened_out"] == ended + (report["respondents"] - report["section_shown"]["about"])


def test_simulation_is_reproducible(draft_questionnaire):
    snapshot = questionnaire_compile(draft_questionnaire)

    assert simulate(snapshot, seed=7) == simulate(snapshot, seed=7)


def test_check_run_records_progress_and_a_report(draft_questionnaire, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = check_run_start(questionnaire=draft_questionnaire)

    assert len(callbacks) == 1
    run.refresh_from_db()
    assert run.status == CheckRun.Status.DONE
    assert run.progress == 100
    assert run.report["errors"] == []
    assert run.report["simulation"]["respondents"] == 400
    assert run.started_at and run.finished_at


def test_check_run_lists_errors_without_failing(draft_questionnaire, django_capture_on_commit_callbacks):
    question = draft_questionnaire.questions.get(name="birth_year")
    question.relevant = "${nonexistent} = 1"
    question.save()

    with django_capture_on_commit_callbacks(execute=True):
        run = check_run_start(questionnaire=draft_questionnaire)

    run.refresh_from_db()
    assert run.status == CheckRun.Status.DONE
    assert any("nonexistent" in error for error in run.report["errors"])


def test_a_check_run_is_carried_out_once(draft_questionnaire, django_capture_on_commit_callbacks):
    from surveys.tasks import check_run_task

    with django_capture_on_commit_callbacks(execute=True):
        run = check_run_start(questionnaire=draft_questionnaire)
    finished = CheckRun.objects.get(pk=run.pk).finished_at

    check_run_task(run.pk)  # a redelivered message

    assert CheckRun.objects.get(pk=run.pk).finished_at == finished


def test_reconciler_fails_runs_stuck_for_too_long(draft_questionnaire):
    stuck = CheckRun.objects.create(questionnaire=draft_questionnaire, status=CheckRun.Status.RUNNING)
    fresh = CheckRun.objects.create(questionnaire=draft_questionnaire, status=CheckRun.Status.QUEUED)
    long_ago = timezone.now() - datetime.timedelta(hours=2)
    CheckRun.objects.filter(pk=stuck.pk).update(created_at=long_ago, started_at=long_ago)

    assert check_runs_reconcile() == 1

    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == CheckRun.Status.FAILED and "Run it again" in stuck.error
    assert fresh.status == CheckRun.Status.QUEUED


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_check_run_is_done_by_a_real_celery_worker(celery_worker_process):
    from tests.surveys.conftest import build_small_questionnaire

    questionnaire = build_small_questionnaire()

    run = check_run_start(questionnaire=questionnaire)

    deadline = timezone.now() + datetime.timedelta(seconds=60)
    while timezone.now() < deadline:
        run.refresh_from_db()
        if run.status in (CheckRun.Status.DONE, CheckRun.Status.FAILED):
            break
        time.sleep(0.2)
    assert run.status == CheckRun.Status.DONE, run.error
    assert run.report["simulation"]["unreachable_sections"] == []


def test_the_report_is_written_in_the_language_of_whoever_asked(
    draft_questionnaire, django_capture_on_commit_callbacks
):
    from django.utils import translation

    question = draft_questionnaire.questions.get(name="birth_year")
    question.label = {"en": "Year of birth"}
    question.save()

    with translation.override("ru"), django_capture_on_commit_callbacks(execute=True):
        run = check_run_start(questionnaire=draft_questionnaire)

    run.refresh_from_db()
    assert run.language == "ru"
    assert any("birth_year" in error and "отсутствует" in error for error in run.report["errors"])


def test_an_optional_consent_question_blocks_publishing(draft_questionnaire):
    from surveys.services import PublishRefused, questionnaire_publish

    Question.objects.filter(questionnaire=draft_questionnaire, name="consent").update(required=False)

    with pytest.raises(PublishRefused) as refused:
        questionnaire_publish(questionnaire=draft_questionnaire)

    assert any(
        problem.startswith("consent: a consent question must be required")
        for problem in refused.value.problems
    )


def test_a_consent_question_without_a_yes_code_blocks_publishing(draft_questionnaire):
    from surveys.models import Choice
    from surveys.services import PublishRefused, questionnaire_publish

    Choice.objects.filter(choice_list__questionnaire=draft_questionnaire, code="yes").update(code="1")

    with pytest.raises(PublishRefused) as refused:
        questionnaire_publish(questionnaire=draft_questionnaire)

    assert any("code 'yes'" in problem for problem in refused.value.problems)


def test_names_of_the_pages_own_fields_are_reserved(draft_questionnaire):
    from surveys.services import PublishRefused, questionnaire_publish

    Question.objects.filter(questionnaire=draft_questionnaire, name="birth_year").update(name="website")

    with pytest.raises(PublishRefused) as refused:
        questionnaire_publish(questionnaire=draft_questionnaire)

    assert "website: this name is reserved by Volna; choose another" in refused.value.problems


def test_a_database_hiccup_hands_the_run_back_for_a_retry(draft_questionnaire, monkeypatch):
    from django.db import OperationalError

    from surveys import services

    run = CheckRun.objects.create(questionnaire=draft_questionnaire)

    def hiccup(run):
        raise OperationalError("connection reset")

    monkeypatch.setattr(services, "_checks_report", hiccup)
    with pytest.raises(OperationalError):
        services.check_run_execute(check_run_id=run.pk)
    run.refresh_from_db()
    assert run.status == CheckRun.Status.QUEUED

    monkeypatch.undo()
    services.check_run_execute(check_run_id=run.pk)
    run.refresh_from_db()
    assert run.status == CheckRun.Status.DONE
