"""A survey whose every text a person could type is hostile, and where each of them is shown.

Researchers' texts come in through an imported XLSForm (labels, hints, choices, constraint messages,
in both languages, and the file's name), the admin (survey title, wave name, welcome and thank-you
texts, the dashboard's pair labels and benchmark sources) and the translation grid; respondents' come
in as answers. Used by the fast escaping tests and by the browser test.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group

from exports.aggregation.services import aggregation_compute_now
from exports.models import AggregateSnapshot, BeforeAfterPair, Breakdown, PopulationBenchmark
from exports.rows import ExportOptions, export_plan
from exports.writers.codebook import render_codebook_html
from respondents.models import Response
from surveys import services
from surveys.models import Questionnaire, Survey, Wave
from surveys.xlsform import xlsform_import
from tests.factories import SurveyFactory
from tests.xlsform_helpers import make_xlsform

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
QUOTE = "' onmouseover='alert(1)' x='"
JS_URL = "javascript:alert(1)"
TEMPLATE = "{{7*7}}{% debug %}"
PAYLOADS = (SCRIPT, IMG, QUOTE, JS_URL, TEMPLATE)
HOSTILE = " ".join(PAYLOADS)
# Markup that must never appear in a page as markup: each payload's dangerous part, unescaped.
RAW_MARKUP = ("<script>alert(1)", "<img src=x onerror", "onmouseover='alert(1)'", 'href="javascript:')
# What a payload looks like once escaped for HTML (what the pages must show instead).
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
ESCAPED_IMG = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"

SURVEY_HEADER = [
    "type",
    "name",
    "label::English (en)",
    "label::Russian (ru)",
    "hint::English (en)",
    "hint::Russian (ru)",
    "constraint",
    "constraint_message::English (en)",
    "constraint_message::Russian (ru)",
]
CHOICES_HEADER = ["list_name", "name", "label::English (en)", "label::Russian (ru)"]


def hostile_xlsform() -> bytes:
    """A two-page form whose every label, hint, choice label and message carries every payload."""

    def text(where: str) -> tuple[str, str]:
        return f"{where} {HOSTILE}", f"{where} ru {HOSTILE}"

    return make_xlsform(
        [
            SURVEY_HEADER,
            ["begin_group", "first", *text("Page one"), "", "", "", "", ""],
            ["select_one colours", "colour", *text("Colour"), *text("Hint"), "", "", ""],
            ["select_one sizes", "size", *text("Size"), "", "", "", "", ""],
            ["text", "story", *text("Story"), *text("Story hint"), "", "", ""],
            ["integer", "age", *text("Age"), "", "", ". < 150", *text("Too old")],
            ["end_group", "", "", "", "", "", "", "", ""],
            ["begin_group", "second", *text("Page two"), "", "", "", "", ""],
            ["note", "echo", *text("Note"), "", "", "", "", ""],
            ["select_one colours", "colour_after", *text("Colour now"), "", "", "", "", ""],
            ["end_group", "", "", "", "", "", "", "", ""],
        ],
        [
            CHOICES_HEADER,
            ["colours", "red", *text("Red")],
            ["colours", "blue", SCRIPT, IMG],
            ["sizes", "small", JS_URL, TEMPLATE],
            ["sizes", "large", *text("Large")],
        ],
    )


@dataclass
class HostileSurvey:
    survey: Survey
    draft: Questionnaire
    published: Questionnaire
    wave: Wave
    snapshot: AggregateSnapshot
    response: Response


def build_hostile_survey(team: Group | None = None) -> HostileSurvey:
    """Publish the hostile form, open a wave on it, answer it with hostile text, aggregate it."""
    extra = {"team": team} if team else {}
    survey = SurveyFactory(
        slug="hostile", title={"en": f"Title {HOSTILE}", "ru": f"Заголовок {HOSTILE}"}, **extra
    )
    form = hostile_xlsform()
    published = services.questionnaire_publish(
        questionnaire=xlsform_import(survey=survey, file_bytes=form, filename=f"{IMG}.xlsx")
    )
    draft = services.questionnaire_copy_as_draft(questionnaire=published)
    services.translation_set(
        obj=draft.questions.get(name="story"),
        field="label",
        language="ru",
        text=f"Перевод {HOSTILE}",
        source_language="en",
    )
    wave = services.wave_open(
        wave=services.wave_create(
            questionnaire=published,
            name=f"Wave {HOSTILE}",
            welcome={"en": f"Welcome {HOSTILE}", "ru": f"Добро {HOSTILE}"},
            thanks={"en": f"Thanks {HOSTILE}", "ru": f"Спасибо {HOSTILE}"},
        )
    )
    Breakdown.objects.create(survey=survey, variable="colour", position=0)
    BeforeAfterPair.objects.create(
        survey=survey, before="colour", after="colour_after", label=f"Pair {HOSTILE}"
    )
    PopulationBenchmark.objects.create(
        survey=survey, variable="size", code="small", share_percent=Decimal("40"), source=f"Source {HOSTILE}"
    )
    answer = {"colour": "blue", "size": "small", "story": f"</textarea></script>{HOSTILE}", "age": 30}
    response = None
    for number in range(12):
        response = Response.objects.create(
            wave=wave,
            questionnaire=published,
            language="en" if number % 2 else "ru",
            status=Response.Status.COMPLETED,
            answers={**answer, "colour": "blue" if number % 3 else "red", "colour_after": "red"},
            current_section="second",
            trail=["first"],
            revision=1,
        )
    snapshot = aggregation_compute_now(wave=wave)
    assert snapshot.status == AggregateSnapshot.Status.DONE, snapshot.error
    assert response is not None
    return HostileSurvey(
        survey=survey, draft=draft, published=published, wave=wave, snapshot=snapshot, response=response
    )


def codebook_html(hostile: HostileSurvey) -> str:
    waves = [hostile.wave]
    return render_codebook_html(
        waves=waves, plan=export_plan(waves=waves), options=ExportOptions(values="labels", language="ru")
    )


def admin_paths(hostile: HostileSurvey) -> dict[str, str]:
    """Every admin page where the hostile texts are shown, by what it is."""
    draft, published = hostile.draft, hostile.published
    question = draft.questions.get(name="colour")
    return {
        "survey change page": f"/admin/surveys/survey/{hostile.survey.pk}/change/",
        "survey list": "/admin/surveys/survey/",
        "published version": f"/admin/surveys/questionnaire/{published.pk}/change/",
        "draft version": f"/admin/surveys/questionnaire/{draft.pk}/change/",
        "page (section) change page": f"/admin/surveys/section/{question.section_id}/change/",
        "question change page": f"/admin/surveys/question/{question.pk}/change/",
        "question list": "/admin/surveys/question/",
        "choice list change page": f"/admin/surveys/choicelist/{question.choice_list_id}/change/",
        "translation grid (published)": f"/admin/surveys/questionnaire/{published.pk}/translations/",
        "translation grid (draft)": f"/admin/surveys/questionnaire/{draft.pk}/translations/",
        "preview in English": f"/admin/surveys/questionnaire/{published.pk}/preview/en/",
        "preview in Russian": f"/admin/surveys/questionnaire/{draft.pk}/preview/ru/",
        "wave change page": f"/admin/surveys/wave/{hostile.wave.pk}/change/",
        "wave list": "/admin/surveys/wave/",
        "dashboard": f"/admin/surveys/wave/{hostile.wave.pk}/dashboard/",
        "dashboard settings": f"/admin/exports/analysisplan/{hostile.survey.pk}/change/",
    }
