"""Aggregate a wave: count its responses (in SQL on PostgreSQL), fold in what is new, build the figures.

``wave_aggregate(wave, spec, previous_state=…)`` returns the figures document (suppressed), the raw
counts to keep for next time (``state``) and the number of responses counted. It reads the wave's
questionnaire snapshot (one wave, one version) and never the editing tables or the analysis plan.

**Folding in new responses.** Responses carry no timestamps, only coarse dates, so what is new cannot
be asked for directly. What can: a finished response (completed or screened out) whose
``completed_on`` is before today does not change any more. The state keeps the counts of those rows
per ``completed_on`` day together with each day's number of rows, and their sum. The next run counts
finished rows per day (one cheap query that does not read ``answers``); a day whose count matches is
reused, and only the rest is read again: days whose count differs or that are new, today, rows
without a date and rows in progress. The sum is updated by the days that changed, and the figures
are rebuilt from it, so a folded aggregate equals a full recomputation (a test checks it). A
deletion and an insertion on the same past day between two runs would go unseen (the count is the
same); the app never moves a response to a past day. Any change of questionnaire, breakdowns or
weighting variables (``state["key"]``) recounts everything; so does a survey that keeps no dates.

Number values (for medians and quartiles) are kept as value → count maps for all past days together,
not per day: a decimal question has about as many distinct values as answers, so per-day maps would
make the state as large as the wave. New days are added to that map; when a day already counted
changes, the numbers of all past days are counted again (a second pass that reads only them).

``state`` (JSON, kept by the caller and handed back next time)::

    {"key": {"format", "wave", "questionnaire", "plan"},
     "days": {"YYYY-MM-DD": {"rows": n, "tally": '{"keys": [[…], …], "counts": […]}'}},  # JSON text
     "sealed": {"keys": …, "counts": …},          # the sum of the days
     "values": {variable: {"values": […], "counts": […]}}}   # numbers of the past days

(tally keys: ``exports.aggregation.tally``).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from django.db import connection
from django.db.models import Case, Count, F, Q, When
from django.utils import timezone

from exports.aggregation.catalogue import Catalogue, catalogue_of
from exports.aggregation.figures import Meta, build_figures, usable_margins
from exports.aggregation.spec import AnalysisSpec
from exports.aggregation.tally import (
    FINISHED,
    LIVE,
    SEALED,
    CountPlan,
    Counts,
    Key,
    Kind,
    Scope,
    count_python,
    tally_from_json,
    tally_to_json,
    values_from_json,
    values_to_json,
)
from exports.aggregation.totals import Totals
from respondents.models import Response
from respondents.snapshots import snapshot_of
from surveys.models import Wave

STATE_FORMAT = 1
Progress = Callable[[int], None]


@dataclass
class Aggregate:
    """What ``wave_aggregate`` computed."""

    figures: dict[str, Any]  # the contract's document, suppression applied
    state: dict[str, Any]  # raw additive counts (JSON) for folding in new responses next time
    responses: int  # every response of the wave the figures count


def usable_breakdowns(catalogue: Catalogue, spec: AnalysisSpec) -> tuple[str, ...]:
    """Breakdowns that are single-code questions of this version (a survey's plan may name others)."""
    usable = [
        name for name in spec.breakdowns if (v := catalogue.select(name)) is not None and not v.multiple
    ]
    return tuple(dict.fromkeys(usable))


def day_rows(wave: Wave, today: datetime.date) -> tuple[dict[str, int], int]:
    """Finished responses per past ``completed_on`` day, and all responses (one query, no answers)."""
    sealed = Q(status__in=FINISHED, completed_on__lt=today)
    rows = (
        Response.objects.filter(wave=wave)
        .order_by()
        .values_list(Case(When(sealed, then=F("completed_on"))))
        .annotate(rows=Count("pk"))
    )
    days = {day.isoformat(): count for day, count in rows if day is not None}
    return days, sum(count for _day, count in rows)


def _state_key(wave: Wave, plan: CountPlan) -> dict[str, Any]:
    digest = hashlib.sha256(json.dumps(asdict(plan), sort_keys=True).encode()).hexdigest()[:16]
    return {"format": STATE_FORMAT, "wave": wave.pk, "questionnaire": wave.questionnaire_id, "plan": digest}


@dataclass(frozen=True)
class _Fold:
    reused: dict[str, dict[str, Any]]  # day → its state entry, still valid
    dropped: dict[str, dict[str, Any]]  # day → its state entry, to be taken out of the sums

    @property
    def numbers_stale(self) -> bool:
        """A day counted before changed: its number values cannot be taken out of the map."""
        return bool(self.dropped)


def _fold(previous: dict[str, Any] | None, key: dict[str, Any], days: dict[str, int]) -> _Fold:
    if not previous or previous.get("key") != key:
        return _Fold({}, {})
    kept = previous.get("days", {})
    reused = {day: entry for day, entry in kept.items() if days.get(day) == entry.get("rows")}
    return _Fold(reused, {day: entry for day, entry in kept.items() if day not in reused})


def _count(
    engine: str,
    wave: Wave,
    plan: CountPlan,
    scope: Scope,
    progress: Callable[[float], None],
    days: int,
    rows: int,
) -> Counts:
    if engine == "sql":
        from exports.aggregation.tally_sql import count_sql

        return count_sql(wave.pk, plan, scope, progress, days=days, rows=rows)
    return count_python(wave, plan, scope, progress)


def _rows(tally: Counter[Key]) -> int:
    return sum(count for key, count in tally.items() if key[1] == Kind.ROW)


@dataclass
class _Counted:
    """What one run counted, with the previous state folded in."""

    state: dict[str, Any]  # JSON, for next time
    sealed: Counter[Key]  # the sum of the past days' tallies
    values: dict[str, Counter[float | None]]  # the past days' number values


def _sealed_values(
    engine: str, wave: Wave, plan: CountPlan, today: datetime.date, fold: _Fold, previous: dict[str, Any]
) -> dict[str, Counter[float | None]]:
    """The number values of the reused days: from the state, or counted again when a day changed."""
    if not fold.reused or not plan.numbers:
        return {}
    if not fold.numbers_stale:
        return values_from_json(previous.get("values", {}))
    days = tuple(datetime.date.fromisoformat(day) for day in fold.reused)
    rows = sum(entry["rows"] for entry in fold.reused.values())
    scope = Scope(today, only_days=days)
    recount = _count(engine, wave, plan.numbers_only(), scope, lambda f: None, len(days), rows)
    return recount.values.get(SEALED, {})


def _count_state(
    wave: Wave, plan: CountPlan, today: datetime.date, previous: dict[str, Any] | None, engine: str, report
) -> tuple[_Counted, Counts]:
    """What the state holds after this run, and the live counts (not kept in the state)."""
    key = _state_key(wave, plan)
    days_found, everyone = day_rows(wave, today)
    fold = _fold(previous, key, days_found)
    reused_days = tuple(datetime.date.fromisoformat(day) for day in fold.reused)
    new_days = len(days_found) - len(reused_days) + 1
    rows = everyone - sum(entry["rows"] for entry in fold.reused.values())
    scope = Scope(today, skip_days=reused_days)
    counts = _count(engine, wave, plan, scope, lambda f: report(5 + 80 * f), new_days, rows)
    values = counts.values.get(SEALED, {})
    for name, counted in _sealed_values(engine, wave, plan, today, fold, previous or {}).items():
        values.setdefault(name, Counter()).update(counted)
    # the sum of the past days is kept too, so that folding reads only the days that changed
    sealed = tally_from_json(previous["sealed"]) if previous and (fold.reused or fold.dropped) else Counter()
    for entry in fold.dropped.values():
        sealed.subtract(tally_from_json(json.loads(entry["tally"])))
    days = dict(fold.reused)
    for day, tally in counts.tallies.items():
        if day != LIVE:
            # as JSON text: read back only if that day changes, copied as it is otherwise
            days[day] = {
                "rows": _rows(tally),
                "tally": json.dumps(tally_to_json(tally), separators=(",", ":")),
            }
            sealed.update(tally)
    sealed = +sealed  # drop zeros
    state = {
        "key": key,
        "days": dict(sorted(days.items())),
        "sealed": tally_to_json(sealed),
        "values": values_to_json(values),
    }
    return _Counted(state, sealed, values), counts


def _totals(counted: _Counted, live: Counts) -> Totals:
    tally = counted.sealed + live.tallies.get(LIVE, Counter())
    values: dict[str, Counter[float | None]] = {
        name: Counter(found) for name, found in counted.values.items()
    }
    for name, found in live.values.get(LIVE, {}).items():
        values.setdefault(name, Counter()).update(found)
    return Totals(tally, values)


def wave_aggregate(
    wave: Wave,
    spec: AnalysisSpec,
    *,
    previous_state: dict[str, Any] | None = None,
    progress: Progress | None = None,
    engine: str | None = None,
    today: datetime.date | None = None,
) -> Aggregate:
    """The figures of ``wave`` under ``spec``, reusing ``previous_state`` where it still holds.

    ``engine`` forces "sql" or "python" (tests); by default PostgreSQL counts in SQL. ``progress`` is
    called with a percentage as the work proceeds. ``today`` (tests) decides which days are past.
    """

    def report(percent: float) -> None:
        if progress:
            progress(min(100, int(percent)))

    report(0)
    today = today or timezone.localdate()
    engine = engine or ("sql" if connection.vendor == "postgresql" else "python")
    catalogue = catalogue_of(snapshot_of(wave.questionnaire_id))
    breakdowns = usable_breakdowns(catalogue, spec)
    margins = usable_margins(catalogue, spec.margins)
    plan = CountPlan.of(catalogue, breakdowns, [margin.variable for margin in margins])
    counted, live = _count_state(wave, plan, today, previous_state, engine, report)
    report(90)
    survey = wave.survey
    meta = Meta(
        wave_id=wave.pk,
        wave_number=wave.number,
        wave_name=wave.name,
        questionnaire_version=wave.questionnaire.number,
        languages=tuple(survey.languages),
        default_language=survey.default_language,
        computed_at=timezone.now(),
    )
    figures = build_figures(_totals(counted, live), catalogue, spec, breakdowns, meta)
    report(100)
    return Aggregate(figures=figures, state=counted.state, responses=figures["n"]["all"])
