"""Which language a respondent sees: chosen, or negotiated from Accept-Language, never stored
anywhere but on the response itself."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language_info
from django.utils.translation.trans_real import parse_accept_lang_header

UI_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def negotiate(request: HttpRequest, languages: list[str], default: str, current: str | None = None) -> str:
    """``?lang=`` if it is a survey language, else the response's, else the browser's best match."""
    asked = request.GET.get("lang", "")
    if asked in languages:
        return asked
    if current in languages:
        return current  # type: ignore[return-value]
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")[:500]
    for code, _quality in parse_accept_lang_header(header):
        code = code.lower()
        for candidate in (code, code.split("-")[0]):
            if candidate in languages:
                return candidate
    return default


def ui_language(language: str) -> str:
    """The language of Volna's own interface strings: the survey language if Volna speaks it."""
    return language if language in UI_LANGUAGES else settings.LANGUAGE_CODE


def language_name(code: str) -> str:
    """The language's own name (Русский, English), or the code when Django does not know it."""
    try:
        return get_language_info(code)["name_local"]
    except KeyError:
        return code
