"""Figures turned into table rows and CSV: suppression, shares, language, formula neutralisation."""

from __future__ import annotations

import copy

from django.utils import translation

from exports.dashboard import cells, tables
from exports.dashboard.cells import Formatter
from exports.dashboard.page import dashboard_page, label_language
from tests.exports.dashboard_fixtures import K, figures, large_figures


def fmt(language: str = "en") -> Formatter:
    return Formatter(language=language, fallback="en", k=K)


def test_shares_are_percentages_with_one_decimal_rounded_not_cut():
    assert fmt().percent(61 / 180) == "33.9%"
    assert fmt().percent(0.0) == "0.0%"
    assert fmt().signed(11.666) == "+11.7" and fmt().signed(-3.26) == "−3.3"
    assert fmt().signed(-0.04) == "0.0"  # no "−0.0"
    with translation.override("ru"):
        assert fmt("ru").percent(0.5234) == "52,3%"


def test_a_suppressed_cell_is_less_than_k_on_the_page_and_in_csv():
    cell = {"count": None, "share": None, "suppressed": True}

    assert fmt().count_cell(cell).text == f"< {K}"
    assert fmt().share_cell(cell).kind == "suppressed"
    assert fmt().csv_count(cell) == f"< {K}" and fmt().csv_share(cell) == f"< {K}"


def test_a_zero_count_that_is_not_suppressed_stays_zero():
    cell = {"count": 0, "share": 0.0, "suppressed": False}

    assert fmt().count_cell(cell).text == "0"
    assert fmt().csv_count(cell) == 0 and fmt().csv_share(cell) == "0.0%"


def test_labels_in_the_language_then_the_fallback_then_any():
    formatter = Formatter(language="ru", fallback="en", k=K)

    assert formatter.label({"ru": "Пол", "en": "Gender"}) == "Пол"
    assert formatter.label({"en": "Gender"}) == "Gender"
    assert formatter.label({"de": "Geschlecht"}) == "Geschlecht"
    assert formatter.label({}, "gender") == "gender"


def test_label_language_is_the_admin_language_when_the_survey_has_it():
    document = figures()

    assert label_language(document, active="ru", languages=["en", "ru"], default="en") == "ru"
    assert label_language(document, active="de", languages=["en", "ru"], default="en") == "en"
    assert label_language(document, active="en-gb", languages=["en"], default="ru") == "en"


def test_weighted_share_of_a_suppressed_row_is_less_than_k():
    question = figures()["questions"][0]
    question["rows"][2]["weighted_share"] = 0.012  # even if the backend left one

    table = tables.frequency_table(question, fmt(), weighted=True)

    assert [cell.text for cell in table.rows[2][1:]] == [f"< {K}"] * 3
    assert table.csv_rows[2][-1] == f"< {K}"


def test_csv_has_a_bom_and_neutralised_text():
    document = figures()
    document["questions"][0]["rows"][0]["label"] = {"en": "=1+1", "ru": "=1+1"}
    document["questions"][0]["rows"][1]["code"] = "-1"
    table = tables.frequency_table(document["questions"][0], fmt(), weighted=False)

    data = cells.table_csv(table)

    assert data.startswith("\ufeff".encode())
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("f,'=1+1,104,") and lines[2].startswith("-1,Male,")


def test_pair_breakdown_groups_share_one_csv():
    page = dashboard_page(figures(), language="en", fallback="en", with_charts=False)

    by_gender = page.downloads["pair:act_before:act_after:by:gender"]
    assert [row[0] for row in by_gender.csv_rows] == ["f", "f", "f", "m", "m", "m"]


def test_missing_sections_do_not_break_the_page():
    document = copy.deepcopy(figures())
    for key in ("by_day", "crosstabs", "pairs", "benchmarks", "numbers"):
        document[key] = []
    document["weights"] = None

    page = dashboard_page(document, language="en", fallback="en")

    by_key = {section.key: section for section in page.sections}
    assert by_key["crosstabs"].blocks == [] and "breakdown" in by_key["crosstabs"].empty
    assert by_key["weights"].intro.startswith("No weighting margins")
    assert "fieldwork-days" in page.downloads  # an empty table, with a note that dates are not kept


def test_a_demo_sized_document_builds_one_block_per_question():
    page = dashboard_page(large_figures(questions=60), language="en", fallback="en")

    frequencies = next(section for section in page.sections if section.key == "frequencies")
    assert len(frequencies.blocks) == 60 and all(block.chart for block in frequencies.blocks)
