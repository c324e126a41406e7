"""The workloads of bench/submit.py: demo respondents on page 2, and the requests wrk sends for them.

Respondents are started and moved on by the same services the views call, and get the cookies a
browser would hold (the CSRF middleware's token, the signed respondent cookie from
``respondents.pages``), so that every request wrk sends is one a real browser could have sent.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import stack

WORKLOADS = ("baseline", "submit", "render_blank", "render_filled")
EXPECTED_STATUS = {"baseline": 201, "submit": 302, "render_blank": 200, "render_filled": 200}
SURVEY_SLUG = "emigrants-2022"
SECTION = "background"  # page 2 of the demo; page 1 (consent) is answered "yes" beforehand
BACKGROUND_POST = {
    "country": "GE",
    "departure": "spring_2022",
    "gender": "female",
    "birth_year": "1990",
    "education": "higher",
    "sector": "it",
    "finances": "car",
}
BASELINE_DOCUMENT_BYTES = 2048


@dataclass(frozen=True)
class Respondent:
    response_id: uuid.UUID
    cookie: str  # the Cookie header a browser would send: CSRF cookie and signed respondent cookie
    submit_body: str  # the background page, URL-encoded as the browser posts it


@dataclass(frozen=True)
class Prepared:
    slug: str
    submitters: list[Respondent]
    blank_readers: list[Respondent]
    filled_readers: list[Respondent]
    shown_value: str  # what the blank background page puts in its volna_shown input


def prepare(*, respondents: int, readers: int) -> Prepared:
    """A fresh bench database with the demo, and respondents on the background page."""
    stack.database_recreate()
    stack.cache_flush()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from bench.views import CREATE_BASELINE_TABLE
    from surveys.models import Wave

    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_demo", password=secrets.token_urlsafe(16), stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute(CREATE_BASELINE_TABLE)
    wave = Wave.objects.select_related("survey", "questionnaire").get(
        survey__slug=SURVEY_SLUG, status=Wave.Status.OPEN
    )
    answers = _background_answers(wave)
    shown = _shown_value(wave)
    prepared = Prepared(
        slug=wave.slug,
        submitters=[_respondent(wave, i, answers, shown, went_back=False) for i in range(respondents)],
        blank_readers=[_respondent(wave, i, answers, shown, went_back=False) for i in range(readers)],
        filled_readers=[_respondent(wave, i, answers, shown, went_back=True) for i in range(readers)],
        shown_value=shown,
    )
    _check_positions(prepared)
    connections.close_all()
    return prepared


def _background_answers(wave: Any) -> dict[str, Any]:
    """The typed answers of BACKGROUND_POST, as the page form itself parses them."""
    from django.http import QueryDict

    from respondents import flow
    from respondents.forms import PageForm

    snapshot = wave.questionnaire.snapshot
    form = PageForm(
        snapshot=snapshot,
        section=flow.section_named(snapshot, SECTION),
        language="en",
        answers={"consent": "yes"},
        seed="bench",
        data=QueryDict(urlencode(BACKGROUND_POST)),
    )
    if not form.is_valid():
        raise RuntimeError(f"the benchmark's background answers do not validate: {form.errors.as_json()}")
    return form.page_answers()


def _shown_value(wave: Any) -> str:
    from respondents import flow
    from respondents.forms import PageForm

    snapshot = wave.questionnaire.snapshot
    section = flow.section_named(snapshot, SECTION)
    form = PageForm(snapshot=snapshot, section=section, language="en", answers={"consent": "yes"}, seed="x")
    return form.shown_value


def _respondent(
    wave: Any, index: int, answers: dict[str, Any], shown_value: str, *, went_back: bool
) -> Respondent:
    """A respondent on the background page, started and moved on by the services the views call.

    ``went_back``: the page was saved and the respondent came back to it, so it renders filled in.
    """
    from django.conf import settings
    from django.http import HttpRequest, HttpResponse
    from django.middleware.csrf import get_token

    from respondents import pages, services

    language = "ru" if index % 10 < 7 else "en"  # the demo's mix (respondents/synthetic.py)
    response = services.response_start(wave=wave, language=language, response_id=uuid.uuid4())
    services.response_save_page(
        response_id=response.pk, section_name="consent_page", page_answers={"consent": "yes"}
    )
    if went_back:
        services.response_save_page(response_id=response.pk, section_name=SECTION, page_answers=answers)
        services.response_go_back(response_id=response.pk, section_name="activism", page_answers={})
    # the cookies exactly as the views set them: CSRF middleware's token, the respondent's signed cookie
    request = HttpRequest()
    csrf_token = get_token(request)
    remembered = pages.remember_response(HttpResponse(), wave, response.pk).cookies
    cookie = "; ".join(
        [f"{settings.CSRF_COOKIE_NAME}={request.META['CSRF_COOKIE']}"]
        + [f"{name}={morsel.coded_value}" for name, morsel in remembered.items()]
    )
    body = urlencode(
        [
            ("csrfmiddlewaretoken", csrf_token),
            ("volna_section", SECTION),
            ("volna_shown", shown_value),
            ("volna_response", pages.sign_response(response)),
            *BACKGROUND_POST.items(),
            ("website", ""),
            ("volna_action", "next"),
        ]
    )
    return Respondent(response_id=response.pk, cookie=cookie, submit_body=body)


def _check_positions(prepared: Prepared) -> None:
    from respondents.models import Response

    for group, expected_filled in (
        (prepared.submitters, False),
        (prepared.blank_readers, False),
        (prepared.filled_readers, True),
    ):
        rows = Response.objects.filter(pk__in=[r.response_id for r in group])
        positions = {(row.current_section, "birth_year" in row.answers) for row in rows}
        if positions != {(SECTION, expected_filled)}:
            raise RuntimeError(f"prepared responses are not where the benchmark expects them: {positions}")


def request_files(directory: Path, prepared: Prepared, threads: int) -> dict[str, Path]:
    """One line per request (see bench/wrk_requests.lua)."""
    page = f"/s/{prepared.slug}/page/"
    form = "application/x-www-form-urlencoded"
    document = json.dumps(_baseline_document())
    lines = {
        "baseline": [f"POST\t/bench/baseline/\t\tapplication/json\t{document}"] * max(threads, 64),
        "submit": [f"POST\t{page}\t{r.cookie}\t{form}\t{r.submit_body}" for r in prepared.submitters],
        "render_blank": [f"GET\t{page}\t{r.cookie}\t\t" for r in prepared.blank_readers],
        "render_filled": [f"GET\t{page}\t{r.cookie}\t\t" for r in prepared.filled_readers],
    }
    files = {}
    for workload, entries in lines.items():
        files[workload] = directory / f"{workload}.tsv"
        files[workload].write_text("\n".join(entries) + "\n")
    return files


def _baseline_document() -> dict[str, Any]:
    """A JSON document of ~2 KB shaped like a response's answers (50 short variables)."""
    document: dict[str, Any] = {f"q{number:02d}": f"answer-{number:02d}-abcdefghij" for number in range(50)}
    document["comment"] = ""
    padding = BASELINE_DOCUMENT_BYTES - len(json.dumps(document))
    document["comment"] = "x" * max(padding, 0)
    return document


# -- checking before measuring ------------------------------------------------------------------------


def smoke_check(server: stack.Server, prepared: Prepared) -> None:
    """One request of each workload, checked, before anything is timed: a wrong cookie would be a 302."""
    page = f"/s/{prepared.slug}/page/"
    status, _headers, _body = stack.http_request(
        server.port,
        "POST",
        "/bench/baseline/",
        {"Content-Type": "application/json"},
        json.dumps(_baseline_document()).encode(),
    )
    _expect(status == 201, f"baseline answered {status}")
    for group, filled in ((prepared.blank_readers, False), (prepared.filled_readers, True)):
        status, _headers, body = stack.http_request(server.port, "GET", page, {"Cookie": group[0].cookie})
        html = body.decode()
        _expect(status == 200, f"render answered {status}")
        _expect(f'name="volna_section" value="{SECTION}"' in html, "render did not show the background page")
        shown = re.search(r'name="volna_shown" value="([^"]*)"', html)
        _expect(shown is not None and shown.group(1) == prepared.shown_value, "volna_shown differs")
        _expect(('value="1990"' in html) == filled, "render filled/blank is not as prepared")
    first = prepared.submitters[0]
    headers = {"Cookie": first.cookie, "Content-Type": "application/x-www-form-urlencoded"}
    body = first.submit_body
    for _attempt in range(2):  # the second post replays a page of the trail: accepted too
        status, reply_headers, _body = stack.http_request(server.port, "POST", page, headers, body.encode())
        _expect(status == 302 and reply_headers.get("Location") == page, f"submit answered {status}")


def _expect(condition: bool, problem: str) -> None:
    if not condition:
        raise RuntimeError(f"smoke check failed before measuring: {problem}")
