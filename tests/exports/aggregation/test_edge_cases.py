"""Waves at the edges: empty, one respondent, nobody answering, Cyrillic codes, odd stored values."""

from __future__ import annotations

import pytest

from exports.aggregation.spec import AnalysisSpec, Margin, Pair
from respondents.models import Response
from tests.exports.aggregation.conftest import aggregate, question, rows_by_code
from tests.exports.builders import add_response, make_survey, make_wave
from tests.factories import SurveyFactory

pytestmark = pytest.mark.django_db

PLAN = AnalysisSpec(
    breakdowns=("country",),
    pairs=(Pair("trust_a", "trust_b"),),
    margins=(Margin("country", {"GE": 0.6, "AM": 0.4}),),
    k=1,
)


@pytest.fixture
def wave():
    return make_wave(make_survey())


def test_an_empty_wave_has_zeros_and_no_shares(wave, engine):
    figures = aggregate(wave, PLAN, engine=engine).figures

    assert figures["n"] == {"all": 0, "completed": 0, "screened_out": 0, "in_progress": 0}
    assert figures["by_day"] == [] and figures["funnel"][0]["reached"] == {
        "count": 0,
        "share": None,
        "suppressed": False,
    }
    country = question(figures, "country")
    assert country["base"] == 0 and country["not_shown"] == {"count": 0}
    assert {row["cell"]["count"] for row in country["rows"]} == {0}
    assert {row["cell"]["share"] for row in country["rows"]} == {None}
    age = next(item for item in figures["numbers"] if item["name"] == "age")
    assert (age["n"], age["mean"], age["suppressed"]) == (0, None, False)
    crosstab = next(t for t in figures["crosstabs"] if t["row"] == "act")
    assert [column["base"]["count"] for column in crosstab["columns"]] == [0, 0, 0, 0]
    assert figures["weights"]["design_effect"] is None


def test_one_respondent_is_counted_and_hidden_under_k(wave, engine):
    add_response(wave, {"country": "GE", "act": ["rally"], "age": 31, "trust_a": "3"})

    plain = aggregate(wave, PLAN, engine=engine).figures
    hidden = aggregate(wave, AnalysisSpec(breakdowns=("country",), k=5), engine=engine).figures

    assert plain["n"]["all"] == 1 and rows_by_code(question(plain, "country"))["GE"]["cell"]["count"] == 1
    age = next(item for item in plain["numbers"] if item["name"] == "age")
    assert (age["n"], age["mean"], age["median"], age["min"], age["max"]) == (1, 31.0, 31.0, 31.0, 31.0)
    assert rows_by_code(question(hidden, "country"))["GE"]["cell"]["suppressed"]
    assert hidden["by_language"][1]["all"]["suppressed"]  # the one "ru" response
    assert next(item for item in hidden["numbers"] if item["name"] == "age")["suppressed"]


def test_questions_shown_and_left_empty_are_no_answer_not_not_shown(wave, engine):
    for _ in range(4):
        add_response(
            wave,
            {"country": None, "act": None, "age": None, "height": None, "trust_a": None, "trust_b": None},
            status=Response.Status.IN_PROGRESS,
        )

    figures = aggregate(wave, PLAN, engine=engine).figures

    for name in ("country", "act", "trust_a", "trust_b"):
        figure = question(figures, name)
        assert figure["base"] == 4 and figure["no_answer"]["count"] == 4, name
        assert figure["no_answer"]["share"] == 1.0 and figure["not_shown"] == {"count": 0}
        assert {row["cell"]["count"] for row in figure["rows"]} == {0}
    age = next(item for item in figures["numbers"] if item["name"] == "age")
    assert (age["n"], age["no_answer"], age["not_shown"]) == (0, 4, 0)
    assert figures["n"]["in_progress"] == 4


def test_cyrillic_labels_and_codes_pass_through(engine):
    survey = SurveyFactory(languages=["ru", "en"], default_language="ru")
    wave = make_wave(survey)
    add_response(wave, {"country": "Грузия", "act": ["rally"]})
    add_response(wave, {"country": "GE", "act": ["donate"]})

    figures = aggregate(wave, PLAN, engine=engine).figures

    country = question(figures, "country")
    assert country["label"]["ru"] == survey.questionnaires.get().questions.get(name="country").label["ru"]
    rows = rows_by_code(country)
    assert rows["GE"]["label"] == {"en": "Georgia", "ru": "Грузия"}
    assert rows["Грузия"]["label"] == {"ru": "Грузия", "en": "Грузия"}  # an unlisted code is its own label
    assert [row["code"] for row in country["rows"]][-1] == "Грузия"  # after the listed codes
    crosstab = next(t for t in figures["crosstabs"] if t["row"] == "act")
    assert "Грузия" in [column["code"] for column in crosstab["columns"]]
    assert figures["languages"] == ["ru", "en"] and figures["default_language"] == "ru"


def test_matrix_items_are_single_choice_questions_named_by_their_item(wave, engine):
    add_response(wave, {"trust_a": "1", "trust_b": "3"})
    add_response(wave, {"trust_a": "1"})

    figures = aggregate(wave, PLAN, engine=engine).figures

    trust_a = question(figures, "trust_a")
    assert trust_a["type"] == "select_one"
    assert rows_by_code(trust_a)["1"]["cell"]["count"] == 2
    assert question(figures, "trust_b")["not_shown"] == {"count": 1}
    assert [row["code"] for row in figures["pairs"][0]["overall"]] == ["1", "2", "3"]


def test_values_are_read_as_the_questions_types_say(wave, engine):
    add_response(wave, {"country": 5, "act": "rally", "age": "30", "height": 1.5})
    add_response(wave, {"country": "", "act": [], "age": "thirty", "height": True})
    add_response(wave, {"act": ["rally", "rally", "zz"], "age": 40, "height": "1.50"})

    figures = aggregate(wave, PLAN, engine=engine).figures

    country = question(figures, "country")
    assert rows_by_code(country)["5"]["cell"]["count"] == 1  # a number as its text, unlisted
    assert country["no_answer"]["count"] == 1  # the empty string
    act = question(figures, "act")
    assert (act["base"], act["no_answer"]["count"]) == (3, 2)  # a lone string and [] say nothing
    assert rows_by_code(act)["rally"]["cell"]["count"] == 1  # ticked once, whatever the repeats
    age = next(item for item in figures["numbers"] if item["name"] == "age")
    assert (age["n"], age["mean"], age["no_answer"]) == (2, 35.0, 1)  # "30" reads as 30, "thirty" not
    height = next(item for item in figures["numbers"] if item["name"] == "height")
    assert (height["n"], height["min"], height["max"], height["no_answer"]) == (2, 1.5, 1.5, 1)


def test_plan_entries_this_version_cannot_use_are_left_out(wave, engine):
    add_response(wave, {"country": "GE", "act": ["rally"]})
    spec = AnalysisSpec(
        breakdowns=("act", "missing"),  # a select_multiple, and a variable this version lacks
        pairs=(Pair("missing", "country"),),
        margins=(Margin("act", {"rally": 1.0}),),
        k=1,
    )

    figures = aggregate(wave, spec, engine=engine).figures

    assert figures["crosstabs"] == [] and figures["pairs"] == [] and figures["weights"] is None


def test_a_wave_without_dates_has_no_days(engine):
    wave = make_wave(make_survey())
    response = add_response(wave, {"country": "GE"})
    Response.objects.filter(pk=response.pk).update(started_on=None, completed_on=None)

    result = aggregate(wave, PLAN, engine=engine)

    assert result.figures["by_day"] == [] and result.state["days"] == {}
    assert result.responses == 1
