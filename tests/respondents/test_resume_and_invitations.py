"""Coming back on another device with a resume code, and personal invitation links."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from respondents.models import Invitation, Response
from respondents.services import invitations_create
from surveys.models import Wave
from tests.respondents.test_flow_views import start, submit

pytestmark = pytest.mark.django_db


def ask_for_code(client: Client, wave: Wave) -> str:
    page = client.post(f"/s/{wave.slug}/code/")
    return re.search(r"<strong>([0-9A-Z]{5}-[0-9A-Z]{5})</strong>", page.content.decode()).group(1)


def test_a_resume_code_continues_the_response_on_another_device(client, open_wave):
    start(client, open_wave)
    submit(client, open_wave, {"consent": "yes"})
    code = ask_for_code(client, open_wave)

    other_device = Client()
    entered = other_device.post(f"/s/{open_wave.slug}/resume/", {"code": code.lower()})

    assert entered.status_code == 302 and entered["Location"].endswith("/page/")
    html = other_device.get(entered["Location"]).content.decode()
    assert 'name="birth_year"' in html
    submit(other_device, open_wave, {"birth_year": "1991"})
    assert Response.objects.get().answers == {"consent": "yes", "birth_year": 1991}


def test_a_wrong_resume_code_is_told_plainly(client, open_wave):
    response = client.post(f"/s/{open_wave.slug}/resume/", {"code": "ZZZZZ-ZZZZZ"})

    assert response.status_code == 200
    assert "does not open an unfinished response" in response.content.decode()


def test_resume_code_guessing_is_throttled(client, open_wave):
    statuses = [
        client.post(f"/s/{open_wave.slug}/resume/", {"code": "ZZZZZ-ZZZZZ"}).status_code for _ in range(12)
    ]

    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429, 429]


def test_the_resume_code_is_not_stored_in_clear(client, open_wave):
    start(client, open_wave)

    code = ask_for_code(client, open_wave)

    assert code not in str(list(Response.objects.values()))


def _invitation_wave(open_wave: Wave) -> Wave:
    Wave.objects.filter(pk=open_wave.pk).update(mode=Wave.Mode.INVITATION)
    open_wave.refresh_from_db()
    return open_wave


def accept_invitation(client: Client, token: str, language: str = "en"):
    """Open the personal link, then press Start on the welcome page it leads to."""
    landing = client.get(f"/i/{token}/", HTTP_ACCEPT_LANGUAGE=language)
    welcome = client.get(landing["Location"])
    start_token = re.search(r'name="start_token" value="([^"]+)"', welcome.content.decode()).group(1)
    path = landing["Location"].split("?")[0]
    return landing, client.post(path, {"start_token": start_token})


def test_opening_an_invitation_starts_nothing_until_start_is_pressed(client, open_wave):
    wave = _invitation_wave(open_wave)
    ((_pseudonym, token),) = invitations_create(wave=wave, count=1)

    landing = client.get(f"/i/{token}/", HTTP_ACCEPT_LANGUAGE="ru")  # e.g. a mail scanner's prefetch

    assert landing.status_code == 302 and landing["Location"] == f"/s/{wave.slug}/?lang=ru"
    assert token not in landing["Location"]
    assert Response.objects.count() == 0
    assert client.get(landing["Location"]).status_code == 200


def test_an_invitation_link_starts_the_members_response(client, open_wave):
    wave = _invitation_wave(open_wave)
    ((pseudonym, token),) = invitations_create(wave=wave, count=1)

    _landing, started = accept_invitation(client, token, language="ru")

    assert started.status_code == 302 and started["Location"] == f"/s/{wave.slug}/page/"
    response = Response.objects.get()
    assert response.panel_member.pseudonym == pseudonym
    assert response.language == "ru"
    again = client.get(f"/i/{token}/")
    assert again["Location"] == f"/s/{wave.slug}/page/"
    assert Response.objects.count() == 1


def test_one_member_gets_one_response_even_from_two_browsers(open_wave):
    wave = _invitation_wave(open_wave)
    ((_pseudonym, token),) = invitations_create(wave=wave, count=1)

    first_browser, second_browser = Client(), Client()
    first_browser.get(f"/i/{token}/")
    second_browser.get(f"/i/{token}/")
    accept_invitation(first_browser, token)

    welcome = second_browser.get(f"/s/{wave.slug}/")  # opened before the first browser pressed Start
    assert welcome.status_code == 200
    start_token = re.search(r'name="start_token" value="([^"]+)"', welcome.content.decode()).group(1)
    second_browser.post(f"/s/{wave.slug}/", {"start_token": start_token})

    assert Response.objects.count() == 1


def test_a_used_up_invitation_gets_a_clear_page(client, open_wave):
    wave = _invitation_wave(open_wave)
    ((_pseudonym, token),) = invitations_create(wave=wave, count=1)
    accept_invitation(client, token)
    submit(client, wave, {"consent": "no"})

    again = Client().get(f"/i/{token}/")

    assert again.status_code == 410
    assert "already completed" in again.content.decode()


def test_an_unknown_invitation_is_404_with_a_page(client, open_wave):
    response = client.get("/i/not-a-real-token-at-all/")

    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_invitation_guessing_is_throttled(client, open_wave):
    statuses = [client.get(f"/i/guess{i}/").status_code for i in range(32)]

    assert statuses[:30] == [404] * 30
    assert statuses[30:] == [429, 429]


def test_an_invitation_only_wave_cannot_be_started_from_its_public_link(client, open_wave):
    wave = _invitation_wave(open_wave)

    response = client.get(f"/s/{wave.slug}/")

    assert response.status_code == 403
    assert "invitation only" in response.content.decode()
    assert Response.objects.count() == 0


def test_make_tokens_writes_a_mail_merge_csv_and_stores_only_hashes(open_wave, tmp_path):
    out = tmp_path / "tokens.csv"

    call_command("make_tokens", open_wave.slug, "5", "--out", str(out), stderr=io.StringIO())

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 5
    assert all(len(row["token"]) >= 22 and row["path"] == f"/i/{row['token']}/" for row in rows)
    stored = set(Invitation.objects.values_list("token_hash", flat=True))
    assert not stored & {row["token"] for row in rows}


def test_the_invitation_only_page_speaks_the_respondents_language(client, open_wave):
    wave = _invitation_wave(open_wave)

    response = client.get(f"/s/{wave.slug}/", HTTP_ACCEPT_LANGUAGE="ru")

    assert response.status_code == 403
    assert "только по приглашению" in response.content.decode().lower()


def test_continue_later_keeps_what_was_typed_on_the_page(client, open_wave):
    from tests.respondents.test_flow_views import page_fields, post_form

    start(client, open_wave)
    hidden = page_fields(client, open_wave)

    page = post_form(client, f"/s/{open_wave.slug}/code/", {**hidden, "consent": "yes"})

    assert page.status_code == 200 and "<strong>" in page.content.decode()
    response = Response.objects.get()
    assert response.answers == {"consent": "yes"}
    assert response.current_section == "start"


def test_a_wave_closed_while_answering_gets_the_closed_page(client, open_wave):
    from surveys.services import wave_close
    from tests.respondents.test_flow_views import page_fields

    start(client, open_wave)
    hidden = page_fields(client, open_wave)
    wave_close(wave=open_wave)

    response = submit(client, open_wave, {"consent": "yes"}, hidden=hidden)

    assert response.status_code == 410
    assert Response.objects.get().answers == {}


def test_behind_a_proxy_each_client_has_its_own_limit(open_wave, settings):
    settings.VOLNA_TRUSTED_PROXIES = 1
    first = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.10")
    second = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.20")

    for _ in range(10):
        first.post(f"/s/{open_wave.slug}/resume/", {"code": "ZZZZZ-ZZZZZ"})

    assert first.post(f"/s/{open_wave.slug}/resume/", {"code": "ZZZZZ-ZZZZZ"}).status_code == 429
    assert second.post(f"/s/{open_wave.slug}/resume/", {"code": "ZZZZZ-ZZZZZ"}).status_code == 200


def test_valid_invitations_do_not_count_against_the_limit(open_wave):
    wave = _invitation_wave(open_wave)
    issued = invitations_create(wave=wave, count=35)

    statuses = {Client().get(f"/i/{token}/").status_code for _pseudonym, token in issued}

    assert statuses == {302}


def test_make_tokens_refuses_an_unwritable_file_before_creating_anything(open_wave, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("make_tokens", open_wave.slug, "3", "--out", str(tmp_path / "missing" / "t.csv"))

    assert Invitation.objects.count() == 0
