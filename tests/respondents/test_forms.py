"""The respondent's page form: typed answers, validation, same-page logic, rendering and its cache."""

from __future__ import annotations

import copy
import json
import re
import time

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory, override_settings
from django.utils import translation

from respondents.forms import render_page_html
from respondents.frame import logic_script
from tests.respondents.conftest import page_form, section_of

pytestmark = pytest.mark.usefixtures("fresh_cache", "english")

FULL_PAGE = {
    "consent": "yes",
    "colour": "other",
    "colour_other": "  Teal  ",
    "colours": ["blue", "red", "other"],
    "colours_other": "Mauve",
    "children": "3",
    "height": "1,75",
    "born": "1990-05-17",
    "comment": "  Hello\nworld  ",
    "mood": "agree",
    "grid_a": "neutral",
    "grid_b": "agree",
    "rank:disagree": "3",
    "rank:neutral": "1",
    "rank:agree": "2",
    "why_yes": "Because",
}
INVALID_CHOICE_EN = "Select a valid choice. That choice is not one of the available choices."
EVERYTHING_SHOWN = (
    "intro,consent,colour,colours,children,height,born,comment,mood,grid,grid_a,grid_b,rank,why_yes"
)


def submit(snapshot, changes=None, *, drop=(), answers=None, language="en", shown=EVERYTHING_SHOWN, **kwargs):
    post = {**FULL_PAGE, **(changes or {}), "volna_section": "main", "volna_shown": shown}
    for key in drop:
        post.pop(key, None)
    form = page_form(snapshot, post, answers=answers, language=language, **kwargs)
    with translation.override(language):
        form.is_valid()
    return form


def errors_of(form) -> dict[str, list[str]]:
    """The form's messages as the respondent reads them (lazy messages translated in the form's language)."""
    with translation.override(form.language):
        return {name: [str(message) for message in messages] for name, messages in form.errors.items()}


# -- typed values ------------------------------------------------------------------------------------


def test_every_question_type_gives_its_typed_value(snapshot):
    form = submit(snapshot)

    assert form.is_valid(), form.errors
    assert form.page_answers() == {
        "consent": "yes",
        "colour": "other",
        "colour_other": "Teal",
        "colours": ["red", "blue", "other"],  # choice order, not the order posted
        "colours_other": "Mauve",
        "children": 3,
        "height": 1.75,
        "born": "1990-05-17",
        "comment": "Hello\nworld",
        "mood": "agree",
        "grid_a": "neutral",
        "grid_b": "agree",
        "rank": ["neutral", "agree", "disagree"],
        "why_yes": "Because",
    }
    assert form.newly_shown() == []


def test_without_javascript_an_empty_question_the_browser_did_not_display_is_not_stored(snapshot):
    shown = ",".join(name for name in EVERYTHING_SHOWN.split(",") if name != "why_yes")
    form = submit(snapshot, {"consent": "yes", "volna_action": "back"}, drop=("why_yes",), shown=shown)

    assert form.newly_shown() == ["why_yes"]
    partial = form.partial_answers()
    assert "why_yes" not in partial  # not seen: "not shown", not "no answer"
    assert partial["consent"] == "yes"


def test_a_required_question_left_empty_on_back_is_stored_as_none(snapshot):
    form = submit(snapshot, {"volna_action": "back"}, drop=("grid_a",))

    assert not form.is_valid()
    assert form.partial_answers()["grid_a"] is None


def test_shown_questions_left_empty_are_kept_as_none(snapshot):
    """None means "shown, not answered"; a question never shown has no key at all."""
    form = submit(
        snapshot,
        {"colour": "", "colour_other": "", "children": "", "height": " ", "born": "", "comment": "   "},
        drop=("colours", "colours_other", "mood", "rank:disagree", "rank:neutral", "rank:agree"),
    )

    assert form.is_valid(), form.errors
    answers = form.page_answers()
    left_empty = {name for name, value in answers.items() if value is None}
    assert left_empty == {"colour", "colours", "children", "height", "born", "comment", "mood", "rank"}
    assert {name for name, value in answers.items() if value is not None} == {
        "consent",
        "grid_a",
        "grid_b",
        "why_yes",
    }
    # "other, specify" texts count as shown only when "other" was chosen
    assert "colour_other" not in answers and "colours_other" not in answers


def test_other_text_is_dropped_when_other_is_not_chosen(snapshot):
    form = submit(snapshot, {"colour": "red", "colours": ["green"]})

    assert form.is_valid(), form.errors
    answers = form.page_answers()
    assert answers["colour"] == "red"
    assert "colour_other" not in answers
    assert "colours_other" not in answers


def test_stored_answers_of_the_page_are_prefilled(snapshot):
    stored = {
        "consent": "yes",
        "colours": ["red", "other"],
        "height": 2.0,
        "rank": ["agree", "neutral", "disagree"],
    }

    html = render_page_html(page_form(snapshot, answers=stored))

    assert re.search(r'value="yes" id="id_consent_0" checked', html)
    assert re.search(r'value="red" id="id_colours_0" checked', html)
    assert 'name="height" value="2"' in html
    assert re.search(r'name="rank:agree" id="id_rank_rank_2">.*?<option value="1" selected>', html)


# -- required, only when relevant ---------------------------------------------------------------------


def test_a_required_question_left_empty_is_an_error(snapshot):
    form = submit(snapshot, drop=("consent", "grid_b"))

    assert not form.is_valid()
    assert errors_of(form) == {"consent": ["This field is required."], "grid_b": ["This field is required."]}


def test_a_question_made_relevant_on_the_same_page_is_required(snapshot):
    form = submit(snapshot, drop=("why_yes",))

    assert errors_of(form) == {"why_yes": ["This field is required."]}


def test_a_question_not_relevant_is_neither_required_nor_stored(snapshot):
    form = submit(snapshot, {"consent": "no", "adult_only": "secret"}, drop=("why_yes",), answers={"age": 15})

    assert form.is_valid(), form.errors
    assert "why_yes" not in form.page_answers()
    assert "adult_only" not in form.page_answers()


def test_a_hidden_question_posting_garbage_is_ignored(snapshot):
    hidden_integer = copy.deepcopy(snapshot)
    children = next(q for q in section_of(hidden_integer)["questions"] if q["name"] == "children")
    children["relevant_ast"] = ["op", "=", ["ref", "consent"], "no"]

    form = submit(hidden_integer, {"children": "12abc"})

    assert form.is_valid(), form.errors
    assert "children" not in form.page_answers()


def test_earlier_pages_decide_relevance(snapshot):
    adult = submit(
        snapshot, {"adult_only": "Yes"}, answers={"age": 30}, shown=EVERYTHING_SHOWN + ",adult_only"
    )
    minor = submit(snapshot, {"adult_only": "Yes"}, answers={"age": 12})

    assert adult.page_answers()["adult_only"] == "Yes"
    assert "adult_only" not in minor.page_answers()
    assert "adult_only" in page_form(snapshot, answers={"age": 30}).shown
    assert "adult_only" not in page_form(snapshot, answers={"age": 12}).shown


# -- constraints and messages -------------------------------------------------------------------------


def test_constraint_message_comes_in_the_respondents_language(snapshot):
    english = submit(snapshot, {"children": "25"})
    russian = submit(snapshot, {"children": "25"}, language="ru")

    assert errors_of(english) == {"children": ["At most 20"]}
    assert errors_of(russian) == {"children": ["Не больше 20"]}


def test_constraint_without_a_message_gets_a_generic_one(snapshot):
    silent = copy.deepcopy(snapshot)
    children = next(q for q in section_of(silent)["questions"] if q["name"] == "children")
    children["constraint_message"] = {}

    form = submit(silent, {"children": "25"})

    assert errors_of(form) == {"children": ["This answer is not valid."]}


def test_constraint_message_falls_back_to_the_default_language(snapshot):
    form = submit(snapshot, {"children": "25"}, language="de")

    assert errors_of(form) == {"children": ["At most 20"]}


def test_built_in_messages_come_in_the_respondents_language(snapshot):
    form = submit(snapshot, {"children": "abc"}, drop=("consent",), language="ru")

    assert errors_of(form) == {"consent": ["Обязательное поле."], "children": ["Введите целое число."]}


def test_other_text_is_required_when_other_is_chosen(snapshot):
    form = submit(snapshot, {"colour_other": " "})

    assert errors_of(form) == {"colour_other": ["This field is required."]}


# -- hostile and malformed input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("consent", "maybe"), ("colour", "purple"), ("colours", ["red", "purple"]), ("grid_a", "strongly")],
)
def test_an_unknown_choice_code_is_a_field_error(snapshot, field, value):
    form = submit(snapshot, {field: value})

    assert errors_of(form) == {
        field: ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert form.partial_answers()[field] is None  # shown, and nothing valid kept


def test_an_unknown_choice_code_gets_a_translated_message_that_does_not_echo_it(snapshot):
    form = submit(snapshot, {"consent": "<b>" * 1000}, language="ru")

    message = errors_of(form)["consent"][0]
    with translation.override("ru"):
        assert message == translation.gettext(INVALID_CHOICE_EN)
    assert message != INVALID_CHOICE_EN and "<b>" not in message


@pytest.mark.parametrize("field", ["consent", "children", "comment", "grid_a", "rank:agree", "colour_other"])
def test_several_values_for_a_single_answer_are_a_field_error(snapshot, field):
    form = submit(snapshot, {field: [FULL_PAGE[field], FULL_PAGE[field]]})  # each value valid alone

    assert errors_of(form) == {field.split(":")[0]: ["Enter a valid value."]}


def test_several_values_for_a_hidden_question_are_ignored(snapshot):
    form = submit(snapshot, {"adult_only": ["a", "b"]}, answers={"age": 12})

    assert form.is_valid(), form.errors


def test_a_megabyte_of_text_is_a_field_error_not_a_crash(snapshot):
    form = submit(snapshot, {"comment": "x" * 1_048_576, "colour_other": "y" * 10_001})

    assert set(form.errors) == {"comment", "colour_other"}
    assert "at most 10000 characters" in form.errors["comment"][0]


def test_text_of_exactly_the_limit_is_accepted(snapshot):
    form = submit(snapshot, {"comment": "x" * 10_000})

    assert form.is_valid(), form.errors


@pytest.mark.parametrize("value", ["12abc", "1e999", "NaN", "inf", "2.5", "0x10", "9" * 50, "1" * 16])
def test_an_integer_must_be_a_whole_number_in_digits(snapshot, value):
    form = submit(snapshot, {"children": value})

    assert list(form.errors) == ["children"]


@pytest.mark.parametrize("value", ["12abc", "1e999", "NaN", "-inf", "1.2.3", "٣"])
def test_a_decimal_must_be_a_finite_number_in_digits(snapshot, value):
    form = submit(snapshot, {"height": value})

    assert list(form.errors) == ["height"]


@pytest.mark.parametrize(("value", "typed"), [("-1.5", -1.5), (".5", 0.5), ("+2", 2.0), ("3", 3.0)])
def test_decimals_written_in_several_ways_are_read(snapshot, value, typed):
    form = submit(snapshot, {"height": value})

    assert form.page_answers()["height"] == typed


@pytest.mark.parametrize("value", ["2023-02-30", "yesterday", "17/05/1990", "1990-05-17T00:00"])
def test_a_date_must_be_a_real_date(snapshot, value):
    form = submit(snapshot, {"born": value})

    assert list(form.errors) == ["born"]


def test_a_date_typed_by_hand_in_day_month_year_is_read(snapshot):
    assert submit(snapshot, {"born": "17.05.1990"}).page_answers()["born"] == "1990-05-17"


def test_more_values_than_choices_is_an_error(snapshot):
    form = submit(snapshot, {"colours": ["red", "green", "blue", "other", "red"]})

    assert list(form.errors) == ["colours"]


def test_unknown_post_keys_are_ignored(snapshot):
    form = submit(snapshot, {"is_admin": "1", "rank:bogus": "4", "grid_c": "agree"})

    assert form.is_valid(), form.errors
    assert "is_admin" not in form.page_answers()
    assert "grid_c" not in form.page_answers()


def test_post_keys_name_everything_the_page_reads(snapshot):
    keys = page_form(snapshot).post_keys

    assert {"consent", "colour_other", "grid_a", "rank:agree", "rank:neutral", "rank:disagree"} <= keys
    assert "rank" in keys and "grid" not in keys and "intro" not in keys
    assert set(FULL_PAGE) <= keys


def test_partial_answers_keep_what_validated(snapshot):
    form = submit(snapshot, {"children": "25", "height": "tall"})

    assert not form.is_valid()
    partial = form.partial_answers()
    assert partial["children"] is None and partial["height"] is None  # shown; the invalid values not kept
    assert partial["consent"] == "yes"
    assert partial["rank"] == ["neutral", "agree", "disagree"]


# -- matrix and ranking -------------------------------------------------------------------------------


def test_matrix_renders_one_table_of_radiogroups(snapshot):
    html = render_page_html(page_form(snapshot))

    assert html.count("<table") == 1
    rows = re.findall(r'<tr role="radiogroup" aria-labelledby="(id_grid_[ab])_label"', html)
    assert rows == ["id_grid_a", "id_grid_b"]
    assert '<span id="id_grid_a_label">Question grid_a' in html
    assert html.count('<th scope="col">') == 3
    assert re.search(r'<input [^>]*type="radio" name="grid_b" value="agree" id="id_grid_b_2">', html)
    assert '<span class="volna-cell-text">Agree (en)</span>' in html


def test_matrix_answers_are_stored_per_item_and_errors_per_item(snapshot):
    form = submit(snapshot, {"grid_a": "disagree"}, drop=("grid_b",))

    assert errors_of(form) == {"grid_b": ["This field is required."]}
    assert form.partial_answers()["grid_a"] == "disagree"
    html = render_page_html(form)
    assert 'aria-describedby="id_grid_b_error"' in html


def test_a_matrix_item_hidden_by_another_item_is_not_stored(snapshot):
    conditional = copy.deepcopy(snapshot)
    grid = next(q for q in section_of(conditional)["questions"] if q["name"] == "grid")
    grid["items"][1]["relevant_ast"] = ["op", "=", ["ref", "grid_a"], "agree"]

    hidden = submit(conditional, {"grid_a": "neutral", "grid_b": "disagree"})
    shown = submit(conditional, {"grid_a": "agree"}, drop=("grid_b",))

    assert hidden.is_valid(), hidden.errors
    assert "grid_b" not in hidden.page_answers()
    assert errors_of(shown) == {"grid_b": ["This field is required."]}


@pytest.mark.parametrize(
    ("ranks", "error"),
    [
        (("1", "1", "2"), "Use each rank only once."),
        (("1", "2", ""), "Give every option a rank."),
        (("1", "2", "4"), "Choose a rank between 1 and 3."),
        (("1", "2", "x"), "Choose a rank between 1 and 3."),
        (("0", "1", "2"), "Choose a rank between 1 and 3."),
    ],
)
def test_ranking_uses_each_rank_once_for_every_option(snapshot, ranks, error):
    post = dict(zip(("rank:disagree", "rank:neutral", "rank:agree"), ranks, strict=True))

    form = submit(snapshot, post)

    assert errors_of(form) == {"rank": [error]}


def test_an_optional_ranking_may_be_left_entirely_empty(snapshot):
    form = submit(snapshot, {"rank:disagree": "", "rank:neutral": "", "rank:agree": ""})

    assert form.is_valid(), form.errors
    assert form.page_answers()["rank"] is None


def test_ranking_selects_are_labelled_rank_for_each_choice(snapshot):
    html = render_page_html(page_form(snapshot))

    assert re.search(
        r'<label for="id_rank_rank_1"><span class="visually-hidden">Rank for Neutral \(en\)</span>', html
    )
    assert html.count('<option value="3">3</option>') == 3


# -- choice order ---------------------------------------------------------------------------------------


def _shuffled(snapshot):
    shuffled = copy.deepcopy(snapshot)
    for code in ("yellow", "black", "white", "pink"):
        shuffled["choice_lists"]["colours"].insert(0, {"code": code, "label": {"en": code, "ru": code}})
    colours = next(q for q in section_of(shuffled)["questions"] if q["name"] == "colours")
    colours["randomize"] = True
    return shuffled


def _order(form) -> list[str]:
    return [code for code, _label in form.fields["colours"].choices]


def test_randomised_choices_are_stable_for_a_respondent_and_differ_between_respondents(snapshot):
    shuffled = _shuffled(snapshot)

    first = _order(page_form(shuffled, seed="alice"))
    again = _order(page_form(shuffled, seed="alice"))
    others = {tuple(_order(page_form(shuffled, seed=f"respondent-{n}"))) for n in range(10)}

    assert first == again
    assert len(others) > 1
    assert first[-1] == "other"  # "other" stays last
    html = render_page_html(page_form(shuffled, seed="alice"))
    assert re.findall(r'name="colours" value="([^"]+)"', html) == first


def test_randomised_answers_are_stored_in_questionnaire_order(snapshot):
    shuffled = _shuffled(snapshot)

    form = submit(shuffled, {"colours": ["red", "yellow", "pink"]}, seed="bob")

    assert form.page_answers()["colours"] == ["pink", "yellow", "red"]


# -- same-page logic ------------------------------------------------------------------------------------


def test_a_condition_on_the_same_page_starts_hidden(snapshot):
    form = page_form(snapshot)
    html = render_page_html(form)

    assert '<div class="volna-q" id="q-why_yes" data-volna-question="why_yes" hidden>' in html
    assert "why_yes" not in form.shown
    assert form.shown_value.startswith("intro,consent,colour,")


def test_newly_shown_lists_a_question_the_browser_did_not_show(snapshot):
    shown_without_js = EVERYTHING_SHOWN.replace(",why_yes", "")

    form = submit(snapshot, drop=("why_yes",), shown=shown_without_js)

    assert form.newly_shown() == ["why_yes"]
    assert "why_yes" not in form.errors  # not asked yet: no error for an answer never seen
    assert "why_yes" in form.shown
    assert '<div class="volna-q" id="q-why_yes" data-volna-question="why_yes">' in render_page_html(form)


def test_newly_shown_is_empty_when_the_browser_showed_it(snapshot):
    assert submit(snapshot).newly_shown() == []
    assert submit(snapshot, {"consent": "no"}, drop=("why_yes",)).newly_shown() == []


def test_the_page_logic_block_holds_the_relevant_expressions(snapshot):
    form = page_form(snapshot, answers={"age": 20, "unrelated": "secret"})

    html = _render_page(form)

    block = re.search(r'<script id="volna-logic" type="application/json">(.*?)</script>', html)
    assert block, html
    logic = json.loads(block.group(1))
    assert logic == {
        "rules": {
            "why_yes": section_of(snapshot)["questions"][-2]["relevant_ast"],
            "adult_only": ["op", ">=", ["ref", "age"], 18],
        },
        "answers": {"age": 20},
    }
    assert logic["rules"]["why_yes"] == ["op", "=", ["ref", "consent"], "yes"]


def test_a_page_without_conditions_has_no_logic_block(snapshot):
    form = page_form(snapshot, section="before")

    assert 'id="volna-logic"' not in _render_page(form)


# -- escaping and accessibility ---------------------------------------------------------------------------


def test_researcher_text_is_escaped(snapshot):
    hostile = copy.deepcopy(snapshot)
    questions = section_of(hostile)["questions"]
    questions[0]["label"] = {"en": "<script>alert(1)</script> note"}
    questions[1]["label"] = {"en": "<script>alert(2)</script>"}
    questions[5]["hint"] = {"en": "<b onmouseover=x>hint</b>"}
    hostile["choice_lists"]["yes_no"][0]["label"] = {"en": "<img src=x onerror=y>"}

    html = render_page_html(page_form(hostile))

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; note" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "&lt;b onmouseover=x&gt;hint&lt;/b&gt;" in html
    assert "&lt;img src=x onerror=y&gt;" in html


def test_errors_are_linked_to_their_fields_and_summarised(snapshot):
    form = submit(snapshot, {"children": "25"}, drop=("consent",))
    html = _render_page(form)

    assert 'role="alert"' in html
    assert '<a href="#id_consent_0">Question consent — This field is required.</a>' in html
    assert '<a href="#id_children">Question children — At most 20</a>' in html
    assert re.search(r'<fieldset class="volna-choices" aria-describedby="id_consent_error">', html)
    assert re.search(r'<input [^>]*aria-describedby="id_children_error"', html)
    assert 'aria-invalid="true"' in html


def test_hints_are_linked_with_aria_describedby(snapshot):
    html = render_page_html(page_form(snapshot))

    assert '<div id="id_height_hint" class="form-text volna-hint">In metres</div>' in html
    assert re.search(r'<input [^>]*aria-describedby="id_height_hint"', html)


def test_required_questions_are_marked_for_eyes_and_screen_readers(snapshot):
    html = render_page_html(page_form(snapshot))

    assert re.search(
        r'Question consent<span class="volna-req" aria-hidden="true">\*</span>'
        r'<span class="visually-hidden"> \(required\)</span>',
        html,
    )


def test_widgets_match_their_question_types(snapshot):
    html = render_page_html(page_form(snapshot))

    assert '<select class="form-select" name="colour" id="id_colour">' in html
    assert 'type="checkbox" name="colours"' in html
    assert re.search(r'<input type="number" name="children" inputmode="numeric"', html)
    assert re.search(r'<input type="number" name="height" inputmode="decimal"', html)
    assert '<input type="date" name="born"' in html
    assert '<textarea name="comment"' in html
    assert 'class="volna-choices volna-likert"' in html
    assert '<div class="volna-note"><p>Read this<br>first</p></div>' in html
    assert " required" not in html.replace("(required)", "")  # no browser-side required on hidden inputs
    assert "style=" not in html


# -- the page template ------------------------------------------------------------------------------------


def _render_page(form, **context):
    request = RequestFactory().get("/s/wave/")
    defaults = {
        "survey_title": "Survey <b>title</b>",
        "section_title": "Main",
        "form": form,
        "section_name": form.section["name"],
        "shown_value": form.shown_value,
        "logic_script": logic_script(form.logic()),
        "page_html": render_page_html(form),
        "progress_percent": 40,
        "page_number": 2,
        "page_count": 5,
        "can_go_back": True,
        "languages": [("en", "English", "?lang=en", True), ("ru", "Русский", "?lang=ru", False)],
        "language": "en",
        "resume_url": "/s/wave/resume/",
        "code_url": "/s/wave/code/",
        "response_ref": "signed:ref",
    }
    return render_to_string("respondents/page.html", {**defaults, **context}, request=request)


def test_page_template_has_the_flow_controls(snapshot):
    html = _render_page(page_form(snapshot))

    assert '<html lang="en">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "<h1" in html and ">Main</h1>" in html
    assert "Survey &lt;b&gt;title&lt;/b&gt;" in html
    assert 'aria-valuenow="40"' in html and "progress-bar volna-p8" in html and "Page 2 of 5" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<input type="hidden" name="volna_section" value="main">' in html
    assert '<input type="hidden" name="volna_shown" value="intro,consent,' in html
    assert 'name="website" id="id_website" value="" tabindex="-1" autocomplete="off"' in html
    next_at, back_at = html.index('value="next"'), html.index('value="back"')
    assert next_at < back_at  # Enter in a text field submits Next, never Back
    assert 'value="back" class="btn btn-outline-secondary" formnovalidate' in html
    assert '<input type="hidden" name="volna_response" value="signed:ref">' in html
    assert re.search(
        r'value="later" class="btn btn-link" formaction="/s/wave/code/"[^>]*>Save and continue later', html
    )
    assert html.index('value="next"') < html.index('value="later"')
    assert '<span class="volna-lang-current" aria-current="true" lang="en">English</span>' in html
    assert '<a href="?lang=ru" lang="ru" hreflang="ru">Русский</a>' in html
    assert 'src="/static/volna/relevant.js" defer' in html
    assert "style=" not in html and "<style" not in html
    assert re.search(r"<script(?![^>]*(src=|application/json))", html) is None  # no inline code


def test_page_template_in_russian(snapshot):
    with translation.override("ru"):
        form = page_form(snapshot, language="ru")
        html = _render_page(form, language="ru", can_go_back=False)

    assert '<html lang="ru">' in html
    assert "Вопрос consent" in html
    assert 'value="back"' not in html


def test_page_template_links_to_the_resume_page_when_there_is_no_code_page(snapshot):
    html = _render_page(page_form(snapshot), code_url=None, response_ref=None)

    assert '<a href="/s/wave/resume/">Save and continue later</a>' in html
    assert "volna_response" not in html


def test_welcome_and_message_templates_escape_their_text():
    request = RequestFactory().get("/s/wave/")
    welcome = render_to_string(
        "respondents/welcome.html",
        {
            "survey_title": "Survey",
            "welcome_paragraphs": ["Hello <b>you</b>\nsecond line"],
            "start_token": "tok123",
            "languages": [],
            "language": "en",
            "resume_url": "/s/wave/resume/",
            "continue_url": "/s/wave/page/",
        },
        request=request,
    )
    message = render_to_string(
        "respondents/message.html",
        {"title": "Thanks", "paragraphs": ["<i>Saved</i>"], "languages": [], "language": "en"},
    )

    assert "<p>Hello &lt;b&gt;you&lt;/b&gt;<br>second line</p>" in welcome
    assert '<input type="hidden" name="start_token" value="tok123">' in welcome
    assert 'name="website"' in welcome and "Have a resume code?" in welcome
    assert 'href="/s/wave/page/"' in welcome
    assert "<h1" in message and "&lt;i&gt;Saved&lt;/i&gt;" in message


# -- the blank-page cache ---------------------------------------------------------------------------------


def test_a_blank_page_is_rendered_once_then_served_from_the_cache(snapshot, template_renders):
    first = render_page_html(page_form(snapshot, answers={"age": 40}))
    renders_first_time = len(template_renders)
    started = time.perf_counter()
    second = render_page_html(page_form(snapshot, answers={"age": 41}))
    elapsed = time.perf_counter() - started

    assert renders_first_time > 0
    assert len(template_renders) == renders_first_time  # nothing rendered the second time
    assert second == first
    assert elapsed < 0.05


def test_the_cache_tells_apart_languages_and_hidden_questions(snapshot, template_renders):
    adult = render_page_html(page_form(snapshot, answers={"age": 40}))
    minor = render_page_html(page_form(snapshot, answers={"age": 10}))
    russian = render_page_html(page_form(snapshot, answers={"age": 40}, language="ru"))

    assert 'data-volna-question="adult_only">' in adult
    assert 'data-volna-question="adult_only" hidden>' in minor
    assert "Вопрос consent" in russian and "Вопрос consent" not in adult


def test_a_prefilled_page_is_the_cached_blank_page_filled_in_without_rendering(snapshot, template_renders):
    render_page_html(page_form(snapshot, answers={"consent": "yes"}))  # the blank page, "why_yes" shown
    rendered = len(template_renders)

    first = render_page_html(page_form(snapshot, answers={"consent": "yes", "comment": "<i>mine</i>"}))
    second = render_page_html(page_form(snapshot, answers={"consent": "yes", "colour": "red"}))

    assert len(template_renders) == rendered
    assert 'value="yes" id="id_consent_0" checked>' in first and "&lt;i&gt;mine&lt;/i&gt;</textarea>" in first
    assert '<option value="red" selected>' in second and "mine" not in second


@pytest.mark.parametrize(
    "make",
    [
        lambda s: page_form(s, {"volna_shown": "", "consent": "yes"}),  # bound
        lambda s: page_form(_shuffled(s)),  # randomised
    ],
)
def test_pages_specific_to_a_respondent_are_not_cached(snapshot, template_renders, make):
    render_page_html(make(snapshot))
    count = len(template_renders)
    render_page_html(make(snapshot))

    assert len(template_renders) == 2 * count


def test_a_page_renders_when_the_cache_is_down(snapshot):
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing answers
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    with override_settings(CACHES=unreachable):
        html = render_page_html(page_form(snapshot))

    assert 'data-volna-question="consent"' in html
