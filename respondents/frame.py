"""The page around a question form, rendered once per page and language and then reused.

Everything on a question page but five values is the same for every respondent on that page in that
language: titles, progress, buttons, the language switcher. Rendering ``respondents/page.html`` costs
more than the rest of a page request (half its CPU, measured with ``bench/profile_page.py``), so a
plain GET renders the template once with a placeholder for each per-respondent value (the CSRF
token, the signed response reference, which questions are shown, the same-page logic and the
questions themselves), cuts it at the placeholders, and keeps the pieces in process memory under
everything the frame was rendered from. Each request joins the pieces with its own values, escaped
as the template would have escaped them, in one pass (so an answer that happens to contain a
placeholder's text is never replaced). Pages with errors or a notice are rendered in full.
"""

from __future__ import annotations

import re
from typing import Any

from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import escape, json_script
from django.utils.safestring import mark_safe

TEMPLATE = "respondents/page.html"
# Placeholders hold "<", so no escaped text (a title, a translation) can ever contain one; they are
# marked safe so that the template inserts them as they are.
HOLES = {
    "csrf_token": mark_safe("<volna-frame-hole-csrf>"),
    "response_ref": mark_safe("<volna-frame-hole-ref>"),
    "shown_value": mark_safe("<volna-frame-hole-shown>"),
    "logic_script": mark_safe("<volna-frame-hole-logic>"),
    "page_html": mark_safe("<volna-frame-hole-page>"),
}
_SPLIT = re.compile("(" + "|".join(map(re.escape, HOLES.values())) + ")")
_frames: dict[tuple[Any, ...], list[str]] = {}
FRAMES_MAX = 512


def logic_script(logic: dict[str, Any] | None) -> str:
    return json_script(logic, "volna-logic") if logic else ""


def _key(context: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        (name, tuple(map(tuple, value)) if isinstance(value, list) else value)
        for name, value in sorted(context.items())
    )


def frame_pieces(context: dict[str, Any]) -> list[str]:
    """The frame for ``context`` (the template's context without the per-respondent values), cut at
    the holes: pieces of HTML alternating with hole names."""
    key = _key(context)
    pieces = _frames.get(key)
    if pieces is None:
        html = render_to_string(TEMPLATE, {**context, **HOLES, "form": None})
        pieces = _SPLIT.split(html)
        if len(_frames) >= FRAMES_MAX:
            _frames.clear()
        _frames[key] = pieces
    return pieces


def render_framed(request: Any, context: dict[str, Any], values: dict[str, Any]) -> str:
    """The page: the cached frame for ``context`` joined with this request's ``values`` (the keys of
    ``HOLES`` but ``csrf_token``, which comes from the request as ``{% csrf_token %}`` gets it)."""
    filled = {
        HOLES["csrf_token"]: escape(get_token(request)),
        HOLES["response_ref"]: escape(values["response_ref"]),
        HOLES["shown_value"]: escape(values["shown_value"]),
        HOLES["logic_script"]: str(values["logic_script"]),
        HOLES["page_html"]: str(values["page_html"]),
    }
    return "".join(filled.get(piece, piece) for piece in frame_pieces(context))


def frames_clear() -> None:
    _frames.clear()
