"""The dashboard page as plain values: sections of blocks, each a chart (optional) beside its table.

Built from one snapshot's ``figures`` and nothing else, so rendering costs no query per question. The
same build gives the CSV downloads (``downloads``: one table per key; the per-group tables of a
before/after breakdown share one key and one file).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from exports.dashboard import charts
from exports.dashboard import tables as t
from exports.dashboard.cells import DASH, Formatter, Table


@dataclass
class Block:
    """A table, the chart drawn from it (or None), and the notes that go with them."""

    table: Table
    chart: SafeString | None = None
    notes: list[str] = field(default_factory=list)
    heading: str = ""  # a sub-heading above a run of blocks (a pair's breakdown)
    sub: bool = False  # one of the run under such a heading


@dataclass
class Section:
    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    intro: str = ""
    empty: str = ""  # said when the section has no block


@dataclass
class DashboardPage:
    sections: list[Section]
    downloads: dict[str, Table]
    k: int
    language: str


def label_language(figures: Mapping[str, Any], *, active: str, languages: list[str], default: str) -> str:
    """The admin user's language when the survey has it, else the survey's default language."""
    if active in languages:
        return active
    short = active.split("-")[0]
    if short in languages:
        return short
    return default or str(figures.get("default_language") or "")


class PageBuilder:
    def __init__(self, figures: Mapping[str, Any], fmt: Formatter, *, with_charts: bool) -> None:
        self.figures = figures
        self.fmt = fmt
        self.with_charts = with_charts
        self.downloads: dict[str, Table] = {}
        self._charts = 0
        # question labels by variable name, for breakdowns and weighting variables
        self.names = {
            str(question.get("name", "")): fmt.label(question.get("label"), str(question.get("name", "")))
            for question in figures.get("questions") or []
        }

    def block(self, table: Table, chart: Any = None, **kwargs: Any) -> Block:
        known = self.downloads.get(table.key)
        if known is None:
            self.downloads[table.key] = Table(
                key=table.key,
                title=table.title,
                headers=table.headers,
                csv_header=table.csv_header,
                csv_rows=list(table.csv_rows),
            )
        else:
            known.csv_rows += table.csv_rows
        drawn = chart() if (chart is not None and self.with_charts) else None
        return Block(table=table, chart=drawn, **kwargs)

    def chart_id(self) -> str:
        self._charts += 1
        return f"volna-chart-{self._charts}"

    def bar(self, label: str, cell: Mapping[str, Any] | None, *, count: bool = False) -> charts.Bar:
        """A bar for a cell: its share (or count), or no bar when suppressed."""
        if not cell or cell.get("suppressed"):
            return charts.Bar(label, None, self.fmt.suppressed if cell else DASH)
        if count:
            return charts.Bar(label, cell.get("count"), self.fmt.number(cell.get("count")))
        return charts.Bar(label, cell.get("share"), self.fmt.percent(cell.get("share")))

    def share_bar(self, label: str, share: float | None, *, suppressed: bool = False) -> charts.Bar:
        if suppressed:
            return charts.Bar(label, None, self.fmt.suppressed)
        return charts.Bar(label, share, self.fmt.percent(share))

    # -- sections ---------------------------------------------------------------------------------

    def fieldwork(self) -> Section:
        figures, fmt = self.figures, self.fmt
        section = Section("fieldwork", _("Fieldwork"))
        section.blocks.append(self.block(t.status_table(figures, fmt)))
        languages = t.language_table(figures, fmt)
        section.blocks.append(self.block(languages))
        days = figures.get("by_day") or []
        day_table = t.day_table(figures, fmt)
        if days:

            def draw_days() -> SafeString:
                return charts.day_chart(
                    chart_id=self.chart_id(),
                    title=day_table.title,
                    days=[self._day(row) for row in days],
                )

            section.blocks.append(self.block(day_table, draw_days))
        else:
            section.blocks.append(
                self.block(day_table, notes=[_("Response dates are not kept for this survey.")])
            )
        funnel = figures.get("funnel") or []
        funnel_table = t.funnel_table(figures, fmt)
        section.blocks.append(
            self.block(
                funnel_table,
                lambda: charts.bar_chart(
                    chart_id=self.chart_id(),
                    title=funnel_table.title,
                    bars=[
                        self.bar(fmt.label(row.get("label"), str(row.get("section", ""))), row.get("reached"))
                        for row in funnel
                    ],
                ),
            )
        )
        return section

    def _day(self, row: Mapping[str, Any]) -> charts.Day:
        started, completed = row.get("started") or {}, row.get("completed") or {}
        return charts.Day(
            label=str(row.get("date", "")),
            started=None if started.get("suppressed") else started.get("count"),
            completed=None if completed.get("suppressed") else completed.get("count"),
            started_text=self.fmt.count_cell(started).text,
            completed_text=self.fmt.count_cell(completed).text,
        )

    def frequencies(self) -> Section:
        section = Section("frequencies", _("Frequencies"), empty=_("This version has no select questions."))
        weighted = t.has_weights(self.figures)
        for question in self.figures.get("questions") or []:
            table = t.frequency_table(question, self.fmt, weighted=weighted)
            rows = question.get("rows") or []

            def draw(table: Table = table, rows: list = rows) -> SafeString:
                bars = [
                    self.bar(self.fmt.label(row.get("label"), str(row.get("code", ""))), row.get("cell"))
                    for row in rows
                ]
                return charts.bar_chart(chart_id=self.chart_id(), title=table.title, bars=bars)

            section.blocks.append(self.block(table, draw))
        return section

    def numbers(self) -> Section:
        section = Section("numbers", _("Numbers"), empty=_("This version has no number questions."))
        if self.figures.get("numbers"):
            section.blocks.append(self.block(t.numbers_table(self.figures, self.fmt)))
        return section

    def crosstabs(self) -> Section:
        section = Section(
            "crosstabs",
            _("Cross-tabulations"),
            empty=_("No cross-tabulations: choose breakdown variables in the dashboard settings."),
        )
        for crosstab in self.figures.get("crosstabs") or []:
            table = t.crosstab_table(crosstab, self.fmt)

            def draw(crosstab: Mapping[str, Any] = crosstab, table: Table = table) -> SafeString:
                titles = [
                    self.fmt.label(c.get("label"), str(c.get("code", "")))
                    for c in crosstab.get("columns") or []
                ]
                groups = [
                    charts.BarGroup(
                        self.fmt.label(row.get("label"), str(row.get("code", ""))),
                        [
                            self.bar(title, cell)
                            for title, cell in zip(titles, row.get("cells") or [], strict=False)
                        ],
                    )
                    for row in crosstab.get("rows") or []
                ]
                return charts.grouped_bar_chart(chart_id=self.chart_id(), title=table.title, groups=groups)

            section.blocks.append(self.block(table, draw))
        return section

    def pairs(self) -> Section:
        section = Section(
            "pairs",
            _("Before and after"),
            empty=_("No before/after pairs are set in the dashboard settings."),
        )
        for pair in self.figures.get("pairs") or []:
            table = t.pair_table(pair, self.fmt)
            section.blocks.append(
                self.block(table, lambda pair=pair, table=table: self._pair_chart(pair, table))
            )
            for index, group_table in enumerate(t.pair_breakdown_tables(pair, self.fmt, self.names)):
                heading = _("%(pair)s by group") % {"pair": table.title} if index == 0 else ""
                section.blocks.append(self.block(group_table, heading=heading, sub=True))
        return section

    def _pair_chart(self, pair: Mapping[str, Any], table: Table) -> SafeString:
        before, after = _("Before"), _("After")
        groups = [
            charts.BarGroup(
                self.fmt.label(row.get("label"), str(row.get("code", ""))),
                [self.bar(before, row.get("before")), self.bar(after, row.get("after"))],
            )
            for row in pair.get("overall") or []
        ]
        return charts.grouped_bar_chart(chart_id=self.chart_id(), title=table.title, groups=groups)

    def benchmarks(self) -> Section:
        section = Section(
            "benchmarks",
            _("Benchmarks"),
            empty=_("No population benchmarks are set in the dashboard settings."),
        )
        rows = self.figures.get("benchmarks") or []
        if not rows:
            return section
        table = t.benchmark_table(self.figures, self.fmt)
        sources = sorted({str(row.get("source")) for row in rows if row.get("source")})
        notes = [_("Sources: %(sources)s.") % {"sources": "; ".join(sources)}] if sources else []
        section.blocks.append(self.block(table, lambda: self._benchmark_chart(rows, table), notes=notes))
        return section

    def _benchmark_chart(self, rows: list[Mapping[str, Any]], table: Table) -> SafeString:
        fmt = self.fmt
        weighted = t.has_weights(self.figures)
        groups = []
        for row in rows:
            sample = row.get("sample")
            suppressed = bool(sample and sample.get("suppressed"))
            bars = [self.bar(_("Sample"), sample)]
            if weighted:
                bars.append(self.share_bar(_("Weighted"), row.get("weighted_share"), suppressed=suppressed))
            bars.append(self.share_bar(_("Population"), row.get("population_share")))
            question = fmt.label(row.get("question_label"), str(row.get("variable", "")))
            title = f"{question}: {fmt.label(row.get('label'), str(row.get('code', '')))}"
            groups.append(charts.BarGroup(title, bars))
        return charts.grouped_bar_chart(chart_id=self.chart_id(), title=table.title, groups=groups)

    def weights(self) -> Section:
        section = Section("weights", _("Weights"))
        if t.has_weights(self.figures):
            section.blocks.append(self.block(t.weights_table(self.figures, self.fmt, self.names)))
        elif t.weights_withheld(self.figures):
            section.intro = _(
                "Weights are not shown, and every figure is unweighted: a weighting cell has fewer than "
                "%(k)s respondents."
            ) % {"k": self.fmt.k}
        else:
            section.intro = _("No weighting margins are set: every figure is unweighted.")
        return section

    def build(self) -> list[Section]:
        return [
            self.fieldwork(),
            self.frequencies(),
            self.numbers(),
            self.crosstabs(),
            self.pairs(),
            self.benchmarks(),
            self.weights(),
        ]


def dashboard_page(
    figures: Mapping[str, Any], *, language: str, fallback: str, with_charts: bool = True
) -> DashboardPage:
    """Sections, blocks and downloads of one snapshot's figures, labels in ``language``."""
    k = int(figures.get("k") or 0)
    builder = PageBuilder(
        figures, Formatter(language=language, fallback=fallback, k=k), with_charts=with_charts
    )
    sections = builder.build()
    return DashboardPage(sections=sections, downloads=builder.downloads, k=k, language=language)
