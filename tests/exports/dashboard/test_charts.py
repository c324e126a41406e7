"""The inline SVG charts: text alternatives, escaping, no bar for a suppressed value, no inline style."""

from __future__ import annotations

import re

from exports.dashboard import charts
from exports.dashboard.charts import Bar, BarGroup, Day

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'


def test_bar_chart_is_an_image_whose_label_lists_the_values():
    svg = charts.bar_chart(
        chart_id="c1", title="Gender", bars=[Bar("Female", 0.52, "52.0%"), Bar("Other", None, "< 5")]
    )

    assert svg.startswith(
        '<svg class="volna-chart" id="c1" role="img" aria-label="Bar chart of Gender: Female'
    )
    assert "<title>Bar chart of Gender: Female 52.0%; Other &lt; 5.</title>" in svg
    assert "style" not in svg and "<script" not in svg


def test_a_suppressed_value_has_no_bar_and_reads_less_than_k():
    svg = charts.bar_chart(chart_id="c", title="t", bars=[Bar("A", 0.5, "50.0%"), Bar("B", None, "< 5")])

    assert svg.count("<rect") == 1
    assert '<text x="2" y="' in svg and "volna-chart-suppressed" in svg and ">&lt; 5</text>" in svg


def test_bar_lengths_follow_the_shares():
    svg = charts.bar_chart(chart_id="c", title="t", bars=[Bar("A", 1.0, "100%"), Bar("B", 0.25, "25%")])

    widths = [float(width) for width in re.findall(r'<rect [^>]*width="([0-9.]+)"', svg)]
    assert widths[0] == charts.WIDTH - charts.VALUE_ROOM
    assert abs(widths[1] - widths[0] / 4) < 0.2


def test_hostile_labels_are_escaped_everywhere_in_the_svg():
    svg = str(
        charts.grouped_bar_chart(
            chart_id="c",
            title=HOSTILE,
            groups=[BarGroup(HOSTILE, [Bar(HOSTILE, 0.3, "30.0%")])],
        )
    )

    assert "<script" not in svg and "<img" not in svg
    assert '"><img' not in svg  # the aria-label attribute is not broken out of
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;" in svg


def test_grouped_chart_names_the_series_on_each_bar():
    svg = charts.grouped_bar_chart(
        chart_id="c",
        title="Act by gender",
        groups=[BarGroup("Rally", [Bar("Female", 0.35, "34.7%"), Bar("Male", 0.34, "33.8%")])],
    )

    assert ">Female</text>" in svg and ">Male</text>" in svg
    assert "Rally, Female 34.7%; Rally, Male 33.8%" in svg
    assert 'class="volna-chart-bar s0"' in svg and 'class="volna-chart-bar s1"' in svg


def test_day_chart_summarises_each_day():
    svg = charts.day_chart(
        chart_id="d",
        title="Responses by day",
        days=[Day("2026-11-20", 90, 70, "90", "70"), Day("2026-11-21", None, None, "< 5", "< 5")],
    )

    assert "2026-11-20: 90 started, 70 completed; 2026-11-21: &lt; 5 started, &lt; 5 completed" in svg
    assert svg.count("<rect") == 2 + 2  # two columns of the first day, two legend swatches


def test_long_text_alternatives_point_to_the_table():
    bars = [Bar(f"choice {i}", 0.01, "1.0%") for i in range(charts.ALT_ITEMS + 5)]

    svg = charts.bar_chart(chart_id="c", title="Many", bars=bars)

    assert "and 5 more in the table" in svg
