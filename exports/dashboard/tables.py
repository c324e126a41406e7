"""The dashboard's tables: a snapshot's ``figures`` turned into display rows and their CSV twins.

Every table keeps a CSV form built in the same loop as its rows, so the page and the download cannot
disagree. CSV text goes through ``exports.neutralise``: a question label typed as ``=HYPERLINK(…)``
must not become a formula in the analyst's spreadsheet; codes keep plain numbers such as ``-1``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from exports.dashboard.cells import (
    DASH,
    Cell,
    CsvValue,
    Formatter,
    Table,
    language_name,
    percent_or_dash,
    text_cell,
)
from exports.neutralise import neutralise, neutralise_code

# -- fieldwork ----------------------------------------------------------------------------------------


def status_table(figures: Mapping[str, Any], fmt: Formatter) -> Table:
    counts = figures.get("n") or {}
    total = counts.get("all") or 0
    table = Table(
        key="fieldwork-status",
        title=_("Responses by status"),
        headers=[_("Status"), _("Responses"), _("Share of all")],
        csv_header=["status", "responses", "share"],
    )
    statuses = [
        ("all", _("All")),
        ("completed", _("Completed")),
        ("screened_out", _("Screened out")),
        ("in_progress", _("In progress")),
    ]
    for name, title in statuses:
        count = counts.get(name)
        share = count / total if total and count is not None else None
        table.rows.append([text_cell(title), Cell(fmt.number(count)), percent_or_dash(fmt, share)])
        table.csv_rows.append([name, "" if count is None else count, fmt.csv_share(share)])
    return table


def language_table(figures: Mapping[str, Any], fmt: Formatter) -> Table:
    table = Table(
        key="fieldwork-language",
        title=_("Responses by language"),
        headers=[_("Language"), _("Started"), _("Completed")],
        csv_header=["language", "started", "completed"],
    )
    for row in figures.get("by_language") or []:
        code = str(row.get("language", ""))
        table.rows.append(
            [
                text_cell(language_name(code)),
                fmt.count_cell(row.get("all")),
                fmt.count_cell(row.get("completed")),
            ]
        )
        table.csv_rows.append(
            [neutralise_code(code), fmt.csv_count(row.get("all")), fmt.csv_count(row.get("completed"))]
        )
    return table


def day_table(figures: Mapping[str, Any], fmt: Formatter) -> Table:
    table = Table(
        key="fieldwork-days",
        title=_("Responses by day"),
        headers=[pgettext("calendar day, a table column", "Day"), _("Started"), _("Completed")],
        csv_header=["date", "started", "completed"],
    )
    for row in figures.get("by_day") or []:
        day = str(row.get("date", ""))
        table.rows.append(
            [text_cell(day), fmt.count_cell(row.get("started")), fmt.count_cell(row.get("completed"))]
        )
        table.csv_rows.append(
            [neutralise_code(day), fmt.csv_count(row.get("started")), fmt.csv_count(row.get("completed"))]
        )
    return table


def funnel_table(figures: Mapping[str, Any], fmt: Formatter) -> Table:
    table = Table(
        key="fieldwork-funnel",
        title=_("Completion funnel"),
        headers=[_("Page"), _("Reached"), _("Share of started")],
        caption=_("How many of those who started reached each page."),
        csv_header=["section", "label", "reached", "share"],
    )
    for row in figures.get("funnel") or []:
        name = str(row.get("section", ""))
        reached = row.get("reached")
        table.rows.append(
            [text_cell(fmt.label(row.get("label"), name)), fmt.count_cell(reached), fmt.share_cell(reached)]
        )
        table.csv_rows.append(
            [
                neutralise_code(name),
                neutralise(fmt.label(row.get("label"), name)),
                fmt.csv_count(reached),
                fmt.csv_share(reached),
            ]
        )
    return table


# -- frequencies and numbers --------------------------------------------------------------------------


def has_weights(figures: Mapping[str, Any]) -> bool:
    """Whether weighted figures are shown (not when a weighting cell is small: ``"shown": false``)."""
    weights = figures.get("weights")
    return bool(weights) and weights.get("shown", True) is not False


def weights_withheld(figures: Mapping[str, Any]) -> bool:
    """Whether margins are set but the weights are not shown (a weighting cell has fewer than k)."""
    weights = figures.get("weights")
    return bool(weights) and weights.get("shown", True) is False


def frequency_table(question: Mapping[str, Any], fmt: Formatter, *, weighted: bool) -> Table:
    """Counts and shares of each answer; the base, "no answer" and "not shown" in a foot apart."""
    name = str(question.get("name", ""))
    headers = [_("Answer"), _("Count"), _("Share")]
    csv_header = ["code", "label", "count", "share"]
    if weighted:
        headers.append(_("Weighted share"))
        csv_header.append("weighted_share")
    base = question.get("base")
    caption = _("Share of the %(base)s respondents shown the question.") % {"base": fmt.number(base)}
    if question.get("type") == "select_multiple":
        caption += " " + _("Several answers allowed: shares do not add up to %(total)s.") % {"total": "100%"}
    table = Table(
        key=f"frequencies:{name}",
        title=fmt.label(question.get("label"), name),
        headers=headers,
        caption=caption,
        csv_header=csv_header,
    )
    for row in question.get("rows") or []:
        code = str(row.get("code", ""))
        answer = fmt.label(row.get("label"), code)
        cell = row.get("cell")
        cells = [Cell(answer, detail=code, kind="text"), fmt.count_cell(cell), fmt.share_cell(cell)]
        values: list[CsvValue] = [
            neutralise_code(code),
            neutralise(answer),
            fmt.csv_count(cell),
            fmt.csv_share(cell),
        ]
        if weighted:
            suppressed = bool(cell and cell.get("suppressed"))
            share = row.get("weighted_share")
            cells.append(
                Cell(fmt.suppressed, kind="suppressed") if suppressed else percent_or_dash(fmt, share)
            )
            values.append(fmt.suppressed if suppressed else fmt.csv_share(share))
        table.rows.append(cells)
        table.csv_rows.append(values)
    blank = [Cell("", kind="missing")] * (1 if weighted else 0)
    no_answer = question.get("no_answer")
    not_shown = (question.get("not_shown") or {}).get("count")
    table.foot = [
        [
            text_cell(_("Shown the question (base)")),
            Cell(fmt.number(base)),
            Cell(fmt.percent(1.0 if base else None)),
            *blank,
        ],
        [text_cell(_("No answer")), fmt.count_cell(no_answer), fmt.share_cell(no_answer), *blank],
        [
            text_cell(_("Not shown")),
            Cell(fmt.number(not_shown)),
            Cell(DASH, kind="missing"),
            *blank,
        ],
    ]
    extra = [""] if weighted else []
    table.csv_rows += [
        [
            "(base)",
            neutralise(_("Shown the question (base)")),
            "" if base is None else base,
            "100.0%" if base else "",
            *extra,
        ],
        [
            "(no answer)",
            neutralise(_("No answer")),
            fmt.csv_count(no_answer),
            fmt.csv_share(no_answer),
            *extra,
        ],
        ["(not shown)", neutralise(_("Not shown")), "" if not_shown is None else not_shown, "", *extra],
    ]
    return table


NUMBER_STATS = ("mean", "median", "q1", "q3", "min", "max")


def numbers_table(figures: Mapping[str, Any], fmt: Formatter) -> Table:
    table = Table(
        key="numbers",
        title=_("Summary of number questions"),
        headers=[
            _("Question"),
            "n",
            _("Mean"),
            _("Median"),
            _("Q1"),
            _("Q3"),
            _("Min"),
            _("Max"),
            _("No answer"),
            _("Not shown"),
        ],
        csv_header=["name", "label", "n", *NUMBER_STATS, "no_answer", "not_shown"],
    )
    for row in figures.get("numbers") or []:
        name = str(row.get("name", ""))
        title = fmt.label(row.get("label"), name)
        suppressed = bool(row.get("suppressed"))
        count = Cell(fmt.suppressed, kind="suppressed") if suppressed else Cell(fmt.number(row.get("n")))
        stats = [
            Cell(DASH, kind="missing") if suppressed else Cell(fmt.number(row.get(stat), 1))
            for stat in NUMBER_STATS
        ]
        table.rows.append(
            [
                Cell(title, detail=name, kind="text"),
                count,
                *stats,
                Cell(fmt.number(row.get("no_answer"))),
                Cell(fmt.number(row.get("not_shown"))),
            ]
        )
        csv_stats = ["" if suppressed or row.get(stat) is None else row[stat] for stat in NUMBER_STATS]
        table.csv_rows.append(
            [
                neutralise_code(name),
                neutralise(title),
                fmt.suppressed if suppressed else row.get("n", ""),
                *csv_stats,
                row.get("no_answer", ""),
                row.get("not_shown", ""),
            ]
        )
    return table


# -- cross-tabs, pairs, benchmarks, weights -----------------------------------------------------------


def crosstab_title(crosstab: Mapping[str, Any], fmt: Formatter) -> str:
    return _("%(row)s by %(column)s") % {
        "row": fmt.label(crosstab.get("row_label"), str(crosstab.get("row", ""))),
        "column": fmt.label(crosstab.get("column_label"), str(crosstab.get("column", ""))),
    }


def crosstab_table(crosstab: Mapping[str, Any], fmt: Formatter) -> Table:
    """Column shares with the count and the 95% interval under each; the column bases in the foot."""
    columns = crosstab.get("columns") or []
    column_titles = [fmt.label(column.get("label"), str(column.get("code", ""))) for column in columns]
    table = Table(
        key=f"crosstab:{crosstab.get('row', '')}:{crosstab.get('column', '')}",
        title=crosstab_title(crosstab, fmt),
        headers=[_("Answer"), *column_titles],
        caption=_(
            "Column shares: each column adds up over its own base. Under each share: the count and "
            "the %(level)s confidence interval."
        )
        % {"level": "95%"},
        csv_header=["code", "label"],
    )
    for column in columns:
        code = neutralise_code(str(column.get("code", "")))
        table.csv_header += [f"{code}_count", f"{code}_share", f"{code}_ci_low", f"{code}_ci_high"]
    for row in crosstab.get("rows") or []:
        code = str(row.get("code", ""))
        answer = fmt.label(row.get("label"), code)
        cells, values = [text_cell(answer)], [neutralise_code(code), neutralise(answer)]
        for cell in row.get("cells") or []:
            shown = fmt.share_cell(cell)
            if not cell.get("suppressed"):
                detail = " · ".join(
                    part for part in (fmt.number(cell.get("count")), fmt.ci_text(cell.get("ci"))) if part
                )
                shown = Cell(shown.text, detail=detail, kind=shown.kind)
            cells.append(shown)
            ci = cell.get("ci") or [None, None]
            values += [
                fmt.csv_count(cell),
                fmt.csv_share(cell),
                "" if ci[0] is None else round(ci[0] * 100, 1),
                "" if ci[1] is None else round(ci[1] * 100, 1),
            ]
        table.rows.append(cells)
        table.csv_rows.append(values)
    table.foot = [[text_cell(_("Base")), *(fmt.count_cell(column.get("base")) for column in columns)]]
    base_values: list[CsvValue] = ["(base)", neutralise(_("Base"))]
    for column in columns:
        base_values += [fmt.csv_count(column.get("base")), "", "", ""]
    table.csv_rows.append(base_values)
    return table


def pair_title(pair: Mapping[str, Any], fmt: Formatter) -> str:
    title = fmt.label(pair.get("label"))
    return title or f"{pair.get('before', '')} → {pair.get('after', '')}"


def pair_key(pair: Mapping[str, Any]) -> str:
    return f"pair:{pair.get('before', '')}:{pair.get('after', '')}"


def change_cell(fmt: Formatter, change: float | None) -> Cell:
    return Cell(DASH, kind="missing") if change is None else Cell(fmt.signed(change * 100))


def _pair_rows(
    rows: Iterable[Mapping[str, Any]], fmt: Formatter
) -> Iterable[tuple[list[Cell], list[CsvValue]]]:
    for row in rows:
        code = str(row.get("code", ""))
        answer = fmt.label(row.get("label"), code)
        before, after, change = row.get("before"), row.get("after"), row.get("change")
        cells = [
            text_cell(answer),
            fmt.share_cell(before, with_count=True),
            fmt.share_cell(after, with_count=True),
            change_cell(fmt, change),
        ]
        values: list[CsvValue] = [
            neutralise_code(code),
            neutralise(answer),
            fmt.csv_count(before),
            fmt.csv_share(before),
            fmt.csv_count(after),
            fmt.csv_share(after),
            "" if change is None else round(change * 100, 1),
        ]
        yield cells, values


PAIR_CSV = ["code", "label", "before_count", "before_share", "after_count", "after_share", "change_points"]


def pair_headers() -> list[str]:
    return [_("Answer"), _("Before"), _("After"), _("Change, points")]


def pair_table(pair: Mapping[str, Any], fmt: Formatter) -> Table:
    table = Table(
        key=pair_key(pair),
        title=pair_title(pair, fmt),
        headers=pair_headers(),
        caption=_(
            "Shares before and after, with counts; the change is after minus before, in percentage points."
        ),
        csv_header=list(PAIR_CSV),
    )
    for cells, values in _pair_rows(pair.get("overall") or [], fmt):
        table.rows.append(cells)
        table.csv_rows.append(values)
    return table


def pair_breakdown_tables(pair: Mapping[str, Any], fmt: Formatter, names: Mapping[str, str]) -> list[Table]:
    """One table per breakdown group (e.g. women, men); its CSV holds every group of the breakdown."""
    tables = []
    for breakdown in pair.get("by") or []:
        variable = str(breakdown.get("breakdown", ""))
        key = f"{pair_key(pair)}:by:{variable}"
        for group in breakdown.get("groups") or []:
            group_code = str(group.get("code", ""))
            group_label = fmt.label(group.get("label"), group_code)
            table = Table(
                key=key,
                title=_("%(breakdown)s: %(group)s")
                % {"breakdown": names.get(variable, variable), "group": group_label},
                headers=pair_headers(),
                csv_header=["group_code", "group_label", *PAIR_CSV],
            )
            for cells, values in _pair_rows(group.get("rows") or [], fmt):
                table.rows.append(cells)
                table.csv_rows.append([neutralise_code(group_code), neutralise(group_label), *values])
            tables.append(table)
    return tables


def benchmark_table(figures: Mapping[str, Any], fmt: Formatter) -> Table:
    weighted = has_weights(figures)
    headers = [_("Question"), _("Answer"), _("Sample")]
    csv_header = ["variable", "question", "code", "answer", "sample_count", "sample_share"]
    if weighted:
        headers.append(_("Sample, weighted"))
        csv_header.append("weighted_share")
    headers += [_("Population"), _("Source")]
    csv_header += ["population_share", "source"]
    table = Table(key="benchmarks", title=_("Sample and population"), headers=headers, csv_header=csv_header)
    for row in figures.get("benchmarks") or []:
        variable, code = str(row.get("variable", "")), str(row.get("code", ""))
        question, answer = fmt.label(row.get("question_label"), variable), fmt.label(row.get("label"), code)
        sample = row.get("sample")
        suppressed = bool(sample and sample.get("suppressed"))
        cells = [text_cell(question), text_cell(answer), fmt.share_cell(sample, with_count=True)]
        values: list[CsvValue] = [
            neutralise_code(variable),
            neutralise(question),
            neutralise_code(code),
            neutralise(answer),
            fmt.csv_count(sample),
            fmt.csv_share(sample),
        ]
        if weighted:
            share = row.get("weighted_share")
            cells.append(
                Cell(fmt.suppressed, kind="suppressed") if suppressed else percent_or_dash(fmt, share)
            )
            values.append(fmt.suppressed if suppressed else fmt.csv_share(share))
        source = str(row.get("source") or "")
        cells += [percent_or_dash(fmt, row.get("population_share")), text_cell(source)]
        values += [fmt.csv_share(row.get("population_share")), neutralise(source)]
        table.rows.append(cells)
        table.csv_rows.append(values)
    return table


def weights_table(figures: Mapping[str, Any], fmt: Formatter, names: Mapping[str, str]) -> Table:
    weights = figures.get("weights") or {}
    variables = [str(name) for name in weights.get("variables") or []]
    yes_no = {True: _("yes"), False: _("no"), None: DASH}
    effect = weights.get("design_effect")
    facts = [
        (
            "variables",
            _("Weighted by"),
            ", ".join(names.get(name, name) for name in variables) or DASH,
            ", ".join(variables),
        ),
        (
            "converged",
            _("Raking converged"),
            yes_no.get(weights.get("converged"), DASH),
            weights.get("converged", ""),
        ),
        ("iterations", _("Iterations"), fmt.number(weights.get("iterations")), weights.get("iterations", "")),
        (
            "design_effect",
            _("Design effect"),
            fmt.number(effect, 2),
            "" if effect is None else f"{effect:.2f}",
        ),
        (
            "trimmed",
            _("Weights trimmed"),
            yes_no.get(weights.get("trimmed"), DASH),
            weights.get("trimmed", ""),
        ),
    ]
    table = Table(
        key="weights",
        title=_("Raking weights"),
        headers=[_("Property"), _("Value")],
        csv_header=["property", "value"],
    )
    for name, title, shown, raw in facts:
        table.rows.append([text_cell(title), Cell(shown, kind="text")])
        table.csv_rows.append([name, neutralise(str(raw)) if isinstance(raw, str) else str(raw)])
    return table
