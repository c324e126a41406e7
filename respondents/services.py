"""Writes on responses: start, save a page, go back, resume codes, invitations.

Every function here is one short transaction on the database and never waits on Redis or Celery.
"""

from __future__ import annotations

import copy
import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from respondents import codes, flow, statements
from respondents.models import Invitation, PanelMember, Response
from respondents.snapshots import snapshot_of
from surveys.models import Survey, Wave
from surveys.snapshot import screens_out, variable_names


class ResponseClosed(Exception):
    """The wave no longer accepts answers."""


class UnknownPage(ValueError):
    """A submitted page that is not part of the questionnaire (a hostile or stale request)."""


@dataclass(frozen=True)
class PageOutcome:
    response: Response
    finished: bool


_SAVED_FIELDS = ["answers", "trail", "status", "completed_on", "current_section", "revision"]


def _today_or_none(survey: Survey) -> datetime.date | None:
    """Response dates are days, or nothing at all, as the survey's privacy setting says."""
    return timezone.localdate() if survey.date_precision == Survey.DatePrecision.DAY else None


def response_start(
    *, wave: Wave, language: str, response_id: uuid.UUID | None, panel_member: PanelMember | None = None
) -> Response:
    """The response for this start (created once: a replayed start returns the same row)."""
    if wave.status != Wave.Status.OPEN:
        raise ResponseClosed
    snapshot = snapshot_of(wave.questionnaire_id)
    if language not in snapshot["languages"]:
        language = snapshot["default_language"]
    defaults = {
        "wave": wave,
        "questionnaire_id": wave.questionnaire_id,
        "language": language,
        "current_section": flow.first_section(snapshot, {}) or "",
        "started_on": _today_or_none(wave.survey),
        "panel_member": panel_member,
    }
    lookup = {"wave": wave, "panel_member": panel_member} if panel_member else {"pk": response_id}
    with transaction.atomic(durable=True):
        try:
            with transaction.atomic():
                response, _created = Response.objects.get_or_create(**lookup, defaults=defaults)
        except IntegrityError:  # a concurrent start won the race: take its row
            response = Response.objects.get(**lookup)
    if response.wave_id != wave.pk:
        raise UnknownPage("response belongs to another wave")
    return response


def _merge_page(
    snapshot: dict[str, Any], section: dict[str, Any], old: dict[str, Any], page: dict[str, Any]
) -> dict[str, Any]:
    """Old answers with this page's replaced by what was submitted, then pruned."""
    names = {name for question in section["questions"] for name in variable_names(question)}
    merged = {key: value for key, value in old.items() if key not in names}
    # a shown question left empty is stored as null: "shown, not answered", apart from "not shown"
    merged.update({key: None if value in ("", []) else value for key, value in page.items() if key in names})
    return flow.prune_irrelevant(snapshot, merged)


def _answers_up_to(snapshot: dict[str, Any], section_name: str, answers: dict[str, Any]) -> dict[str, Any]:
    """Only the answers of pages up to and including ``section_name`` (a screened-out respondent
    keeps nothing they had given further on, e.g. before withdrawing consent)."""
    last = flow.section_index(snapshot, section_name)
    allowed = {
        name
        for section in snapshot["sections"][: last + 1]
        for question in section["questions"]
        for name in variable_names(question)
    }
    return {name: value for name, value in answers.items() if name in allowed}


def _locked(response_id: uuid.UUID) -> Response:
    """The response row, locked for this transaction (and only that row: not its wave or survey)."""
    return Response.objects.select_for_update(of=("self",)).select_related("wave").get(pk=response_id)


def _section(snapshot: dict[str, Any], section_name: str) -> dict[str, Any]:
    try:
        return flow.section_named(snapshot, section_name)
    except KeyError:
        raise UnknownPage(section_name) from None


def response_save_page(
    *,
    response_id: uuid.UUID,
    section_name: str,
    page_answers: dict[str, Any],
    seen: Response | None = None,
) -> PageOutcome:
    """Save one submitted page and move the response to its next page (or finish it).

    Idempotent: the same submit twice stores the same answers and leads to the same page.
    ``seen`` is the response as the caller read it to validate the page: when nobody changed it
    since, one compare-and-set UPDATE saves the page (no lock, no transaction of our own);
    otherwise — another tab, a double click racing — the save is redone under the row's lock.
    """
    if seen is not None and not seen.is_finished:
        saved = _save_page_if_unchanged(seen, section_name, page_answers)
        if saved is not None:
            return saved
    with transaction.atomic(durable=True):
        response = _locked(response_id)
        if response.is_finished:
            return PageOutcome(response=response, finished=True)
        if response.wave.status != Wave.Status.OPEN:
            raise ResponseClosed
        _apply_page(response, section_name, page_answers)
        response.revision += 1
        response.save(update_fields=_SAVED_FIELDS)
    return PageOutcome(response=response, finished=response.is_finished)


def _apply_page(response: Response, section_name: str, page_answers: dict[str, Any]) -> None:
    """Move ``response`` (in memory) past the submitted page: answers, trail, status, next page."""
    snapshot = snapshot_of(response.questionnaire_id)
    section = _section(snapshot, section_name)
    response.answers = _merge_page(snapshot, section, response.answers, page_answers)
    trail = list(response.trail)
    response.trail = (
        trail[: trail.index(section_name) + 1] if section_name in trail else [*trail, section_name]
    )
    following = flow.next_section(snapshot, response.answers, after=section_name)
    if screens_out(section, response.answers):
        response.status = Response.Status.SCREENED_OUT
        response.answers = _answers_up_to(snapshot, section_name, response.answers)
    elif following is None:
        response.status = Response.Status.COMPLETED
    if response.is_finished:
        survey = Survey.objects.only("date_precision").get(waves=response.wave_id)
        response.completed_on = _today_or_none(survey)
        response.current_section = section_name
    else:
        response.current_section = following


def _save_page_if_unchanged(
    seen: Response, section_name: str, page_answers: dict[str, Any]
) -> PageOutcome | None:
    """The page saved by one conditional UPDATE, or None when the response changed since it was read
    (or its wave closed): the caller then takes the locked path, which re-checks everything."""
    response = copy.copy(seen)
    response.answers = dict(seen.answers)
    _apply_page(response, section_name, page_answers)
    if not statements.response_save_if_unchanged(response, seen.revision):
        return None
    response.revision = seen.revision + 1
    return PageOutcome(response=response, finished=response.is_finished)


def response_keep_page(
    *, response_id: uuid.UUID, section_name: str, page_answers: dict[str, Any]
) -> Response:
    """Keep what was valid on a page without moving on (before "continue later")."""
    with transaction.atomic(durable=True):
        response = _locked(response_id)
        if response.is_finished or response.wave.status != Wave.Status.OPEN:
            return response
        snapshot = snapshot_of(response.questionnaire_id)
        response.answers = _merge_page(
            snapshot, _section(snapshot, section_name), response.answers, page_answers
        )
        response.revision += 1
        response.save(update_fields=["answers", "revision"])
    return response


def response_go_back(*, response_id: uuid.UUID, section_name: str, page_answers: dict[str, Any]) -> Response:
    """Keep what was valid on this page and show the page before it."""
    with transaction.atomic(durable=True):
        response = _locked(response_id)
        if response.is_finished:
            return response
        snapshot = snapshot_of(response.questionnaire_id)
        section = _section(snapshot, section_name)
        response.answers = _merge_page(snapshot, section, response.answers, page_answers)
        trail = [name for name in response.trail if name != section_name]
        position = response.trail.index(section_name) if section_name in response.trail else len(trail)
        if position > 0:
            response.current_section = trail[position - 1]
        response.revision += 1
        response.save(update_fields=["answers", "current_section", "revision"])
    return response


def response_set_language(*, response_id: uuid.UUID, language: str) -> None:
    """Switch the language of a response; answers are kept (they are codes, not labels)."""
    Response.objects.filter(pk=response_id).update(language=language)


def resume_code_issue(*, response: Response) -> str:
    """A fresh resume code for ``response`` (the previous one stops working). Shown once."""
    for _attempt in range(5):
        code = codes.new_resume_code()
        try:
            with transaction.atomic(durable=True):
                Response.objects.filter(pk=response.pk).update(
                    resume_code_hash=codes.resume_hash(response.wave_id, code)
                )
            return code
        except IntegrityError:  # astronomically unlikely collision: draw again
            continue
    raise RuntimeError("could not draw a unique resume code")


def resume_code_redeem(*, wave: Wave, typed: str) -> Response | None:
    """The in-progress response of this wave that ``typed`` opens, or None."""
    code = codes.normalise_resume_code(typed)
    if code is None:
        return None
    return Response.objects.filter(
        wave=wave, resume_code_hash=codes.resume_hash(wave.pk, code), status=Response.Status.IN_PROGRESS
    ).first()


def invitations_create(
    *, wave: Wave, count: int = 0, existing_members: bool = False
) -> list[tuple[str, str]]:
    """Invite ``count`` new panel members (and, if asked, every active member) to ``wave``.

    Returns (pseudonym, token) pairs: the only time tokens exist in clear.
    """
    issued: list[tuple[str, str]] = []
    with transaction.atomic(durable=True):
        members = []
        if existing_members:
            members += list(
                PanelMember.objects.filter(survey=wave.survey, active=True).exclude(invitations__wave=wave)
            )
        members += [PanelMember.objects.create(survey=wave.survey) for _ in range(count)]
        for member in members:
            token = codes.new_invitation_token()
            Invitation.objects.create(wave=wave, member=member, token_hash=codes.invitation_hash(token))
            issued.append((member.pseudonym, token))
    return issued


def invitation_find(*, token: str) -> Invitation | None:
    if not token or len(token) > 64:
        return None
    return (
        Invitation.objects.select_related("wave__survey", "wave__questionnaire", "member")
        .filter(token_hash=codes.invitation_hash(token), member__active=True)
        .first()
    )
