"""CSV exports read back with the csv module and compared with the stored answers.

Every test runs the Python path; on PostgreSQL (DATABASE_URL=postgresql://…) it runs the SQL ``COPY``
path as well, and ``test_sql_and_python_paths_write_identical_bytes`` compares the two byte for byte.
"""

from __future__ import annotations

import io
import os
import uuid
from pathlib import Path

import pytest

from exports.models import ExportAuditEntry
from exports.neutralise import neutralise, neutralise_code
from exports.rows import ExportOptions, export_plan, iter_rows, meta_columns
from exports.services import export_stream
from exports.writers.csv import write_csv
from respondents.models import Response
from respondents.synthetic import synthetic_responses_create
from surveys.services import questionnaire_publish, wave_create
from surveys.xlsform import xlsform_import
from tests.exports.builders import add_response, build_questionnaire, make_survey, make_wave, read_csv
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))

HOSTILE = [
    'say "hi", then; leave',
    "line one\nline two\r\nline three\rend",
    "\u202eevil.exe\u202c RTL override",
    "emoji 🙂👍🏽 and Кириллица",
    '=HYPERLINK("http://evil.example","click")',
    "+1",
    "-2",
    "@SUM(A1:A2)",
    "\tstarts with a tab",
    "\rstarts with a CR",
    # PostgreSQL cannot store NUL in jsonb; SQLite can, and it is stripped like the others
    ("" if ON_POSTGRES else "nul\x00") + " bell\x07 escape\x1b del\x7f c1\x85 gone",
    "\x01=after a control",
    "x" * 32 * 1024,
    "",
]


@pytest.fixture(params=["python", "sql"] if ON_POSTGRES else ["python"])
def engine(request) -> str:
    return request.param


def export(waves, engine: str, **options) -> bytes:
    export_options = ExportOptions(**options)
    plan = export_plan(waves=waves, layout=export_options.layout)
    out = io.BytesIO()
    write_csv(out, waves=waves, plan=plan, options=export_options, engine=engine)
    return out.getvalue()


@pytest.fixture
def wave():
    return make_wave(make_survey())


def test_rows_come_in_response_id_order_with_the_meta_columns(wave, engine):
    ids = [uuid.uuid4() for _ in range(6)]
    for pk in ids:  # created in random order: submission order must not show
        add_response(wave, {"age": 30}, pk=pk)

    header, rows = read_csv(export([wave], engine))

    assert header[:7] == meta_columns(wave.survey)
    assert "panel_id" not in header  # not a panel survey
    assert [row["response_id"] for row in rows] == sorted(str(pk) for pk in ids)
    assert {(row["wave"], row["questionnaire_version"], row["language"], row["status"]) for row in rows} == {
        ("1", str(wave.questionnaire.number), "ru", "completed")
    }
    assert rows[0]["started_on"] == "2022-10-03"


def test_multi_select_is_one_zero_or_empty_per_choice(wave, engine):
    ticked = add_response(wave, {"act": ["rally", "none"]})
    nothing_ticked = add_response(wave, {"act": []})
    not_shown = add_response(wave, {"age": 40})

    _header, rows = read_csv(export([wave], engine))

    by_id = {row["response_id"]: row for row in rows}
    assert [by_id[str(ticked.pk)][f"act_{code}"] for code in ("rally", "donate", "none")] == ["1", "0", "1"]
    assert [by_id[str(nothing_ticked.pk)][f"act_{code}"] for code in ("rally", "donate", "none")] == ["0"] * 3
    assert [by_id[str(not_shown.pk)][f"act_{code}"] for code in ("rally", "donate", "none")] == [""] * 3


def test_labels_in_russian_replace_codes_but_not_dummies(wave, engine):
    add_response(wave, {"country": "GE", "act": ["donate"], "trust_a": "3", "order": ["z", "x", "y"]})

    _header, rows = read_csv(export([wave], engine, values="labels", language="ru"))

    row = rows[0]
    assert row["country"] == "Грузия"
    assert row["trust_a"] == "Согласен"
    assert [row["order_1"], row["order_2"], row["order_3"]] == ["Зет", "Икс", "Игрек"]
    assert [row["act_rally"], row["act_donate"]] == ["0", "1"]


def test_labels_default_to_the_survey_language_and_unknown_codes_stay_codes(wave, engine):
    add_response(wave, {"country": "XX", "trust_b": "1"})

    _header, rows = read_csv(export([wave], engine, values="labels"))

    assert rows[0]["country"] == "XX"
    assert rows[0]["trust_b"] == "Disagree"


def test_labels_missing_in_a_language_added_later_fall_back_to_the_default_language(wave, engine):
    wave.survey.languages = ["en", "ru", "uk"]
    wave.survey.save(update_fields=["languages"])
    add_response(wave, {"country": "AM", "order": ["x"]})

    _header, rows = read_csv(export([wave], engine, values="labels", language="uk"))

    assert (rows[0]["country"], rows[0]["order_1"]) == ("Armenia", "Ex")


def test_skipped_questions_are_empty_and_numbers_stay_numbers(wave, engine):
    add_response(wave, {"country": "-1", "age": -5, "height": 1.75, "left_on": "2022-09-21"})

    _header, rows = read_csv(export([wave], engine))

    row = rows[0]
    assert [row["comment"], row["country_other"], row["trust_a"], row["order_1"]] == ["", "", "", ""]
    assert row["age"] == "-5"  # a negative number is never neutralised
    assert row["country"] == "-1"  # nor is a numeric code
    assert row["height"] == "1.75"
    assert row["left_on"] == "2022-09-21"


def test_partial_and_screened_out_responses_only_with_include_all(wave, engine):
    completed = add_response(wave, {"age": 20})
    partial = add_response(wave, {"age": 21}, status=Response.Status.IN_PROGRESS)
    screened = add_response(wave, {}, status=Response.Status.SCREENED_OUT)

    _header, only_completed = read_csv(export([wave], engine))
    _header, everything = read_csv(export([wave], engine, include="all"))

    assert [row["response_id"] for row in only_completed] == [str(completed.pk)]
    statuses = {row["response_id"]: (row["status"], row["completed_on"]) for row in everything}
    assert statuses == {
        str(completed.pk): ("completed", "2022-10-03"),
        str(partial.pk): ("in_progress", ""),
        str(screened.pk): ("screened_out", "2022-10-03"),
    }


def test_bom_is_written_by_default_and_can_be_left_out(wave, engine):
    add_response(wave, {"comment": "Привет"})

    with_bom = export([wave], engine)
    without = export([wave], engine, bom=False)

    assert with_bom.startswith(b"\xef\xbb\xbfresponse_id,")
    assert without.startswith(b"response_id,")
    assert with_bom[3:] == without
    assert "Привет" in without.decode("utf-8")


def test_semicolon_dialect_separates_with_semicolons_and_quotes_them_in_text(wave, engine):
    add_response(wave, {"comment": "a; b, c", "height": 2.5})

    data = export([wave], engine, dialect="semicolon")

    header, rows = read_csv(data, delimiter=";")
    assert data.split(b"\n")[0].count(b";") == len(header) - 1
    assert rows[0]["comment"] == "a; b, c"
    assert rows[0]["height"] == "2.5"


def test_hostile_strings_round_trip_neutralised(wave, engine):
    responses = {
        add_response(wave, {"comment": text, "age": -5, "act_other": text}).pk: text for text in HOSTILE
    }

    data = export([wave], engine)

    _header, rows = read_csv(data)
    assert len(rows) == len(HOSTILE)  # no newline or quote broke a row
    for row in rows:
        text = responses[uuid.UUID(row["response_id"])]
        assert row["comment"] == neutralise(text)
        assert row["age"] == "-5"
    cells = {row["comment"] for row in rows}
    assert '\'=HYPERLINK("http://evil.example","click")' in cells
    assert {
        "'+1",
        "'-2",
        "'@SUM(A1:A2)",
        "'\tstarts with a tab",
        "'\rstarts with a CR",
        "'=after a control",
    } <= cells
    assert f"{'' if ON_POSTGRES else 'nul'} bell escape del c1 gone" in cells
    assert "x" * 32 * 1024 in cells
    assert not any(character in data.decode() for character in "\x00\x07\x1b\x7f\x85")


def test_neutralise_prefixes_formula_starts_and_strips_controls():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("-2") == "'-2"
    assert neutralise("a\x00b\x1fc\td\re\nf") == "abc\td\re\nf"
    assert neutralise("\x02+x") == "'+x"
    assert neutralise("plain – текст") == "plain – текст"
    assert neutralise_code("-1") == "-1"
    assert neutralise_code("+2.5") == "+2.5"
    assert neutralise_code("-x") == "'-x"


def test_a_variable_named_like_a_meta_column_gets_its_own_name(engine):
    survey = make_survey()
    wave = make_wave(survey, build_questionnaire(survey, extra=("language", "status")))
    add_response(wave, {"language": "Armenian at home", "status": "student"})

    header, rows = read_csv(export([wave], engine))

    assert len(header) == len(set(header))
    assert (rows[0]["language"], rows[0]["language_2"], rows[0]["status_2"]) == (
        "ru",
        "Armenian at home",
        "student",
    )


def test_typed_rows_for_the_other_writers(wave):
    add_response(wave, {"age": 33, "height": 1.8, "left_on": "2022-09-21", "act": ["rally"], "country": "GE"})

    plan = export_plan(waves=[wave])
    (row,) = iter_rows(waves=[wave], plan=plan, options=ExportOptions(values="labels", language="ru"))

    values = dict(zip(meta_columns(wave.survey) + [column.name for column in plan], row, strict=True))
    assert values["wave"] == 1 and values["age"] == 33 and values["height"] == 1.8
    assert values["left_on"].isoformat() == "2022-09-21"
    assert values["act_rally"] == 1 and values["act_donate"] == 0 and values["act_none"] == 0
    assert values["country"] == "Грузия"
    assert values["comment"] is None


def test_options_are_validated_and_round_trip_through_json():
    options = ExportOptions(values="labels", language="ru", dialect="semicolon", bom=False, include="all")

    assert ExportOptions.from_dict(options.to_dict()) == options
    with pytest.raises(ValueError):
        ExportOptions(dialect="tab")
    with pytest.raises(ValueError):
        ExportOptions.from_dict({"colour": "red"})


def test_demo_wave_export_matches_the_stored_answers(engine):
    survey = make_survey(slug="demo")
    draft = xlsform_import(
        survey=survey, file_bytes=Path("surveys/demo/emigrants_2022.xlsx").read_bytes(), filename="demo.xlsx"
    )
    wave = wave_create(questionnaire=questionnaire_publish(questionnaire=draft), name="Wave 1")
    synthetic_responses_create(wave=wave, completed=40, partial=8, screened_out=4, seed=7)
    plan = export_plan(waves=[wave])

    _header, rows = read_csv(export([wave], engine, include="all"))

    stored = {str(pk): answers for pk, answers in Response.objects.values_list("pk", "answers")}
    assert sorted(stored) == [row["response_id"] for row in rows]
    for row in rows:
        answers = stored[row["response_id"]]
        for column in plan:
            value = column.value(answers)
            expected = "" if value is None else str(value)
            if column.kind == "text" and expected:
                expected = neutralise(expected)
            assert row[column.name] == expected, (column.name, answers)


def test_stream_yields_the_same_csv_in_chunks(wave):
    for age in range(5):
        add_response(wave, {"age": age, "comment": "=x"})
    plan = export_plan(waves=[wave])
    options = ExportOptions()

    chunks = export_stream(waves=[wave], plan=plan, options=options, user=UserFactory(username="viewer"))

    assert not isinstance(chunks, list | bytes)
    assert b"".join(chunks) == export([wave], "python")
    entry = ExportAuditEntry.objects.get()
    assert (entry.action, entry.username) == ("stream", "viewer") and "=x" not in entry.description


@pytest.mark.integration
def test_sql_and_python_paths_write_identical_bytes(wave):
    for text in HOSTILE:
        add_response(wave, {"comment": text, "country": "GE", "act": ["rally"], "age": -5, "height": 1e-7})
    add_response(wave, {"country": "-1", "order": ["y", "x"], "trust_a": "2", "left_on": "2022-01-31"})
    add_response(
        wave, {"age": "not a number", "act": "rally", "order": "x"}, status=Response.Status.IN_PROGRESS
    )
    add_response(wave, {}, status=Response.Status.SCREENED_OUT, language="en")
    # shown and left unanswered: JSON nulls, empty cells (dummies too, as for a question not shown)
    add_response(wave, {"country": None, "act": None, "age": None, "order": None, "comment": None})

    for options in (
        {},
        {"values": "labels", "language": "ru", "dialect": "semicolon", "include": "all"},
        {"values": "labels", "bom": False, "include": "all"},
    ):
        assert export([wave], "sql", **options) == export([wave], "python", **options), options


def test_the_writer_reports_how_many_rows_it_wrote(wave, engine):
    for _ in range(4):
        add_response(wave, {"age": 30})
    options = ExportOptions()
    out = io.BytesIO()

    written = write_csv(out, waves=[wave], plan=export_plan(waves=[wave]), options=options, engine=engine)

    assert written == 4 == len(read_csv(out.getvalue())[1])
