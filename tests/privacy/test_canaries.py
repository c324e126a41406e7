"""Anonymity audit: respondents with a canary address, agent and referrer leave no trace of them.

Fifty respondents complete the demo survey one after another, connecting from a canary address
(REMOTE_ADDR), behind a "proxy" that forwards another (X-Forwarded-For), with a canary user agent and
referrer; a few also send a canary in a query string and a guessed invitation token. A researcher
with the same headers exports the wave in every format, and the figures are computed. Then the whole
database (``pg_dump``), every log the stack wrote (gunicorn and Django at DEBUG level, the Celery
worker, PostgreSQL logging every statement, Redis), every message and cache command that went
through Redis (captured with MONITOR, task bodies decoded) and every exported file are searched:
no canary may appear anywhere. The respondents' own answers, searched the same way, are found: the
search would see a canary if one were there.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.live.admin import AdminBrowser
from tests.live.respondents import run_respondents
from tests.live.servers import LOOPBACK, Stack

pytestmark = pytest.mark.integration

RESPONDENTS = 50  # one after another: submission order is known
CANARY_FORWARDED = "203.0.113.77"  # X-Forwarded-For (RFC 5737 documentation range)
CANARY_PEER = "127.203.113.77"  # REMOTE_ADDR: respondents connect from this loopback address
CANARY_AGENT = "CanaryAgent/7.7 (volna-canary-agent-31d4)"
CANARY_REFERRER = "https://canary-referrer.example/volna-canary-referrer-31d4"
CANARY_QUERY = "volna-canary-query-31d4"
CANARY_TOKEN = "volnaCanaryToken31d4xxxxxxxxxxxx"
HEADERS = {
    "X-Forwarded-For": CANARY_FORWARDED,
    "User-Agent": CANARY_AGENT,
    "Referer": CANARY_REFERRER,
    "Accept-Language": "ru,en;q=0.5",
}
SEARCHED = {
    "forwarded address": CANARY_FORWARDED,
    "forwarded address's network": "203.0.113.",
    "peer address": CANARY_PEER,
    "peer address's network": "127.203.113.",
    "user agent": "volna-canary-agent-31d4",
    "referrer host": "canary-referrer.example",
    "referrer path": "volna-canary-referrer-31d4",
    "query string": CANARY_QUERY,
    "invitation token": CANARY_TOKEN,
}
FORMATS = ("csv", "sav", "dta", "codebook_csv", "codebook_html")
WAIT_SECONDS = 90


@dataclass
class Audit:
    wave_id: int
    markers_in_order: list[str]  # the free-text marker of each respondent, in submission order
    response_ids: list[str]
    job_ids: list[str]
    download_names: list[str]  # Content-Disposition of each export
    stored_files: list[str]  # names of the files in the private root
    artifacts: dict[str, bytes]  # what was searched, by name
    messages: list[dict]  # Celery messages seen on the broker, bodies decoded
    csv_rows: list[dict[str, str]]


def _monitor(stack: Stack, out: Path) -> subprocess.Popen:
    """Every command Redis receives from now on, as ``redis-cli monitor`` prints it."""
    with out.open("wb") as capture:
        process = subprocess.Popen(
            ["redis-cli", "-h", LOOPBACK, "-p", str(stack.redis.port), "monitor"], stdout=capture
        )
    deadline = time.monotonic() + 10
    while out.stat().st_size == 0:  # "OK" once MONITOR is on
        assert time.monotonic() < deadline, "redis-cli monitor did not start"
        time.sleep(0.05)
    return process


def _unquote(argument: str) -> bytes:
    """One argument as redis-cli prints it (``\\"``, ``\\\\``, ``\\n``, ``\\xhh`` escapes) → its bytes."""
    simple = {"n": b"\n", "r": b"\r", "t": b"\t", "a": b"\a", "b": b"\b", '"': b'"', "\\": b"\\"}
    out, index = bytearray(), 0
    while index < len(argument):
        char = argument[index]
        if char == "\\" and argument[index + 1] == "x":
            out.append(int(argument[index + 2 : index + 4], 16))
            index += 4
        elif char == "\\":
            out += simple.get(argument[index + 1], argument[index + 1].encode())
            index += 2
        else:
            out += char.encode()
            index += 1
    return bytes(out)


def _broker_messages(capture: str) -> tuple[list[dict], bytes]:
    """The Celery messages pushed to Redis, with their bodies decoded, and all the decoded bodies."""
    messages, decoded = [], bytearray()
    for argument in re.findall(r'"((?:[^"\\]|\\.)*)"', capture):
        raw = _unquote(argument)
        if not raw.startswith(b"{"):
            continue
        try:
            envelope = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(envelope, dict) or "body" not in envelope:
            continue
        body = envelope["body"]
        if envelope.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body).decode("utf-8", errors="replace")
        envelope["decoded_body"] = body
        messages.append(envelope)
        decoded += body.encode() + b"\n"
    return messages, bytes(decoded)


def _wait_done(stack: Stack, job_ids: list[str]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        rows = stack.postgres.query(
            "SELECT id::text, status, error FROM exports_exportjob WHERE id::text = ANY(%s)", [job_ids]
        )
        if all(status in ("done", "failed") for _id, status, _error in rows):
            assert {status for _id, status, _error in rows} == {"done"}, rows
            return
        assert time.monotonic() < deadline, rows
        time.sleep(0.3)


def _unusual_requests(stack: Stack, slug: str) -> None:
    """What else a respondent's browser may send: a query string, a guessed token, a hostile POST."""
    browser = AdminBrowser(stack.web_port, HEADERS, source=CANARY_PEER)
    assert browser.get(f"/s/{slug}/?lang=en&utm_source={CANARY_QUERY}").status == 200
    assert browser.get(f"/i/{CANARY_TOKEN}/?ref={CANARY_QUERY}").status in (404, 410)
    assert browser.get(f"/s/no-such-wave/?q={CANARY_QUERY}").status == 404
    assert browser.post(f"/s/{slug}/page/", {"volna_section": CANARY_QUERY}).status < 500


@pytest.fixture(scope="module")
def audit(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Audit:
    work = tmp_path_factory.mktemp("audit")
    capture_path = work / "redis-monitor.txt"
    monitor = _monitor(stack, capture_path)
    try:
        wave = stack.new_wave("Audit")
        run = run_respondents(
            port=stack.web_port,
            slug=wave["slug"],
            count=RESPONDENTS,
            concurrency=1,
            headers=HEADERS,
            source=CANARY_PEER,
        )
        assert run.violations == [] and len(run.thanked) == RESPONDENTS, run.summary()
        _unusual_requests(stack, wave["slug"])
        # a researcher, from the same address and browser, exports the wave in every format
        researcher = AdminBrowser(stack.web_port, HEADERS, source=CANARY_PEER)
        researcher.log_in()
        jobs = [researcher.export(wave["id"], fmt=fmt) for fmt in FORMATS]
        _wait_done(stack, jobs)
        downloads = {
            fmt: researcher.get(f"/admin/exports/exportjob/{job}/download/")
            for fmt, job in zip(FORMATS, jobs, strict=True)
        }
        files = {f"export.{fmt}": download.content for fmt, download in downloads.items()}
        # the live dashboard's figures, computed by the worker as the beat would ask
        assert json.loads(stack.ops("aggregate-beat")) >= 1
        _wait_figures(stack, wave["id"])
    finally:
        monitor.terminate()
        monitor.wait(timeout=10)
    dump = work / "database.sql"
    stack.postgres.dump(dump)
    capture = capture_path.read_text(errors="replace")
    messages, bodies = _broker_messages(capture)
    artifacts = {
        "pg_dump": dump.read_bytes(),
        "redis MONITOR": capture.encode(),
        "Celery message bodies": bodies,
        **{f"log {name}": text.encode() for name, text in stack.logs().items()},
        "log postgres": stack.postgres.log.read_bytes(),
        **files,
        **{
            f"private root {path.name}": path.read_bytes()
            for path in stack.private_root.rglob("*")
            if path.is_file()
        },
    }
    rows = list(csv.DictReader(io.StringIO(files["export.csv"].decode("utf-8-sig"))))
    return Audit(
        wave_id=wave["id"],
        markers_in_order=[outcome.marker for outcome in run.outcomes],
        response_ids=[outcome.response_id for outcome in run.outcomes],
        job_ids=jobs,
        download_names=[download.headers.get("content-disposition", "") for download in downloads.values()],
        stored_files=[path.name for path in stack.private_root.rglob("*") if path.is_file()],
        artifacts=artifacts,
        messages=messages,
        csv_rows=rows,
    )


def _wait_figures(stack: Stack, wave_id: int) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        rows = stack.postgres.query(
            "SELECT status FROM exports_aggregatesnapshot WHERE wave_id = %s "
            "ORDER BY created_at DESC LIMIT 1",
            [wave_id],
        )
        if rows and rows[0][0] in ("done", "failed"):
            assert rows[0][0] == "done"
            return
        assert time.monotonic() < deadline, rows
        time.sleep(0.3)


def test_no_canary_anywhere_in_database_logs_broker_or_exports(audit: Audit):
    hits = [
        f"{what} in {name}"
        for name, content in audit.artifacts.items()
        for what, canary in SEARCHED.items()
        if canary.lower().encode() in content.lower()
    ]

    assert hits == [], hits
    # the search sees what is there: the answers typed are in the dump, the CSV and the DEBUG log...
    marker = audit.markers_in_order[0].encode()
    assert marker in audit.artifacts["pg_dump"] and marker in audit.artifacts["export.csv"]
    assert b"/page/" in audit.artifacts["log gunicorn.log"]  # the access log was written
    # ...and the broker's messages were captured and decoded (export and aggregation tasks, by ID)
    tasks = {message.get("headers", {}).get("task") for message in audit.messages}
    assert {"exports.tasks.export_job_task", "exports.tasks.aggregate_wave_task"} <= tasks
    assert all(job.encode() in audit.artifacts["Celery message bodies"] for job in audit.job_ids)


def test_the_exports_follow_random_ids_not_submission_order(audit: Audit):
    position = {marker: index for index, marker in enumerate(audit.markers_in_order)}
    rows = [row for row in audit.csv_rows if row.get("comment") in position]

    exported_order = [position[row["comment"]] for row in rows]
    ids = [row["response_id"] for row in rows]

    assert len(rows) == RESPONDENTS
    assert ids == sorted(ids)  # sorted by response ID...
    assert all(uuid.UUID(value).version == 4 for value in ids)  # ...which are random (UUID4)
    assert set(ids) == set(audit.response_ids)
    # Spearman's rank correlation of export position with submission order: ~0 for a random order
    # (standard deviation 1/sqrt(49) ≈ 0.14 for 50 rows; 0.6 is more than four of them)
    n = len(exported_order)
    rho = 1 - 6 * sum((rank - order) ** 2 for rank, order in enumerate(exported_order)) / (n * (n * n - 1))
    assert abs(rho) < 0.6, f"rank correlation of export order with submission order: {rho:+.3f}"
    # and no column of the export records a time: dates only, as the survey's precision says
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}|", row["completed_on"]) for row in rows)


def test_no_name_or_id_outside_the_data_tells_when_or_in_which_order(audit: Audit):
    # files are stored under random names, offered under the wave's name: no time, no counter
    assert len(audit.stored_files) == len(FORMATS)
    for name in audit.stored_files:
        stem, _extension = name.split(".")
        assert uuid.UUID(stem).version == 4, name
    for disposition in audit.download_names:
        assert re.fullmatch(
            r'attachment; filename="emigrants-2022-wave-\d+(-codebook)?\.(csv|sav|dta|html)"', disposition
        )
    # Celery task IDs are random too (a task ID could otherwise date the work it carries)
    task_ids = [message["headers"]["id"] for message in audit.messages if "id" in message.get("headers", {})]
    assert task_ids and all(uuid.UUID(task_id).version == 4 for task_id in task_ids)
