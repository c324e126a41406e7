"""The demo survey answered in headless Chromium, as a respondent would: languages, skip logic with and
without JavaScript, resuming on another device, double clicks, small screens, third-party requests."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from respondents.models import Response
from tests.browser import respondent as r
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RUSSIAN_ANSWERS = {
    "consent": "yes",
    "country": "other",
    "country_other": "Уругвай",
    "departure": "autumn_2022",
    "gender": "female",
    "birth_year": 1990,
    "education": "higher",
    "sector": "it",
    "finances": "no_car",
    "act_before": ["rally", "petition"],
    "act_after": ["rally", "donate"],
    "rally_freq": "few",
    "trust_emigrants": "4",
    "trust_stayed": "2",
    "politics_interest": "very",
    "return_plan": "conditional",
    "return_conditions": "Когда закончится война",
    "comment": "Спасибо! «Ёлка» & <b>не тег</b>",
}
ENGLISH_ANSWERS = {
    "consent": "yes",
    "country": "GE",
    "departure": "spring_2022",
    "gender": "male",
    "birth_year": 1985,
    "education": "postgraduate",
    "act_after": ["donate", "volunteer_ukrainians"],
    "trust_emigrants": "5",
    "return_plan": "no",
}
# shown to the English respondent and left empty: stored as null ("no answer", not "not shown")
ENGLISH_LEFT_EMPTY = dict.fromkeys(
    ("sector", "finances", "act_before", "trust_stayed", "politics_interest", "comment")
)
BACKGROUND_KEYS = ("consent", "country", "departure", "gender", "birth_year", "education")
# page 2 (background) shown and left empty, required or not, when kept without Next: stored as null
PAGE_2_LEFT_EMPTY = dict.fromkeys(("country", "departure", "gender", "education", "sector", "finances"))


def the_response(demo) -> Response:
    """The one response of the demo's open wave (the test made it)."""
    return Response.objects.get(wave=demo.wave)


def test_russian_respondent_completes_the_survey_with_skip_logic_shown_without_reload(
    live_server, demo, new_context
):
    page = new_context(locale="ru-RU").new_page()
    answers = RUSSIAN_ANSWERS

    r.start(page, demo.url(live_server))
    r.on_page(page, "ru", 1)
    r.choose(page, "consent", "yes")
    r.next_page(page)

    r.on_page(page, "ru", 2)
    expect(r.question(page, "country_other")).to_be_hidden()
    r.mark_document(page)
    r.answer_background(page, answers)
    specify = page.get_by_label("Укажите страну")
    expect(specify).to_be_visible()
    assert r.same_document(page), "the 'specify' question should appear without a page load"
    specify.fill(answers["country_other"])
    r.next_page(page)

    r.on_page(page, "ru", 3)
    expect(r.question(page, "rally_freq")).to_be_hidden()
    r.mark_document(page)
    r.choose(page, "act_before", *answers["act_before"])
    r.choose(page, "act_after", *answers["act_after"])
    expect(r.question(page, "rally_freq")).to_be_visible()
    expect(r.question(page, "rally_freq").locator("legend")).to_contain_text("Как часто вы участвовали")
    assert r.same_document(page)
    r.choose(page, "rally_freq", answers["rally_freq"])
    r.next_page(page)

    r.on_page(page, "ru", 4)
    r.answer_attitudes(page, answers)
    page.get_by_label("При каких условиях вы бы вернулись?").fill(answers["return_conditions"])
    r.next_page(page)

    expect(page).to_have_url(re.compile(r"/thanks/$"))
    expect(page.locator("main")).to_contain_text("Спасибо! Ваши ответы сохранены.")
    response = the_response(demo)
    assert response.status == Response.Status.COMPLETED
    assert response.language == "ru"
    assert response.answers == answers


def test_english_respondent_never_sees_questions_their_answers_make_irrelevant(
    live_server, demo, new_context
):
    page = new_context(locale="en-US").new_page()
    answers = ENGLISH_ANSWERS

    r.start(page, demo.url(live_server))
    r.on_page(page, "en", 1)
    r.choose(page, "consent", "yes")
    r.next_page(page)
    r.on_page(page, "en", 2)
    r.answer_background(page, answers)
    expect(r.question(page, "country_other")).to_be_hidden()
    r.next_page(page)
    r.on_page(page, "en", 3)
    r.choose(page, "act_after", *answers["act_after"])
    expect(r.question(page, "rally_freq")).to_be_hidden()
    r.next_page(page)
    r.on_page(page, "en", 4)
    r.answer_attitudes(page, answers)
    expect(r.question(page, "return_conditions")).to_be_hidden()
    r.next_page(page)

    expect(page.locator("main")).to_contain_text("Thank you! Your answers have been saved.")
    response = the_response(demo)
    assert response.status == Response.Status.COMPLETED
    assert response.language == "en"
    assert response.answers == {**answers, **ENGLISH_LEFT_EMPTY}


def test_switching_to_russian_mid_way_rerenders_the_page_and_keeps_earlier_answers(
    live_server, demo, new_context
):
    page = new_context(locale="en-GB").new_page()
    r.start(page, demo.url(live_server))
    r.choose(page, "consent", "yes")
    r.next_page(page)
    r.on_page(page, "en", 2)
    page.get_by_label("In what year were you born?").fill("1985")  # typed, not yet submitted

    page.get_by_role("button", name="Русский").click()

    r.on_page(page, "ru", 2)
    expect(page.get_by_label("В каком году вы родились?")).to_have_value("1985")
    expect(page.locator(r.NEXT)).to_have_text("Далее")
    response = the_response(demo)
    assert response.language == "ru"
    assert response.answers == {**PAGE_2_LEFT_EMPTY, "consent": "yes", "birth_year": 1985}
    r.answer_background(page, ENGLISH_ANSWERS)
    r.next_page(page)
    r.on_page(page, "ru", 3)
    response.refresh_from_db()
    assert response.answers["consent"] == "yes" and response.answers["birth_year"] == 1985


def _redeem(page, live_server, demo, code: str) -> None:
    page.goto(demo.url(live_server, "resume/"))
    page.get_by_label("Resume code").fill(code)
    page.locator("main form button[type=submit]").click()


def _code_shown(page) -> str:
    expect(page.locator("h1")).to_have_text("Your resume code")
    code = page.locator(".volna-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", code), code
    return code


def test_resume_code_continues_the_response_in_a_fresh_browser(live_server, demo, new_context):
    # given a respondent who answered page 1, then asked for a code on page 2
    first = new_context().new_page()
    r.start(first, demo.url(live_server))
    r.choose(first, "consent", "yes")
    r.next_page(first)
    r.on_page(first, "en", 2)
    first.locator(r.LATER).click()
    code = _code_shown(first)

    # when they type it on another device
    second = new_context().new_page()
    _redeem(second, live_server, demo, code)

    # then they carry on from page 2 with page 1 kept, and finish one response
    r.on_page(second, "en", 2)
    assert the_response(demo).answers == {**PAGE_2_LEFT_EMPTY, "birth_year": None, "consent": "yes"}
    r.answer_background(second, ENGLISH_ANSWERS)
    r.next_page(second)
    r.on_page(second, "en", 3)
    r.next_page(second)
    r.on_page(second, "en", 4)
    r.next_page(second)
    expect(second).to_have_url(re.compile(r"/thanks/$"))
    response = the_response(demo)
    assert response.status == Response.Status.COMPLETED
    assert response.answers["consent"] == "yes" and response.answers["birth_year"] == 1985


def test_save_and_continue_later_keeps_the_answers_given_on_that_page(live_server, demo, new_context):
    # given a respondent who answers page 1 and presses "Save and continue later" instead of Next
    first = new_context().new_page()
    r.start(first, demo.url(live_server))
    r.choose(first, "consent", "yes")
    first.locator(r.LATER).click()
    code = _code_shown(first)
    assert the_response(demo).answers == {"consent": "yes"}

    # when they come back with the code in a fresh browser
    second = new_context().new_page()
    _redeem(second, live_server, demo, code)

    # then that page shows their answer again, and Next goes on from there
    r.on_page(second, "en", 1)
    expect(second.locator("input[name=consent][value=yes]")).to_be_checked()
    r.next_page(second)
    r.on_page(second, "en", 2)


def test_double_clicks_on_start_and_next_keep_one_response_and_no_error(live_server, demo, new_context):
    page = new_context().new_page()
    statuses: list[tuple[int, str]] = []
    page.on("response", lambda answer: statuses.append((answer.status, answer.url)))
    page.goto(demo.url(live_server))

    page.locator(r.START).dblclick()
    r.on_page(page, "en", 1)
    r.choose(page, "consent", "yes")
    page.locator(r.NEXT).dblclick()
    r.on_page(page, "en", 2)
    r.answer_background(page, ENGLISH_ANSWERS)
    page.locator(r.NEXT).dblclick()
    r.on_page(page, "en", 3)

    assert [s for s in statuses if s[0] >= 400] == []
    response = the_response(demo)
    assert response.current_section == "activism"
    assert response.answers == {
        **PAGE_2_LEFT_EMPTY,
        **{key: ENGLISH_ANSWERS[key] for key in BACKGROUND_KEYS},
    }


# Chromium folds a quick double click on a submit button into one request; when the first request is
# already on its way (a slow connection), the server gets both. This sends both at the same moment.
SUBMIT_TWICE = """async () => {
    const form = document.querySelector('main form');
    const send = () => {
        const fields = new FormData(form);
        fields.set('volna_action', 'next');
        return fetch(location.href, {method: 'POST', body: new URLSearchParams(fields)});
    };
    return (await Promise.all([send(), send()])).map((answer) => answer.status);
}"""


def test_the_same_page_submitted_twice_at_once_keeps_one_response(
    live_server, demo, new_context, concurrent_requests
):
    page = new_context().new_page()
    r.start(page, demo.url(live_server))
    r.choose(page, "consent", "yes")
    assert page.evaluate(SUBMIT_TWICE) == [200, 200]
    page.reload()
    r.on_page(page, "en", 2)
    r.answer_background(page, ENGLISH_ANSWERS)

    assert page.evaluate(SUBMIT_TWICE) == [200, 200]

    page.reload()
    r.on_page(page, "en", 3)
    response = the_response(demo)
    assert response.current_section == "activism"
    assert response.answers == {
        **PAGE_2_LEFT_EMPTY,
        **{key: ENGLISH_ANSWERS[key] for key in BACKGROUND_KEYS},
    }


def test_without_javascript_the_server_shows_newly_relevant_questions(live_server, demo, new_context):
    page = new_context(java_script_enabled=False).new_page()
    r.start(page, demo.url(live_server))
    r.choose(page, "consent", "yes")
    r.next_page(page)
    r.on_page(page, "en", 2)
    r.assert_styled(page)
    expect(r.question(page, "country_other")).to_be_hidden()

    r.answer_background(page, {**ENGLISH_ANSWERS, "country": "other"})
    r.next_page(page)

    r.on_page(page, "en", 2)
    expect(page.get_by_role("status")).to_contain_text("New questions appeared on this page")
    expect(page.get_by_label("Please specify the country")).to_be_visible()
    expect(page.locator("input[name=birth_year]")).to_have_value("1985")
    page.get_by_label("Please specify the country").fill("Uruguay")
    r.next_page(page)
    r.on_page(page, "en", 3)
    r.choose(page, "act_after", "rally")
    r.next_page(page)
    r.on_page(page, "en", 3)
    r.choose(page, "rally_freq", "once")
    r.next_page(page)
    r.on_page(page, "en", 4)
    r.next_page(page)

    expect(page).to_have_url(re.compile(r"/thanks/$"))
    response = the_response(demo)
    assert response.status == Response.Status.COMPLETED
    assert response.answers["country"] == "other" and response.answers["country_other"] == "Uruguay"
    assert response.answers["act_after"] == ["rally"] and response.answers["rally_freq"] == "once"


def _no_horizontal_scroll(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"320px-{name}.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{name}: the page is {width} px wide at a 320 px viewport"


def test_every_page_fits_a_320_px_screen(live_server, demo, new_context):
    page = new_context(locale="ru-RU", viewport={"width": 320, "height": 640}).new_page()
    page.goto(demo.url(live_server))
    r.assert_styled(page)
    _no_horizontal_scroll(page, "welcome")
    page.locator(r.START).click()
    r.on_page(page, "ru", 1)
    _no_horizontal_scroll(page, "page-1-radios")
    r.choose(page, "consent", "yes")
    r.next_page(page)
    r.on_page(page, "ru", 2)
    r.next_page(page)  # nothing answered: the page comes back with its errors
    expect(page.locator("#volna-errors")).to_be_visible()
    _no_horizontal_scroll(page, "page-2-errors")
    r.answer_background(page, {**RUSSIAN_ANSWERS, "country": "other"})
    page.locator("input[name=country_other]").fill("Уругвай")
    _no_horizontal_scroll(page, "page-2-select")
    r.next_page(page)
    r.on_page(page, "ru", 3)
    r.choose(page, "act_after", "rally")
    _no_horizontal_scroll(page, "page-3-checkboxes")
    r.choose(page, "rally_freq", "few")
    r.next_page(page)
    r.on_page(page, "ru", 4)
    _no_horizontal_scroll(page, "page-4-likert")
    r.next_page(page)
    expect(page).to_have_url(re.compile(r"/thanks/$"))
    _no_horizontal_scroll(page, "thanks")
    page.goto(demo.url(live_server, "resume/"))
    _no_horizontal_scroll(page, "resume")


def test_a_page_of_every_question_type_fits_a_320_px_screen(live_server, every_type_wave, new_context):
    page = new_context(viewport={"width": 320, "height": 640}).new_page()
    r.start(page, f"{live_server.url}/s/{every_type_wave.slug}/")
    page.locator("input[name=age]").fill("30")
    r.next_page(page)
    expect(page.locator("table.volna-grid")).to_be_visible()

    _no_horizontal_scroll(page, "every-question-type")


def test_respondent_pages_request_nothing_from_another_origin(live_server, demo, new_context):
    page = new_context().new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(demo.url(live_server, "resume/"))
    r.start(page, demo.url(live_server))
    r.choose(page, "consent", "yes")
    page.locator(r.LATER).click()
    expect(page.locator(".volna-code")).to_be_visible()
    page.get_by_role("link", name="Back to the survey").click()
    r.on_page(page, "en", 1)
    r.choose(page, "consent", "yes")
    r.next_page(page)
    r.answer_background(page, ENGLISH_ANSWERS)
    r.next_page(page)
    r.next_page(page)
    r.next_page(page)
    expect(page).to_have_url(re.compile(r"/thanks/$"))

    own = urlsplit(live_server.url)
    foreign = [url for url in requested if urlsplit(url)[:2] != own[:2]]
    assert foreign == []
    assert any(url.endswith(".css") for url in requested) and any(url.endswith(".js") for url in requested)
