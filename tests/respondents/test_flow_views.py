"""The respondent flow through the test client: start, pages, replays, language, thanks."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.test import Client

from respondents.models import Response
from surveys.models import Wave
from surveys.services import wave_close

pytestmark = pytest.mark.django_db


def start(client: Client, wave: Wave, language: str = "en"):
    welcome = client.get(f"/s/{wave.slug}/", HTTP_ACCEPT_LANGUAGE=language)
    token = re.search(r'name="start_token" value="([^"]+)"', welcome.content.decode()).group(1)
    return client.post(f"/s/{wave.slug}/", {"start_token": token}), token


def page_fields(client: Client, wave: Wave) -> dict[str, str]:
    html = client.get(f"/s/{wave.slug}/page/").content.decode()
    return {
        "volna_section": re.search(r'name="volna_section" value="([^"]*)"', html).group(1),
        "volna_shown": re.search(r'name="volna_shown" value="([^"]*)"', html).group(1),
        "volna_response": re.search(r'name="volna_response" value="([^"]*)"', html).group(1),
    }


def post_form(client: Client, path: str, data: dict):
    """POST as a browser does: URL-encoded (respondent pages refuse anything else)."""
    return client.post(path, urlencode(data, doseq=True), content_type="application/x-www-form-urlencoded")


def submit(client: Client, wave: Wave, answers: dict, action: str = "next", hidden: dict | None = None):
    data = {**(hidden or page_fields(client, wave)), "volna_action": action, **answers}
    return post_form(client, f"/s/{wave.slug}/page/", data)


def test_welcome_page_speaks_the_browsers_language(client, open_wave):
    response = client.get(f"/s/{open_wave.slug}/", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.5")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'lang="ru"' in html and "Добро пожаловать" in html


def test_a_language_the_survey_lacks_falls_back_to_its_default(client, open_wave):
    response = client.get(f"/s/{open_wave.slug}/", HTTP_ACCEPT_LANGUAGE="de")

    assert "Welcome" in response.content.decode()


def test_closed_wave_shows_a_clear_page_with_410(client, open_wave):
    wave_close(wave=open_wave)

    response = client.get(f"/s/{open_wave.slug}/", HTTP_ACCEPT_LANGUAGE="ru")

    assert response.status_code == 410
    assert "закрыт" in response.content.decode()


def test_unknown_wave_is_404_with_a_page(client, db):
    response = client.get("/s/no-such-wave/")

    assert response.status_code == 404
    assert "Survey not found" in response.content.decode()


def test_a_respondent_completes_the_survey(client, open_wave):
    started, _token = start(client, open_wave)
    assert started.status_code == 302

    first = submit(client, open_wave, {"consent": "yes"})
    second = submit(client, open_wave, {"birth_year": "1990"})

    assert first["Location"].endswith("/page/") and second["Location"].endswith("/thanks/")
    response = Response.objects.get()
    assert response.status == Response.Status.COMPLETED
    assert response.answers == {"consent": "yes", "birth_year": 1990}
    assert "Thank you" in client.get(second["Location"]).content.decode()


def test_a_question_shown_and_left_empty_is_stored_as_null_and_a_skipped_one_not_at_all(client, open_wave):
    """The aggregates tell "no answer" (key holding null) from "not shown" (no key)."""
    start(client, open_wave)
    submit(client, open_wave, {"consent": "yes"})
    submit(client, open_wave, {"birth_year": ""})
    other_browser = Client()
    start(other_browser, open_wave)
    submit(other_browser, open_wave, {"consent": "no"})

    answers = {r.status: r.answers for r in Response.objects.all()}

    assert answers[Response.Status.COMPLETED] == {"consent": "yes", "birth_year": None}
    assert answers[Response.Status.SCREENED_OUT] == {"consent": "no"}


def test_a_replayed_start_creates_one_response(client, open_wave):
    _started, token = start(client, open_wave)

    client.post(f"/s/{open_wave.slug}/", {"start_token": token})
    Client().post(f"/s/{open_wave.slug}/", {"start_token": token})

    assert Response.objects.count() == 1


def test_double_submit_keeps_one_response_and_one_state(client, open_wave):
    start(client, open_wave)
    hidden = page_fields(client, open_wave)

    first = submit(client, open_wave, {"consent": "yes"}, hidden=hidden)
    second = submit(client, open_wave, {"consent": "yes"}, hidden=hidden)

    assert first.status_code == second.status_code == 302
    response = Response.objects.get()
    assert response.answers == {"consent": "yes"}
    assert response.current_section == "about"


def test_back_then_next_gives_the_same_answers(client, open_wave):
    start(client, open_wave)
    submit(client, open_wave, {"consent": "yes"})

    submit(client, open_wave, {"birth_year": "1985"}, action="back")
    assert Response.objects.get().current_section == "start"
    submit(client, open_wave, {"consent": "yes"})

    html = client.get(f"/s/{open_wave.slug}/page/").content.decode()
    assert 'value="1985"' in html
    submit(client, open_wave, {"birth_year": "1985"})
    response = Response.objects.get()
    assert response.status == Response.Status.COMPLETED
    assert response.answers == {"consent": "yes", "birth_year": 1985}


def test_two_tabs_of_one_response_stay_consistent(client, open_wave):
    start(client, open_wave)
    tab_one = page_fields(client, open_wave)
    submit(client, open_wave, {"consent": "yes"}, hidden=tab_one)
    tab_two = page_fields(client, open_wave)

    submit(client, open_wave, {"birth_year": "1970"}, hidden=tab_two)
    late = submit(client, open_wave, {"consent": "yes"}, hidden=tab_one)  # the older tab submits again

    assert late.status_code == 302
    response = Response.objects.get()
    assert Response.objects.count() == 1
    assert response.status == Response.Status.COMPLETED
    assert response.answers == {"consent": "yes", "birth_year": 1970}


def test_a_replay_after_completion_goes_to_the_thanks_page(client, open_wave):
    start(client, open_wave)
    hidden = page_fields(client, open_wave)
    submit(client, open_wave, {"consent": "no"}, hidden=hidden)

    replay = submit(client, open_wave, {"consent": "no"}, hidden=hidden)

    assert replay["Location"].endswith("/thanks/")
    assert Response.objects.get().status == Response.Status.SCREENED_OUT


def test_switching_language_mid_way_keeps_the_answers(client, open_wave):
    start(client, open_wave)
    submit(client, open_wave, {"consent": "yes"})

    html = client.get(f"/s/{open_wave.slug}/page/?lang=ru").content.decode()

    response = Response.objects.get()
    assert response.language == "ru"
    assert response.answers == {"consent": "yes"}
    assert 'lang="ru"' in html and "Вопрос birth_year" in html


def test_required_question_left_empty_gets_a_message_in_the_respondents_language(client, open_wave):
    start(client, open_wave, language="ru")

    response = submit(client, open_wave, {})

    assert response.status_code == 200
    assert "Обязательное поле" in response.content.decode()
    assert Response.objects.get().answers == {}


def test_a_constraint_message_comes_in_the_respondents_language(client, open_wave):
    start(client, open_wave, language="ru")
    submit(client, open_wave, {"consent": "yes"})

    response = submit(client, open_wave, {"birth_year": "1800"})

    assert "От 1930 до 2008" in response.content.decode()
    assert "birth_year" not in Response.objects.get().answers


def test_respondent_pages_send_privacy_headers(client, open_wave):
    start(client, open_wave)

    response = client.get(f"/s/{open_wave.slug}/page/")

    assert response["Referrer-Policy"] == "same-origin"  # nothing goes to another site
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_saving_a_page_enqueues_nothing(client, open_wave, django_capture_on_commit_callbacks):
    start(client, open_wave)

    with django_capture_on_commit_callbacks() as callbacks:
        submit(client, open_wave, {"consent": "yes"})

    assert callbacks == []


def test_respondents_get_no_database_session(client, open_wave):
    from django.contrib.sessions.models import Session

    start(client, open_wave)
    submit(client, open_wave, {"consent": "yes"})

    assert Session.objects.count() == 0


def test_a_stale_start_form_gets_a_clear_page_in_the_respondents_language(client, open_wave):
    response = post_form(client, f"/s/{open_wave.slug}/", {"start_token": "tampered"})

    assert response.status_code == 400
    assert "Начать" in client.get(f"/s/{open_wave.slug}/?lang=ru").content.decode()
    assert "out of date" in response.content.decode()
    assert Response.objects.count() == 0


def test_a_language_added_to_the_survey_later_is_not_offered_on_an_older_version(client, open_wave):
    survey = open_wave.survey
    survey.languages = ["en", "ru", "ka"]
    survey.save()

    html = client.get(f"/s/{open_wave.slug}/?lang=ka").content.decode()

    assert "?lang=ka" not in html
    assert 'lang="en"' in html


def test_a_page_from_a_tab_that_fell_behind_shows_where_the_response_stands(client, open_wave):
    start(client, open_wave)
    hidden_start = page_fields(client, open_wave)
    submit(client, open_wave, {"consent": "yes"}, hidden=hidden_start)
    hidden_about = page_fields(client, open_wave)
    submit(client, open_wave, {"birth_year": "1980"}, action="back", hidden=hidden_about)
    submit(client, open_wave, {"consent": "yes"}, hidden=hidden_start)  # trail is now [start]
    Response.objects.update(trail=[], current_section="start")  # another tab rewound it

    late = submit(client, open_wave, {"birth_year": "1980"}, hidden=hidden_about)

    assert late["Location"].endswith("/page/?moved=1")
    assert "another window or tab" in client.get(late["Location"]).content.decode()


def test_switching_language_keeps_what_was_typed_on_the_page(client, open_wave):
    start(client, open_wave)

    switched = submit(client, open_wave, {"consent": "yes", "volna_lang": "ru"}, action="")

    assert switched.status_code == 302 and switched["Location"].endswith("/page/?lang=ru")
    response = Response.objects.get()
    assert response.answers == {"consent": "yes"} and response.current_section == "start"
    html = client.get(switched["Location"]).content.decode()
    assert 'lang="ru"' in html and re.search(r'value="yes"[^>]*checked|checked[^>]*value="yes"', html)
    assert 'name="volna_lang"' in html and 'form="volna-page"' in html
