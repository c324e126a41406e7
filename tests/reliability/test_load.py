"""200 respondents at once: every one who saw the thank-you page is in PostgreSQL exactly once."""

from __future__ import annotations

import pytest

from tests.live.checks import database_problems
from tests.live.respondents import run_respondents

pytestmark = pytest.mark.integration

RESPONDENTS = 200


def test_two_hundred_concurrent_respondents_are_each_stored_once(stack):
    wave = stack.new_wave("Load")

    run = run_respondents(port=stack.web_port, slug=wave["slug"], count=RESPONDENTS, seconds=150)

    print(run.summary())
    assert run.violations == [], run.violations[:10]
    assert len(run.thanked) == RESPONDENTS, run.summary()
    assert set(run.statuses) <= {200, 302}, run.summary()
    assert database_problems(stack.postgres, wave["id"], run) == []
    assert stack.postgres.query(
        "SELECT count(*) FROM respondents_response WHERE wave_id = %s AND status = 'completed'", [wave["id"]]
    ) == [(RESPONDENTS,)]
