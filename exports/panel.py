"""Panel merge: all waves of a panel survey in one file, joined by the members' pseudonyms.

- ``panel_long``: one row per member and wave, ordered by member (a random ID) then wave number; the
  columns are the union of the waves' versions aligned by variable name (``column_plan``), so a
  variable a wave did not ask is an empty cell, never a shifted one.
- ``panel_wide``: one row per member; ``panel_id``, then each wave's meta columns and its own version's
  columns with the suffix ``_w<N>``. A name stays a valid SPSS/Stata name (32 characters at most):
  the base name is cut to make room for the suffix, and a cut name that collides with another gets a
  number before the suffix (``<base>_2_w1``).

Only responses linked to a panel member take part.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from exports.columns import MAX_NAME, Column, column_plan
from exports.rows import (
    PANEL_ID,
    RESERVED_NAMES,
    RESPONSE_FIELDS,
    WAVE_META_COLUMNS,
    ExportOptions,
    Layout,
    Numbers,
    answer_values,
    batches_by_pk,
    included_responses,
    response_meta,
    survey_of,
    wave_suffix,
)
from respondents.models import PanelMember
from surveys.models import Wave

MEMBER_BATCH_SIZE = 1000


def wide_name(base: str, number: int, taken: set[str]) -> str:
    """``<base>_w<number>``, cut to MAX_NAME characters and unique among ``taken`` (which it joins)."""
    suffix = wave_suffix(number)
    name = base[: MAX_NAME - len(suffix)] + suffix
    counter = 2
    while name in taken:
        tail = f"_{counter}{suffix}"
        name = base[: MAX_NAME - len(tail)] + tail
        counter += 1
    taken.add(name)
    return name


def wide_plan(waves: Sequence[Wave]) -> list[Column]:
    """Each wave's own columns, in wave order, renamed ``<column>_w<N>`` and tagged with the wave."""
    taken = {PANEL_ID} | {
        f"{name}{wave_suffix(wave.number)}" for wave in waves for name, _kind in WAVE_META_COLUMNS
    }
    plan: list[Column] = []
    for wave in sorted(waves, key=lambda wave: wave.number):
        for column in column_plan([wave.questionnaire.snapshot], reserved=RESERVED_NAMES):
            name = wide_name(column.name, wave.number, taken)
            plan.append(replace(column, name=name, wave=wave.number))
    return plan


def _member_batches(waves: Sequence[Wave], options: ExportOptions) -> Iterator[list[tuple[Any, ...]]]:
    """Batches of (member pk, pseudonym) with an included response, in member-ID order."""
    responses = included_responses(waves=waves, options=options)
    members = PanelMember.objects.filter(pk__in=responses.values("panel_member"))
    yield from batches_by_pk(members, ("pk", "pseudonym"), size=MEMBER_BATCH_SIZE)


def _responses_by_member(
    waves: Sequence[Wave], options: ExportOptions, member_ids: list[Any]
) -> dict[Any, list[tuple[Any, ...]]]:
    responses = included_responses(waves=waves, options=options).filter(panel_member__in=member_ids)
    by_member: dict[Any, list[tuple[Any, ...]]] = {}
    for record in responses.values_list(*RESPONSE_FIELDS, "panel_member_id"):
        by_member.setdefault(record[-1], []).append(record)
    return by_member


def iter_panel_rows(
    *, waves: Sequence[Wave], plan: list[Column], options: ExportOptions
) -> Iterator[list[Any]]:
    """The rows of a panel layout (``options.layout``), typed like ``exports.rows.iter_rows``."""
    survey = survey_of(waves)
    language = options.label_language(survey)
    numbers = Numbers.of(waves)
    ordered = sorted(waves, key=lambda wave: wave.number)
    for batch in _member_batches(waves, options):
        by_member = _responses_by_member(waves, options, [pk for pk, _pseudonym in batch])
        for member_pk, pseudonym in batch:
            records = sorted(by_member.get(member_pk, []), key=lambda record: numbers.waves[record[1]])
            if options.layout == Layout.PANEL_WIDE:
                yield _wide_row(
                    pseudonym, records, ordered, plan, numbers, (language, survey.default_language)
                )
                continue
            for record in records:
                meta = [*response_meta(record, numbers), pseudonym]
                yield meta + answer_values(plan, record[8] or {}, language, survey.default_language)


def _wide_row(
    pseudonym: str,
    records: list[tuple[Any, ...]],
    waves: list[Wave],
    plan: list[Column],
    numbers: Numbers,
    languages: tuple[str | None, str],
) -> list[Any]:
    by_wave = {numbers.waves[record[1]]: record for record in records}
    row: list[Any] = [pseudonym]
    for wave in waves:
        record = by_wave.get(wave.number)
        if record is None:
            row += [None] * len(WAVE_META_COLUMNS)
        else:
            row += response_meta(record, numbers, with_wave=False)
    for column in plan:
        record = by_wave.get(column.wave or 0)
        row += answer_values([column], record[8] or {}, *languages) if record else [None]
    return row
