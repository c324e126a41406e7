"""SPSS and Stata files written chunk by chunk: both row sources, chunk boundaries, edge values.

Every test runs the Python path; on PostgreSQL (DATABASE_URL=postgresql://…) it runs the SQL path
(``COPY`` through a pipe) as well, and ``test_sql_and_python_paths_write_the_same_file`` compares the
two byte for byte (but for the time of writing in the header).
"""

from __future__ import annotations

import datetime
import math
import os
from pathlib import Path

import pyreadstat
import pytest

from exports.rows import ExportOptions, export_plan
from exports.writers import stats
from exports.writers.dta import write_dta
from exports.writers.sav import SAV_STRING_BYTES, write_sav
from respondents.models import PanelMember, Response
from tests.exports.builders import add_response, make_survey, make_wave

pytestmark = pytest.mark.django_db

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
WRITERS = {"sav": (write_sav, pyreadstat.read_sav), "dta": (write_dta, pyreadstat.read_dta)}
FORMATS = ["sav", "dta"]


@pytest.fixture(params=["python", "sql"] if ON_POSTGRES else ["python"])
def engine(request) -> str:
    return request.param


@pytest.fixture
def wave():
    return make_wave(make_survey())


def write(tmp_path: Path, fmt: str, waves, engine: str, name: str = "export", **options) -> Path:
    export_options = ExportOptions(**options)
    path = tmp_path / f"{name}.{fmt}"
    WRITERS[fmt][0](
        path,
        waves=waves,
        plan=export_plan(waves=waves, layout=export_options.layout),
        options=export_options,
        engine=engine,
    )
    return path


def read(path: Path):
    return WRITERS[path.suffix[1:]][1](path)


def without_time(path: Path) -> bytes:
    """The file's bytes with the time of writing blanked (the only bytes two writes may differ in)."""
    data = bytearray(path.read_bytes())
    if path.suffix == ".sav":
        data[92:109] = b"-" * 17  # creation date and time in the file header
    else:
        start = data.index(b"<timestamp>") + len(b"<timestamp>")
        data[start : start + 1 + data[start]] = b"-" * (1 + data[start])
    return bytes(data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_dates_are_read_from_the_start_of_the_stored_text_and_impossible_ones_are_missing(
    tmp_path, wave, engine, fmt
):
    # given
    stored = ["2022-09-25", "2022-09-25T10:00", "2022-02-30", "2022-9-5", "0000-01-01", "soon", "1582-10-15"]
    for text in stored:
        add_response(wave, {"left_on": text, "comment": text})

    # when
    frame, _meta = read(write(tmp_path, fmt, [wave], engine))

    # then
    written = dict(zip(frame["comment"], frame["left_on"], strict=True))
    assert written["2022-09-25"] == written["2022-09-25T10:00"] == datetime.date(2022, 9, 25)
    assert written["1582-10-15"] == datetime.date(1582, 10, 15)
    for text in ("2022-02-30", "2022-9-5", "0000-01-01", "soon"):
        assert written[text] is None or (isinstance(written[text], float) and math.isnan(written[text]))


@pytest.mark.parametrize("fmt", FORMATS)
def test_numbers_come_back_exactly_as_stored(tmp_path, wave, engine, fmt):
    heights = [0.1, 1e-07, 1.82, -273.15, 2.675, 123456.789]
    ages = [0, -5, 34, 10**15, 2**53]
    for height, age in zip(heights, [*ages, None], strict=True):
        add_response(wave, {"height": height, "age": age})

    frame, _meta = read(write(tmp_path, fmt, [wave], engine))

    assert sorted(frame["height"]) == sorted(heights)
    assert sorted(frame["age"].dropna()) == sorted(ages)


@pytest.mark.parametrize("fmt", FORMATS)
def test_long_and_empty_texts_come_back_whole(tmp_path, wave, engine, fmt):
    # given: SPSS splits a string over 255 bytes into segments, Stata stores one over 2,044 as strL
    texts = ["ы" * 150, "я" * 1500, "z" * 255, "a" * 256, "🙂" * 700, ""]
    for text in texts:
        add_response(wave, {"comment": text, "country_other": text[:3]})
    add_response(wave, {"age": 1})  # never shown: no text at all

    # when
    frame, _meta = read(write(tmp_path, fmt, [wave], engine))

    # then
    assert sorted(frame["comment"]) == sorted([*texts, ""])
    assert sorted(frame["country_other"]) == sorted([text[:3] for text in texts] + [""])


def test_stata_stores_a_repeated_short_text_of_a_long_string_column_once(tmp_path, wave, engine):
    # given: one long answer makes the whole column strL, the short ones included
    texts = ["нет", "ж" * 3000, "нет", "", "да", "нет", "", "ж" * 3000]
    for text in texts:
        add_response(wave, {"comment": text})

    # when
    path = write(tmp_path, "dta", [wave], engine)

    # then: one string each for "нет", "да" and "" (as ReadStat shares them); long ones each time
    assert path.read_bytes().count(b"GSO") == 5
    frame, _meta = read(path)
    assert sorted(frame["comment"]) == sorted(texts)


def test_sav_cuts_only_the_texts_that_pass_its_limit(tmp_path, wave, engine):
    add_response(wave, {"comment": "🙂" * 10_000})  # 40,000 bytes
    add_response(wave, {"comment": "ok"})

    frame, _meta = read(write(tmp_path, "sav", [wave], engine))

    assert sorted(frame["comment"], key=len) == ["ok", "🙂" * (SAV_STRING_BYTES // 4)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_chunk_boundaries_do_not_change_the_file(tmp_path, wave, engine, fmt, monkeypatch):
    # given: Stata long strings point at their row (two columns of them, empty ones among them)
    others = ["", "д" * 1100, "д", "", "д" * 2000, "ok", "д" * 1100]
    for number, other in enumerate(others):
        comment = f"{number}:" + "ю" * 1100 * (number % 2)
        answers = {
            "comment": comment,
            "country_other": other,
            "age": number,
            "left_on": f"2022-01-0{number + 1}",
        }
        add_response(wave, answers)
    whole = without_time(write(tmp_path, fmt, [wave], engine, name="whole"))

    # when
    monkeypatch.setattr(stats, "MAX_CHUNK_ROWS", 2)
    chunked = without_time(write(tmp_path, fmt, [wave], engine, name="chunked"))

    # then
    assert chunked == whole
    frame, _meta = read(tmp_path / f"chunked.{fmt}")
    by_age = frame.set_index("age")
    assert [by_age.loc[number, "country_other"] for number in range(7)] == others
    assert by_age.loc[6, "left_on"] == datetime.date(2022, 1, 7)


@pytest.mark.parametrize("fmt", FORMATS)
def test_codes_missing_from_their_lists_are_numbered_after_the_list_in_sorted_order(
    tmp_path, wave, engine, fmt
):
    for code in ("XK", "GE", "BY", "XK"):
        add_response(wave, {"country": code, "order": ["z", "w"]})

    frame, meta = read(write(tmp_path, fmt, [wave], engine))

    assert sorted(frame["country"]) == [1, 5, 6, 6]  # GE AM -1 other, then BY XK
    assert meta.variable_value_labels["country"][5] == "BY"
    assert set(frame["order_2"]) == {4}  # x y z, then w
    assert meta.variable_value_labels["order_2"][4] == "w"


@pytest.mark.integration
@pytest.mark.parametrize("fmt", FORMATS)
def test_sql_and_python_paths_write_the_same_file(tmp_path, fmt):
    # given
    survey = make_survey(is_panel=True)
    waves = [make_wave(survey), make_wave(survey)]
    member = PanelMember.objects.create(survey=survey)
    hostile = '=HYPERLINK("x")\n"quoted", ;semi\ttab \u202eRTL 🙂 \x07bell -2'
    add_response(waves[0], {"comment": hostile, "country": "GE", "act": ["rally"], "age": -5}, member=member)
    add_response(waves[0], {"comment": "ж" * 3000, "country": "XK", "order": ["y", "x"], "height": 1e-7})
    add_response(waves[0], {"age": "not a number", "act": "rally", "left_on": "2022-02-30"})
    add_response(waves[0], {"country": None, "act": None, "order": None}, status=Response.Status.IN_PROGRESS)
    add_response(waves[1], {"country": "AM", "trust_a": "3", "left_on": "2022-09-25"}, member=member)
    add_response(waves[1], {}, status=Response.Status.SCREENED_OUT, language="en")

    for options in ({"include": "all"}, {"include": "all", "layout": "panel_wide", "language": "ru"}):
        # when
        sql = write(tmp_path, fmt, waves, "sql", name="sql", **options)
        python = write(tmp_path, fmt, waves, "python", name="python", **options)

        # then
        assert without_time(sql) == without_time(python), options
