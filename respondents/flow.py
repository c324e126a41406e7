"""The questionnaire as a respondent walks it: which pages and questions are shown, in what order.

Pure functions over a compiled snapshot (``surveys.snapshot``) and a response's answers.
"""

from __future__ import annotations

import hashlib
import random
from functools import lru_cache
from typing import Any

from surveys import expressions
from surveys.snapshot import variable_names

Snapshot = dict[str, Any]
Answers = dict[str, Any]


@lru_cache(maxsize=4096)
def _compiled(ast_json: str) -> expressions.Expr:
    import json

    return expressions.from_json(json.loads(ast_json))


def _expr(ast: Any) -> expressions.Expr:
    import json

    return _compiled(json.dumps(ast, separators=(",", ":")))


def is_true(ast: Any, answers: Answers, current: Any = None) -> bool:
    """Evaluate a compiled expression; an absent expression is true, a failing one false."""
    if ast is None:
        return True
    try:
        return expressions.truthy(expressions.evaluate(_expr(ast), answers, current))
    except expressions.ExpressionError:
        return False


def section_index(snapshot: Snapshot, name: str) -> int:
    for index, section in enumerate(snapshot["sections"]):
        if section["name"] == name:
            return index
    raise KeyError(name)


def section_named(snapshot: Snapshot, name: str) -> dict[str, Any]:
    return snapshot["sections"][section_index(snapshot, name)]


def is_shown(section: dict[str, Any], answers: Answers) -> bool:
    """A page is shown when it is relevant and has something to show."""
    return bool(section["questions"]) and is_true(section["relevant_ast"], answers)


def first_section(snapshot: Snapshot, answers: Answers) -> str | None:
    return next_section(snapshot, answers, after=None)


def next_section(snapshot: Snapshot, answers: Answers, after: str | None) -> str | None:
    """The next shown page after ``after`` (or the first), or None when the questionnaire ends."""
    start = 0 if after is None else section_index(snapshot, after) + 1
    for section in snapshot["sections"][start:]:
        if is_shown(section, answers):
            return section["name"]
    return None


def shown_questions(section: dict[str, Any], answers: Answers) -> list[dict[str, Any]]:
    """The questions of a page whose ``relevant`` holds for ``answers``."""
    return [q for q in section["questions"] if is_true(q["relevant_ast"], answers)]


def shown_items(question: dict[str, Any], answers: Answers) -> list[dict[str, Any]]:
    return [item for item in question["items"] if is_true(item["relevant_ast"], answers)]


def prune_irrelevant(snapshot: Snapshot, answers: Answers) -> Answers:
    """Drop answers to questions (or whole pages) that the other answers made irrelevant.

    Expressions refer only to earlier questions (the checks enforce it), so one walk in
    questionnaire order is exact: a dropped answer also hides whatever depended on it.
    """
    kept: Answers = {}
    for section in snapshot["sections"]:
        if not is_true(section["relevant_ast"], kept):
            continue
        for question in section["questions"]:
            if not is_true(question["relevant_ast"], kept):
                continue
            if question["items"]:
                for item in shown_items(question, kept):
                    if item["name"] in answers:
                        kept[item["name"]] = answers[item["name"]]
                continue
            for name in variable_names(question):
                if name in answers:
                    kept[name] = answers[name]
            other = question.get("other_name")
            if other and other in kept and not _chose_other(kept.get(question["name"])):
                del kept[other]
    return kept


def _chose_other(value: Any) -> bool:
    return value == "other" or (isinstance(value, list) and "other" in value)


def progress_percent(snapshot: Snapshot, current: str | None) -> int:
    """Share of pages before the current one (100 when finished)."""
    if current is None:
        return 100
    total = len(snapshot["sections"])
    return int(100 * section_index(snapshot, current) / total) if total else 100


def choice_order(choices: list[dict[str, Any]], question: dict[str, Any], seed: str) -> list[dict[str, Any]]:
    """Choices in the question's order, or shuffled stably for one respondent (``seed``).

    Choices such as "other" and "none" stay at the end, where respondents expect them.
    """
    if not question.get("randomize"):
        return choices
    pinned = [c for c in choices if c["code"] in ("other", "none", "dont_know", "refused")]
    movable = [c for c in choices if c not in pinned]
    digest = hashlib.sha256(f"{seed}:{question['name']}".encode()).digest()
    random.Random(digest).shuffle(movable)  # not security-sensitive: only stable per respondent
    return movable + pinned
