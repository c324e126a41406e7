"""Fixtures for the aggregation tests: the demo survey with synthetic respondents, and helpers to read a
wave's CSV export and its answers with pandas (the independent computation the figures are checked
against)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from exports.aggregation.compute import Aggregate, wave_aggregate
from exports.aggregation.spec import AnalysisSpec
from exports.rows import ExportOptions, export_plan
from exports.writers.csv import write_csv
from respondents.models import Response
from respondents.synthetic import synthetic_responses_create
from surveys.models import Wave
from surveys.services import questionnaire_publish, wave_create, wave_open
from surveys.xlsform import xlsform_import
from tests.factories import SurveyFactory

DEMO = Path(__file__).resolve().parents[3] / "surveys/demo/emigrants_2022.xlsx"
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@pytest.fixture(params=["python", "sql"] if ON_POSTGRES else ["python"])
def engine(request) -> str:
    """Both ways of counting on PostgreSQL, the portable one elsewhere."""
    return request.param


def make_demo_wave(
    *, completed: int = 300, partial: int = 40, screened_out: int = 15, seed: int = 7, slug: str = "emigrants"
) -> Wave:
    survey = SurveyFactory(
        slug=slug,
        languages=["en", "ru"],
        default_language="en",
        title={"en": "Emigrants", "ru": "Эмигранты"},
    )
    draft = xlsform_import(survey=survey, file_bytes=DEMO.read_bytes(), filename=DEMO.name)
    wave = wave_create(questionnaire=questionnaire_publish(questionnaire=draft), name="Spring 2023")
    wave = wave_open(wave=wave)
    synthetic_responses_create(
        wave=wave, completed=completed, partial=partial, screened_out=screened_out, seed=seed
    )
    return wave


@pytest.fixture
def demo_wave(db) -> Wave:
    return make_demo_wave()


def aggregate(wave: Wave, spec: AnalysisSpec | None = None, **options: Any) -> Aggregate:
    return wave_aggregate(wave, spec or AnalysisSpec(k=1), **options)


def without_time(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures but for when they were computed."""
    return {key: value for key, value in figures.items() if key != "computed_at"}


def normalised(state: dict[str, Any]) -> dict[str, Any]:
    """A state with its lists in one order (their order carries no meaning), for comparing two."""

    def tally(document: dict[str, list]) -> list:
        return sorted(
            (repr(list(key)), count) for key, count in zip(document["keys"], document["counts"], strict=True)
        )

    def values(document: dict[str, dict[str, list]]) -> dict[str, list]:
        return {
            name: sorted(zip(found["values"], found["counts"], strict=True), key=repr)
            for name, found in document.items()
        }

    return {
        "key": state["key"],
        "days": {
            day: (entry["rows"], tally(json.loads(entry["tally"]))) for day, entry in state["days"].items()
        },
        "sealed": tally(state["sealed"]),
        "values": values(state["values"]),
    }


def export_frame(wave: Wave) -> pd.DataFrame:
    """Every response of ``wave`` as its CSV export writes it (all statuses, codes), read by pandas:
    every cell a string, an empty cell ''."""
    out = io.BytesIO()
    write_csv(out, waves=[wave], plan=export_plan(waves=[wave]), options=ExportOptions(include="all"))
    return pd.read_csv(io.BytesIO(out.getvalue()), dtype=str, keep_default_na=False, encoding="utf-8-sig")


def presence_frame(wave: Wave) -> pd.DataFrame:
    """Which answer keys each response has (the export writes "not shown" and "no answer" alike),
    by response ID."""
    rows = {
        str(pk): dict.fromkeys(answers, True) for pk, answers in wave.responses.values_list("pk", "answers")
    }
    return pd.DataFrame.from_dict(rows, orient="index").fillna(False).astype(bool)


def question(figures: dict[str, Any], name: str) -> dict[str, Any]:
    return next(item for item in figures["questions"] if item["name"] == name)


def rows_by_code(figure: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["code"]: row for row in figure["rows"]}


def response_count(wave: Wave) -> int:
    return Response.objects.filter(wave=wave).count()
