"""Respondent views: thin, each one access → form → service → redirect (DESIGN.md §1)."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy, override
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from respondents import frame, pages, services, statements, throttle
from respondents import language as lang
from respondents.forms import PageForm, render_page_html
from respondents.models import Invitation, PanelMember, Response
from respondents.snapshots import snapshot_of, wave_by_slug
from surveys.models import Wave
from surveys.translation import text_in

START_SALT = "volna.respondents.start"
PAGE_FORM_ID = "volna-page"
HIDDEN_FIELDS = {
    "volna_lang",
    "csrfmiddlewaretoken",
    "volna_section",
    "volna_shown",
    "volna_action",
    "volna_response",
    "website",
}


def _wave(slug: str) -> Wave | None:
    return wave_by_slug(slug)


def _remembered_response(request: HttpRequest, wave: Wave) -> Response | None:
    response_id = pages.remembered_response_id(request, wave)
    if not response_id:
        return None
    try:
        return _response(wave, uuid.UUID(response_id))
    except ValueError:
        return None


def _response(wave: Wave, response_id: uuid.UUID | str) -> Response | None:
    return statements.response_in_wave(response_id, wave.pk)


@never_cache
@require_http_methods(["GET", "POST"])
def welcome(request: HttpRequest, slug: str) -> HttpResponse:
    """The wave's welcome page; its Start button creates the response exactly once."""
    wave = _wave(slug)
    if wave is None or wave.status != Wave.Status.OPEN:
        return pages.unavailable_page(request, wave)
    member = None
    if wave.mode == Wave.Mode.INVITATION:
        if _remembered_response(request, wave):
            return HttpResponseRedirect(pages.page_url(wave))
        member = _invited_member(request, wave)
        if member is None:
            paragraph = gettext_lazy(
                "This survey is by invitation only. Please use the personal link you received."
            )
            return _welcome_problem(request, wave, paragraph, 403)
    if request.method == "POST":
        return _start(request, wave, member)
    existing = _remembered_response(request, wave)
    language = lang.negotiate(
        request, *pages.wave_languages(wave), current=existing.language if existing else None
    )
    if existing and existing.is_finished:
        return HttpResponseRedirect(pages.thanks_url(wave))
    welcome_text = text_in(wave.welcome, language, wave.survey.default_language)
    context = {
        **pages.context_common(request, wave, language),
        "welcome_paragraphs": [p for p in welcome_text.split("\n\n") if p.strip()],
        "start_token": signing.dumps({"w": wave.pk, "r": str(uuid.uuid4()), "l": language}, salt=START_SALT),
        "continue_url": pages.page_url(wave) if existing else None,
    }
    with override(lang.ui_language(language)):
        return render(request, "respondents/welcome.html", context)


def _invited_member(request: HttpRequest, wave: Wave) -> PanelMember | None:
    invitation_id = pages.remembered_invitation_id(request, wave)
    if not invitation_id:
        return None
    try:
        invitation = Invitation.objects.select_related("member").get(
            pk=invitation_id, wave=wave, member__active=True
        )
    except (Invitation.DoesNotExist, ValueError, ValidationError):
        return None
    return invitation.member


def _start(request: HttpRequest, wave: Wave, member: PanelMember | None = None) -> HttpResponse:
    if request.POST.get("website"):
        return HttpResponseBadRequest("Form field 'website' must be empty.")
    try:
        token = signing.loads(
            request.POST.get("start_token", ""), salt=START_SALT, max_age=pages.SIGNED_MAX_AGE
        )
        response_id = uuid.UUID(token["r"])
        if token["w"] != wave.pk:
            raise ValueError
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return _welcome_problem(
            request, wave, gettext_lazy("This page was out of date. Please press Start again."), status=400
        )
    if not throttle.allow(request, f"start:{wave.pk}", limit=60, window=600):
        return _welcome_problem(
            request,
            wave,
            _("Too many new responses were started from this network. Please wait a few minutes."),
            429,
        )
    try:
        response = services.response_start(
            wave=wave, language=token.get("l", ""), response_id=response_id, panel_member=member
        )
    except services.ResponseClosed:
        return pages.unavailable_page(request, wave)
    return pages.remember_response(HttpResponseRedirect(pages.page_url(wave)), wave, response.pk)


def _welcome_problem(request: HttpRequest, wave: Wave, message: Promise, status: int) -> HttpResponse:
    """A clear page in the respondent's language (``message`` is lazy: translated inside it)."""
    language = lang.negotiate(request, *pages.wave_languages(wave))
    title = text_in(wave.survey.title, language, wave.survey.default_language)
    with override(lang.ui_language(language)):
        return pages.message_page(request, wave, language, title, [str(message)], status)


@never_cache
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, slug: str) -> HttpResponse:
    """The respondent's current page: GET shows it, POST saves it and moves on (or back)."""
    wave = _wave(slug)
    if wave is None or wave.status != Wave.Status.OPEN:
        return pages.unavailable_page(request, wave)
    response = _remembered_response(request, wave)
    restored = False
    if response is None and request.method == "POST":
        # the cookie is gone (expired, cleared): carry on with the page's own signed reference
        response_id = pages.unsign_response(request.POST.get("volna_response", ""), wave)
        response = _response(wave, response_id) if response_id else None
        restored = response is not None
    if response is None:
        return HttpResponseRedirect(reverse("respondents:welcome", args=[wave.slug]))
    if response.is_finished:
        return HttpResponseRedirect(pages.thanks_url(wave))
    language = lang.negotiate(request, *pages.wave_languages(wave), current=response.language)
    if language != response.language:
        services.response_set_language(response_id=response.pk, language=language)
        response.language = language
    with override(lang.ui_language(language)):
        if request.method == "POST":
            http_response = _submit(request, wave, response)
        else:
            notice = (
                _("This survey was continued in another window or tab. Here is where it stands now.")
                if request.GET.get("moved")
                else ""
            )
            http_response = _render_page(request, wave, response, response.current_section, notice=notice)
    return pages.remember_response(http_response, wave, response.pk) if restored else http_response


def _render_page(
    request: HttpRequest,
    wave: Wave,
    response: Response,
    section_name: str,
    form: PageForm | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    from respondents import flow

    snapshot = snapshot_of(response.questionnaire_id)
    section = flow.section_named(snapshot, section_name)
    if form is None:
        form = PageForm(
            snapshot=snapshot,
            section=section,
            language=response.language,
            answers=response.answers,
            seed=str(response.pk),
        )
    index = flow.section_index(snapshot, section_name)
    # what is the same for every respondent on this page in this language (the frame)
    context = {
        **pages.context_common(request, wave, response.language),
        "section_title": text_in(section["title"], response.language, snapshot["default_language"]),
        "section_name": section_name,
        "progress_percent": flow.progress_percent(snapshot, section_name),
        "page_number": index + 1,
        "page_count": len(snapshot["sections"]),
        "can_go_back": bool(response.trail) and response.trail[0] != section_name,
        # the language switcher submits the page form, so nothing typed is lost when switching
        "page_form_id": PAGE_FORM_ID,
        "code_url": reverse("respondents:code", args=[wave.slug]),
        "ui_language": get_language(),
    }
    values = {
        "response_ref": pages.sign_response(response),
        "shown_value": form.shown_value,
        "logic_script": frame.logic_script(form.logic()),
        "page_html": render_page_html(form),
    }
    if form.is_bound or notice:  # errors or a message: rendered in full
        return render(
            request, frame.TEMPLATE, {**context, **values, "form": form, "notice": notice}, status=status
        )
    return HttpResponse(frame.render_framed(request, context, values), status=status)


def posted_page_form(request: HttpRequest, wave: Wave, response: Response) -> PageForm | HttpResponse:
    """The submitted page as a bound form, or the response to send when the POST is not acceptable."""
    from respondents import flow

    if not pages.body_is_valid_utf8(request):
        return HttpResponseBadRequest("The form must be sent as URL-encoded UTF-8.")
    if request.POST.get("website"):
        return HttpResponseBadRequest("Form field 'website' must be empty.")
    snapshot = snapshot_of(response.questionnaire_id)
    section_name = request.POST.get("volna_section", "")
    if section_name != response.current_section and section_name not in response.trail:
        # a page this response is not on (another tab moved it elsewhere, or a forged field):
        # show where the response stands, and say why
        return HttpResponseRedirect(pages.page_url(wave) + "?moved=1")
    form = PageForm(
        snapshot=snapshot,
        section=flow.section_named(snapshot, section_name),
        language=response.language,
        answers=response.answers,
        seed=str(response.pk),
        data=request.POST,
    )
    unexpected = set(request.POST) - set(form.post_keys) - HIDDEN_FIELDS
    if unexpected:
        return HttpResponseBadRequest("Fields not on this page: " + ", ".join(sorted(unexpected))[:200])
    return form


def _submit(request: HttpRequest, wave: Wave, response: Response) -> HttpResponse:
    form = posted_page_form(request, wave, response)
    if isinstance(form, HttpResponse):
        return form
    section_name = request.POST["volna_section"]
    valid = form.is_valid()
    try:
        language = request.POST.get("volna_lang")
        if language:
            answers = form.page_answers() if valid else form.partial_answers()
            services.response_keep_page(
                response_id=response.pk, section_name=section_name, page_answers=answers
            )
            return HttpResponseRedirect(pages.page_url(wave) + "?" + urlencode({"lang": language}))
        if request.POST.get("volna_action") == "back":
            answers = form.page_answers() if valid else form.partial_answers()
            services.response_go_back(
                response_id=response.pk, section_name=section_name, page_answers=answers
            )
            return HttpResponseRedirect(pages.page_url(wave))
        if not valid:
            return _render_page(request, wave, response, section_name, form=form)
        if form.newly_shown():
            notice = _("New questions appeared on this page because of your answers. Please look at them.")
            return _render_page(request, wave, response, section_name, form=form, notice=notice)
        outcome = services.response_save_page(
            response_id=response.pk,
            section_name=section_name,
            page_answers=form.page_answers(),
            seen=response,
        )
    except services.ResponseClosed:  # the wave closed while the respondent was on this page
        wave.refresh_from_db()
        return pages.unavailable_page(request, wave)
    return HttpResponseRedirect(pages.thanks_url(wave) if outcome.finished else pages.page_url(wave))


@never_cache
def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    wave = _wave(slug)
    if wave is None:
        return pages.unavailable_page(request, None)
    response = _remembered_response(request, wave)
    language = lang.negotiate(
        request, *pages.wave_languages(wave), current=response.language if response else None
    )
    if response is not None and not response.is_finished:
        return HttpResponseRedirect(pages.page_url(wave))
    title = text_in(wave.survey.title, language, wave.survey.default_language)
    with override(lang.ui_language(language)):
        if response is not None and response.status == Response.Status.SCREENED_OUT:
            paragraphs = [_("Thank you for your interest. You do not need to answer any more questions.")]
        else:
            text = text_in(wave.thanks, language, wave.survey.default_language)
            paragraphs = [p for p in text.split("\n\n") if p.strip()] or [
                _("Thank you! Your answers are saved.")
            ]
        return pages.message_page(request, wave, language, title, paragraphs)
