"""The ``figures`` document of a wave (docs: the aggregation ↔ dashboard contract), suppressed.

Everything here is computed from ``Totals`` (summed counts), never from rows, so a folded aggregate
and a full recomputation give the same document.

Definitions the contract leaves open:

- ``n``, ``by_language``, ``by_day`` and ``funnel`` count every response (all statuses). A
  by-language "all" share is of ``n.all``, its "completed" share of ``n.completed``; a by-day
  "started" share is of the responses with a start date, "completed" of the completed ones with a
  completion date. A funnel share is of ``n.all``.
- a question's rows are its listed codes in list order (zeros included), then codes found in the
  answers but not in the list, sorted, labelled with the code itself.
- a crosstab column base counts respondents shown the question with that breakdown code; its share is
  of the sum of the column bases. Respondents who did not answer the breakdown are left out.
- before/after shares are each of the respondents shown that question (not only those shown both).
- ``numbers``: n, mean, median, quartiles (linear interpolation, as pandas), min and max of the
  numeric answers; a summary of fewer than k values has every statistic null, n included, and
  ``suppressed`` true. ``no_answer`` counts answers that are null or not a number.
- ``weights``: raking on the plan's margins (``exports.aggregation.weights``), null without margins
  or when a margin names anything but a select_one question of this version (or more than two
  variables); nothing is trimmed. Weighted shares are given for the questions' rows and benchmarks,
  only when every weight class has k or more respondents (``Weights.shown``): else ``weights`` says
  ``shown`` false with the reason, and every weighted share is null.
- breakdowns that are not select_one questions (or matrix items) of this version, and pairs or
  benchmarks naming a question this version lacks, are left out: a plan belongs to a survey, whose
  waves may use different versions.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from exports.aggregation.catalogue import Catalogue, NumberVariable, SelectVariable, code_labels, row_codes
from exports.aggregation.crosstabs import crosstabs, pairs
from exports.aggregation.spec import AnalysisSpec, Margin
from exports.aggregation.stats import summary
from exports.aggregation.suppression import cell, is_small, primary, suppress_distribution, suppress_ticks
from exports.aggregation.tally import COMPLETED_ON, STARTED, TRAIL_VARIABLE, Kind, status_variable
from exports.aggregation.totals import Totals, cell_counts, weighted_total
from exports.aggregation.weights import Weights, rake
from respondents.models import Response

FIGURES_VERSION = 1


@dataclass(frozen=True)
class Meta:
    """What the document says about the wave itself."""

    wave_id: int
    wave_number: int
    wave_name: str
    questionnaire_version: int
    languages: tuple[str, ...]
    default_language: str
    computed_at: datetime.datetime


# -- fieldwork ------------------------------------------------------------------------------------


def _status_counts(totals: Totals) -> dict[str, dict[str, int]]:
    """{status: {language: responses}}."""
    return {status: totals.codes(status_variable(status), Kind.ROW) for status in Response.Status.values}


def _distribution_cells(counts: list[int], k: int) -> list[dict[str, Any]]:
    total = sum(counts)
    mask = suppress_distribution(counts, k)
    return [cell(count, total, hidden) for count, hidden in zip(counts, mask, strict=True)]


def fieldwork(totals: Totals, catalogue: Catalogue, languages: Sequence[str], k: int) -> dict[str, Any]:
    by_status = _status_counts(totals)
    n = {status: sum(by_language.values()) for status, by_language in by_status.items()}
    n_all = sum(n.values())
    found = {language for by_language in by_status.values() for language in by_language}
    ordered = [*languages, *sorted(found - set(languages), key=str)]
    everyone = [sum(by_status[status].get(lang, 0) for status in by_status) for lang in ordered]
    completed = [by_status[Response.Status.COMPLETED].get(lang, 0) for lang in ordered]
    started_days, completed_days = totals.codes(STARTED, Kind.DAY), totals.codes(COMPLETED_ON, Kind.DAY)
    days = sorted(set(started_days) | set(completed_days))
    started = _distribution_cells([started_days.get(day, 0) for day in days], k)
    finished = _distribution_cells([completed_days.get(day, 0) for day in days], k)
    reached = [totals.count(TRAIL_VARIABLE, Kind.TRAIL, section.name) for section in catalogue.sections]
    return {
        "n": {"all": n_all, **n},
        "by_language": [
            {"language": language, "all": everyone_cell, "completed": completed_cell}
            for language, everyone_cell, completed_cell in zip(
                ordered, _distribution_cells(everyone, k), _distribution_cells(completed, k), strict=True
            )
        ],
        "by_day": [
            {"date": day, "started": started[i], "completed": finished[i]} for i, day in enumerate(days)
        ],
        "funnel": [
            {"section": section.name, "label": dict(section.label), "reached": cell(count, n_all, hidden)}
            for section, count, hidden in zip(catalogue.sections, reached, primary(reached, k), strict=True)
        ],
    }


# -- weights --------------------------------------------------------------------------------------


def usable_margins(catalogue: Catalogue, margins: Sequence[Margin]) -> tuple[Margin, ...]:
    """The margins of select_one variables of this questionnaire, at most two (else no weights)."""
    usable = []
    for margin in margins:
        variable = catalogue.select(margin.variable)
        if variable is None or variable.multiple or not margin.shares:
            return ()
        usable.append(margin)
    return tuple(usable) if len(usable) <= 2 else ()


def raking(totals: Totals, margins: Sequence[Margin]) -> Weights | None:
    if not margins:
        return None
    return rake(cell_counts(totals, len(margins)), margins)


# -- questions ------------------------------------------------------------------------------------


def _weighted_shares(
    totals: Totals, variable: SelectVariable, codes: Sequence[str], weights: Weights | None, k: int
) -> list[float | None]:
    """Each code's share with every respondent counted by their weight (None without weights).

    Anyone can work the weights out from the shown counts of the weighting variables and the
    margins, and a weighted share is a sum of (code × weighting cell) counts times those weights:
    so a question's weighted shares are withheld when any such count, or what is left of the cell
    after it, is 1..k−1 (it could be solved for, like a hidden cross-tab cell).
    """
    bases = totals.select_base_by_cell(variable) if weights else {}
    base = weighted_total(bases, weights) if weights else 0.0
    if weights is None or base <= 0:
        return [None] * len(codes)
    by_code = [totals.by_cell(variable.name, Kind.CODE, code) for code in codes]
    for counts in by_code:
        for weight_cell, in_cell in bases.items():
            count = counts.get(weight_cell, 0)
            if is_small(count, k) or is_small(in_cell - count, k):
                return [None] * len(codes)
    return [weighted_total(counts, weights) / base for counts in by_code]


def question(
    variable: SelectVariable, totals: Totals, weights: Weights | None, meta: Meta, n_all: int, k: int
) -> dict[str, Any]:
    given = totals.codes(variable.name, Kind.CODE)
    no_answer = totals.count(variable.name, Kind.NO_ANSWER)
    codes = row_codes(variable, list(given))
    counts = [given.get(code, 0) for code in codes]
    if variable.multiple:
        base = totals.count(variable.name, Kind.SHOWN)
        hidden, no_answer_hidden = suppress_ticks(counts, base, no_answer, k)
        mask = [*hidden, no_answer_hidden]
    else:
        base = sum(counts) + no_answer
        mask = suppress_distribution([*counts, no_answer], k)
    weighted = _weighted_shares(totals, variable, codes, weights, k)
    rows = [
        {
            "code": code,
            "label": code_labels(variable, code, meta.languages),
            "cell": cell(count, base, hidden),
            "weighted_share": None if hidden else share,
        }
        for code, count, hidden, share in zip(codes, counts, mask, weighted, strict=False)
    ]
    return {
        "name": variable.name,
        "type": variable.type,
        "label": dict(variable.label),
        "section": variable.section,
        "base": base,
        "rows": rows,
        "no_answer": cell(no_answer, base, mask[-1]),
        "not_shown": {"count": n_all - base},
    }


def number(variable: NumberVariable, totals: Totals, n_all: int, k: int) -> dict[str, Any]:
    counted = totals.values.get(variable.name, {})
    no_answer = counted.get(None, 0)
    stats = summary({value: count for value, count in counted.items() if value is not None})
    present = (stats["n"] or 0) + no_answer
    suppressed = is_small(stats["n"] or 0, k)
    if suppressed:
        stats = dict.fromkeys(stats)
    return {
        "name": variable.name,
        "label": dict(variable.label),
        **stats,
        "no_answer": no_answer,
        "not_shown": n_all - present,
        "suppressed": suppressed,
    }


def benchmarks(
    spec: AnalysisSpec, catalogue: Catalogue, questions: dict[str, dict[str, Any]], meta: Meta
) -> list[dict[str, Any]]:
    result = []
    for benchmark in spec.benchmarks:
        variable, figure = catalogue.select(benchmark.variable), questions.get(benchmark.variable)
        if variable is None or figure is None:
            continue  # not asked in this wave's version
        row = next((row for row in figure["rows"] if row["code"] == benchmark.code), None)
        zero = cell(0, figure["base"], False)
        result.append(
            {
                "variable": benchmark.variable,
                "code": benchmark.code,
                "label": code_labels(variable, benchmark.code, meta.languages),
                "question_label": dict(variable.label),
                "population_share": benchmark.share,
                "source": benchmark.source,
                "sample": row["cell"] if row else zero,
                "weighted_share": row["weighted_share"] if row else None,
            }
        )
    return result


def build_figures(
    totals: Totals, catalogue: Catalogue, spec: AnalysisSpec, breakdowns: Sequence[str], meta: Meta
) -> dict[str, Any]:
    """The whole document from summed counts."""
    k = spec.k
    work = fieldwork(totals, catalogue, meta.languages, k)
    n_all = work["n"]["all"]
    weights = raking(totals, usable_margins(catalogue, spec.margins))
    shown = weights if weights is not None and weights.shown(k) else None
    questions = {v.name: question(v, totals, shown, meta, n_all, k) for v in catalogue.selects}
    tables = crosstabs(totals, catalogue, breakdowns, meta.languages, k)
    return {
        "version": FIGURES_VERSION,
        "k": k,
        "languages": list(meta.languages),
        "default_language": meta.default_language,
        "wave": {"id": meta.wave_id, "number": meta.wave_number, "name": meta.wave_name},
        "questionnaire_version": meta.questionnaire_version,
        "computed_at": meta.computed_at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **work,
        "median_minutes": None,  # no timestamps are stored (docs/decisions.md)
        "weights": weights.describe(k) if weights else None,
        "questions": list(questions.values()),
        "numbers": [number(variable, totals, n_all, k) for variable in catalogue.numbers],
        "crosstabs": tables,
        "pairs": pairs(spec, catalogue, questions, tables, breakdowns, meta.languages),
        "benchmarks": benchmarks(spec, catalogue, questions, meta),
    }
