"""The codebook (CSV and HTML) and the frequencies it reports."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from exports.columns import Kind
from exports.frequencies import ANSWERED, frequencies_python, frequencies_sql, variable_frequencies
from exports.rows import ExportOptions, export_plan, included_responses, meta_columns
from exports.writers.codebook import codebook_rows, render_codebook_html, write_codebook_csv
from respondents.models import PanelMember, Response
from respondents.synthetic import synthetic_responses_create
from surveys.services import questionnaire_publish, wave_create, wave_open
from surveys.xlsform import xlsform_import
from tests.exports.builders import add_response, make_survey, make_wave
from tests.factories import SurveyFactory

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "surveys/demo/emigrants_2022.xlsx"


@pytest.fixture
def demo_wave():
    survey = SurveyFactory(
        slug="emigrants",
        languages=["en", "ru"],
        default_language="en",
        title={"en": "Emigrants", "ru": "Эмигранты"},
    )
    draft = xlsform_import(survey=survey, file_bytes=DEMO.read_bytes(), filename=DEMO.name)
    wave = wave_create(
        questionnaire=questionnaire_publish(questionnaire=draft),
        name="Spring 2023",
        welcome={"en": "Welcome", "ru": "Добро пожаловать"},
        thanks={"en": "Thank you", "ru": "Спасибо"},
    )
    wave = wave_open(wave=wave)
    synthetic_responses_create(wave=wave, completed=60, partial=15, screened_out=5, seed=5)
    return wave


def _csv_rows(wave, plan=None, **options) -> list[dict[str, str]]:
    buffer = io.BytesIO()
    plan = plan or export_plan(waves=[wave])
    write_codebook_csv(buffer, waves=[wave], plan=plan, options=ExportOptions(**options))
    data = buffer.getvalue()
    assert data.startswith("\ufeff".encode())
    text = io.StringIO(data.decode("utf-8-sig"), newline="")
    return list(csv.DictReader(text, delimiter=ExportOptions(**options).delimiter))


def _counts(cell: str) -> dict[str, int]:
    return {line.rsplit(": ", 1)[0]: int(re.search(r": (\d+) \(", line)[1]) for line in cell.splitlines()}


def test_codebook_csv_has_one_row_per_column_in_both_languages(demo_wave):
    rows = _csv_rows(demo_wave)

    plan = export_plan(waves=[demo_wave])
    names = meta_columns(demo_wave.survey) + [column.name for column in plan]
    assert [row["name"] for row in rows] == names
    country = next(row for row in rows if row["name"] == "country")
    assert country["label (en)"] == "In which country do you live now?"
    assert country["label (ru)"] == "В какой стране вы сейчас живёте?"
    assert country["values (en)"].splitlines()[0] == "1 = GE = Georgia"
    assert country["values (ru)"].splitlines()[0] == "1 = GE = Грузия"
    assert country["type"] == Kind.CODE
    trust = next(row for row in rows if row["name"] == "trust_emigrants")
    assert trust["values (en)"].splitlines()[0].startswith("1 = 1 = ")
    rally_freq = next(row for row in rows if row["name"] == "rally_freq")
    assert rally_freq["relevant"] == "selected(${act_after}, 'rally')"


def test_single_choice_frequencies_add_up_to_the_number_of_responses(demo_wave):
    rows = _csv_rows(demo_wave, include="all")

    total = Response.objects.filter(wave=demo_wave).count()
    for row in rows:
        if row["type"] in (Kind.CODE, Kind.DUMMY, Kind.RANK):
            counts = _counts(row["frequencies"])
            assert sum(counts.values()) == int(row["responses"]) == total, row["name"]
            assert int(row["answered"]) + int(row["empty"]) == total
    country = next(row for row in rows if row["name"] == "country")
    stored = Counter(response.answers.get("country") for response in Response.objects.filter(wave=demo_wave))
    assert _counts(country["frequencies"])["GE"] == stored["GE"]
    assert _counts(country["frequencies"])["empty"] == stored[None]


def test_frequencies_count_completed_responses_only_unless_all_are_included(demo_wave):
    plan = export_plan(waves=[demo_wave])

    completed = variable_frequencies(waves=[demo_wave], plan=plan, options=ExportOptions())
    everyone = variable_frequencies(waves=[demo_wave], plan=plan, options=ExportOptions(include="all"))

    assert sum(completed["consent"].values()) == 60 and completed["consent"]["no"] == 0
    assert sum(everyone["consent"].values()) == 80 and everyone["consent"]["no"] == 5


def test_frequencies_count_values_as_the_export_writes_them(db):
    # given
    wave = make_wave(make_survey())
    add_response(
        wave, {"country": "GE", "act": ["rally"], "age": 30, "comment": "", "order": ["y", "x", "z"]}
    )
    add_response(wave, {"country": "XK", "act": [], "age": "thirty", "comment": "Да"})
    add_response(wave, {})

    # when
    frequencies = variable_frequencies(waves=[wave], plan=export_plan(waves=[wave]), options=ExportOptions())

    # then
    assert frequencies["country"] == {"GE": 1, "AM": 0, "-1": 0, "other": 0, "XK": 1, None: 1}
    assert frequencies["act_rally"] == {0: 1, 1: 1, None: 1}  # an empty list is answered: nothing ticked
    assert frequencies["age"] == {ANSWERED: 1, None: 2}  # "thirty" is not a number: empty
    assert frequencies["comment"] == {ANSWERED: 1, None: 2}  # "" is empty
    assert frequencies["order_1"] == {"x": 0, "y": 1, "z": 0, None: 2}


def _panel_waves():
    survey = make_survey(is_panel=True)
    waves = [make_wave(survey), make_wave(survey)]
    first, second = (PanelMember.objects.create(survey=survey) for _ in range(2))
    add_response(waves[0], {"country": "GE"}, member=first)
    add_response(waves[0], {"country": "AM"}, member=second)
    add_response(waves[1], {"country": "AM", "act": ["none"]}, member=first)
    return waves


def test_panel_wide_columns_are_counted_over_their_own_wave(db):
    waves = _panel_waves()
    options = ExportOptions(layout="panel_wide")

    frequencies = variable_frequencies(
        waves=waves, plan=export_plan(waves=waves, layout="panel_wide"), options=options
    )

    assert frequencies["country_w1"] == {"GE": 1, "AM": 1, "-1": 0, "other": 0, None: 0}
    assert frequencies["country_w2"] == {"GE": 0, "AM": 1, "-1": 0, "other": 0, None: 0}
    assert frequencies["act_none_w2"] == {0: 0, 1: 1, None: 0}


@pytest.mark.integration
def test_postgres_and_python_frequencies_agree_for_panel_wide_columns(db):
    waves = _panel_waves()
    plan = export_plan(waves=waves, layout="panel_wide")
    responses = included_responses(waves=waves, options=ExportOptions(layout="panel_wide"))
    wave_ids = {wave.number: wave.pk for wave in waves}

    assert frequencies_sql(responses, plan, wave_ids) == frequencies_python(responses, plan, wave_ids)


@pytest.mark.integration
def test_postgres_and_python_frequencies_agree(demo_wave):
    assert connection.vendor == "postgresql"
    response = Response.objects.filter(wave=demo_wave, status=Response.Status.COMPLETED).first()
    response.answers = {**response.answers, "country": "XK", "birth_year": "n/a", "comment": ""}
    response.save(update_fields=["answers"])
    plan = export_plan(waves=[demo_wave])
    for include in ("completed", "all"):
        responses = included_responses(waves=[demo_wave], options=ExportOptions(include=include))
        wave_ids = {demo_wave.number: demo_wave.pk}

        assert frequencies_sql(responses, plan, wave_ids) == frequencies_python(responses, plan, wave_ids)


def test_codebook_values_list_number_code_and_labels_in_every_language(db):
    wave = make_wave(make_survey())
    add_response(wave, {"country": "XK"})

    rows = {
        row["name"]: row
        for row in codebook_rows(waves=[wave], plan=export_plan(waves=[wave]), options=ExportOptions())
    }

    values = rows["country"]["values"]
    assert [(value["number"], value["code"]) for value in values] == [
        (1, "GE"),
        (2, "AM"),
        (3, "-1"),
        (4, "other"),
        (5, "XK"),
    ]
    assert values[2]["labels"] == {"en": "Refused", "ru": "Отказ от ответа"}
    assert values[4]["count"] == 1 and values[4]["percent"] == 100.0
    assert [value["labels"]["en"] for value in rows["act_rally"]["values"]] == ["not selected", "selected"]
    assert rows["status"]["values"][1]["code"] == "completed"


def test_codebook_csv_cells_are_neutralised_against_formulas(db):
    wave = make_wave(make_survey())
    plan = [
        dataclasses.replace(column, label={"en": '=HYPERLINK("http://evil")', "ru": "@SUM(A1)"})
        if column.name == "comment"
        else column
        for column in export_plan(waves=[wave])
    ]

    rows = _csv_rows(wave, plan=plan, dialect="semicolon")

    comment = next(row for row in rows if row["name"] == "comment")
    assert comment["label (en)"] == '\'=HYPERLINK("http://evil")'
    assert comment["label (ru)"] == "'@SUM(A1)"


def test_codebook_csv_uses_the_chosen_separator(db):
    wave = make_wave(make_survey())
    buffer = io.StringIO()

    write_codebook_csv(
        buffer, waves=[wave], plan=export_plan(waves=[wave]), options=ExportOptions(dialect="semicolon")
    )

    assert buffer.getvalue().lstrip("\ufeff").startswith("name;question;type;label (en);label (ru)")


def test_html_codebook_shows_every_variable_and_escapes_labels(demo_wave):
    plan = [
        dataclasses.replace(column, label={**column.label, "en": "<script>alert(1)</script>"})
        if column.name == "comment"
        else column
        for column in export_plan(waves=[demo_wave])
    ]

    html = render_codebook_html(waves=[demo_wave], plan=plan, options=ExportOptions())

    for column in plan:
        assert f'id="variable-{column.name}"' in html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "В какой стране вы сейчас живёте?" in html and "In which country do you live now?" in html
    assert "Грузия" in html and "break-inside: avoid" in html


def test_html_codebook_title_names_the_survey_the_waves_and_the_day(demo_wave):
    html = render_codebook_html(
        waves=[demo_wave], plan=export_plan(waves=[demo_wave]), options=ExportOptions(language="ru")
    )

    title = re.search(r"<title>(.*?)</title>", html, re.S)[1]
    assert "Эмигранты" in title
    assert "1. Spring 2023" in html
    assert timezone.localdate().isoformat() in html
    assert '<html lang="ru">' in html


def test_codebook_csv_can_be_written_to_a_path(tmp_path, db):
    wave = make_wave(make_survey())
    plan = export_plan(waves=[wave])

    rows = write_codebook_csv(tmp_path / "codebook.csv", waves=[wave], plan=plan, options=ExportOptions())

    text = (tmp_path / "codebook.csv").read_text(encoding="utf-8")
    assert text.startswith("\ufeffname,") and rows == 7 + len(plan)
    assert len(list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))) == rows + 1
