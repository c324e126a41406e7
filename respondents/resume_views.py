"""Coming back: resume codes for another device, personal invitation links, expired CSRF tokens."""

from __future__ import annotations

import re

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import resolve, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from respondents import language as lang
from respondents import pages, services, throttle
from respondents.models import Response
from respondents.views import _remembered_response, _render_page, _response, _wave, posted_page_form
from surveys.models import Wave
from surveys.translation import text_in


class ResumeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Resume code"),
        max_length=20,
        help_text=gettext_lazy("The code you were shown, for example 7KQ2M-XR4PD."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def resume(request: HttpRequest, slug: str) -> HttpResponse:
    """Enter a resume code to continue a response started on another device."""
    wave = _wave(slug)
    if wave is None or wave.status != Wave.Status.OPEN:
        return pages.unavailable_page(request, wave)
    language = lang.negotiate(request, *pages.wave_languages(wave))
    with override(lang.ui_language(language)):
        form = ResumeForm(request.POST or None)
        status = 200
        if request.method == "POST" and form.is_valid():
            scope = f"resume:{wave.pk}"
            if throttle.exceeded(request, scope, limit=10, window=600):
                form.add_error(None, _("Too many attempts. Please wait ten minutes and try again."))
                status = 429
            else:
                response = services.resume_code_redeem(wave=wave, typed=form.cleaned_data["code"])
                if response is not None:
                    return pages.remember_response(
                        HttpResponseRedirect(pages.page_url(wave)), wave, response.pk
                    )
                throttle.record_failure(request, scope, window=600)
                form.add_error("code", _("This code does not open an unfinished response to this survey."))
        context = {**pages.context_common(request, wave, language), "form": form}
        return render(request, "respondents/resume.html", context, status=status)


@never_cache
@require_POST
def resume_code(request: HttpRequest, slug: str) -> HttpResponse:
    """Keep what is valid on the current page, then show a fresh resume code (the previous one
    stops working)."""
    wave = _wave(slug)
    if wave is None or wave.status != Wave.Status.OPEN:
        return pages.unavailable_page(request, wave)
    response = _remembered_response(request, wave)
    if response is None or response.is_finished:
        return HttpResponseRedirect(pages.page_url(wave))
    if "volna_section" in request.POST:
        with override(lang.ui_language(response.language)):
            form = posted_page_form(request, wave, response)
            if isinstance(form, HttpResponse):
                return form
            answers = form.page_answers() if form.is_valid() else form.partial_answers()
        services.response_keep_page(
            response_id=response.pk, section_name=request.POST["volna_section"], page_answers=answers
        )
    code = services.resume_code_issue(response=response)
    with override(lang.ui_language(response.language)):
        context = {
            **pages.context_common(request, wave, response.language),
            "code": code,
            "continue_url": pages.page_url(wave),
        }
        return render(request, "respondents/code.html", context)


@never_cache
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """A panel member's personal link: go on with their response, or to the welcome page to start
    it; either way the token leaves the address bar."""
    if throttle.exceeded(request, "invitation", limit=30, window=600):
        language = lang.negotiate(request, ["en", "ru"], "en")
        with override(language):
            return pages.message_page(
                request,
                None,
                language,
                _("Too many attempts"),
                [_("Please wait ten minutes and try again.")],
                429,
            )
    found = services.invitation_find(token=token)
    if found is None:
        throttle.record_failure(request, "invitation", window=600)
        return pages.message_page(
            request,
            None,
            lang.negotiate(request, ["en", "ru"], "en"),
            _("Invitation not found"),
            [_("This invitation link is not valid. Please check the link you received.")],
            404,
        )
    wave = found.wave
    if wave.status != Wave.Status.OPEN:
        return pages.unavailable_page(request, wave)
    existing = Response.objects.filter(wave=wave, panel_member=found.member).first()
    language = lang.negotiate(
        request, *pages.wave_languages(wave), current=existing.language if existing else None
    )
    if existing is not None and existing.is_finished:
        with override(lang.ui_language(language)):
            title = text_in(wave.survey.title, language, wave.survey.default_language)
            return pages.message_page(
                request, wave, language, title, [_("You have already completed this survey. Thank you!")], 410
            )
    if existing is not None:
        return pages.remember_response(HttpResponseRedirect(pages.page_url(wave)), wave, existing.pk)
    welcome_url = reverse("respondents:welcome", args=[wave.slug]) + f"?lang={language}"
    return pages.remember_invitation(HttpResponseRedirect(welcome_url), wave, found.pk)


_PAGE_PATH = re.compile(r"^/s/[^/]+/page/$")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """An expired session or CSRF token never throws answers away: the page comes back filled in."""
    if request.method == "POST" and _PAGE_PATH.match(request.path):
        slug = resolve(request.path).kwargs["slug"]
        wave = _wave(slug)
        response_id = pages.unsign_response(request.POST.get("volna_response", ""), wave) if wave else None
        response = _response(wave, response_id) if response_id else None
        if wave is not None and response is not None and not response.is_finished:
            return _refill(request, wave, response)
    if request.method == "POST" and re.match(r"^/s/[^/]+/$", request.path):
        return HttpResponseRedirect(request.path)  # the welcome page: just show it again with a fresh token
    return django_csrf_failure(request, reason=reason)


def _refill(request: HttpRequest, wave: Wave, response: Response) -> HttpResponse:
    from respondents import flow
    from respondents.forms import PageForm
    from respondents.snapshots import snapshot_of

    section_name = request.POST.get("volna_section", "")
    snapshot = snapshot_of(response.questionnaire_id)
    try:
        section = flow.section_named(snapshot, section_name)
    except KeyError:
        return HttpResponseRedirect(pages.page_url(wave))
    with override(lang.ui_language(response.language)):
        form = PageForm(
            snapshot=snapshot,
            section=section,
            language=response.language,
            answers=response.answers,
            seed=str(response.pk),
            data=request.POST,
        )
        notice = _(
            "Your session had expired, so your answers were not saved yet. They are still here: "
            "please check them and press Next again."
        )
        page = _render_page(request, wave, response, section_name, form=form, notice=notice)
    return pages.remember_response(page, wave, response.pk)
