"""The rows of an export as typed Python values: the one interface every writer reads.

``iter_rows(waves=..., plan=..., options=...)`` yields one list per row: the meta columns
(``meta_columns``), then one value per plan column. Values are typed: ``int``/``float`` for numbers and
dummies, ``datetime.date`` for dates, ``str`` for codes, labels and text, ``None`` for an empty cell.
Text is *not* neutralised here; each text-producing writer applies ``exports.neutralise``.

Rows come in response-ID order (IDs are random, so the order reveals nothing), fetched in batches by
primary key with ``values_list``, so memory stays flat whatever the number of rows. Panel layouts
(``options.layout``) go by panel member instead: ``panel_long`` one row per member and wave,
``panel_wide`` one row per member (see ``exports.panel``).
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from exports.columns import Column, Kind, column_plan
from respondents.models import Response
from surveys.models import Survey, Wave

BATCH_SIZE = 2000


class Layout:
    """Row layouts (the values of ``ExportJob.Layout``)."""

    WAVE = "wave"  # one row per response
    PANEL_LONG = "panel_long"  # one row per panel member and wave
    PANEL_WIDE = "panel_wide"  # one row per panel member, <column>_w<N> per wave

    ALL = (WAVE, PANEL_LONG, PANEL_WIDE)
    PANEL = frozenset({PANEL_LONG, PANEL_WIDE})


@dataclass(frozen=True)
class ExportOptions:
    """What an export holds and how it is written. Stored as JSON on ``ExportJob.options``."""

    values: str = "codes"  # "codes" or "labels" (select_one, matrix and ranking columns)
    language: str | None = None  # label language; None: the survey's default language
    dialect: str = "comma"  # "comma" or "semicolon" (Excel in locales with a decimal comma)
    bom: bool = True  # UTF-8 byte order mark, so Excel reads Cyrillic correctly
    include: str = "completed"  # "completed" or "all" (in progress and screened out too)
    layout: str = Layout.WAVE

    CHOICES = {
        "values": ("codes", "labels"),
        "dialect": ("comma", "semicolon"),
        "include": ("completed", "all"),
        "layout": Layout.ALL,
    }

    def __post_init__(self) -> None:
        for name, allowed in self.CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}")
        if not isinstance(self.bom, bool):
            raise ValueError("bom must be true or false")

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> ExportOptions:
        """Options from stored JSON; unknown keys are refused, missing keys take their defaults."""
        values = dict(values or {})
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown export options: {', '.join(sorted(unknown))}")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def delimiter(self) -> str:
        return ";" if self.dialect == "semicolon" else ","

    @property
    def statuses(self) -> list[str]:
        """The response statuses included."""
        if self.include == "all":
            return list(Response.Status.values)
        return [Response.Status.COMPLETED]

    def label_language(self, survey: Survey) -> str | None:
        """The language labels are written in, or None when codes are written."""
        if self.values != "labels":
            return None
        return self.language or survey.default_language


# The meta columns, in order, with their kinds; panel_id only for panel surveys.
META_COLUMNS: tuple[tuple[str, str], ...] = (
    ("response_id", Kind.TEXT),
    ("wave", Kind.INTEGER),
    ("questionnaire_version", Kind.INTEGER),
    ("language", Kind.TEXT),
    ("status", Kind.TEXT),
    ("started_on", Kind.DATE),
    ("completed_on", Kind.DATE),
)
PANEL_ID = "panel_id"
# meta column names no answer column may take (``column_plan`` renames such a variable)
RESERVED_NAMES = frozenset([*(name for name, _kind in META_COLUMNS), PANEL_ID])
# panel_wide repeats these per wave (``<name>_w<N>``); the wave number is in the name.
WAVE_META_COLUMNS = tuple(item for item in META_COLUMNS if item[0] != "wave")


def survey_of(waves: Sequence[Wave]) -> Survey:
    """The one survey ``waves`` belong to."""
    surveys = {wave.survey_id for wave in waves}
    if len(surveys) != 1:
        raise ValueError("an export covers waves of exactly one survey")
    return waves[0].survey


def wave_suffix(number: int) -> str:
    return f"_w{number}"


def meta_kinds(survey: Survey, layout: str = Layout.WAVE, waves: Sequence[Wave] = ()) -> list[str]:
    """The Kind of each meta column, parallel to ``meta_columns``."""
    if layout == Layout.PANEL_WIDE:
        return [Kind.TEXT] + [kind for _wave in waves for _name, kind in WAVE_META_COLUMNS]
    kinds = [kind for _name, kind in META_COLUMNS]
    return [*kinds, Kind.TEXT] if survey.is_panel or layout == Layout.PANEL_LONG else kinds


def meta_columns(survey: Survey, layout: str = Layout.WAVE, waves: Sequence[Wave] = ()) -> list[str]:
    """The names of the meta columns that start every row (``waves`` is needed for panel_wide)."""
    if layout == Layout.PANEL_WIDE:
        return [PANEL_ID] + [
            f"{name}{wave_suffix(wave.number)}" for wave in waves for name, _kind in WAVE_META_COLUMNS
        ]
    names = [name for name, _kind in META_COLUMNS]
    return [*names, PANEL_ID] if survey.is_panel or layout == Layout.PANEL_LONG else names


def export_plan(*, waves: Sequence[Wave], layout: str = Layout.WAVE) -> list[Column]:
    """The answer columns of an export of ``waves`` in ``layout``.

    The versions of several waves are aligned by variable name (``column_plan``); panel_wide repeats
    each wave's own columns with a ``_w<N>`` suffix (``exports.panel.wide_plan``).
    """
    ordered = sorted(waves, key=lambda wave: wave.number)
    if layout == Layout.PANEL_WIDE:
        from exports.panel import wide_plan

        return wide_plan(ordered)
    snapshots: list[dict[str, Any]] = []
    seen: set[int] = set()
    for wave in ordered:
        if wave.questionnaire_id not in seen:
            seen.add(wave.questionnaire_id)
            snapshots.append(wave.questionnaire.snapshot)
    return column_plan(snapshots, reserved=RESERVED_NAMES)


def column_names(*, waves: Sequence[Wave], plan: list[Column], options: ExportOptions) -> list[str]:
    """The header: meta columns, then plan columns."""
    return meta_columns(survey_of(waves), options.layout, waves) + [column.name for column in plan]


def column_kinds(*, waves: Sequence[Wave], plan: list[Column], options: ExportOptions) -> list[str]:
    """The Kind of every column of a row, parallel to ``column_names``."""
    return meta_kinds(survey_of(waves), options.layout, waves) + [column.kind for column in plan]


def included_responses(*, waves: Sequence[Wave], options: ExportOptions) -> QuerySet[Response]:
    """The responses an export of ``waves`` with ``options`` covers (any layout)."""
    responses = Response.objects.filter(wave__in=[wave.pk for wave in waves], status__in=options.statuses)
    if options.layout in Layout.PANEL:
        responses = responses.filter(panel_member__isnull=False)
    return responses


def rows_count(*, waves: Sequence[Wave], options: ExportOptions) -> int:
    """How many rows ``iter_rows`` will yield (as of now; an open wave may still grow)."""
    responses = included_responses(waves=waves, options=options)
    if options.layout == Layout.PANEL_WIDE:
        return responses.values("panel_member").distinct().count()
    return responses.count()


# -- typed values ------------------------------------------------------------------------------

_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def as_text(raw: Any) -> str:
    """A stored JSON value as text, written as PostgreSQL's ``->>`` writes it."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float):
        return format_number(raw)
    if isinstance(raw, int):
        return str(raw)
    return json.dumps(raw, ensure_ascii=False)


def format_number(number: int | float) -> str:
    """A number as text, as PostgreSQL writes a JSON number (no exponent: 1e-07 → 0.0000001)."""
    if isinstance(number, int):
        return str(number)
    if number == 0:
        number = 0.0  # no negative zero
    return format(Decimal(repr(number)), "f")


def _is_number(raw: Any) -> bool:
    return isinstance(raw, int | float) and not isinstance(raw, bool)


def typed_value(
    column: Column, answers: dict[str, Any], language: str | None, fallback: str | None = None
) -> Any:
    """The typed value of ``column`` for one response's ``answers``.

    With a ``language``, codes become their labels in it (``code_label``; ``fallback`` is the
    survey's default language).
    """
    raw = column.value(answers)
    if raw is None:
        return None
    kind = column.kind
    if kind == Kind.DUMMY:
        return raw
    if kind in (Kind.INTEGER, Kind.DECIMAL):
        # a numeric column holds numbers only: anything else stored there is written empty
        return raw if _is_number(raw) else None
    text = as_text(raw)
    if text == "":
        return None
    if kind == Kind.DATE and _ISO_DATE_RE.fullmatch(text):
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            return text
    if language is not None and kind in Kind.LABELLED:
        return code_label(column, text, language, fallback)
    return text


def code_label(column: Column, code: str, language: str, fallback: str | None = None) -> str:
    """The label of ``code`` in ``language``, else in ``fallback``, else the code itself."""
    labels = column.value_labels.get(code, {})
    return labels.get(language) or (labels.get(fallback) if fallback else None) or code


def answer_values(
    plan: list[Column], answers: dict[str, Any], language: str | None, fallback: str | None = None
) -> list[Any]:
    return [typed_value(column, answers, language, fallback) for column in plan]


# -- rows ---------------------------------------------------------------------------------------

RESPONSE_FIELDS = (
    "pk",
    "wave_id",
    "questionnaire_id",
    "language",
    "status",
    "started_on",
    "completed_on",
    "panel_member__pseudonym",
    "answers",
)


@dataclass(frozen=True)
class Numbers:
    """Wave and questionnaire numbers by id (no join per row)."""

    waves: dict[int, int]
    versions: dict[int, int]

    @classmethod
    def of(cls, waves: Sequence[Wave]) -> Numbers:
        survey = survey_of(waves)
        versions = dict(survey.questionnaires.values_list("pk", "number"))
        return cls(waves={wave.pk: wave.number for wave in waves}, versions=versions)


def response_meta(record: tuple[Any, ...], numbers: Numbers, *, with_wave: bool = True) -> list[Any]:
    """The meta values of one ``RESPONSE_FIELDS`` record (without panel_id)."""
    pk, wave_id, questionnaire_id, language, status, started_on, completed_on = record[:7]
    meta = [str(pk), numbers.waves.get(wave_id), numbers.versions.get(questionnaire_id)]
    meta += [language or None, status or None, started_on, completed_on]
    if not with_wave:
        del meta[1]
    return meta


def iter_rows(*, waves: Sequence[Wave], plan: list[Column], options: ExportOptions) -> Iterator[list[Any]]:
    """Every row of the export: meta values then plan values, typed (see the module docstring)."""
    if options.layout in Layout.PANEL:
        from exports.panel import iter_panel_rows

        yield from iter_panel_rows(waves=waves, plan=plan, options=options)
        return
    survey = survey_of(waves)
    language = options.label_language(survey)
    numbers = Numbers.of(waves)
    responses = included_responses(waves=waves, options=options)
    for batch in batches_by_pk(responses, RESPONSE_FIELDS):
        for record in batch:
            meta = response_meta(record, numbers)
            if survey.is_panel:
                meta.append(record[7])
            yield meta + answer_values(plan, record[8] or {}, language, survey.default_language)


def batches_by_pk(
    queryset: QuerySet[Any], values: Sequence[str], *, size: int = BATCH_SIZE
) -> Iterator[list[tuple[Any, ...]]]:
    """``values_list`` batches of ``queryset`` in primary-key order; ``values[0]`` must be ``pk``."""
    last = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        batch = list(page.order_by("pk").values_list(*values)[:size])
        if not batch:
            return
        yield batch
        if len(batch) < size:
            return
        last = batch[-1][0]
