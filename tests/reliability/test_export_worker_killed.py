"""A Celery worker killed (SIGKILL) in the middle of a large export: the job ends failed, never
"running" for ever, and no partial file is ever served; the next export of the same wave is whole."""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

import pytest

from tests.live.admin import AdminBrowser

pytestmark = pytest.mark.integration

COPIES = 200  # of each completed demo response: 600 × 200 = 120,000 responses
STALE_SECONDS = 5.0  # the reconciler's "no heartbeat for this long" (10 minutes in production)
WAIT_SECONDS = 120


def _fill(stack, wave_id: int) -> int:
    """Copies of the demo wave's completed responses under fresh random IDs, in one statement."""
    stack.postgres.query(
        """
        INSERT INTO respondents_response (id, wave_id, questionnaire_id, language, status, answers,
            current_section, trail, started_on, completed_on, revision)
        SELECT gen_random_uuid(), %s, r.questionnaire_id, r.language, r.status, r.answers,
            r.current_section, r.trail, r.started_on, r.completed_on, r.revision
        FROM respondents_response r
        JOIN surveys_wave w ON w.id = r.wave_id AND w.name = 'Autumn 2023'
        CROSS JOIN generate_series(1, %s)
        WHERE r.status = 'completed'
        """,
        [wave_id, COPIES],
    )
    stack.postgres.query("ANALYZE respondents_response")
    [(count,)] = stack.postgres.query(
        "SELECT count(*) FROM respondents_response WHERE wave_id = %s", [wave_id]
    )
    return count


def _job(stack, job_id: str) -> dict:
    columns = ("status", "rows_done", "temp_path", "file_path", "checksum", "error")
    [row] = stack.postgres.query(
        f"SELECT {', '.join(columns)} FROM exports_exportjob WHERE id = %s", [job_id]
    )
    return dict(zip(columns, row, strict=True))


def _writing(stack, job: dict) -> bool:
    """Whether the job's file has begun to be written under its temporary name."""
    temp = stack.private_root / job["temp_path"] if job["temp_path"] else None
    return temp is not None and temp.is_file() and temp.stat().st_size > 0


def _exports_dir(stack) -> Path:
    return stack.private_root / "exports"


def test_a_worker_killed_mid_export_leaves_a_failed_job_and_no_partial_file(stack):
    wave = stack.new_wave("Large export")
    responses = _fill(stack, wave["id"])
    admin = AdminBrowser(stack.web_port)
    admin.log_in()
    downloads: list[int] = []

    # when: an export is asked for in the admin, and its worker is killed once it is writing
    job_id = admin.export(wave["id"], fmt="sav")
    download = f"/admin/exports/exportjob/{job_id}/download/"
    deadline = time.monotonic() + WAIT_SECONDS
    job = _job(stack, job_id)
    while not (job["status"] == "running" and _writing(stack, job)):
        assert time.monotonic() < deadline and job["status"] in ("queued", "running"), job
        downloads.append(admin.get(download).status)
        job = _job(stack, job_id)
    stack.worker.kill()
    killed = _job(stack, job_id)
    partial = stack.private_root / killed["temp_path"]
    partial_size = partial.stat().st_size

    # then: the job is still "running" with a partial file under its temporary name, never served
    assert killed["status"] == "running", killed
    assert partial.name.startswith("tmp-")
    assert [path.name for path in _exports_dir(stack).iterdir()] == [partial.name]
    downloads.append(admin.get(download).status)
    # the reconciler (every 5 minutes in beat) fails it once its heartbeat is stale
    time.sleep(STALE_SECONDS + 0.5)
    assert json.loads(stack.ops("exports-reconcile", str(STALE_SECONDS))) == 1
    failed = _job(stack, job_id)
    assert failed["status"] == "failed" and "worker stopped" in failed["error"], failed
    assert not partial.exists() and list(_exports_dir(stack).iterdir()) == []
    downloads.append(admin.get(download).status)
    assert set(downloads) == {404}, downloads

    # and: a new worker writes the next export of the same wave in full
    stack.start_worker()
    again = admin.export(wave["id"], fmt="sav")
    deadline = time.monotonic() + WAIT_SECONDS
    while (job := _job(stack, again))["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        assert admin.get(f"/admin/exports/exportjob/{again}/download/").status == 404
        time.sleep(0.2)
    assert job["status"] == "done", job
    served = admin.get(f"/admin/exports/exportjob/{again}/download/")
    assert served.status == 200
    assert hashlib.sha256(served.content).hexdigest() == job["checksum"]
    assert job["rows_done"] == responses
    assert 0 < partial_size < len(served.content)  # the killed job's file was indeed partial
    assert re.search(rb"\$FL2", served.content[:4])  # an SPSS system file from its first bytes
