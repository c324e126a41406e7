"""The restore drill (scripts/restore_drill.py) backs up the test database, restores it into a fresh
one and finds the same responses per wave and status, and the same rows in every table."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import uuid

import psycopg2
import pytest

from respondents import services
from tests.conftest import ROOT, _database_url_for_worker

SCRIPT = ROOT / "scripts" / "restore_drill.py"


def _drill_module():
    spec = importlib.util.spec_from_file_location("restore_drill", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _answer(wave, consent: str, birth_year: str | None) -> None:
    response = services.response_start(wave=wave, language="en", response_id=uuid.uuid4())
    services.response_save_page(
        response_id=response.pk, section_name="start", page_answers={"consent": consent}
    )
    if birth_year is not None:
        services.response_save_page(
            response_id=response.pk, section_name="about", page_answers={"birth_year": int(birth_year)}
        )


def _databases(url: str) -> set[str]:
    drill = _drill_module()
    connection = psycopg2.connect(drill.database_url_with(url, "postgres"))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database")
            return {name for (name,) in cursor.fetchall()}
    finally:
        connection.close()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_restore_drill_finds_every_response_in_the_restored_database(open_wave):
    # given: a wave with completed, screened-out and unfinished responses (committed: pg_dump sees them)
    for year in ("1980", "1990", "2000"):
        _answer(open_wave, "yes", year)
    _answer(open_wave, "no", None)
    _answer(open_wave, "yes", None)
    url = _database_url_for_worker()
    drill_copies = f"{url.rsplit('/', 1)[1]}_restore_drill_"

    # when
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--database-url", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    # then
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every count matches" in done.stdout
    for status, count in (("completed", 3), ("screened_out", 1), ("in_progress", 1)):
        assert re.search(
            rf"^\s+{count}\s+responses: .* wave 1 \(id {open_wave.pk}\), {status}$", done.stdout, re.M
        )
    assert re.search(r"^\s+5\s+rows: public\.respondents_response$", done.stdout, re.M)
    assert re.search(rf"restore into {drill_copies}[0-9a-f]{{8}} in .* \(dropped\)", done.stdout)
    assert not [name for name in _databases(url) if name.startswith(drill_copies)]  # it was dropped


def test_the_drill_reports_every_count_that_differs():
    drill = _drill_module()
    before = {"responses: demo wave 1 (id 1), completed": 600, "rows: public.surveys_wave": 2}
    after = {"responses: demo wave 1 (id 1), completed": 599, "rows: public.exports_exportjob": 0}

    problems = drill.compare(before, after)

    assert problems == [
        "responses: demo wave 1 (id 1), completed: 600 in the source, 599 restored",
        "rows: public.exports_exportjob: missing in the source, 0 restored",
        "rows: public.surveys_wave: 2 in the source, missing restored",
    ]
