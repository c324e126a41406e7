"""Export jobs: lifecycle, failure, reconciler, expiry, idempotence, permissions, audit, a real worker."""

from __future__ import annotations

import hashlib
import os
import re
import resource
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from exports.models import ExportAuditEntry, ExportJob
from exports.progress import JobProgress
from exports.services import (
    export_files_expire,
    export_job_create,
    export_job_download,
    export_job_run,
    export_jobs_reconcile,
)
from respondents.models import Response
from tests.exports.builders import add_response, make_survey, make_wave, read_csv
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SECRET_ANSWER = "my very private answer"


@pytest.fixture
def private_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def wave():
    wave = make_wave(make_survey())
    for age in range(25):
        add_response(wave, {"age": age, "comment": SECRET_ANSWER})
    add_response(wave, {"age": 99}, status=Response.Status.IN_PROGRESS)
    return wave


def create_job(wave, django_capture_on_commit_callbacks, *, execute=True, **fields) -> ExportJob:
    fields = {"format": "csv", "options": {"values": "labels", "language": "ru"}, "user": None, **fields}
    fields.setdefault("waves", [wave])
    with django_capture_on_commit_callbacks(execute=execute):
        job = export_job_create(survey=wave.survey, **fields)
    job.refresh_from_db()
    return job


def test_job_runs_from_queued_to_done_with_a_random_file_and_its_checksum(
    wave, private_root, django_capture_on_commit_callbacks
):
    job = create_job(wave, django_capture_on_commit_callbacks)

    assert job.status == ExportJob.Status.DONE
    assert (job.progress, job.rows_total, job.rows_done) == (100, 25, 25)
    assert re.fullmatch(r"exports/[0-9a-f]{32}\.csv", job.file_path)
    data = (private_root / job.file_path).read_bytes()
    assert job.checksum == hashlib.sha256(data).hexdigest() and job.size == len(data)
    assert job.download_name == "emigrants-2022-wave-1.csv"
    assert job.started_at <= job.finished_at and job.expires_at > timezone.now() + timedelta(days=6)
    assert os.listdir(private_root / "exports") == [Path(job.file_path).name]  # no temp file left
    _header, rows = read_csv(data)
    assert sorted(int(row["age"]) for row in rows) == list(range(25))


def test_create_enqueues_after_commit_and_audits_without_answer_values(
    wave, private_root, django_capture_on_commit_callbacks
):
    user = UserFactory(username="analyst")

    job = create_job(wave, django_capture_on_commit_callbacks, execute=False, user=user)

    assert job.status == ExportJob.Status.QUEUED
    entry = ExportAuditEntry.objects.get()
    assert (entry.user, entry.username, entry.action, entry.job, entry.survey) == (
        user,
        "analyst",
        "job",
        job,
        wave.survey,
    )
    assert "format=csv" in entry.description and "language=ru" in entry.description
    assert SECRET_ANSWER not in entry.description


def test_running_a_finished_job_again_does_nothing(wave, private_root, django_capture_on_commit_callbacks):
    job = create_job(wave, django_capture_on_commit_callbacks)
    before = (job.file_path, job.checksum, job.finished_at)

    assert export_job_run(job_id=job.pk) is None

    job.refresh_from_db()
    assert (job.status, job.file_path, job.checksum, job.finished_at) == (ExportJob.Status.DONE, *before)
    assert len(os.listdir(private_root / "exports")) == 1


def test_a_write_error_fails_the_job_and_leaves_no_file(
    wave, private_root, django_capture_on_commit_callbacks
):
    for _ in range(10):
        add_response(wave, {"comment": "x" * 32 * 1024})
    job = create_job(wave, django_capture_on_commit_callbacks, execute=False)
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)

    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, limits[1]))  # the disk "fills up" mid-file
    try:
        export_job_run(job_id=job.pk)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)

    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert job.error == "OSError"  # the type only: an exception's text could quote an answer
    assert (job.file_path, job.checksum, job.temp_path) == ("", "", "")
    assert os.listdir(private_root / "exports") == []


def test_invalid_stored_options_fail_the_job(wave, private_root, django_capture_on_commit_callbacks):
    job = create_job(wave, django_capture_on_commit_callbacks, execute=False)
    ExportJob.objects.filter(pk=job.pk).update(options={"values": "emoji"})

    export_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and job.file_path == ""
    assert job.error.startswith("Invalid export options: values must be one of codes, labels")


def test_reconciler_fails_a_stale_running_job_and_deletes_its_temp_file(
    wave, private_root, django_capture_on_commit_callbacks
):
    stale = create_job(wave, django_capture_on_commit_callbacks, execute=False)
    alive = create_job(wave, django_capture_on_commit_callbacks, execute=False)
    never_started = create_job(wave, django_capture_on_commit_callbacks, execute=False)
    (private_root / "exports").mkdir()
    (private_root / "exports/tmp-stale").write_bytes(b"half a file")
    now = timezone.now()
    ExportJob.objects.filter(pk=stale.pk).update(
        status="running", temp_path="exports/tmp-stale", heartbeat_at=now - timedelta(minutes=11)
    )
    ExportJob.objects.filter(pk=alive.pk).update(status="running", heartbeat_at=now - timedelta(minutes=1))
    ExportJob.objects.filter(pk=never_started.pk).update(created_at=now - timedelta(hours=2))

    assert export_jobs_reconcile() == 2

    stale.refresh_from_db(), alive.refresh_from_db(), never_started.refresh_from_db()
    assert stale.status == ExportJob.Status.FAILED and "worker stopped" in stale.error
    assert not (private_root / "exports/tmp-stale").exists()
    assert alive.status == ExportJob.Status.RUNNING
    assert never_started.status == ExportJob.Status.FAILED and "never started" in never_started.error


def test_expiry_deletes_old_files_and_stray_temp_files(
    wave, private_root, django_capture_on_commit_callbacks
):
    old = create_job(wave, django_capture_on_commit_callbacks)
    recent = create_job(wave, django_capture_on_commit_callbacks)
    ExportJob.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    stray = private_root / "exports/tmp-from-a-killed-worker"
    stray.write_bytes(b"partial")
    two_days_ago = time.time() - 2 * 86400
    os.utime(stray, (two_days_ago, two_days_ago))
    old_file = private_root / old.file_path

    assert export_files_expire() == 1

    old.refresh_from_db(), recent.refresh_from_db()
    assert (old.status, old.file_path) == (ExportJob.Status.EXPIRED, "")
    assert not old_file.exists() and not stray.exists()
    assert recent.status == ExportJob.Status.DONE and (private_root / recent.file_path).exists()


def test_create_refuses_foreign_waves_panel_layouts_and_unknown_languages(
    wave, django_capture_on_commit_callbacks
):
    other_wave = make_wave(make_survey(slug="other"))

    with pytest.raises(ValidationError):
        create_job(wave, django_capture_on_commit_callbacks, waves=[wave, other_wave])
    with pytest.raises(ValidationError):
        create_job(wave, django_capture_on_commit_callbacks, layout="panel_long")
    with pytest.raises(ValidationError):
        create_job(wave, django_capture_on_commit_callbacks, options={"values": "labels", "language": "de"})
    assert not ExportJob.objects.exists() and not ExportAuditEntry.objects.exists()


def test_download_needs_the_permission_and_the_survey_team(
    wave, private_root, django_capture_on_commit_callbacks
):
    job = create_job(wave, django_capture_on_commit_callbacks)
    permission = Permission.objects.get(codename="export_responses")
    member, outsider, unprivileged = (UserFactory(username=name) for name in ("member", "outsider", "plain"))
    member.groups.add(wave.survey.team)
    unprivileged.groups.add(wave.survey.team)
    member.user_permissions.add(permission)
    outsider.user_permissions.add(permission)

    path, name = export_job_download(user=member, job_id=job.pk)

    assert path.read_bytes()[:3] == b"\xef\xbb\xbf" and name == "emigrants-2022-wave-1.csv"
    assert ExportAuditEntry.objects.filter(action="download", user=member, job=job).exists()
    for user, job_id in (
        (outsider, job.pk),
        (unprivileged, job.pk),
        (member, "00000000-guess"),
        (member, None),
    ):
        with pytest.raises(PermissionDenied):
            export_job_download(user=user, job_id=job_id)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_the_file(celery_worker_process, settings):
    wave = make_wave(make_survey(slug="worker-test"))
    for age in range(30):
        add_response(wave, {"age": age, "country": "GE"})

    job = export_job_create(
        survey=wave.survey,
        waves=[wave],
        format="csv",
        options={"values": "labels", "language": "ru"},
        user=None,
    )
    deadline = time.monotonic() + 60
    while job.status not in (ExportJob.Status.DONE, ExportJob.Status.FAILED) and time.monotonic() < deadline:
        time.sleep(0.2)
        job.refresh_from_db()

    assert job.status == ExportJob.Status.DONE, job.error
    path = Path(settings.MEDIA_ROOT) / job.file_path  # the worker's private root: same settings
    try:
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == job.checksum
        _header, rows = read_csv(data)
        assert sorted(int(row["age"]) for row in rows) == list(range(30))
        assert {row["country"] for row in rows} == {"Грузия"}
    finally:
        path.unlink(missing_ok=True)


@pytest.mark.django_db(transaction=True)
def test_progress_and_heartbeat_are_saved_while_the_file_is_written(wave):
    job = ExportJob.objects.create(survey=wave.survey, format="csv", status="running")
    long_ago = timezone.now() - timedelta(hours=1)
    ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=long_ago)

    with JobProgress(job.pk, rows_total=200, interval=0.05) as progress:
        progress(150)
        deadline = time.monotonic() + 10
        while ExportJob.objects.get(pk=job.pk).rows_done != 150 and time.monotonic() < deadline:
            time.sleep(0.05)
        progress(200)  # every row written, but the file is not in place yet

    job.refresh_from_db()
    assert job.rows_done in (150, 200) and job.progress in (75, 99)
    assert job.heartbeat_at > long_ago
    assert JobProgress(job.pk, rows_total=200).percent == 0
