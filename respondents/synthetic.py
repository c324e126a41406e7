"""Synthetic respondents for the demo waves, made by walking the real form with its own logic.

Each synthetic respondent starts at the first page, answers only what ``respondents.flow`` shows
given the answers so far, honours ``required`` and redraws any answer that fails its constraint, and
is stored exactly as the respondent views store a real one (typed values, trail, current page, dates
only). Any snapshot works: questions not in the tables below get plausible answers by type. Variables
of the demo questionnaire (``surveys/demo/emigrants_2022.xlsx``) follow published distributions.
"""

from __future__ import annotations

import datetime
import random
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from respondents import flow
from respondents.models import Response
from surveys.models import Question, Survey, Wave
from surveys.snapshot import screens_out, variable_names

# Demo distributions: variable -> {choice code: share}. For select_one questions the shares sum to
# one; for select_multiple questions (act_before, act_after) each share is the chance that the code is
# ticked, and "none" is ticked only when nothing else is.
# All figures are modelled on published findings (OutRush / Kamalov et al. 2022-23 surveys of Russian
# emigrants); they are rounded, illustrative and not the surveys' exact estimates.
DEMO_SHARES: dict[str, dict[str, float]] = {
    "country": {  # host countries of the 2022 wave (OutRush)
        "GE": 0.22, "AM": 0.18, "TR": 0.14, "KZ": 0.10, "RS": 0.09,
        "DE": 0.08, "IL": 0.06, "AE": 0.05, "FI": 0.03, "other": 0.05,
    },
    "departure": {  # most left right after 24 February or after the September mobilisation
        "spring_2022": 0.40, "autumn_2022": 0.35, "before_2022": 0.10, "after_2022": 0.15,
    },
    "gender": {"female": 0.45, "male": 0.52, "other": 0.03},
    "education": {  # higher + postgraduate above 80% (OutRush)
        "higher": 0.62, "postgraduate": 0.20, "incomplete_higher": 0.09,
        "vocational": 0.06, "secondary": 0.03,
    },
    "sector": {  # IT-heavy (OutRush, Kamalov et al.)
        "it": 0.40, "business": 0.14, "science_education": 0.12, "media_arts": 0.10,
        "ngo": 0.06, "public": 0.03, "other": 0.15,
    },
    "finances": {  # about 27% could afford a car or more (OutRush)
        "food": 0.03, "clothes": 0.10, "durables": 0.25, "no_car": 0.35, "car": 0.19, "flat": 0.08,
    },
    "act_before": {  # civic activity in the last year in Russia (OutRush)
        "rally": 0.49, "donate": 0.45, "volunteer_compatriots": 0.10, "volunteer_ukrainians": 0.04,
        "petition": 0.50, "observer": 0.08, "other": 0.04,
    },
    "act_after": {  # civic activity since leaving (OutRush)
        "rally": 0.26, "donate": 0.55, "volunteer_compatriots": 0.32, "volunteer_ukrainians": 0.29,
        "petition": 0.30, "observer": 0.01, "other": 0.06,
    },
    "rally_freq": {"once": 0.30, "few": 0.50, "regularly": 0.20},
    "trust_emigrants": {"1": 0.03, "2": 0.08, "3": 0.22, "4": 0.45, "5": 0.22},  # emigrants trusted more
    "trust_stayed": {"1": 0.12, "2": 0.28, "3": 0.35, "4": 0.20, "5": 0.05},
    "politics_interest": {"very": 0.45, "somewhat": 0.38, "little": 0.13, "none": 0.04},
    "return_plan": {"no": 0.45, "conditional": 0.35, "unsure": 0.15, "yes": 0.05},
}  # fmt: skip
# women donated more often than men (OutRush): points added for women, taken off for men
DONATE_GENDER_GAP = 0.12
# how much ticking an activity before leaving raises the chance of ticking it after (0: independent)
ACTIVITY_PERSISTENCE = 0.2
BIRTH_YEAR_MEDIAN, BIRTH_YEAR_SPREAD = 1988, 7  # mostly 1975-2000
# share of respondents who leave an optional question blank (others: DEFAULT_SKIP_SHARE)
SKIP_SHARES: dict[str, float] = {
    "act_before": 0.0, "act_after": 0.0, "gender": 0.02, "sector": 0.03, "finances": 0.04,
    "act_other": 0.3, "return_conditions": 0.3, "comment": 0.85,
}  # fmt: skip
DEFAULT_SKIP_SHARE = 0.03
CANNED_TEXTS: dict[str, dict[str, list[str]]] = {
    "country_other": {
        "en": ["Montenegro", "Spain", "Portugal", "Cyprus", "Thailand", "Argentina", "Uzbekistan", "Latvia"],
        "ru": ["Черногория", "Испания", "Португалия", "Кипр", "Таиланд", "Аргентина", "Узбекистан", "Латвия"],
    },
    "act_other": {
        "en": ["Letters to political prisoners", "Anti-war art projects", "Running a local community chat"],
        "ru": ["Письма политзаключённым", "Антивоенные арт-проекты", "Веду чат местного сообщества"],
    },
    "return_conditions": {
        "en": ["When the war ends", "After a change of regime", "If it is safe for my family"],
        "ru": ["Когда закончится война", "После смены власти", "Если это будет безопасно для семьи"],
    },
    "comment": {
        "en": ["Thank you for this survey", "Hard to answer some questions", "Good luck with the research"],
        "ru": ["Спасибо за опрос", "На некоторые вопросы трудно ответить", "Удачи с исследованием"],
    },
}
GENERIC_TEXTS: dict[str, list[str]] = {
    "en": ["Hard to say", "Yes, sometimes", "Not really", "It depends"],
    "ru": ["Трудно сказать", "Да, иногда", "Скорее нет", "Зависит от ситуации"],
}
LANGUAGE_SHARES: dict[str, float] = {"ru": 0.7, "en": 0.3}
FIELDWORK_DAYS = 28  # a wave's fieldwork: four weeks ending today
EXCLUSIVE_CODES = ("none", "dont_know", "refused")
_NUMBER_RE = re.compile(r"(?<![\w$])-?\d+(?:\.\d+)?")
_MAX_DRAWS = 25


@dataclass
class _Respondent:
    """What one synthetic respondent draws answers with."""

    rng: random.Random
    codes: dict[str, list[str]]  # choice list name -> codes in list order
    language: str
    consent: str  # "yes" or "no"
    today: datetime.date


@dataclass(frozen=True)
class _Walk:
    answers: dict[str, Any]
    trail: list[str]
    screened_out: bool


def synthetic_responses_create(
    *, wave: Wave, completed: int = 2000, partial: int = 150, screened_out: int = 40, seed: int = 2022
) -> dict[str, int]:
    """Create synthetic responses for ``wave`` by walking its questionnaire; return counts by status.

    The same seed gives the same answers, languages, pages and dates (not the same row ids).
    A form whose logic screens out a would-be completer yields a screened-out response instead.
    Rows are written in one durable transaction, so call it outside any other (a command, a task).
    """
    rng = random.Random(seed)
    snapshot = wave.questionnaire.snapshot
    codes = {name: [c["code"] for c in choices] for name, choices in snapshot["choice_lists"].items()}
    with_dates = wave.survey.date_precision == Survey.DatePrecision.DAY
    today = timezone.localdate()
    targets = [Response.Status.COMPLETED] * completed + [Response.Status.IN_PROGRESS] * partial
    targets += [Response.Status.SCREENED_OUT] * screened_out
    rng.shuffle(targets)
    responses = []
    for target in targets:
        respondent = _Respondent(
            rng=rng,
            codes=codes,
            language=_language(snapshot, rng),
            consent="no" if target == Response.Status.SCREENED_OUT else "yes",
            today=today,
        )
        response = _response(snapshot, respondent, target)
        response.wave, response.questionnaire_id = wave, wave.questionnaire_id
        response.language = respondent.language
        _set_dates(response, rng, today if with_dates else None)
        responses.append(response)
    with transaction.atomic(durable=True):
        Response.objects.bulk_create(responses, batch_size=500)
    counts = Counter(response.status for response in responses)
    return {status: counts[status] for status in Response.Status.values}


def _language(snapshot: dict[str, Any], rng: random.Random) -> str:
    weights = {code: LANGUAGE_SHARES.get(code, 0.0) for code in snapshot["languages"]}
    if not any(weights.values()):
        return snapshot["default_language"]
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _response(snapshot: dict[str, Any], respondent: _Respondent, target: str) -> Response:
    """An unsaved response that reached ``target`` (or was screened out on the way)."""
    walk = _walk_until(snapshot, respondent, screened=target == Response.Status.SCREENED_OUT)
    if walk.screened_out:
        status = Response.Status.SCREENED_OUT
    elif target == Response.Status.IN_PROGRESS:
        return _stopped_early(snapshot, walk, respondent.rng)
    else:
        status = Response.Status.COMPLETED
    return Response(
        status=status,
        answers=walk.answers,
        current_section=walk.trail[-1] if walk.trail else "",
        trail=walk.trail,
        revision=len(walk.trail),
    )


def _walk_until(snapshot: dict[str, Any], respondent: _Respondent, *, screened: bool) -> _Walk:
    """A walk that ends screened out or not, as wanted, when the form's logic allows it in a few tries."""
    walk = _walk(snapshot, respondent)
    for _attempt in range(5):
        if walk.screened_out == screened:
            break
        walk = _walk(snapshot, respondent)
    return walk


def _walk(snapshot: dict[str, Any], respondent: _Respondent) -> _Walk:
    """Answer page after page, as the respondent views would save them, until the form ends."""
    answers: dict[str, Any] = {}
    trail: list[str] = []
    name = flow.first_section(snapshot, answers)
    while name is not None:
        section = flow.section_named(snapshot, name)
        _answer_page(section, answers, respondent)
        trail.append(name)
        if screens_out(section, answers):
            return _Walk(flow.prune_irrelevant(snapshot, answers), trail, screened_out=True)
        name = flow.next_section(snapshot, answers, after=name)
    return _Walk(flow.prune_irrelevant(snapshot, answers), trail, screened_out=False)


def _stopped_early(snapshot: dict[str, Any], walk: _Walk, rng: random.Random) -> Response:
    """A response left on one of the pages of ``walk``, with the answers of the pages before it."""
    stop = rng.randrange(len(walk.trail)) if walk.trail else 0
    submitted = walk.trail[:stop]
    names = {
        variable
        for section in snapshot["sections"]
        if section["name"] in submitted
        for question in section["questions"]
        for variable in variable_names(question)
    }
    answers = {key: value for key, value in walk.answers.items() if key in names}
    return Response(
        status=Response.Status.IN_PROGRESS,
        answers=flow.prune_irrelevant(snapshot, answers),
        current_section=walk.trail[stop] if walk.trail else "",
        trail=submitted,
        revision=len(submitted),
    )


def _answer_page(section: dict[str, Any], answers: dict[str, Any], respondent: _Respondent) -> None:
    """Answer the shown questions of one page, each seeing the answers given above it."""
    for question in section["questions"]:
        if question["type"] == Question.Type.NOTE or not flow.is_true(question["relevant_ast"], answers):
            continue
        if question["type"] == Question.Type.MATRIX:
            _answer_matrix(question, answers, respondent)
            continue
        value = _valid_answer(question, answers, respondent)
        answers[question["name"]] = value  # None: shown and left unanswered, as the form stores it
        if value is None:
            continue
        if question.get("other_name") and _chose_other(value):
            answers[question["other_name"]] = _text(question["other_name"], respondent)


def _chose_other(value: Any) -> bool:
    return value == "other" or (isinstance(value, list) and "other" in value)


def _answer_matrix(question: dict[str, Any], answers: dict[str, Any], respondent: _Respondent) -> None:
    codes = respondent.codes.get(question["choice_list"] or "", [])
    for item in flow.shown_items(question, answers):
        if codes and (item["required"] or not _skips(item["name"], respondent.rng)):
            answers[item["name"]] = _pick(item["name"], codes, respondent.rng)
        else:
            answers[item["name"]] = None


def _skips(name: str, rng: random.Random) -> bool:
    return rng.random() < SKIP_SHARES.get(name, DEFAULT_SKIP_SHARE)


def _valid_answer(question: dict[str, Any], answers: dict[str, Any], respondent: _Respondent) -> Any:
    """A drawn answer that passes the question's constraint, or None (left blank)."""
    name = question["name"]
    if name == "consent" and question["type"] == Question.Type.SELECT_ONE:
        return respondent.consent
    if not question["required"] and _skips(name, respondent.rng):
        return None
    for _attempt in range(_MAX_DRAWS):
        value = _draw(question, answers, respondent)
        if value in (None, "", []):
            continue
        if flow.is_true(question["constraint_ast"], {**answers, name: value}, current=value):
            return value
    return None  # no draw satisfied the constraint: the publish checks report such forms


def _draw(question: dict[str, Any], answers: dict[str, Any], respondent: _Respondent) -> Any:
    """One answer of the question's type: demo distributions where known, plausible noise otherwise."""
    rng, name, kind = respondent.rng, question["name"], question["type"]
    codes = respondent.codes.get(question["choice_list"] or "", [])
    if kind == Question.Type.SELECT_ONE:
        return _pick(name, codes, rng) if codes else None
    if kind == Question.Type.SELECT_MULTIPLE:
        return _pick_several(name, codes, answers, rng)
    if kind == Question.Type.RANKING:
        return rng.sample(codes, k=len(codes))
    if kind in (Question.Type.INTEGER, Question.Type.DECIMAL):
        return _number(question, rng)
    if kind == Question.Type.DATE:
        return (respondent.today - datetime.timedelta(days=rng.randint(0, 365 * 40))).isoformat()
    return _text(name, respondent)


def _pick(name: str, codes: list[str], rng: random.Random) -> str:
    shares = {code: share for code, share in DEMO_SHARES.get(name, {}).items() if code in codes}
    if not shares:
        return rng.choice(codes)
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def _pick_several(name: str, codes: list[str], answers: dict[str, Any], rng: random.Random) -> list[str]:
    """Ticked codes in choice order; an exclusive code ("none") only when nothing else is ticked."""
    ordinary = [code for code in codes if code not in EXCLUSIVE_CODES]
    if name in DEMO_SHARES:
        chosen = {code for code in ordinary if rng.random() < _tick_share(name, code, answers)}
    else:
        chosen = set(rng.sample(ordinary, k=rng.randint(1, min(3, len(ordinary))))) if ordinary else set()
    if not chosen:
        exclusive = [code for code in codes if code in EXCLUSIVE_CODES]
        chosen = {exclusive[0]} if exclusive else {rng.choice(codes)} if codes else set()
    return [code for code in codes if code in chosen]


def _tick_share(name: str, code: str, answers: dict[str, Any]) -> float:
    """The chance of ticking ``code``: its table share, moved by gender and by the answer before leaving."""
    gap = {"female": DONATE_GENDER_GAP / 2, "male": -DONATE_GENDER_GAP / 2}
    shift = gap.get(answers.get("gender", ""), 0.0) if code == "donate" else 0.0
    share = DEMO_SHARES[name].get(code, 0.1) + shift
    before = DEMO_SHARES.get("act_before", {}).get(code)
    if name != "act_after" or before is None or not answers.get("act_before"):
        return share
    before += shift
    if not 0 < before < 1:
        return share
    # keep the marginal share while making those active before more likely to be active after
    if_before = min(share + ACTIVITY_PERSISTENCE * (1 - share), share / before)
    if code in answers["act_before"]:
        return if_before
    return max(0.0, (share - before * if_before) / (1 - before))


def _number(question: dict[str, Any], rng: random.Random) -> int | float:
    if question["name"] == "birth_year":
        return round(rng.gauss(BIRTH_YEAR_MEDIAN, BIRTH_YEAR_SPREAD))
    bounds = sorted(float(n) for n in _NUMBER_RE.findall(question["constraint"] or ""))
    low, high = (bounds[0], bounds[-1]) if len(bounds) >= 2 else (0.0, 100.0)
    if question["type"] == Question.Type.INTEGER:
        return rng.randint(int(low), int(high))
    return round(rng.uniform(low, high), 2)


def _text(name: str, respondent: _Respondent) -> str:
    texts = CANNED_TEXTS.get(name, GENERIC_TEXTS)
    return respondent.rng.choice(texts.get(respondent.language) or texts["en"])


def _set_dates(response: Response, rng: random.Random, today: datetime.date | None) -> None:
    """Start and end days within the fieldwork, more of them early on; none when dates are off."""
    if today is None:
        response.started_on = response.completed_on = None
        return
    days_before_today = FIELDWORK_DAYS - 1 - int(rng.triangular(0, FIELDWORK_DAYS, 0))
    response.started_on = today - datetime.timedelta(days=days_before_today)
    if response.status == Response.Status.IN_PROGRESS:
        response.completed_on = None
        return
    finished_later = days_before_today > 0 and rng.random() < 0.1  # some come back the next day
    response.completed_on = response.started_on + datetime.timedelta(days=int(finished_later))
