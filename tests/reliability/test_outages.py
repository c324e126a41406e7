"""Respondents keep answering through a PostgreSQL restart and a Redis outage; nothing is lost.

PostgreSQL restarting makes in-flight requests fail with 503 (never a 200 or 302 without a commit),
the harness presses Next again, and gunicorn recovers by itself (CONN_HEALTH_CHECKS). With Redis
down for the whole run every respondent still completes; the dashboard's figures catch up once
Redis is back.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.live.checks import database_problems
from tests.live.respondents import run_respondents

pytestmark = pytest.mark.integration

RESPONDENTS = 200
PAGES = 4  # of the demo survey, for a respondent who consents
DOWN_SECONDS = 1.5
RECOVERY_SECONDS = 2.0
CATCH_UP_SECONDS = 90


def _gunicorn_processes(stack) -> set[int]:
    return {stack.web.pid, *stack.web.children()}


def test_postgres_restarted_twice_mid_run_loses_nothing(stack):
    wave = stack.new_wave("PostgreSQL restarts")
    processes = _gunicorn_processes(stack)
    restarts: list[tuple[str, int, float, float]] = []  # mode, pages accepted before, down, up

    def restart_twice(outcomes) -> None:
        """Restart PostgreSQL once a fifth of the pages are in, and again at three fifths."""
        pages = len(outcomes) * PAGES
        for share, mode in ((0.2, "fast"), (0.6, "immediate")):
            while sum(len(outcome.sections) for outcome in outcomes) < share * pages:
                if time.monotonic() > began + 90:
                    raise TimeoutError(f"respondents never got {share:.0%} of the way")
                time.sleep(0.05)
            accepted = sum(len(outcome.sections) for outcome in outcomes)
            down = time.monotonic()
            stack.postgres.restart(mode=mode, down_seconds=DOWN_SECONDS)
            restarts.append((mode, accepted, down, time.monotonic()))

    began = time.monotonic()
    run = run_respondents(
        port=stack.web_port, slug=wave["slug"], count=RESPONDENTS, seconds=150, during=restart_twice
    )

    # how long after PostgreSQL was up again did a 503 still come (0 if none did)
    after_up = [
        at - max(up for _m, _a, _d, up in restarts if up <= at)
        for outcome in run.outcomes
        for at in outcome.unavailable
        if not any(down <= at <= up for _m, _a, down, up in restarts) and at > restarts[0][3]
    ]
    recovery = max([0.0, *after_up])
    print(run.summary(), [(mode, accepted) for mode, accepted, *_times in restarts])
    print(f"503s: {len(after_up)} after PostgreSQL was up again, the last {recovery:.2f} s after")
    assert [accepted < RESPONDENTS * PAGES for _mode, accepted, *_times in restarts] == [True, True]
    assert recovery < RECOVERY_SECONDS  # 503s stop once PostgreSQL is back: no connection stays broken
    assert run.statuses[503] > 0, "in-flight requests must have met the restarts"
    assert set(run.statuses) <= {200, 302, 503}, run.summary()
    assert run.violations == [], run.violations[:10]  # no page accepted without its commit
    assert len(run.thanked) == RESPONDENTS, run.summary()
    assert database_problems(stack.postgres, wave["id"], run) == []
    assert _gunicorn_processes(stack) == processes, "gunicorn recovered without restarting a process"
    assert "Traceback" not in stack.web.log_text()


def _snapshot(stack, wave_id: int) -> tuple[str, int, int] | None:
    rows = stack.postgres.query(
        "SELECT status, source_count, responses FROM exports_aggregatesnapshot "
        "WHERE wave_id = %s ORDER BY created_at DESC LIMIT 1",
        [wave_id],
    )
    return rows[0] if rows else None


def test_redis_down_for_the_whole_run_then_figures_catch_up(stack):
    wave = stack.new_wave("Redis outage")
    stack.redis.stop()
    try:
        run = run_respondents(port=stack.web_port, slug=wave["slug"], count=RESPONDENTS, seconds=150)
        beat_during_outage = json.loads(stack.ops("aggregate-beat"))
        stored = _snapshot(stack, wave["id"])
    finally:
        stack.redis.start()
    back = time.monotonic()

    print(run.summary())
    assert run.violations == [], run.violations[:10]
    assert len(run.thanked) == RESPONDENTS, run.summary()
    assert set(run.statuses) <= {200, 302}, run.summary()
    assert database_problems(stack.postgres, wave["id"], run) == []
    assert beat_during_outage == 0  # nothing could be queued...
    assert stored is None or stored[0] == "failed"  # ...and nothing claims to be computing
    # the beat after Redis returns: the worker reconnects and the wave's figures are computed
    deadline = back + CATCH_UP_SECONDS
    snapshot = None
    while time.monotonic() < deadline and not (snapshot and snapshot[0] == "done"):
        if not json.loads(stack.ops("aggregate-beat")):
            time.sleep(1)
            continue
        while time.monotonic() < deadline:
            snapshot = _snapshot(stack, wave["id"])
            if snapshot and snapshot[0] in ("done", "failed"):
                break
            time.sleep(0.5)
    caught_up = time.monotonic() - back
    print(f"figures caught up {caught_up:.1f} s after Redis returned: {snapshot}")
    assert snapshot is not None and snapshot[0] == "done", (snapshot, stack.worker.log_text()[-3000:])
    assert snapshot[1] == RESPONDENTS  # computed from every response stored during the outage
    assert snapshot[2] == RESPONDENTS
