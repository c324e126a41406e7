"""The page path's two SQL statements behave as the ORM queries they replace, on either backend."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.forms.models import model_to_dict

from respondents import statements
from respondents.models import Response
from respondents.services import response_save_page, response_start
from surveys.models import Wave
from surveys.services import wave_close

pytestmark = pytest.mark.django_db


def _started(wave) -> Response:
    response = response_start(wave=wave, language="ru", response_id=uuid.uuid4())
    response_save_page(response_id=response.pk, section_name="start", page_answers={"consent": "yes"})
    return response


def test_a_response_reads_back_exactly_as_the_orm_reads_it(open_wave):
    response = _started(open_wave)
    Response.objects.filter(pk=response.pk).update(
        answers={"consent": "yes", "birth_year": 1990, "note": "«Ёлка» \u202e", "nothing": None},
        completed_on=datetime.date(2026, 11, 2),
    )

    read = statements.response_in_wave(response.pk, open_wave.pk)
    expected = Response.objects.get(pk=response.pk)

    assert isinstance(read, Response) and read.pk == expected.pk and not read._state.adding
    assert model_to_dict(read) == model_to_dict(expected)
    assert (read.started_on, read.completed_on, read.revision) == (
        expected.started_on,
        datetime.date(2026, 11, 2),
        expected.revision,
    )


def test_a_response_of_another_wave_or_a_malformed_id_is_none(open_wave):
    response = _started(open_wave)

    assert statements.response_in_wave(response.pk, open_wave.pk + 1) is None
    assert statements.response_in_wave(str(uuid.uuid4()), open_wave.pk) is None
    assert statements.response_in_wave("not-a-uuid", open_wave.pk) is None
    assert statements.response_in_wave(str(response.pk), open_wave.pk).pk == response.pk


def test_the_save_writes_when_the_row_is_unchanged_and_bumps_the_revision(open_wave):
    response = statements.response_in_wave(_started(open_wave).pk, open_wave.pk)
    seen = response.revision
    response.answers = {**response.answers, "birth_year": 1980}
    response.trail = [*response.trail, "about"]
    response.current_section = "about"

    assert statements.response_save_if_unchanged(response, seen)

    stored = Response.objects.get(pk=response.pk)
    assert stored.answers == {"consent": "yes", "birth_year": 1980}
    assert (stored.trail, stored.current_section, stored.revision) == (response.trail, "about", seen + 1)


def test_the_save_writes_nothing_when_the_row_moved_on_or_finished_or_the_wave_closed(open_wave):
    response = statements.response_in_wave(_started(open_wave).pk, open_wave.pk)
    before = model_to_dict(Response.objects.get(pk=response.pk))
    response.answers = {"consent": "no"}

    assert not statements.response_save_if_unchanged(response, response.revision - 1)  # another tab saved
    Response.objects.filter(pk=response.pk).update(status=Response.Status.COMPLETED)
    assert not statements.response_save_if_unchanged(response, response.revision)
    Response.objects.filter(pk=response.pk).update(status=Response.Status.IN_PROGRESS)
    wave_close(wave=Wave.objects.get(pk=open_wave.pk))
    assert not statements.response_save_if_unchanged(response, response.revision)

    after = model_to_dict(Response.objects.get(pk=response.pk))
    assert after["answers"] == before["answers"] and after["revision"] == before["revision"]
