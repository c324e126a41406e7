"""Response services: one row per respondent, replays harmless, irrelevant answers dropped."""

from __future__ import annotations

import uuid

import pytest

from respondents import codes
from respondents.models import Invitation, Response
from respondents.services import (
    ResponseClosed,
    UnknownPage,
    invitation_find,
    invitations_create,
    response_go_back,
    response_save_page,
    response_start,
    resume_code_issue,
    resume_code_redeem,
)
from surveys.models import Survey
from surveys.services import wave_close

pytestmark = pytest.mark.django_db


def _start(wave, language="en"):
    return response_start(wave=wave, language=language, response_id=uuid.uuid4())


def test_a_replayed_start_returns_the_same_response(open_wave):
    response_id = uuid.uuid4()

    first = response_start(wave=open_wave, language="ru", response_id=response_id)
    second = response_start(wave=open_wave, language="ru", response_id=response_id)

    assert first.pk == second.pk == response_id
    assert Response.objects.count() == 1
    assert first.current_section == "start"
    assert first.language == "ru"


def test_start_records_only_the_day(open_wave):
    response = _start(open_wave)

    response.refresh_from_db()
    assert response.started_on is not None
    assert not hasattr(response.started_on, "hour")


def test_no_dates_at_all_when_the_survey_says_so(open_wave):
    Survey.objects.filter(pk=open_wave.survey_id).update(date_precision=Survey.DatePrecision.NONE)
    open_wave.survey.refresh_from_db()

    response = _start(open_wave)
    response_save_page(response_id=response.pk, section_name="start", page_answers={"consent": "no"})

    response.refresh_from_db()
    assert response.started_on is None and response.completed_on is None


def test_saving_a_page_moves_to_the_next_and_completes_at_the_end(open_wave):
    response = _start(open_wave)

    outcome = response_save_page(
        response_id=response.pk, section_name="start", page_answers={"consent": "yes"}
    )
    assert not outcome.finished and outcome.response.current_section == "about"
    outcome = response_save_page(
        response_id=response.pk, section_name="about", page_answers={"birth_year": 1990}
    )

    assert outcome.finished
    response.refresh_from_db()
    assert response.status == Response.Status.COMPLETED
    assert response.answers == {"consent": "yes", "birth_year": 1990}
    assert response.completed_on is not None


def test_the_same_page_saved_twice_gives_one_state(open_wave):
    response = _start(open_wave)

    for _ in range(2):
        response_save_page(response_id=response.pk, section_name="start", page_answers={"consent": "yes"})

    response.refresh_from_db()
    assert response.answers == {"consent": "yes"}
    assert response.trail == ["start"]
    assert response.current_section == "about"


def test_consent_no_screens_out(open_wave):
    response = _start(open_wave)

    outcome = response_save_page(
        response_id=response.pk, section_name="start", page_answers={"consent": "no"}
    )

    assert outcome.finished
    assert outcome.response.status == Response.Status.SCREENED_OUT


def test_answers_made_irrelevant_are_dropped(open_wave):
    response = _start(open_wave)
    response_save_page(response_id=response.pk, section_name="start", page_answers={"consent": "yes"})
    response_go_back(response_id=response.pk, section_name="about", page_answers={"birth_year": 1980})
    response.refresh_from_db()
    assert response.current_section == "start"
    assert response.answers["birth_year"] == 1980

    response_save_page(response_id=response.pk, section_name="start", page_answers={"consent": "no"})

    response.refresh_from_db()
    assert response.answers == {"consent": "no"}


def test_back_keeps_what_was_typed(open_wave):
    response = _start(open_wave)
    response_save_page(response_id=response.pk, section_name="start", page_answers={"consent": "yes"})

    back = response_go_back(response_id=response.pk, section_name="about", page_answers={"birth_year": 1975})

    assert back.current_section == "start"
    assert back.answers == {"consent": "yes", "birth_year": 1975}


def test_answers_to_questions_not_on_the_page_are_ignored(open_wave):
    response = _start(open_wave)

    response_save_page(
        response_id=response.pk, section_name="start", page_answers={"consent": "yes", "birth_year": 1}
    )

    response.refresh_from_db()
    assert response.answers == {"consent": "yes"}


def test_an_unknown_page_is_refused(open_wave):
    response = _start(open_wave)

    with pytest.raises(UnknownPage):
        response_save_page(response_id=response.pk, section_name="nope", page_answers={})


def test_a_closed_wave_accepts_no_more_answers(open_wave):
    response = _start(open_wave)
    wave_close(wave=open_wave)

    with pytest.raises(ResponseClosed):
        response_save_page(response_id=response.pk, section_name="start", page_answers={"consent": "yes"})
    with pytest.raises(ResponseClosed):
        _start(open_wave)


def test_a_resume_code_opens_only_its_own_unfinished_response(open_wave):
    response = _start(open_wave)

    code = resume_code_issue(response=response)

    assert resume_code_redeem(wave=open_wave, typed=code.lower().replace("-", " ")).pk == response.pk
    assert resume_code_redeem(wave=open_wave, typed="00000-00000") is None
    stored = Response.objects.get(pk=response.pk).resume_code_hash
    assert code not in stored and stored == codes.resume_hash(open_wave.pk, code)


def test_a_new_resume_code_replaces_the_old_one(open_wave):
    response = _start(open_wave)
    old = resume_code_issue(response=response)

    new = resume_code_issue(response=response)

    assert resume_code_redeem(wave=open_wave, typed=old) is None
    assert resume_code_redeem(wave=open_wave, typed=new).pk == response.pk


def test_resume_codes_are_typable_and_forgive_confusable_letters():
    code = codes.new_resume_code()

    assert len(code) == 11 and code[5] == "-"
    assert codes.normalise_resume_code(code.lower().replace("-", "")) == code
    assert codes.normalise_resume_code("OOOOO-IIIII") == "00000-11111"
    assert codes.normalise_resume_code("short") is None


def test_invitation_tokens_are_stored_only_as_keyed_hashes(open_wave):
    issued = invitations_create(wave=open_wave, count=3)

    assert len(issued) == 3
    for pseudonym, token in issued:
        assert len(token) >= 22  # 128 bits
        assert not Invitation.objects.filter(token_hash=token).exists()
        assert invitation_find(token=token).member.pseudonym == pseudonym
    assert invitation_find(token="not-a-token") is None


def test_a_panel_member_has_one_response_per_wave(open_wave):
    ((_pseudonym, token),) = invitations_create(wave=open_wave, count=1)
    member = invitation_find(token=token).member

    first = response_start(wave=open_wave, language="en", response_id=uuid.uuid4(), panel_member=member)
    second = response_start(wave=open_wave, language="en", response_id=uuid.uuid4(), panel_member=member)

    assert first.pk == second.pk
    assert Response.objects.filter(panel_member=member).count() == 1


def test_existing_members_are_invited_to_the_next_wave(open_wave):
    invitations_create(wave=open_wave, count=2)

    again = invitations_create(wave=open_wave, count=0, existing_members=True)

    assert again == []  # already invited to this wave


def test_withdrawing_consent_drops_everything_answered_later(open_wave):
    response = _start(open_wave)
    response_save_page(response_id=response.pk, section_name="start", page_answers={"consent": "yes"})
    response_go_back(response_id=response.pk, section_name="about", page_answers={"birth_year": 1960})

    outcome = response_save_page(
        response_id=response.pk, section_name="start", page_answers={"consent": "no"}
    )

    assert outcome.response.status == Response.Status.SCREENED_OUT
    assert Response.objects.get(pk=response.pk).answers == {"consent": "no"}


def test_keeping_a_page_saves_it_without_moving_on(open_wave):
    from respondents.services import response_keep_page

    response = _start(open_wave)

    kept = response_keep_page(response_id=response.pk, section_name="start", page_answers={"consent": "yes"})

    assert kept.answers == {"consent": "yes"}
    assert kept.current_section == "start"


def test_a_save_from_an_unchanged_read_needs_no_lock(open_wave, django_assert_max_num_queries):
    response = _start(open_wave)
    seen = Response.objects.get(pk=response.pk)

    with django_assert_max_num_queries(1):  # one conditional UPDATE
        outcome = response_save_page(
            response_id=response.pk, section_name="start", page_answers={"consent": "yes"}, seen=seen
        )

    stored = Response.objects.get(pk=response.pk)
    assert outcome.response.current_section == stored.current_section == "about"
    assert stored.answers == {"consent": "yes"} and stored.revision == seen.revision + 1


def test_a_save_from_a_stale_read_is_redone_under_lock(open_wave):
    response = _start(open_wave)
    stale = Response.objects.get(pk=response.pk)
    response_save_page(response_id=response.pk, section_name="start", page_answers={"consent": "yes"})

    outcome = response_save_page(
        response_id=response.pk, section_name="start", page_answers={"consent": "yes"}, seen=stale
    )

    stored = Response.objects.get(pk=response.pk)
    assert outcome.response.revision == stored.revision == stale.revision + 2
    assert stored.answers == {"consent": "yes"} and stored.trail == ["start"]


def test_a_save_from_a_read_made_before_the_wave_closed_is_refused(open_wave):
    response = _start(open_wave)
    seen = Response.objects.get(pk=response.pk)
    wave_close(wave=open_wave)

    with pytest.raises(ResponseClosed):
        response_save_page(
            response_id=response.pk, section_name="start", page_answers={"consent": "yes"}, seen=seen
        )

    assert Response.objects.get(pk=response.pk).answers == {}
