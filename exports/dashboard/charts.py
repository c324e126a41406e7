"""Server-rendered inline SVG charts for the dashboard (no charting library, no script).

The pages are served with ``default-src 'self'``: no inline ``<style>`` or ``style=""``. So the SVG
uses presentation attributes for geometry and CSS classes (``static/admin/volna/dashboard.css``) for
colours. Every chart is ``role="img"`` with an ``aria-label`` and a ``<title>`` that say what it shows
in words, and the page puts the data table next to it. All text is escaped here: labels are typed by
researchers and may carry markup. A suppressed value has no bar (a zero-length bar would read as 0);
its text says "< k".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH = 420  # user units; the SVG scales down to the screen (a 375 px phone shows it at ~0.8)
FONT = 14
LABEL_CHARS = 52
SERIES_CHARS = 14
SERIES_WIDTH = 118
VALUE_ROOM = 64  # room right of the longest bar for its value ("100.0%")
BAR = 16
SMALL_BAR = 13
SERIES_CLASSES = 6
ALT_ITEMS = 40  # a text alternative lists at most this many values; the table has them all


@dataclass(frozen=True)
class Bar:
    """One value: its label, its size (a share, or a count with ``scale``), and its text."""

    label: str
    value: float | None  # None: suppressed or unknown, drawn without a bar
    text: str


@dataclass(frozen=True)
class BarGroup:
    """Bars drawn together under one label (a cross-tab's answer, a pair's choice)."""

    label: str
    bars: Sequence[Bar]


@dataclass(frozen=True)
class Day:
    label: str
    started: int | None
    completed: int | None
    started_text: str
    completed_text: str


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(chart_id: str, height: float, alt: str, body: list[str]) -> SafeString:
    alt_text = escape(alt)
    parts = [
        f'<svg class="volna-chart" id="{escape(chart_id)}" role="img" aria-label="{alt_text}" '
        f'viewBox="0 0 {WIDTH} {_num(height)}" width="{WIDTH}" height="{_num(height)}" '
        f'font-size="{FONT}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{alt_text}</title>",
        *body,
        "</svg>",
    ]
    return mark_safe("".join(parts))  # noqa: S308 (every piece of text above went through escape())


def _text(x: float, y: float, text: str, css: str = "", anchor: str = "") -> str:
    attributes = f' class="{css}"' if css else ""
    if anchor:
        attributes += f' text-anchor="{anchor}"'
    return f'<text x="{_num(x)}" y="{_num(y)}"{attributes}>{escape(text)}</text>'


def _rect(x: float, y: float, width: float, height: float, css: str) -> str:
    return f'<rect class="{css}" x="{_num(x)}" y="{_num(y)}" width="{_num(width)}" height="{_num(height)}"/>'


def _bar_row(
    bar: Bar, *, x: float, y: float, length: float, scale: float, css: str, height: float
) -> list[str]:
    """A bar from ``x`` and its value text after it (or alone, for a suppressed value)."""
    if bar.value is None or scale <= 0:
        return [_text(x + 2, y + height - 3, bar.text, "volna-chart-value volna-chart-suppressed")]
    width = max(0.0, min(1.0, bar.value / scale)) * length
    return [
        _rect(x, y, max(width, 1.0 if bar.value > 0 else 0.0), height, css),
        _text(x + width + 6, y + height - 3, bar.text, "volna-chart-value"),
    ]


def summary(title: str, items: Sequence[str]) -> str:
    listed = "; ".join(items[:ALT_ITEMS])
    if len(items) > ALT_ITEMS:
        listed += "; " + _("and %(n)d more in the table") % {"n": len(items) - ALT_ITEMS}
    return f"{title}: {listed}." if listed else title


def bar_chart(*, chart_id: str, title: str, bars: Sequence[Bar], scale: float = 1.0) -> SafeString:
    """Horizontal bars, each with its label on the line above (long labels fit a phone that way)."""
    length = WIDTH - VALUE_ROOM
    body, y = [], 0.0
    for bar in bars:
        body.append(_text(0, y + FONT, clip(bar.label, LABEL_CHARS), "volna-chart-label"))
        body += _bar_row(
            bar, x=0, y=y + FONT + 4, length=length, scale=scale, css="volna-chart-bar s0", height=BAR
        )
        y += FONT + 4 + BAR + 10
    alt = summary(_("Bar chart of %(title)s") % {"title": title}, [f"{bar.label} {bar.text}" for bar in bars])
    return _svg(chart_id, max(y, 1), alt, body)


def grouped_bar_chart(
    *, chart_id: str, title: str, groups: Sequence[BarGroup], scale: float = 1.0
) -> SafeString:
    """For each group a label, then one bar per series with the series' name before it.

    The name is written on each bar, so the chart needs no legend and no colour to be read.
    """
    x = SERIES_WIDTH
    length = WIDTH - x - VALUE_ROOM
    body, y = [], 0.0
    items = []
    for group in groups:
        body.append(_text(0, y + FONT, clip(group.label, LABEL_CHARS), "volna-chart-label volna-chart-group"))
        y += FONT + 6
        for index, bar in enumerate(group.bars):
            css = f"volna-chart-bar s{index % SERIES_CLASSES}"
            body.append(
                _text(x - 6, y + SMALL_BAR - 2, clip(bar.label, SERIES_CHARS), "volna-chart-series", "end")
            )
            body += _bar_row(bar, x=x, y=y, length=length, scale=scale, css=css, height=SMALL_BAR)
            y += SMALL_BAR + 4
            items.append(f"{group.label}, {bar.label} {bar.text}")
        y += 10
    alt = summary(_("Grouped bar chart of %(title)s") % {"title": title}, items)
    return _svg(chart_id, max(y, 1), alt, body)


def day_chart(*, chart_id: str, title: str, days: Sequence[Day]) -> SafeString:
    """Started (wide, light) and completed (narrow, dark) responses per day as columns."""
    top, plot_height, axis = 18.0, 110.0, 16.0
    highest = max([day.started or 0 for day in days] + [day.completed or 0 for day in days] + [1])
    slot = WIDTH / max(len(days), 1)
    body = [_text(0, FONT - 2, _("highest: %(n)s") % {"n": highest}, "volna-chart-axis")]
    baseline = top + plot_height
    for index, day in enumerate(days):
        x = index * slot
        for value, css, inset in (
            (day.started, "volna-chart-bar s1", 0.1),
            (day.completed, "volna-chart-bar s0", 0.3),
        ):
            if value:
                height = value / highest * plot_height
                body.append(_rect(x + slot * inset, baseline - height, slot * (1 - 2 * inset), height, css))
    line_y = _num(baseline)
    body.append(f'<line class="volna-chart-axisline" x1="0" y1="{line_y}" x2="{WIDTH}" y2="{line_y}"/>')
    if days:
        body.append(_text(0, baseline + axis, days[0].label, "volna-chart-axis"))
        if len(days) > 1:
            body.append(_text(WIDTH, baseline + axis, days[-1].label, "volna-chart-axis", "end"))
    legend_y = baseline + axis + 18
    body += [
        _rect(0, legend_y - 10, 12, 12, "volna-chart-bar s1"),
        _text(18, legend_y, _("Started"), "volna-chart-axis"),
        _rect(120, legend_y - 10, 12, 12, "volna-chart-bar s0"),
        _text(138, legend_y, _("Completed"), "volna-chart-axis"),
    ]
    items = [
        _("%(day)s: %(started)s started, %(completed)s completed")
        % {"day": day.label, "started": day.started_text, "completed": day.completed_text}
        for day in days
    ]
    alt = summary(_("Column chart of %(title)s") % {"title": title}, items)
    return _svg(chart_id, legend_y + 6, alt, body)
