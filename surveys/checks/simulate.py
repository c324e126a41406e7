"""A simulated run: random respondents walk the questionnaire, in every language.

Each simulated respondent answers what is shown (choices are cycled so that every branch is taken),
honours constraints, and follows ``relevant`` logic page by page. The report names pages and
questions that no respondent ever reached, required questions whose constraint no generated answer
could satisfy, expressions that failed at run time and strings missing on the way in a language.
"""

from __future__ import annotations

import datetime
import random
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from surveys import expressions
from surveys.models import Question
from surveys.snapshot import screens_out

_NUMBER_RE = re.compile(r"(?<![\w$])-?\d+(?:\.\d+)?")
Progress = Callable[[int], None]


class _Walker:
    """Compiled expressions of one snapshot and the walk of one respondent at a time."""

    def __init__(self, snapshot: dict[str, Any], rng: random.Random, today: datetime.date) -> None:
        self.snapshot = snapshot
        self.rng = rng
        self.today = today
        self.section_shown: Counter[str] = Counter()
        self.question_shown: Counter[str] = Counter()
        self.unsatisfied: Counter[str] = Counter()
        self.runtime_errors: dict[str, str] = {}
        self.missing: set[str] = set()
        self.screened_out = 0
        self._ast: dict[int, Any] = {}

    def _expr(self, node: Any) -> Any:
        key = id(node)
        if key not in self._ast:
            self._ast[key] = expressions.from_json(node)
        return self._ast[key]

    def _true(self, ast: Any, answers: dict[str, Any], where: str, current: Any = None) -> bool:
        if ast is None:
            return True
        try:
            return expressions.truthy(expressions.evaluate(self._expr(ast), answers, current, self.today))
        except expressions.ExpressionError as error:
            self.runtime_errors.setdefault(where, str(error))
            return False

    def _see(self, texts: dict[str, str], language: str, what: str) -> None:
        if not str((texts or {}).get(language, "")).strip():
            self.missing.add(f"{language}: {what}")

    def walk(self, index: int, language: str) -> None:
        answers: dict[str, Any] = {}
        for section in self.snapshot["sections"]:
            if not section["questions"]:
                continue  # respondents never see an empty page
            if not self._true(section["relevant_ast"], answers, f"page {section['name']}: relevant"):
                continue
            self.section_shown[section["name"]] += 1
            for question in section["questions"]:
                self._ask(question, answers, index, language)
            if screens_out(section, answers):
                self.screened_out += 1
                return

    def _ask(self, question: dict[str, Any], answers: dict[str, Any], index: int, language: str) -> None:
        name = question["name"]
        if not self._true(question["relevant_ast"], answers, f"{name}: relevant"):
            return
        self.question_shown[name] += 1
        self._see(question["label"], language, f"label of {name}")
        if question["type"] == Question.Type.NOTE:
            return
        if question["type"] == Question.Type.MATRIX:
            self._ask_matrix(question, answers, index, language)
            return
        for attempt in range(12):
            value = _generate(question, self.snapshot["choice_lists"], self.rng, index + attempt, self.today)
            if value is None and not question["required"]:
                return
            if value is None:
                continue
            if self._true(question["constraint_ast"], {**answers, name: value}, f"{name}: constraint", value):
                answers[name] = value
                if question["has_other"] and _chose_other(value):
                    answers[question["other_name"]] = "simulated"
                return
        if question["required"]:
            self.unsatisfied[name] += 1

    def _ask_matrix(
        self, question: dict[str, Any], answers: dict[str, Any], index: int, language: str
    ) -> None:
        codes = [c["code"] for c in self.snapshot["choice_lists"].get(question["choice_list"], [])]
        for offset, item in enumerate(question["items"]):
            if not self._true(item["relevant_ast"], answers, f"{item['name']}: relevant"):
                continue
            self.question_shown[item["name"]] += 1
            self._see(item["label"], language, f"label of {item['name']}")
            if codes:
                answers[item["name"]] = codes[(index + offset) % len(codes)]


def _chose_other(value: Any) -> bool:
    return value == "other" or (isinstance(value, list) and "other" in value)


def _numbers_in(source: str | None) -> list[float]:
    return [float(n) for n in _NUMBER_RE.findall(source or "")]


def _generate(
    question: dict[str, Any],
    lists: dict[str, list[dict]],
    rng: random.Random,
    index: int,
    today: datetime.date,
) -> Any:
    """One plausible answer (None for "no answer") for a simulated respondent."""
    kind = question["type"]
    if not question["required"] and rng.random() < 0.1:
        return None
    codes = [c["code"] for c in lists.get(question["choice_list"] or "", [])]
    if kind == Question.Type.SELECT_ONE:
        return codes[index % len(codes)] if codes else None
    if kind == Question.Type.SELECT_MULTIPLE:
        if not codes:
            return None
        chosen = {codes[index % len(codes)], *rng.sample(codes, k=rng.randint(0, min(2, len(codes))))}
        return [c for c in codes if c in chosen]
    if kind == Question.Type.RANKING:
        return rng.sample(codes, k=len(codes)) if codes else None
    if kind in (Question.Type.INTEGER, Question.Type.DECIMAL):
        candidates = [n + d for n in _numbers_in(question["constraint"]) for d in (-1, 0, 1)]
        candidates += [0, 1, rng.randint(0, 100), rng.randint(1900, today.year)]
        number = (
            candidates[index % len(candidates)] if index < 3 * len(candidates) else rng.choice(candidates)
        )
        return int(number) if kind == Question.Type.INTEGER else round(float(number) + rng.random(), 2)
    if kind == Question.Type.DATE:
        return (today - datetime.timedelta(days=rng.randint(0, 365 * 80))).isoformat()
    return rng.choice(["yes", "Нет", "some text", "x" * rng.randint(1, 40)])


def simulate(
    snapshot: dict[str, Any],
    *,
    respondents_per_language: int = 200,
    seed: int = 0,
    progress: Progress | None = None,
    today: datetime.date | None = None,
) -> dict[str, Any]:
    """Walk ``respondents_per_language`` random respondents per language; return a JSON report."""
    rng = random.Random(seed)  # reproducible: the same form gives the same report
    walker = _Walker(snapshot, rng, today or datetime.date.today())
    languages = snapshot["languages"]
    total = respondents_per_language * len(languages)
    done = 0
    for language in languages:
        for index in range(respondents_per_language):
            walker.walk(index, language)
            done += 1
            if progress and done % max(1, total // 20) == 0:
                progress(int(100 * done / total))
    sections = [s["name"] for s in snapshot["sections"]]
    questions = [
        name
        for section in snapshot["sections"]
        for q in section["questions"]
        for name in [q["name"], *[item["name"] for item in q["items"]]]
    ]
    return {
        "respondents": total,
        "languages": languages,
        "screened_out": walker.screened_out,
        "section_shown": {name: walker.section_shown[name] for name in sections},
        "question_shown": {name: walker.question_shown[name] for name in questions},
        "unreachable_sections": [name for name in sections if not walker.section_shown[name]],
        "never_shown": [name for name in questions if not walker.question_shown[name]],
        "unsatisfiable": sorted(walker.unsatisfied),
        "runtime_errors": [f"{where}: {message}" for where, message in sorted(walker.runtime_errors.items())],
        "missing_strings": sorted(walker.missing),
    }
