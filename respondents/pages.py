"""Shared pieces of the respondent views: finding the wave and response, language, rendering."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from respondents import language as lang
from respondents.models import Response
from surveys.models import Wave
from surveys.translation import text_in

PAGE_SALT = "volna.respondents.page"
# How long a page's signed reference (and a welcome page's start token) stays valid: long enough to
# survive a session that expired overnight, short enough that an old copy of a page opens nothing.
SIGNED_MAX_AGE = 48 * 3600


COOKIE_SALT = "volna.respondents.cookie"
COOKIE_MAX_AGE = 60 * 60 * 24 * 60  # a respondent may come back in the same browser for two months


def _cookie_name(wave: Wave) -> str:
    return f"volna_{wave.pk}"


def remembered_response_id(request: HttpRequest, wave: Wave) -> str | None:
    """The response this browser is answering in ``wave``, from a signed cookie.

    A signed cookie rather than a database session: a session row records its expiry to the second,
    which would tie a response to a time of day (docs/privacy.md).
    """
    return request.get_signed_cookie(_cookie_name(wave), default=None, salt=COOKIE_SALT)


def remember_invitation(http_response: HttpResponse, wave: Wave, invitation_id: object) -> HttpResponse:
    """Carry an opened invitation to the welcome page, where Start creates the member's response
    (a link checker fetching the invitation URL starts nothing)."""
    http_response.set_signed_cookie(
        f"volna_inv_{wave.pk}",
        str(invitation_id),
        salt=COOKIE_SALT,
        max_age=SIGNED_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        path=f"/s/{wave.slug}/",
    )
    return http_response


def remembered_invitation_id(request: HttpRequest, wave: Wave) -> str | None:
    return request.get_signed_cookie(
        f"volna_inv_{wave.pk}", default=None, salt=COOKIE_SALT, max_age=SIGNED_MAX_AGE
    )


def remember_response(http_response: HttpResponse, wave: Wave, response_id: object) -> HttpResponse:
    http_response.set_signed_cookie(
        _cookie_name(wave),
        str(response_id),
        salt=COOKIE_SALT,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        path=f"/s/{wave.slug}/",
    )
    return http_response


def wave_languages(wave: Wave) -> tuple[list[str], str]:
    """The languages of the wave's published version (a language added to the survey later is
    not offered until a version that has it is fielded)."""
    from respondents.snapshots import snapshot_of

    snapshot = snapshot_of(wave.questionnaire_id)
    return list(snapshot["languages"]), snapshot["default_language"]


def language_links(
    request: HttpRequest, languages: list[str], current: str
) -> list[tuple[str, str, str, bool]]:
    """(code, own name, URL, is current) for the language switcher."""
    return [
        (code, lang.language_name(code), f"{request.path}?lang={code}", code == current) for code in languages
    ]


def message_page(
    request: HttpRequest,
    wave: Wave | None,
    language: str,
    title: str,
    paragraphs: list[str],
    status: int = 200,
) -> HttpResponse:
    languages = wave_languages(wave)[0] if wave else []
    with override(lang.ui_language(language)):
        return render(
            request,
            "respondents/message.html",
            {
                "title": title,
                "paragraphs": paragraphs,
                "languages": language_links(request, languages, language) if len(languages) > 1 else [],
                "language": language,
            },
            status=status,
        )


def unavailable_page(request: HttpRequest, wave: Wave | None) -> HttpResponse:
    """A draft or unknown wave is 404, a closed one 410, each with a page in the respondent's language."""
    if wave is None:
        language = lang.negotiate(request, ["en", "ru"], "en")
        with override(language):
            return message_page(
                request,
                None,
                language,
                _("Survey not found"),
                [_("Please check the link you received.")],
                404,
            )
    languages, default = wave_languages(wave)
    language = lang.negotiate(request, languages, default)
    title = text_in(wave.survey.title, language, default)
    with override(lang.ui_language(language)):
        if wave.status == Wave.Status.CLOSED:
            return message_page(
                request,
                wave,
                language,
                title,
                [_("This survey is closed. Thank you for your interest.")],
                410,
            )
        return message_page(request, wave, language, title, [_("This survey is not open yet.")], 404)


def sign_response(response: Response) -> str:
    return signing.dumps({"r": str(response.pk), "w": response.wave_id}, salt=PAGE_SALT, compress=False)


def unsign_response(value: str, wave: Wave) -> uuid.UUID | None:
    """The response a page form was rendered for, if the signature holds (survives a lost session)."""
    try:
        data = signing.loads(value, salt=PAGE_SALT, max_age=SIGNED_MAX_AGE)
        return uuid.UUID(data["r"]) if data.get("w") == wave.pk else None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def body_is_valid_utf8(request: HttpRequest) -> bool:
    """Reject form posts whose fields are not valid UTF-8 (Django would quietly replace bytes)."""
    if request.content_type != "application/x-www-form-urlencoded":
        return False
    try:
        parse_qsl(request.body.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        return False
    return True


def thanks_url(wave: Wave) -> str:
    return reverse("respondents:thanks", args=[wave.slug])


def page_url(wave: Wave) -> str:
    return reverse("respondents:page", args=[wave.slug])


def context_common(request: HttpRequest, wave: Wave, language: str) -> dict[str, Any]:
    languages, default = wave_languages(wave)
    return {
        "survey_title": text_in(wave.survey.title, language, default),
        "languages": language_links(request, languages, language) if len(languages) > 1 else [],
        "language": language,
        "resume_url": reverse("respondents:resume", args=[wave.slug]),
    }
