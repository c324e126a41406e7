"""The harness's log of respondents against what PostgreSQL holds: nothing lost, nothing doubled."""

from __future__ import annotations

from typing import Any

from tests.live.respondents import Run
from tests.live.servers import PrivatePostgres

HIDDEN = {"csrfmiddlewaretoken", "volna_section", "volna_shown", "volna_response", "volna_action", "website"}


def wave_rows(postgres: PrivatePostgres, wave_id: int) -> list[dict[str, Any]]:
    rows = postgres.query(
        "SELECT id::text, status, answers, trail FROM respondents_response WHERE wave_id = %s", [wave_id]
    )
    return [
        {"id": id_, "status": status, "answers": answers, "trail": trail}
        for id_, status, answers, trail in rows
    ]


def _matches(stored: Any, posted: str) -> bool:
    if isinstance(stored, list):
        return stored == [posted]
    return str(stored) == posted


def database_problems(postgres: PrivatePostgres, wave_id: int, run: Run) -> list[str]:
    """Every respondent who saw the thank-you page has exactly one row, completed, holding what it sent
    (found by its marker, and under the ID of its cookie); and the wave holds no row nobody started."""
    rows = wave_rows(postgres, wave_id)
    problems = []
    started = {outcome.response_id for outcome in run.outcomes if outcome.response_id}
    strangers = [row["id"] for row in rows if row["id"] not in started]
    if strangers:
        problems.append(f"{len(strangers)} rows that no respondent started, e.g. {strangers[:3]}")
    for outcome in run.thanked:
        mine = [row for row in rows if outcome.marker in row["answers"].values()]
        if len(mine) != 1:
            problems.append(f"respondent {outcome.index}: {len(mine)} rows hold its marker")
            continue
        row = mine[0]
        if row["id"] != outcome.response_id:
            problems.append(f"respondent {outcome.index}: its row is not the response of its cookie")
        if row["status"] != "completed" or row["trail"] != outcome.sections:
            problems.append(
                f"respondent {outcome.index}: {row['status']}, pages {row['trail']} (sent {outcome.sections})"
            )
        posted = {
            name: value
            for fields in outcome.posted.values()
            for name, value in fields.items()
            if name not in HIDDEN
        }
        wrong = {
            name
            for name, value in row["answers"].items()
            if name in posted and not _matches(value, posted[name])
        }
        if wrong or "comment" not in row["answers"]:
            problems.append(f"respondent {outcome.index}: answers differ from what it sent: {sorted(wrong)}")
    return problems
