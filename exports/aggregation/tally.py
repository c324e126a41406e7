"""Raw, additive counts of a wave's responses: what both counting paths produce and the state keeps.

A *tally* counts keys ``(variable, kind, code, weight code 1, weight code 2, breakdown, breakdown
code)``. For each response (``response_keys``, the rules both paths follow):

- ``("@<status>", ROW, language, w1, w2)``: one per response (fieldwork, raking cells);
- ``("@started_on", DAY, "YYYY-MM-DD")``, ``("@completed_on", DAY, …)`` (completed status only), and
  ``("@trail", TRAIL, section)`` for each section in the response's trail;
- for a select question whose key is present (shown): ``CODE`` with the code given (select_one: the
  answer as text, as the export writes it; select_multiple: each *listed* code in the list, once:
  the export has no column for other codes either), or
  ``NO_ANSWER`` (JSON null, "", an empty or non-list select_multiple); ``SHOWN`` once for a
  select_multiple (its base; a select_one's base is the sum of its codes and no answers);
- a number question's answers are counted apart (``Counts.values``: variable → value → count, the
  value None for "present but not a number", i.e. no answer), never per day (see
  ``exports.aggregation.compute``). A number is a finite JSON number, or a string of digits, "." and
  "-" that reads as one (imported data; the export writes such a string empty: its numeric columns
  hold numbers only).

Select keys carry the codes of the weighting variables (``w1``, ``w2``; None when not answered), and
are counted once more per breakdown with the breakdown's code instead (keys with ``b``/``bcode``;
not when the breakdown is not answered). Variable names starting with "@" cannot clash with
questions (names start with a letter).

Counts come in *buckets*: a finished response completed before ``today`` counts in the bucket of
its ``completed_on`` date ("YYYY-MM-DD"), everything else (in progress, completed today or on no
date) in ``LIVE``; number values of dated rows go to ``SEALED``.
"""

from __future__ import annotations

import datetime
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from exports.aggregation.catalogue import Catalogue
from exports.rows import as_text, batches_by_pk
from respondents.models import Response
from surveys.models import Wave

Key = tuple[str, str, Any, str | None, str | None, str | None, str | None]
LIVE = "live"
SEALED = "sealed"
FINISHED = (Response.Status.COMPLETED.value, Response.Status.SCREENED_OUT.value)
STARTED = "@started_on"
COMPLETED_ON = "@completed_on"
TRAIL_VARIABLE = "@trail"
PROGRESS_EVERY_ROWS = 20_000


class Kind:
    """The second part of a tally key (short: the state holds hundreds of thousands of keys)."""

    CODE = "c"
    NO_ANSWER = "n"
    SHOWN = "s"
    ROW = "r"
    DAY = "d"
    TRAIL = "t"

    SELECT = frozenset({CODE, NO_ANSWER, SHOWN})


def status_variable(status: str) -> str:
    return f"@{status}"


Codes = tuple[str, ...]


@dataclass(frozen=True)
class CountPlan:
    """What one counting pass reads and counts (the whole form, or one chunk of a very long one)."""

    singles: tuple[tuple[str, Codes], ...] = ()  # select_one questions and matrix items, listed codes
    multiples: tuple[tuple[str, Codes], ...] = ()  # select_multiple questions, listed codes
    numbers: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    breakdowns: tuple[str, ...] = ()
    weighting: tuple[str, ...] = ()  # at most two
    fieldwork: bool = True

    @classmethod
    def of(cls, catalogue: Catalogue, breakdowns: Iterable[str], weighting: Iterable[str]) -> CountPlan:
        return cls(
            singles=tuple((v.name, tuple(v.choices)) for v in catalogue.selects if not v.multiple),
            multiples=tuple((v.name, tuple(v.choices)) for v in catalogue.selects if v.multiple),
            numbers=tuple(v.name for v in catalogue.numbers),
            sections=tuple(section.name for section in catalogue.sections),
            breakdowns=tuple(breakdowns),
            weighting=tuple(weighting),
        )

    def variables(self) -> list[str]:
        """Every answer key the pass reads."""
        names = [name for name, _codes in (*self.singles, *self.multiples)]
        return list(dict.fromkeys([*names, *self.numbers, *self.breakdowns, *self.weighting]))

    def codes_of(self, name: str) -> Codes:
        return next((codes for found, codes in (*self.singles, *self.multiples) if found == name), ())

    def numbers_only(self) -> CountPlan:
        return CountPlan(numbers=self.numbers, fieldwork=False)

    def part(
        self, singles: tuple = (), multiples: tuple = (), numbers: tuple = (), *, fieldwork: bool = False
    ) -> CountPlan:
        """A plan counting only these questions (same breakdowns and weighting)."""
        return CountPlan(
            singles=singles,
            multiples=multiples,
            numbers=numbers,
            sections=self.sections if fieldwork else (),
            breakdowns=self.breakdowns,
            weighting=self.weighting,
            fieldwork=fieldwork and self.fieldwork,
        )


@dataclass(frozen=True)
class Scope:
    """Which rows a pass reads: all, all but the finished rows of ``skip_days``, or only those of
    ``only_days``."""

    today: datetime.date
    skip_days: tuple[datetime.date, ...] = ()
    only_days: tuple[datetime.date, ...] | None = None


@dataclass
class Counts:
    """Tallies by bucket and number values by bucket (``LIVE`` or ``SEALED``)."""

    tallies: dict[str, Counter[Key]] = field(default_factory=lambda: defaultdict(Counter))
    values: dict[str, dict[str, Counter[float | None]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Counter))
    )

    def merge(self, other: Counts) -> None:
        for bucket, tally in other.tallies.items():
            self.tallies[bucket].update(tally)
        for bucket, by_variable in other.values.items():
            for variable, values in by_variable.items():
                self.values[bucket][variable].update(values)


# -- the rules ------------------------------------------------------------------------------------


def code_of(answers: dict[str, Any], name: str) -> str | None:
    """A single-code answer as text (``exports.rows.as_text``), None when absent, null or empty."""
    raw = answers.get(name)
    if raw is None:
        return None
    return as_text(raw) or None


NUMBER_CHARACTERS = frozenset("0123456789.-")


def number_of(raw: Any) -> float | None:
    """A number answer's value, None when it is not a (finite) number (see the module docstring)."""
    if isinstance(raw, bool):
        return None
    readable = isinstance(raw, int | float) or (
        isinstance(raw, str) and raw and set(raw) <= NUMBER_CHARACTERS
    )
    if not readable:
        return None
    try:
        value = float(raw)
    except (ValueError, OverflowError):
        return None
    return value + 0.0 if math.isfinite(value) else None  # + 0.0: no negative zero


def bucket_of(status: str, completed_on: datetime.date | None, today: datetime.date) -> str:
    if status in FINISHED and completed_on is not None and completed_on < today:
        return completed_on.isoformat()
    return LIVE


def _select_keys(
    name: str, kind: str, code: str | None, weights: tuple[str | None, str | None], crossed: list
) -> Iterator[Key]:
    yield (name, kind, code, weights[0], weights[1], None, None)
    for breakdown, breakdown_code in crossed:
        if breakdown_code is not None:
            yield (name, kind, code, None, None, breakdown, breakdown_code)


def _fieldwork_keys(plan: CountPlan, record: tuple, weights: tuple) -> Iterator[Key]:
    _pk, status, language, started_on, completed_on, trail, _answers = record
    yield (status_variable(status), Kind.ROW, language, weights[0], weights[1], None, None)
    if started_on is not None:
        yield (STARTED, Kind.DAY, started_on.isoformat(), None, None, None, None)
    if status == Response.Status.COMPLETED and completed_on is not None:
        yield (COMPLETED_ON, Kind.DAY, completed_on.isoformat(), None, None, None, None)
    visited = trail if isinstance(trail, list) else []
    for section in plan.sections:
        if section in visited:
            yield (TRAIL_VARIABLE, Kind.TRAIL, section, None, None, None, None)


def response_keys(plan: CountPlan, record: tuple) -> Iterator[Key]:
    """The tally keys of one response (``record``: pk, status, language, started_on, completed_on,
    trail, answers); number values are yielded as ``(name, None, value, …)``."""
    answers = record[6] if isinstance(record[6], dict) else {}
    codes = [code_of(answers, name) for name in plan.weighting]
    padded = [*codes, None, None]
    weights = (padded[0], padded[1])
    crossed = [(breakdown, code_of(answers, breakdown)) for breakdown in plan.breakdowns]
    if plan.fieldwork:
        yield from _fieldwork_keys(plan, record, weights)
    for name, _listed in plan.singles:
        if name in answers:
            code = code_of(answers, name)
            yield from _select_keys(
                name, Kind.NO_ANSWER if code is None else Kind.CODE, code, weights, crossed
            )
    for name, listed in plan.multiples:
        if name not in answers:
            continue
        raw = answers[name]
        yield from _select_keys(name, Kind.SHOWN, None, weights, crossed)
        if not (isinstance(raw, list) and raw):
            yield from _select_keys(name, Kind.NO_ANSWER, None, weights, crossed)
            continue
        for code in listed:
            if code in raw:
                yield from _select_keys(name, Kind.CODE, code, weights, crossed)
    for name in plan.numbers:
        if name in answers:
            yield (name, None, number_of(answers[name]), None, None, None, None)  # type: ignore[misc]


# -- the Python path ------------------------------------------------------------------------------

RECORD_FIELDS = ("pk", "status", "language", "started_on", "completed_on", "trail", "answers")


def scoped_responses(wave: Wave, scope: Scope) -> QuerySet[Response]:
    responses = Response.objects.filter(wave=wave)
    finished = Q(status__in=FINISHED)
    if scope.only_days is not None:
        return responses.filter(finished, completed_on__in=scope.only_days)
    if scope.skip_days:
        return responses.exclude(finished & Q(completed_on__in=scope.skip_days))
    return responses


def count_python(
    wave: Wave, plan: CountPlan, scope: Scope, progress: Callable[[float], None] | None = None
) -> Counts:
    """The counts computed row by row (any database; the reference the SQL path is tested against)."""
    counts = Counts()
    responses = scoped_responses(wave, scope)
    total = responses.count() if progress else 0
    done = 0
    for batch in batches_by_pk(responses, RECORD_FIELDS):
        for record in batch:
            bucket = bucket_of(record[1], record[4], scope.today)
            tally = counts.tallies[bucket]
            for key in response_keys(plan, record):
                if key[1] is None:
                    counts.values[LIVE if bucket == LIVE else SEALED][key[0]][key[2]] += 1
                else:
                    tally[key] += 1
        done += len(batch)
        if progress and total and done % PROGRESS_EVERY_ROWS < len(batch):
            progress(done / total)
    return counts


# -- state (JSON) ---------------------------------------------------------------------------------


def tally_to_json(tally: Counter[Key]) -> dict[str, list]:
    """The tally as JSON: ``{"keys": [[…key], …], "counts": […]}`` (two plain lists: quick to write
    and to read back)."""
    return {"keys": list(tally.keys()), "counts": list(tally.values())}


def tally_from_json(document: dict[str, list]) -> Counter[Key]:
    return Counter(dict(zip(map(tuple, document["keys"]), document["counts"], strict=True)))


def values_to_json(values: dict[str, Counter[float | None]]) -> dict[str, dict[str, list]]:
    """Number values as JSON ``{variable: {"values": […], "counts": […]}}`` (a null value: not a
    number); two plain lists keep a map of many distinct values small and quick to read."""
    return {
        name: {"values": list(counter.keys()), "counts": list(counter.values())}
        for name, counter in values.items()
    }


def values_from_json(document: dict[str, dict[str, list]]) -> dict[str, Counter[float | None]]:
    return {
        name: Counter(dict(zip(found["values"], found["counts"], strict=True)))
        for name, found in document.items()
    }
