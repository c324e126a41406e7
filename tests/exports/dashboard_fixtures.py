"""Hand-written ``figures`` documents for the dashboard tests, following /work/shared contract v1.

``figures()`` is small and covers every section: a suppressed cell in each kind of table, a question
label and a choice label that carry script, weights, a before/after pair with a breakdown, benchmarks.
``large_figures()`` is demo-sized (~60 questions, a few cross-tabs) for timing the page.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

K = 5
HOSTILE = "<script>window.__xss=1</script><img src=x onerror=window.__xss=1>"
FORMULA = '=HYPERLINK("http://example.invalid","x")'

GENDER = {"f": ("Female", "Женщина"), "m": ("Male", "Мужчина"), "x": ("Other", "Другое")}
ACTIVITIES = {
    "rally": ("Rally", "Митинг"),
    "donate": ("Donation", "Пожертвование"),
    "none": ("None", "Ничего"),
}
EDUCATION = {"higher": ("Higher", "Высшее"), "school": (FORMULA, "Среднее"), "evil": (HOSTILE, HOSTILE)}


def label(en: str, ru: str) -> dict[str, str]:
    return {"en": en, "ru": ru}


def cell(count: int, base: int, k: int = K) -> dict[str, Any]:
    """A cell as the backend writes it: counts 1..k-1 suppressed (count and share null)."""
    if 0 < count < k:
        return {"count": None, "share": None, "suppressed": True}
    return {"count": count, "share": count / base if base else 0.0, "suppressed": False}


def wilson(count: int, base: int) -> list[float]:
    z = 1.96
    share = count / base
    centre = (share + z * z / (2 * base)) / (1 + z * z / base)
    half = z * math.sqrt(share * (1 - share) / base + z * z / (4 * base * base)) / (1 + z * z / base)
    return [centre - half, centre + half]


def ci_cell(count: int, base: int, k: int = K) -> dict[str, Any]:
    value = cell(count, base, k)
    value["ci"] = None if value["suppressed"] else wilson(count, base)
    return value


def select_question(
    name: str,
    choices: dict[str, tuple[str, str]],
    counts: dict[str, int],
    *,
    kind: str = "select_one",
    base: int,
    no_answer: int,
    not_shown: int,
    question_label: dict[str, str] | None = None,
    weighted: bool = False,
    section: str = "background",
) -> dict[str, Any]:
    rows = []
    for code, (en, ru) in choices.items():
        row_cell = cell(counts[code], base)
        weighted_share = None
        if weighted and not row_cell["suppressed"]:
            weighted_share = round(row_cell["share"] * 0.95, 4)
        rows.append(
            {"code": code, "label": label(en, ru), "cell": row_cell, "weighted_share": weighted_share}
        )
    return {
        "name": name,
        "type": kind,
        "label": question_label or label(name.capitalize(), name.upper()),
        "section": section,
        "base": base,
        "rows": rows,
        "no_answer": cell(no_answer, base),
        "not_shown": {"count": not_shown},
    }


def pair_rows(before: dict[str, int], after: dict[str, int], base: int) -> list[dict[str, Any]]:
    rows = []
    for code, (en, ru) in ACTIVITIES.items():
        before_cell, after_cell = cell(before[code], base), cell(after[code], base)
        change = None
        if not before_cell["suppressed"] and not after_cell["suppressed"]:
            change = after_cell["share"] - before_cell["share"]
        rows.append(
            {
                "code": code,
                "label": label(en, ru),
                "before": before_cell,
                "after": after_cell,
                "change": change,
            }
        )
    return rows


def figures(*, wave_id: int = 1, languages: tuple[str, ...] = ("en", "ru"), default: str = "en") -> dict:
    """A complete small document (n = 200): every section, suppressed cells, hostile labels."""
    gender = select_question(
        "gender",
        GENDER,
        {"f": 104, "m": 83, "x": 3},
        base=200,
        no_answer=10,
        not_shown=0,
        question_label=label("Gender", "Пол"),
        weighted=True,
    )
    act = select_question(
        "act",
        ACTIVITIES,
        {"rally": 61, "donate": 120, "none": 2},
        kind="select_multiple",
        base=180,
        no_answer=0,
        not_shown=20,
        question_label=label("What did you do?", "Что вы делали?"),
        weighted=True,
        section="activity",
    )
    education = select_question(
        "education",
        EDUCATION,
        {"higher": 140, "school": 50, "evil": 4},
        base=200,
        no_answer=6,
        not_shown=0,
        question_label=label(f"Education {HOSTILE}", f"Образование {HOSTILE}"),
        weighted=True,
    )
    return {
        "version": 1,
        "k": K,
        "languages": list(languages),
        "default_language": default,
        "wave": {"id": wave_id, "number": 1, "name": "Wave 1"},
        "questionnaire_version": 2,
        "computed_at": "2026-11-26T20:10:00Z",
        "n": {"all": 240, "completed": 200, "screened_out": 12, "in_progress": 28},
        "by_language": [
            {"language": "ru", "all": cell(236, 240), "completed": cell(197, 240)},
            {"language": "en", "all": cell(4, 240), "completed": cell(3, 240)},
        ],
        "by_day": [
            {"date": "2026-11-20", "started": cell(90, 240), "completed": cell(70, 240)},
            {"date": "2026-11-21", "started": cell(147, 240), "completed": cell(128, 240)},
            {"date": "2026-11-22", "started": cell(3, 240), "completed": cell(2, 240)},
        ],
        "funnel": [
            {"section": "consent", "label": label("Consent", "Согласие"), "reached": cell(240, 240)},
            {"section": "background", "label": label("Background", "О вас"), "reached": cell(212, 240)},
            {"section": "activity", "label": label("Activity", "Активность"), "reached": cell(200, 240)},
        ],
        "median_minutes": None,
        "weights": {
            "variables": ["gender", "education"],
            "converged": True,
            "iterations": 7,
            "design_effect": 1.21,
            "trimmed": False,
        },
        "questions": [gender, act, education],
        "numbers": [
            {
                "name": "age",
                "label": label("Age", "Возраст"),
                "n": 190,
                "mean": 34.56,
                "median": 33.0,
                "q1": 28.0,
                "q3": 41.0,
                "min": 18.0,
                "max": 77.0,
                "no_answer": 10,
                "not_shown": 0,
                "suppressed": False,
            },
            {
                "name": "children",
                "label": label("Children", "Дети"),
                "n": 3,
                "mean": None,
                "median": None,
                "q1": None,
                "q3": None,
                "min": None,
                "max": None,
                "no_answer": 1,
                "not_shown": 196,
                "suppressed": True,
            },
        ],
        "crosstabs": [
            {
                "row": "act",
                "column": "gender",
                "row_label": act["label"],
                "column_label": gender["label"],
                "columns": [
                    {"code": "f", "label": label("Female", "Женщина"), "base": cell(95, 180)},
                    {"code": "m", "label": label("Male", "Мужчина"), "base": cell(80, 180)},
                    {"code": "x", "label": label("Other", "Другое"), "base": cell(3, 180)},
                ],
                "rows": [
                    {
                        "code": "rally",
                        "label": label("Rally", "Митинг"),
                        "cells": [ci_cell(33, 95), ci_cell(27, 80), ci_cell(1, 3)],
                    },
                    {
                        "code": "donate",
                        "label": label("Donation", "Пожертвование"),
                        "cells": [ci_cell(66, 95), ci_cell(52, 80), ci_cell(2, 3)],
                    },
                    {
                        "code": "none",
                        "label": label("None", "Ничего"),
                        "cells": [ci_cell(1, 95), ci_cell(1, 80), ci_cell(0, 3)],
                    },
                ],
            }
        ],
        "pairs": [
            {
                "before": "act_before",
                "after": "act_after",
                "label": "Activity before and after leaving",
                "overall": pair_rows(
                    {"rally": 40, "donate": 90, "none": 3}, {"rally": 61, "donate": 120, "none": 2}, 180
                ),
                "by": [
                    {
                        "breakdown": "gender",
                        "groups": [
                            {
                                "code": "f",
                                "label": label("Female", "Женщина"),
                                "rows": pair_rows(
                                    {"rally": 22, "donate": 48, "none": 0},
                                    {"rally": 33, "donate": 66, "none": 1},
                                    95,
                                ),
                            },
                            {
                                "code": "m",
                                "label": label("Male", "Мужчина"),
                                "rows": pair_rows(
                                    {"rally": 18, "donate": 40, "none": 3},
                                    {"rally": 27, "donate": 52, "none": 1},
                                    80,
                                ),
                            },
                        ],
                    }
                ],
            }
        ],
        "benchmarks": [
            {
                "variable": "education",
                "code": "higher",
                "label": label("Higher", "Высшее"),
                "question_label": education["label"],
                "population_share": 0.27,
                "source": "Rosstat 2021",
                "sample": cell(140, 200),
                "weighted_share": 0.61,
            },
            {
                "variable": "education",
                "code": "evil",
                "label": label(HOSTILE, HOSTILE),
                "question_label": education["label"],
                "population_share": 0.02,
                "source": f"Census {HOSTILE}",
                "sample": cell(4, 200),
                "weighted_share": None,
            },
        ],
    }


def large_figures(*, questions: int = 60, crosstabs: int = 4, days: int = 30) -> dict:
    """A demo-sized document: ``questions`` select questions of 6 choices, cross-tabs of 6×4, 30 days."""
    document = figures()
    base = 2000
    choices = {f"c{i}": (f"Choice number {i}", f"Вариант номер {i}") for i in range(6)}
    document["questions"] = [
        select_question(
            f"q{number}",
            choices,
            {code: 40 * (i + 1) + number % 7 for i, code in enumerate(choices)},
            kind="select_multiple" if number % 5 == 0 else "select_one",
            base=base,
            no_answer=number % 9,
            not_shown=number,
            question_label=label(
                f"Question {number}: how often do you …?", f"Вопрос {number}: как часто вы …?"
            ),
            weighted=True,
            section=f"section_{number // 10}",
        )
        for number in range(questions)
    ]
    start = datetime.date(2026, 10, 1)
    document["by_day"] = [
        {
            "date": (start + datetime.timedelta(days=day)).isoformat(),
            "started": cell(50 + day * 3, base),
            "completed": cell(40 + day * 2, base),
        }
        for day in range(days)
    ]
    groups = [(f"g{i}", label(f"Group {i}", f"Группа {i}")) for i in range(4)]
    document["crosstabs"] = [
        {
            "row": f"q{number}",
            "column": "gender",
            "row_label": label(f"Question {number}", f"Вопрос {number}"),
            "column_label": label("Gender", "Пол"),
            "columns": [{"code": code, "label": text, "base": cell(500, base)} for code, text in groups],
            "rows": [
                {
                    "code": code,
                    "label": label(en, ru),
                    "cells": [ci_cell(20 * (i + 1) + g, 500) for g in range(len(groups))],
                }
                for i, (code, (en, ru)) in enumerate(choices.items())
            ],
        }
        for number in range(crosstabs)
    ]
    return document
