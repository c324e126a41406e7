"""SPSS and Stata files, read back with pyreadstat and compared with the stored answers."""

from __future__ import annotations

import dataclasses
import datetime
import math
from pathlib import Path
from typing import Any

import pyreadstat
import pytest

from exports.columns import Column, Kind
from exports.rows import ExportOptions, export_plan
from exports.writers.dta import DTA_LABEL_CHARS, label_set_placeholders, write_dta
from exports.writers.labels import code_numbers
from exports.writers.sav import SAV_STRING_BYTES, SAV_VARIABLE_LABEL_BYTES, write_sav
from respondents.models import PanelMember, Response
from respondents.synthetic import synthetic_responses_create
from surveys.services import questionnaire_publish, wave_create, wave_open
from surveys.xlsform import xlsform_import
from tests.exports.builders import add_response, make_survey, make_wave
from tests.factories import SurveyFactory

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "surveys/demo/emigrants_2022.xlsx"
WRITERS = {"sav": (write_sav, pyreadstat.read_sav), "dta": (write_dta, pyreadstat.read_dta)}
LONG_TEXT = ("Мы уехали в марте, потому что оставаться было нельзя. " * 100)[:5000]


@pytest.fixture
def demo_wave():
    """The demo questionnaire with synthetic respondents: completed, partial and screened out."""
    survey = SurveyFactory(slug="emigrants", languages=["en", "ru"], default_language="en")
    draft = xlsform_import(survey=survey, file_bytes=DEMO.read_bytes(), filename=DEMO.name)
    wave = wave_create(
        questionnaire=questionnaire_publish(questionnaire=draft),
        name="Spring 2023",
        welcome={"en": "Welcome", "ru": "Добро пожаловать"},
        thanks={"en": "Thank you", "ru": "Спасибо"},
    )
    wave = wave_open(wave=wave)
    synthetic_responses_create(wave=wave, completed=60, partial=15, screened_out=5, seed=11)
    return wave


def _export(tmp_path: Path, fmt: str, wave, **options: Any) -> tuple[Any, Any, list[Column], int]:
    write, read = WRITERS[fmt]
    plan = options.pop("plan", None) or export_plan(waves=[wave])
    path = tmp_path / f"export.{fmt}"
    rows = write(path, waves=[wave], plan=plan, options=ExportOptions(**options))
    frame, meta = read(path)
    return frame, meta, plan, rows


def _expected(column: Column, answers: dict[str, Any]) -> Any:
    """What the file should hold for ``column``, computed from the stored answers alone."""
    raw = column.value(answers)
    if column.kind in Kind.LABELLED:
        return None if raw is None else code_numbers(list(column.value_labels), [raw])[raw]
    if column.kind == Kind.TEXT:
        return raw or ""  # neither format has a missing string: empty
    if column.kind == Kind.DATE:
        return None if raw is None else datetime.date.fromisoformat(raw)
    return raw


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _assert_rows_match(frame, plan: list[Column], responses: list[Response]) -> None:
    by_id = {str(response.id): response for response in responses}
    assert sorted(frame["response_id"]) == sorted(by_id)
    for record in frame.to_dict("records"):
        response = by_id[record["response_id"]]
        assert record["status"] == response.status
        assert record["started_on"] == response.started_on
        for column in plan:
            expected, actual = _expected(column, response.answers), record[column.name]
            if expected is None:
                assert _missing(actual), (column.name, actual)
            else:
                assert actual == expected, (column.name, actual, expected)


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_every_response_reads_back_as_stored(tmp_path, demo_wave, fmt):
    # when
    frame, _meta, plan, rows = _export(tmp_path, fmt, demo_wave, include="all")

    # then
    responses = list(Response.objects.filter(wave=demo_wave))
    assert rows == len(responses) == len(frame) == 80
    assert list(frame.columns)[:7] == [
        "response_id", "wave", "questionnaire_version", "language", "status", "started_on", "completed_on",
    ]  # fmt: skip
    _assert_rows_match(frame, plan, responses)


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_multi_select_dummies_are_0_or_1_and_missing_when_not_asked(tmp_path, demo_wave, fmt):
    frame, meta, _plan, _rows = _export(tmp_path, fmt, demo_wave, include="all")

    dummies = frame["act_after_donate"]
    assert set(dummies.dropna()) == {0, 1}
    screened = frame[frame["status"] == Response.Status.SCREENED_OUT]
    assert screened["act_after_donate"].isna().all()  # never asked: missing, not 0
    assert meta.variable_value_labels["act_after_donate"] == {0: "not selected", 1: "selected"}


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_labels_are_russian_when_the_export_asks_for_russian(tmp_path, demo_wave, fmt):
    _frame, meta, _plan, _rows = _export(tmp_path, fmt, demo_wave, language="ru")

    assert meta.column_names_to_labels["country"] == "В какой стране вы сейчас живёте?"
    assert meta.variable_value_labels["country"][1] == "Грузия"
    assert meta.variable_value_labels["trust_stayed"][5]
    assert meta.column_names_to_labels["status"] == "Статус"
    assert meta.variable_value_labels["act_after_donate"] == {0: "не выбрано", 1: "выбрано"}


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_a_language_the_survey_lacks_falls_back_to_its_default(tmp_path, demo_wave, fmt):
    _frame, meta, _plan, _rows = _export(tmp_path, fmt, demo_wave, language="de")

    assert meta.column_names_to_labels["country"] == "In which country do you live now?"


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_integer_codes_stay_and_other_codes_are_numbered_in_list_order(tmp_path, demo_wave, fmt):
    frame, meta, _plan, _rows = _export(tmp_path, fmt, demo_wave)

    assert set(meta.variable_value_labels["trust_emigrants"]) == {1, 2, 3, 4, 5}  # agree5: codes 1…5
    countries = meta.variable_value_labels["country"]
    assert [countries[n] for n in (1, 2, 3)] == ["Georgia", "Armenia", "Turkey"]  # GE, AM, TR
    assert set(frame["country"].dropna()) <= set(countries)


def test_the_sav_file_documents_the_numbering_of_coded_lists(tmp_path, demo_wave):
    _frame, meta, _plan, _rows = _export(tmp_path, "sav", demo_wave)

    assert any(line.startswith("country: 1=GE 2=AM 3=TR") for line in meta.notes)
    assert all(len(line.encode()) <= 80 for line in meta.notes)


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_completed_only_leaves_out_partial_and_screened_out_responses(tmp_path, demo_wave, fmt):
    frame, _meta, plan, rows = _export(tmp_path, fmt, demo_wave, include="completed")

    completed = list(Response.objects.filter(wave=demo_wave, status=Response.Status.COMPLETED))
    assert rows == len(frame) == len(completed) == 60
    assert set(frame["status"]) == {"completed"}
    _assert_rows_match(frame, plan, completed)


@pytest.fixture
def kinds_wave():
    """A version with every column kind: codes (one not numeric), dummies, matrix, ranking, numbers, date."""
    return make_wave(make_survey())


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_dates_are_dates_numbers_are_numbers_and_skipped_answers_are_missing(tmp_path, kinds_wave, fmt):
    # given
    full = {
        "country": "AM", "act": ["rally", "donate"], "comment": "Всё хорошо", "age": 34, "height": 1.82,
        "left_on": "2022-09-25", "trust_a": "3", "trust_b": "1", "order": ["z", "x", "y"],
    }  # fmt: skip
    add_response(kinds_wave, full)
    add_response(kinds_wave, {"country": "-1"}, status=Response.Status.IN_PROGRESS)

    # when
    frame, meta, plan, _rows = _export(tmp_path, fmt, kinds_wave, include="all")

    # then
    _assert_rows_match(frame, plan, list(Response.objects.filter(wave=kinds_wave)))
    row = frame.set_index("status").loc["completed"]
    assert row["left_on"] == datetime.date(2022, 9, 25) and row["started_on"] == datetime.date(2022, 10, 3)
    assert row["age"] == 34 and row["height"] == pytest.approx(1.82) and row["wave"] == 1
    assert row["order_1"] == 3 and meta.variable_value_labels["order_1"][3] == "Zed"
    partial = frame.set_index("status").loc["in_progress"]
    assert math.isnan(partial["age"]) and partial["comment"] == "" and math.isnan(partial["act_rally"])
    assert meta.variable_value_labels["country"][3] == "Refused"  # "-1" is numbered: GE AM are not numbers
    assert "left_on" in meta.original_variable_types
    assert meta.original_variable_types["left_on"] == ("DATE11" if fmt == "sav" else "%td")


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_a_5000_character_text_is_written_whole(tmp_path, demo_wave, fmt):
    # given: 5,000 Cyrillic characters, about 9,400 bytes of UTF-8
    response = Response.objects.filter(wave=demo_wave, status=Response.Status.COMPLETED).first()
    response.answers = {**response.answers, "comment": LONG_TEXT}
    response.save(update_fields=["answers"])

    # when
    frame, _meta, _plan, _rows = _export(tmp_path, fmt, demo_wave)

    # then
    assert frame.set_index("response_id").loc[str(response.id), "comment"] == LONG_TEXT


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_text_beyond_32767_bytes_is_cut_in_sav_at_a_character_boundary_but_kept_whole_in_dta(
    tmp_path, kinds_wave, fmt
):
    # given: the longest answer a respondent can type (10,000 characters), all 4-byte emoji
    text = "🙂" * 10_000
    add_response(kinds_wave, {"comment": text})

    # when
    frame, _meta, _plan, _rows = _export(tmp_path, fmt, kinds_wave)

    # then
    written = frame["comment"][0]
    if fmt == "dta":
        assert written == text  # strL
    else:
        assert len(written.encode()) <= SAV_STRING_BYTES and text.startswith(written)
        assert len(written) == SAV_STRING_BYTES // 4


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_labels_longer_than_the_format_allows_are_cut_with_an_ellipsis(tmp_path, kinds_wave, fmt):
    # given
    add_response(kinds_wave, {"country": "GE"})
    plan = [
        dataclasses.replace(column, label={"en": "Очень длинный вопрос " * 20})
        if column.name == "country"
        else column
        for column in export_plan(waves=[kinds_wave])
    ]

    # when
    _frame, meta, _plan, _rows = _export(tmp_path, fmt, kinds_wave, plan=plan)

    # then
    label = meta.column_names_to_labels["country"]
    assert label.startswith("Очень длинный вопрос") and label.endswith("…")
    if fmt == "dta":
        assert len(label) == DTA_LABEL_CHARS
    else:
        assert len(label.encode()) <= SAV_VARIABLE_LABEL_BYTES


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_a_code_missing_from_the_list_gets_the_next_number_labelled_with_the_code(tmp_path, kinds_wave, fmt):
    add_response(kinds_wave, {"country": "XK"})

    frame, meta, _plan, _rows = _export(tmp_path, fmt, kinds_wave)

    assert frame["country"][0] == 5  # GE AM -1 other, then XK
    assert meta.variable_value_labels["country"][5] == "XK"


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_a_labelled_column_with_a_32_character_name_keeps_its_name_and_labels(tmp_path, demo_wave, fmt):
    # given: pyreadstat names a Stata label set <variable><counter>, and Stata allows 32 characters
    long_name = "act_before_volunteer_compatriots"
    assert len(long_name) == 32

    # when
    frame, meta, plan, _rows = _export(tmp_path, fmt, demo_wave, include="all")

    # then
    assert list(frame.columns)[7:] == [column.name for column in plan]
    assert meta.variable_value_labels[long_name] == {0: "not selected", 1: "selected"}
    assert meta.column_names_to_labels[long_name].startswith("In the last year before you left Russia")
    _assert_rows_match(frame, plan, list(Response.objects.filter(wave=demo_wave)))


def test_label_set_placeholders_are_short_and_unique():
    names = ["a" * 32, "a" * 31, "b", "c" * 30]

    placeholders = label_set_placeholders(names, labelled=names)

    # counters 0, 1, 2, 3: room for 31 characters each
    assert placeholders == {"a" * 32: "a" * 29 + "_1"}


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_an_export_without_responses_has_every_column_and_no_row(tmp_path, kinds_wave, fmt):
    frame, meta, plan, rows = _export(tmp_path, fmt, kinds_wave)

    assert rows == len(frame) == 0
    assert len(frame.columns) == 7 + len(plan)
    assert meta.original_variable_types["left_on"] == ("DATE11" if fmt == "sav" else "%td")


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_panel_surveys_carry_the_member_pseudonym(tmp_path, fmt):
    survey = make_survey(is_panel=True)
    wave = make_wave(survey)
    member = PanelMember.objects.create(survey=survey)
    add_response(wave, {"country": "GE"}, member=member)

    frame, _meta, _plan, _rows = _export(tmp_path, fmt, wave)

    assert frame["panel_id"][0] == member.pseudonym


def test_progress_is_reported_with_the_rows_read(tmp_path, demo_wave):
    seen: list[int] = []

    write_sav(
        tmp_path / "export.sav",
        waves=[demo_wave],
        plan=export_plan(waves=[demo_wave]),
        options=ExportOptions(include="all"),
        progress=seen.append,
    )

    assert seen[-1] == 80


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_hostile_text_comes_back_exactly_as_typed(tmp_path, kinds_wave, fmt):
    # given: formulas are not neutralised here (SPSS and Stata never evaluate text)
    hostile = '=HYPERLINK("http://evil","x")\n"quoted", ;semi\ttab \u202eRTL\u202c 🙂 -2 @SUM(A1)'
    add_response(kinds_wave, {"comment": hostile, "country_other": "+7 (999)"})

    frame, _meta, _plan, _rows = _export(tmp_path, fmt, kinds_wave)

    assert frame["comment"][0] == hostile
    assert frame["country_other"][0] == "+7 (999)"


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_panel_wide_files_have_one_row_per_member_and_wave_labelled_columns(tmp_path, fmt):
    # given
    survey = make_survey(is_panel=True)
    waves = [make_wave(survey), make_wave(survey)]
    member = PanelMember.objects.create(survey=survey)
    add_response(waves[0], {"country": "GE", "age": 30}, member=member)
    add_response(waves[1], {"country": "AM"}, member=member)
    options = ExportOptions(layout="panel_wide", language="ru")
    plan = export_plan(waves=waves, layout=options.layout)
    write, read = WRITERS[fmt]

    # when
    rows = write(tmp_path / f"wide.{fmt}", waves=waves, plan=plan, options=options)
    frame, meta = read(tmp_path / f"wide.{fmt}")

    # then
    assert rows == len(frame) == 1
    assert frame["panel_id"][0] == member.pseudonym
    assert frame["country_w1"][0] == 1 and frame["country_w2"][0] == 2 and frame["age_w1"][0] == 30
    assert math.isnan(frame["age_w2"][0])
    assert meta.variable_value_labels["country_w2"][2] == "Армения"
    assert meta.column_names_to_labels["started_on_w2"] == "Дата начала (волна 2)"
    assert frame["started_on_w2"][0] == datetime.date(2022, 10, 3)
