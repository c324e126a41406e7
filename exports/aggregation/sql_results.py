"""Reading the results of the counting statements (``exports.aggregation.tally_sql``) into ``Counts``.

Each result row is one group of responses (a day, weighting codes, a breakdown code) with one cell
per aggregate; ``Column`` says what a cell holds. Counts are added to the tally keys of
``exports.aggregation.tally``; select_multiple lists and number values arrive as newline-separated
JSON texts and are counted here, each distinct list parsed once and the numbers read by numpy.
"""

from __future__ import annotations

import datetime
import json
import warnings
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from exports.aggregation.tally import (
    COMPLETED_ON,
    LIVE,
    SEALED,
    STARTED,
    TRAIL_VARIABLE,
    CountPlan,
    Counts,
    Kind,
    number_of,
    status_variable,
)
from respondents.models import Response

TEXT_BYTES = 8 << 20  # number texts read at a time
NUMBER_BYTES = b"0123456789.-\n"  # all a group's number texts hold when they are plain numbers
NO_NUMBER = "no number"  # the kind of a count of number answers that are not numbers
NULL_LIST = "null list"  # the kind of a count of select_multiple answers that are JSON null


@dataclass(frozen=True)
class Column:
    """What one aggregate column holds: "count" (a tally key's count), "answered" (select_one answers
    given, listed or not), "codes" (JSON strings of unlisted codes), "lists" (select_multiple JSON
    texts) or "values" (number answers as text); the last two newline-separated."""

    what: str
    name: str
    kind: str | None = None
    code: str | None = None
    listed: tuple[str, ...] = ()


def bucket(day: datetime.date | None) -> str:
    return LIVE if day is None else day.isoformat()


class Reader:
    """Adds result rows to ``counts``. Number texts are read and counted by numpy a few megabytes at a
    time (memory stays bounded, numpy is called rarely); the (value, count) arrays are summed up in
    ``finish``."""

    def __init__(self, counts: Counts) -> None:
        self.counts = counts
        self.texts: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.sizes: dict[tuple[str, str], int] = defaultdict(int)
        self.numbers: dict[tuple[str, str], list[tuple[Any, Any]]] = defaultdict(list)
        self.unlisted: set[str] = set()
        self.lists: dict[tuple[str, str], list[str] | None] = {}

    def merge(self, other: Reader) -> None:
        """Take in what another reader (of another slice of the rows) read."""
        for key in list(other.texts):
            other._read_numbers(key)
        self.counts.merge(other.counts)
        for key, arrays in other.numbers.items():
            self.numbers[key] += arrays
        self.unlisted |= other.unlisted

    def add(
        self, bucket: str, columns: list[Column], cells: Sequence[Any], main: tuple | None, crossed: list
    ) -> None:
        """One group: ``main`` holds its weighting codes when it counts toward the main keys,
        ``crossed`` the (breakdown, code) pairs it counts toward."""
        tally = self.counts.tallies[bucket]
        where = LIVE if bucket == LIVE else SEALED
        listed: dict[str, int] = defaultdict(int)
        for column, cell in zip(columns, cells, strict=True):
            if not cell:
                continue
            what = column.what
            if what == "count" and column.kind in Kind.SELECT:  # most cells: a code's count
                name, kind, code = column.name, column.kind, column.code
                if kind == Kind.CODE:
                    listed[name] += cell
                if main is not None:
                    tally[(name, kind, code, main[0], main[1], None, None)] += cell
                for breakdown, breakdown_code in crossed:
                    tally[(name, kind, code, None, None, breakdown, breakdown_code)] += cell
            elif what == "values":
                self._numbers(where, column.name, cell)
            elif column.kind == NO_NUMBER:
                self.counts.values[where][column.name][None] += cell
            elif column.kind == NULL_LIST:
                for kind in (Kind.SHOWN, Kind.NO_ANSWER):
                    self._select(tally, column.name, kind, None, cell, main, crossed)
            elif what == "answered":
                if cell > listed[column.name]:
                    self.unlisted.add(column.name)
            else:
                for kind, code, count in self._found(column, cell):
                    self._select(tally, column.name, kind, code, count, main, crossed)

    @staticmethod
    def _select(tally: Counter, name: str, kind: str, code: str | None, count: int, main, crossed) -> None:
        if main is not None:
            tally[(name, kind, code, main[0], main[1], None, None)] += count
        for breakdown, breakdown_code in crossed:
            tally[(name, kind, code, None, None, breakdown, breakdown_code)] += count

    def _found(self, column: Column, cell: Any) -> list[tuple[str, str | None, int]]:
        """(kind, code, count) of one select aggregate cell."""
        if column.what == "codes":
            return [(Kind.CODE, code, n) for code, n in Counter(json.loads(f"[{cell}]")).items()]
        if column.what != "lists":
            return [(column.kind or "", column.code, cell)]
        found: Counter[tuple[str, str | None]] = Counter()
        for text, n in Counter(cell.split("\n")).items():
            found[(Kind.SHOWN, None)] += n
            ticked = self._ticked(column, text)
            if ticked is None:
                found[(Kind.NO_ANSWER, None)] += n
            for code in ticked or ():
                found[(Kind.CODE, code)] += n
        return [(kind, code, n) for (kind, code), n in found.items()]

    def _ticked(self, column: Column, text: str) -> list[str] | None:
        """The listed codes a select_multiple's JSON text ticks, None for no answer (parsed once)."""
        key = (column.name, text)
        if key not in self.lists:
            answer = json.loads(text)
            answered = isinstance(answer, list) and bool(answer)
            self.lists[key] = [code for code in column.listed if code in answer] if answered else None
        return self.lists[key]

    def _numbers(self, where: str, name: str, cell: str) -> None:
        """Keep a group's number texts; every few megabytes, read them into (value, count) arrays."""
        key = (where, name)
        self.texts[key].append(cell)
        self.sizes[key] += len(cell)
        if self.sizes[key] >= TEXT_BYTES:
            self._read_numbers(key)

    def _read_numbers(self, key: tuple[str, str]) -> None:
        joined = "\n".join(self.texts.pop(key, []))
        self.sizes.pop(key, None)
        if not joined:
            return
        parsed = plain_numbers(joined)
        if parsed is None:  # something else than plain decimals among them (rare): one at a time
            values = self.counts.values[key[0]][key[1]]
            for text, count in Counter(joined.split("\n")).items():
                values[number_of(text)] += count
            return
        self.numbers[key].append(np.unique(parsed, return_counts=True))

    def finish(self) -> None:
        """The groups' number values summed into value → count maps (``1`` and ``1.0`` are one value)."""
        for key in list(self.texts):
            self._read_numbers(key)
        for (where, name), arrays in self.numbers.items():
            found = np.concatenate([values for values, _counts in arrays])
            counts = np.concatenate([counts for _values, counts in arrays])
            distinct, position = np.unique(found, return_inverse=True)
            totals = np.bincount(position, weights=counts).astype(np.int64)
            self.counts.values[where][name].update(dict(zip(distinct.tolist(), totals.tolist(), strict=True)))
        self.numbers.clear()


def plain_numbers(joined: str) -> Any:
    """The numbers of newline-separated decimal texts as a numpy array, None unless every text is one
    (only digits, "." and "-", each read whole, all finite: ``tally.number_of`` would agree)."""
    if not joined.isascii() or joined.encode().translate(None, NUMBER_BYTES):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # a text it cannot read: checked below
        try:
            parsed = np.fromstring(joined, dtype=float, sep="\n")
        except ValueError:  # newer numpy raises on a text such as "10-20" or "1.2.3" instead of stopping
            return None
    if len(parsed) != joined.count("\n") + 1 or not np.isfinite(parsed).all():
        return None
    return parsed + 0.0  # no negative zero


def add_fieldwork(counts: Counts, plan: CountPlan, row: tuple) -> None:
    day, status, language, started_on, completed_on, w0, w1, rows, *visited = row
    tally = counts.tallies[bucket(day)]
    tally[(status_variable(status), Kind.ROW, language, w0, w1, None, None)] += rows
    if started_on is not None:
        tally[(STARTED, Kind.DAY, started_on.isoformat(), None, None, None, None)] += rows
    if status == Response.Status.COMPLETED and completed_on is not None:
        tally[(COMPLETED_ON, Kind.DAY, completed_on.isoformat(), None, None, None, None)] += rows
    for section, count in zip(plan.sections, visited, strict=True):
        if count:
            tally[(TRAIL_VARIABLE, Kind.TRAIL, section, None, None, None, None)] += count
