"""The figures of the demo wave against an independent computation with pandas over its CSV export.

The export writes "not shown" and "no answer" as the same empty cell, so which answer keys a response
has is read from the responses themselves (``presence_frame``); everything else comes from the CSV.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from exports.aggregation.spec import AnalysisSpec, Benchmark, Margin, Pair
from exports.aggregation.stats import wilson_interval
from exports.columns import Kind
from exports.rows import export_plan
from tests.exports.aggregation.conftest import (
    aggregate,
    export_frame,
    presence_frame,
    question,
    rows_by_code,
)

pytestmark = pytest.mark.django_db

SPEC = AnalysisSpec(
    breakdowns=("gender",),
    pairs=(Pair("act_before", "act_after", "Civic activity"),),
    benchmarks=(Benchmark("education", "higher", 0.27, "Census 2021"),),
    margins=(Margin("gender", {"female": 0.5, "male": 0.5}),),
    k=1,  # nothing suppressed: every figure can be compared
)


@pytest.fixture
def frames(demo_wave):
    frame = export_frame(demo_wave)
    presence = presence_frame(demo_wave).reindex(frame["response_id"]).fillna(False).astype(bool)
    presence.index = frame.index
    return frame, presence


@pytest.fixture
def figures(demo_wave, engine):
    return aggregate(demo_wave, SPEC, engine=engine).figures


def _dummies(wave, variable: str) -> dict[str, str]:
    """The export column of each choice of a select_multiple: {code: column}."""
    return {
        column.choice: column.name
        for column in export_plan(waves=[wave])
        if column.kind == Kind.DUMMY and column.variable == variable
    }


def test_fieldwork_counts_match_the_export(demo_wave, frames, figures):
    frame, _presence = frames

    statuses = frame["status"].value_counts()
    assert figures["n"] == {
        "all": len(frame),
        "completed": statuses.get("completed", 0),
        "screened_out": statuses.get("screened_out", 0),
        "in_progress": statuses.get("in_progress", 0),
    }
    everyone = frame.groupby("language").size()
    completed = frame[frame["status"] == "completed"].groupby("language").size()
    assert {
        row["language"]: (row["all"]["count"], row["completed"]["count"]) for row in figures["by_language"]
    } == {language: (everyone.get(language, 0), completed.get(language, 0)) for language in ("en", "ru")}
    started = frame.loc[frame["started_on"] != "", "started_on"].value_counts()
    finished = frame.loc[(frame["status"] == "completed") & (frame["completed_on"] != ""), "completed_on"]
    assert {row["date"]: row["started"]["count"] for row in figures["by_day"]} == {
        day: started.get(day, 0) for day in {row["date"] for row in figures["by_day"]}
    }
    assert sum(started) == len(frame) and len(figures["by_day"]) == len(set(started.index) | set(finished))
    assert {row["date"]: row["completed"]["count"] for row in figures["by_day"]} == {
        day: finished.value_counts().get(day, 0) for day in {row["date"] for row in figures["by_day"]}
    }
    assert figures["median_minutes"] is None


def test_funnel_counts_responses_whose_trail_reached_each_section(demo_wave, figures):
    trails = pd.Series(list(demo_wave.responses.values_list("trail", flat=True))).explode().value_counts()

    funnel = {row["section"]: row["reached"] for row in figures["funnel"]}
    assert list(funnel) == ["consent_page", "background", "activism", "attitudes"]
    for section, cell in funnel.items():
        assert cell["count"] == trails.get(section, 0)
        assert cell["share"] == pytest.approx(trails.get(section, 0) / figures["n"]["all"])
    assert funnel["consent_page"]["count"] > funnel["attitudes"]["count"] > 0


@pytest.mark.parametrize("name", ["consent", "country", "gender", "education", "rally_freq", "return_plan"])
def test_select_one_frequencies_match_the_export(frames, figures, name):
    frame, presence = frames
    shown = presence[name] if name in presence else pd.Series(False, index=frame.index)
    answered = frame.loc[shown & (frame[name] != ""), name].value_counts()

    figure = question(figures, name)

    assert figure["base"] == shown.sum()
    assert figure["not_shown"] == {"count": (~shown).sum()}
    assert figure["no_answer"]["count"] == (shown & (frame[name] == "")).sum()
    counts = {code: row["cell"]["count"] for code, row in rows_by_code(figure).items()}
    assert counts == {code: answered.get(code, 0) for code in counts}
    assert sum(counts.values()) == answered.sum()
    for row in figure["rows"]:
        assert row["cell"]["share"] == pytest.approx(answered.get(row["code"], 0) / shown.sum())


def test_select_multiple_frequencies_match_the_export_dummies(demo_wave, frames, figures):
    frame, presence = frames
    dummies = _dummies(demo_wave, "act_after")
    shown = presence["act_after"]

    figure = question(figures, "act_after")

    assert figure["type"] == "select_multiple"
    assert figure["base"] == shown.sum()
    assert figure["no_answer"]["count"] == (shown & (frame[list(dummies.values())] == "").all(axis=1)).sum()
    for code, row in rows_by_code(figure).items():
        ticked = (frame[dummies[code]] == "1").sum()
        assert row["cell"]["count"] == ticked, code
        assert row["cell"]["share"] == pytest.approx(ticked / shown.sum())


def test_numbers_match_pandas_over_the_export(frames, figures):
    frame, presence = frames
    values = pd.to_numeric(frame.loc[frame["birth_year"] != "", "birth_year"])
    shown = presence["birth_year"]

    figure = next(item for item in figures["numbers"] if item["name"] == "birth_year")

    assert figure["n"] == len(values) and not figure["suppressed"]
    assert figure["mean"] == pytest.approx(values.mean())
    assert figure["median"] == pytest.approx(values.median())
    assert figure["q1"] == pytest.approx(values.quantile(0.25))
    assert figure["q3"] == pytest.approx(values.quantile(0.75))
    assert (figure["min"], figure["max"]) == (values.min(), values.max())
    assert figure["no_answer"] == (shown & (frame["birth_year"] == "")).sum()
    assert figure["not_shown"] == (~shown).sum()


def test_crosstab_column_shares_match_pandas(frames, figures):
    frame, presence = frames
    seen = frame[presence["education"] & (frame["gender"] != "")]
    table = pd.crosstab(seen["education"], seen["gender"])
    bases = seen.groupby("gender").size()

    crosstab = next(t for t in figures["crosstabs"] if (t["row"], t["column"]) == ("education", "gender"))

    columns = [column["code"] for column in crosstab["columns"]]
    assert columns == ["female", "male", "other"]
    assert [column["base"]["count"] for column in crosstab["columns"]] == [bases[code] for code in columns]
    for row in crosstab["rows"]:
        for code, cell in zip(columns, row["cells"], strict=True):
            count = table[code].get(row["code"], 0) if code in table else 0
            assert cell["count"] == count
            assert cell["share"] == pytest.approx(count / bases[code])
            low, high = wilson_interval(count, bases[code])
            assert cell["ci"] == [pytest.approx(low), pytest.approx(high)]
            assert low <= cell["share"] <= high


def test_every_select_question_but_the_breakdown_is_crossed_with_it(figures):
    crossed = {table["row"] for table in figures["crosstabs"]}

    assert crossed == {item["name"] for item in figures["questions"]} - {"gender"}


def test_before_after_pair_gives_both_shares_and_the_change(demo_wave, frames, figures):
    frame, presence = frames
    before, after = _dummies(demo_wave, "act_before"), _dummies(demo_wave, "act_after")

    pair = figures["pairs"][0]

    assert (pair["before"], pair["after"], pair["label"]) == ("act_before", "act_after", "Civic activity")
    for row in pair["overall"]:
        share_before = (frame[before[row["code"]]] == "1").sum() / presence["act_before"].sum()
        share_after = (frame[after[row["code"]]] == "1").sum() / presence["act_after"].sum()
        assert row["before"]["share"] == pytest.approx(share_before)
        assert row["change"] == pytest.approx(share_after - share_before)
    women = next(group for group in pair["by"][0]["groups"] if group["code"] == "female")
    female = frame["gender"] == "female"
    donate = next(row for row in women["rows"] if row["code"] == "donate")
    assert donate["after"]["count"] == ((frame[after["donate"]] == "1") & female).sum()
    assert donate["after"]["share"] == pytest.approx(
        donate["after"]["count"] / (presence["act_after"] & female).sum()
    )


def test_weighted_shares_and_benchmarks_match_a_pandas_weighting(frames, figures):
    frame, presence = frames
    # one weighting variable: each raked respondent weighs population share / sample share,
    # normalised to a mean of 1 among them; everyone else weighs 1
    raked = frame["gender"].isin(["female", "male"])
    sample = frame.loc[raked, "gender"].value_counts(normalize=True)
    weight = frame["gender"].map({"female": 0.5 / sample["female"], "male": 0.5 / sample["male"]})
    weight = (weight / weight[raked].mean()).where(raked, 1.0)
    shown = presence["education"]
    expected = (weight * (shown & (frame["education"] == "higher"))).sum() / (weight * shown).sum()

    higher = rows_by_code(question(figures, "education"))["higher"]
    benchmark = figures["benchmarks"][0]

    assert higher["weighted_share"] == pytest.approx(expected)
    assert benchmark["sample"] == higher["cell"]
    assert benchmark["weighted_share"] == higher["weighted_share"]
    assert (benchmark["population_share"], benchmark["source"]) == (0.27, "Census 2021")
    assert figures["weights"]["converged"] and figures["weights"]["variables"] == ["gender"]
    deff = len(frame) * (weight**2).sum() / weight.sum() ** 2
    assert figures["weights"]["design_effect"] == pytest.approx(deff)


def test_the_document_is_plain_json(figures):
    assert json.loads(json.dumps(figures, allow_nan=False)) == figures


def test_labels_come_in_every_language(figures):
    gender = question(figures, "gender")

    assert gender["label"] == {"en": "What is your gender?", "ru": "Укажите ваш пол"}
    assert rows_by_code(gender)["female"]["label"] == {"en": "Female", "ru": "Женский"}
    assert figures["languages"] == ["en", "ru"] and figures["default_language"] == "en"
    assert gender["section"] == "background"
