"""Panel merge: two waves whose versions differ (wave 2 drops ``comment`` and adds ``new_q``)."""

from __future__ import annotations

import io
import os

import pytest

from exports.columns import MAX_NAME
from exports.panel import wide_name
from exports.rows import ExportOptions, export_plan, meta_columns, rows_count
from exports.writers.csv import write_csv
from respondents.models import PanelMember, Response
from tests.exports.builders import add_response, build_questionnaire, make_survey, make_wave, read_csv

pytestmark = pytest.mark.django_db

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
LONG_A, LONG_B = "a" * 32, "a" * 31 + "b"


@pytest.fixture(params=["python", "sql"] if ON_POSTGRES else ["python"])
def engine(request) -> str:
    return request.param


@pytest.fixture
def panel():
    """Members: ``both`` answered both waves, ``first`` only wave 1, ``second`` only wave 2."""
    survey = make_survey(slug="panel", is_panel=True)
    wave1 = make_wave(survey)
    wave2 = make_wave(survey, build_questionnaire(survey, without=("comment",), extra=("new_q",)))
    members = {name: PanelMember.objects.create(survey=survey) for name in ("both", "first", "second")}
    add_response(wave1, {"age": 30, "comment": "w1 both", "country": "GE"}, member=members["both"])
    add_response(wave2, {"age": 31, "new_q": "w2 both", "country": "AM"}, member=members["both"])
    add_response(wave1, {"age": 40, "comment": "w1 first"}, member=members["first"])
    add_response(wave2, {"age": 51, "new_q": "w2 second"}, member=members["second"])
    add_response(wave1, {"age": 50}, member=members["second"], status=Response.Status.IN_PROGRESS)
    add_response(wave1, {"age": 99, "comment": "not in the panel"})
    return survey, [wave1, wave2], members


def export(waves, engine: str, **options) -> bytes:
    export_options = ExportOptions(**options)
    plan = export_plan(waves=waves, layout=export_options.layout)
    out = io.BytesIO()
    write_csv(out, waves=waves, plan=plan, options=export_options, engine=engine)
    return out.getvalue()


def test_long_has_one_row_per_member_and_wave_aligned_by_variable_name(panel, engine):
    survey, waves, members = panel

    header, rows = read_csv(export(waves, engine, layout="panel_long"))

    assert header[:8] == meta_columns(survey, "panel_long")
    assert header.count("comment") == 1 and header[-1] == "new_q"
    assert header.index("comment") < header.index("age")  # kept at its wave-1 place
    pseudonyms = {member.pk: member.pseudonym for member in members.values()}
    expected_order = [
        (pseudonyms[pk], wave)
        for pk in sorted(pseudonyms)
        for wave, member in (("1", "both"), ("2", "both"), ("1", "first"), ("2", "second"))
        if members[member].pk == pk
    ]
    assert [(row["panel_id"], row["wave"]) for row in rows] == expected_order
    by_key = {(row["panel_id"], row["wave"]): row for row in rows}
    both = members["both"].pseudonym
    assert (by_key[both, "1"]["comment"], by_key[both, "1"]["new_q"], by_key[both, "1"]["age"]) == (
        "w1 both",
        "",
        "30",
    )
    assert (by_key[both, "2"]["comment"], by_key[both, "2"]["new_q"], by_key[both, "2"]["age"]) == (
        "",
        "w2 both",
        "31",
    )
    assert all(row["comment"] != "not in the panel" for row in rows)


def test_long_includes_partial_panel_responses_only_with_include_all(panel, engine):
    _survey, waves, members = panel

    _header, rows = read_csv(export(waves, engine, layout="panel_long", include="all"))

    second = [row for row in rows if row["panel_id"] == members["second"].pseudonym]
    assert [(row["wave"], row["status"], row["age"]) for row in second] == [
        ("1", "in_progress", "50"),
        ("2", "completed", "51"),
    ]
    assert rows_count(waves=waves, options=ExportOptions(layout="panel_long", include="all")) == 5


def test_wide_has_one_row_per_member_with_each_waves_own_columns(panel, engine):
    survey, waves, members = panel

    header, rows = read_csv(export(waves, engine, layout="panel_wide", values="labels", language="ru"))

    assert header[: 1 + 2 * 6] == meta_columns(survey, "panel_wide", waves)
    assert {"comment_w1", "age_w1", "age_w2", "new_q_w2", "act_rally_w2", "order_3_w1"} <= set(header)
    assert "comment_w2" not in header and "new_q_w1" not in header
    assert header.index("country_w1") < header.index("country_w2")
    assert [row["panel_id"] for row in rows] == sorted(
        (member.pseudonym for member in members.values()),
        key=lambda p: PanelMember.objects.get(pseudonym=p).pk,
    )
    by_member = {row["panel_id"]: row for row in rows}
    both, first, second = (by_member[members[name].pseudonym] for name in ("both", "first", "second"))
    assert (both["age_w1"], both["age_w2"], both["country_w1"], both["country_w2"]) == (
        "30",
        "31",
        "Грузия",
        "Армения",
    )
    assert (first["comment_w1"], first["status_w2"], first["age_w2"], first["response_id_w2"]) == (
        "w1 first",
        "",
        "",
        "",
    )
    assert (second["status_w1"], second["age_w1"], second["new_q_w2"]) == ("", "", "w2 second")
    assert rows_count(waves=waves, options=ExportOptions(layout="panel_wide")) == 3


def test_wide_names_stay_valid_and_unique_when_shortened():
    taken: set[str] = set()

    names = [wide_name(base, number, taken) for number in (1, 12) for base in (LONG_A, LONG_B, "age")]

    assert all(len(name) <= MAX_NAME for name in names)
    assert len(set(names)) == len(names)
    assert names[:3] == ["a" * 29 + "_w1", "a" * 27 + "_2_w1", "age_w1"]
    assert names[3] == "a" * 28 + "_w12"


def test_wide_plan_of_long_variable_names_has_unique_names(panel):
    survey, waves, _members = panel
    wave3 = make_wave(survey, build_questionnaire(survey, extra=(LONG_A, LONG_B)))

    plan = export_plan(waves=[*waves, wave3], layout="panel_wide")

    names = meta_columns(survey, "panel_wide", [*waves, wave3]) + [column.name for column in plan]
    assert len(names) == len(set(names)) and max(map(len, names)) <= MAX_NAME
    assert {column.variable for column in plan if column.wave == 3} >= {LONG_A, LONG_B}


def test_a_panel_survey_wave_export_carries_the_pseudonym(panel, engine):
    _survey, waves, members = panel

    _header, rows = read_csv(export([waves[0]], engine))

    assert {row["panel_id"] for row in rows} == {members["both"].pseudonym, members["first"].pseudonym, ""}


@pytest.mark.integration
def test_panel_layouts_are_identical_on_both_paths(panel):
    _survey, waves, _members = panel

    for options in (
        {"layout": "panel_long"},
        {"layout": "panel_long", "values": "labels", "include": "all", "dialect": "semicolon"},
        {"layout": "panel_wide"},
        {"layout": "panel_wide", "values": "labels", "language": "ru", "include": "all"},
    ):
        assert export(waves, "sql", **options) == export(waves, "python", **options), options
