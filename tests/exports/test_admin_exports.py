"""Exports in the admin: the wave's export form, the job page and status, downloads, streaming, audit."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from exports.models import ExportAuditEntry, ExportJob
from respondents.models import Response
from tests.exports.builders import add_response, make_survey, make_wave, read_csv
from tests.factories import GroupFactory, UserFactory
from tests.surveys.admin_helpers import grant_survey_permissions

pytestmark = pytest.mark.django_db

SECRET_ANSWER = "my very private answer"
EXPORT_FORM = {
    "format": "csv",
    "layout": "wave",
    "values": "labels",
    "language": "ru",
    "dialect": "comma",
    "bom": "on",
    "include": "completed",
}


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def team() -> Group:
    return GroupFactory(name="team-north")


def make_researcher(username: str, team: Group, *, may_export: bool = True) -> Client:
    user = UserFactory(username=username)
    user.groups.add(team)
    grant_survey_permissions(user)
    if may_export:
        user.user_permissions.add(Permission.objects.get(codename="export_responses"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def researcher_client(team: Group) -> Client:
    return make_researcher("anna", team)


@pytest.fixture
def wave(team: Group):
    survey = make_survey()
    survey.team = team
    survey.save(update_fields=["team"])
    wave = make_wave(survey)
    for age in range(12):
        add_response(wave, {"age": age, "comment": SECRET_ANSWER})
    add_response(wave, {"age": 99}, status=Response.Status.IN_PROGRESS)
    return wave


def export_url(wave) -> str:
    return reverse("admin:exports_exportjob_wave", args=[wave.pk])


def job_urls(job_id) -> dict[str, str]:
    return {
        "page": reverse("admin:exports_exportjob_change", args=[job_id]),
        "status": reverse("admin:exports_exportjob_status", args=[job_id]),
        "download": reverse("admin:exports_exportjob_download", args=[job_id]),
    }


def create_job(client: Client, wave, django_capture_on_commit_callbacks, **fields) -> ExportJob:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(export_url(wave), {**EXPORT_FORM, "action": "job", **fields})
    assert response.status_code == 302, response.content[:2000]
    job = ExportJob.objects.get()
    assert response["Location"] == job_urls(job.pk)["page"]
    return job


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_wave_page_links_to_the_export_form(researcher_client, wave):
    response = researcher_client.get(reverse("admin:surveys_wave_change", args=[wave.pk]))

    assert response.status_code == 200
    assert export_url(wave).encode() in response.content


def test_export_form_offers_formats_and_download_now_for_a_small_wave(researcher_client, wave):
    response = researcher_client.get(export_url(wave))

    assert response.status_code == 200
    content = response.content.decode()
    for fmt in ExportJob.Format.values:
        assert f'value="{fmt}"' in content
    assert 'value="panel_long"' not in content  # not a panel survey
    assert 'value="stream"' in content


def test_export_from_the_wave_page_runs_to_done_and_downloads_the_file(
    researcher_client, wave, private_root, django_capture_on_commit_callbacks
):
    # when
    job = create_job(researcher_client, wave, django_capture_on_commit_callbacks)

    # then
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.rows_done == 12
    page = researcher_client.get(job_urls(job.pk)["page"])
    assert page.status_code == 200
    assert job.checksum.encode() in page.content and job_urls(job.pk)["download"].encode() in page.content
    download = researcher_client.get(job_urls(job.pk)["download"])
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="emigrants-2022-wave-1.csv"'
    assert "no-store" in download["Cache-Control"] and "private" in download["Cache-Control"]
    data = body(download)
    assert hashlib.sha256(data).hexdigest() == job.checksum
    assert data.startswith(b"\xef\xbb\xbf")
    _header, rows = read_csv(data)
    assert sorted(int(row["age"]) for row in rows) == list(range(12))
    assert {row["comment"] for row in rows} == {SECRET_ANSWER}


def test_job_and_download_are_audited_without_answer_values(
    researcher_client, wave, django_capture_on_commit_callbacks
):
    job = create_job(researcher_client, wave, django_capture_on_commit_callbacks)

    researcher_client.get(job_urls(job.pk)["download"])

    entries = ExportAuditEntry.objects.filter(job=job)
    assert sorted(entries.values_list("action", flat=True)) == ["download", "job"]
    assert set(entries.values_list("username", flat=True)) == {"anna"}
    assert all("format=csv" in entry.description for entry in entries)
    assert not any(SECRET_ANSWER in entry.description for entry in ExportAuditEntry.objects.all())


def test_job_page_shows_an_accessible_progress_bar_that_polls_its_status(
    researcher_client, wave, django_capture_on_commit_callbacks
):
    # given: a job still queued (its task not run)
    with django_capture_on_commit_callbacks(execute=False):
        researcher_client.post(export_url(wave), {**EXPORT_FORM, "action": "job"})
    job = ExportJob.objects.get()

    # when
    page = researcher_client.get(job_urls(job.pk)["page"])
    status = researcher_client.get(job_urls(job.pk)["status"])

    # then
    content = page.content.decode()
    assert '<progress id="volna-export-progress"' in content
    for attribute in ('aria-label="Export progress"', 'aria-valuemin="0"', 'aria-valuemax="100"'):
        assert attribute in content
    assert 'aria-valuenow="0"' in content
    assert "admin/volna/progress.js" in content and '<meta http-equiv="refresh"' in content
    assert "<script>" not in content.replace('<script src="', "")  # no inline script (CSP)
    assert status.json() == {
        "status": "queued",
        "status_label": "Queued",
        "progress": 0,
        "rows_done": 0,
        "rows_total": 0,
        "finished": False,
    }
    assert "no-store" in status["Cache-Control"]


def test_another_teams_researcher_gets_404_for_the_job_its_status_and_download(
    researcher_client, wave, django_capture_on_commit_callbacks
):
    job = create_job(researcher_client, wave, django_capture_on_commit_callbacks)
    stranger = make_researcher("boris", GroupFactory(name="team-south"))

    for url in [*job_urls(job.pk).values(), export_url(wave)]:
        assert stranger.get(url).status_code == 404, url
    assert not ExportAuditEntry.objects.filter(username="boris").exists()


def test_a_guessed_job_id_is_404(researcher_client, wave):
    for url in job_urls(uuid.uuid4()).values():
        assert researcher_client.get(url).status_code == 404, url


def test_jobs_list_shows_only_the_users_teams_jobs(
    researcher_client, wave, django_capture_on_commit_callbacks
):
    job = create_job(researcher_client, wave, django_capture_on_commit_callbacks)
    stranger = make_researcher("boris", GroupFactory(name="team-south"))

    own = researcher_client.get(reverse("admin:exports_exportjob_changelist"))
    other = stranger.get(reverse("admin:exports_exportjob_changelist"))

    assert own.status_code == 200 and job.download_name.encode() in own.content
    assert other.status_code == 200 and job.download_name.encode() not in other.content


def test_team_member_without_the_export_permission_gets_403(
    researcher_client, team, wave, django_capture_on_commit_callbacks
):
    job = create_job(researcher_client, wave, django_capture_on_commit_callbacks)
    colleague = make_researcher("vera", team, may_export=False)

    assert colleague.get(job_urls(job.pk)["download"]).status_code == 403
    assert colleague.get(job_urls(job.pk)["page"]).status_code == 403
    assert colleague.get(export_url(wave)).status_code == 403
    assert colleague.post(export_url(wave), {**EXPORT_FORM, "action": "job"}).status_code == 403
    assert not ExportAuditEntry.objects.filter(username="vera").exists()
    wave_page = colleague.get(reverse("admin:surveys_wave_change", args=[wave.pk]))
    assert export_url(wave).encode() not in wave_page.content


def test_superuser_can_download(researcher_client, wave, django_capture_on_commit_callbacks):
    job = create_job(researcher_client, wave, django_capture_on_commit_callbacks)
    root = Client()
    root.force_login(UserFactory(username="root", is_superuser=True))

    response = root.get(job_urls(job.pk)["download"])

    assert response.status_code == 200 and body(response)
    assert ExportAuditEntry.objects.filter(job=job, action="download", username="root").exists()


def test_expired_job_cannot_be_downloaded(researcher_client, wave, django_capture_on_commit_callbacks):
    job = create_job(researcher_client, wave, django_capture_on_commit_callbacks)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    response = researcher_client.get(job_urls(job.pk)["download"])

    assert response.status_code == 410
    assert b"expired" in response.content
    assert not ExportAuditEntry.objects.filter(action="download").exists()


def test_failed_job_cannot_be_downloaded_and_shows_its_error(
    researcher_client, wave, django_capture_on_commit_callbacks
):
    job = create_job(researcher_client, wave, django_capture_on_commit_callbacks)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.FAILED, error="Disk full", file_path="", checksum=""
    )

    download = researcher_client.get(job_urls(job.pk)["download"])
    page = researcher_client.get(job_urls(job.pk)["page"])

    assert download.status_code == 404
    assert b"Disk full" in page.content and b"volna-download" not in page.content
    assert not ExportAuditEntry.objects.filter(action="download").exists()


def test_download_now_streams_a_small_csv_and_audits_it(researcher_client, wave):
    response = researcher_client.post(
        export_url(wave), {**EXPORT_FORM, "action": "stream", "dialect": "semicolon"}
    )

    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="emigrants-2022-wave-1.csv"'
    assert "no-store" in response["Cache-Control"]
    _header, rows = read_csv(body(response), delimiter=";")
    assert sorted(int(row["age"]) for row in rows) == list(range(12))
    entry = ExportAuditEntry.objects.get()
    assert (entry.action, entry.username, entry.job) == ("stream", "anna", None)
    assert SECRET_ANSWER not in entry.description
    assert not ExportJob.objects.exists()


def test_download_now_refuses_other_formats(researcher_client, wave):
    response = researcher_client.post(export_url(wave), {**EXPORT_FORM, "action": "stream", "format": "sav"})

    assert response.status_code == 200
    assert b"Only CSV can be downloaded at once" in response.content
    assert not ExportAuditEntry.objects.exists()


def test_export_form_offers_panel_layouts_for_a_panel_survey(researcher_client, team):
    survey = make_survey(slug="panel-2023", is_panel=True)
    survey.team = team
    survey.save(update_fields=["team"])
    panel_wave = make_wave(survey)

    response = researcher_client.get(export_url(panel_wave))

    assert 'value="panel_long"' in response.content.decode()
    assert 'value="panel_wide"' in response.content.decode()


def test_export_form_refuses_a_panel_layout_for_a_survey_without_panel(researcher_client, wave):
    response = researcher_client.post(
        export_url(wave), {**EXPORT_FORM, "action": "job", "layout": "panel_long"}
    )

    assert response.status_code == 200
    assert not ExportJob.objects.exists()


def test_state_changes_need_post_with_csrf(wave, team):
    client = make_researcher("anna", team)
    client.handler.enforce_csrf_checks = True

    response = client.post(export_url(wave), {**EXPORT_FORM, "action": "job"})

    assert response.status_code == 403
    assert not ExportJob.objects.exists()


def test_anonymous_is_sent_to_login(wave):
    response = Client().get(export_url(wave))

    assert response.status_code == 302 and "/login/" in response["Location"]
