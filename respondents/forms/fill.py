"""Fill a cached blank page with a respondent's stored answers, instead of rendering it again.

A page the respondent comes back to (Back, resume, language switch) shows their answers. Rendering
it through crispy-forms and the question templates costs about as much as the rest of the request
together; the same page blank is already cached (``render.render_page_html``). The two renderings
differ only where a value goes, and the question templates are ours: a radio or checkbox gets
`` checked``, an ``<option>`` gets `` selected``, an ``<input>`` gets ``value="…"`` right after its
``name`` (where Django's widget template puts it) and a ``<textarea>`` its text after the opening tag.
So the blank HTML is cut once at those places (``Holes``, kept with the cached page) and each
request only joins the pieces. A test renders every question type both ways, with random answers,
and requires the same bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape

from respondents.forms.fields import RankingField
from respondents.forms.page import PageForm

_TAG = re.compile(r"<(input|option|textarea|select)\b([^>]*)>")
_ATTRIBUTE = re.compile(r'\s([a-z-]+)="([^"]*)"')


@dataclass(frozen=True)
class Hole:
    """A place in the blank HTML where an answer may go."""

    kind: str  # "checked", "selected", "value" (an input's value attribute) or "text" (a textarea)
    name: str  # the control's name
    value: str = ""  # for checked/selected: the option's value


@dataclass(frozen=True)
class Holes:
    pieces: tuple[str, ...]  # len(holes) + 1 pieces of HTML between the holes
    holes: tuple[Hole, ...]


def holes_of(html: str) -> Holes:
    """Cut a blank page's HTML at every place an answer can go."""
    pieces: list[str] = []
    holes: list[Hole] = []
    start = 0
    select_name = ""
    for match in _TAG.finditer(html):
        tag, attributes = match.group(1), dict(_ATTRIBUTE.findall(match.group(2)))
        name = attributes.get("name", "")
        if tag == "select":
            select_name = name
            continue
        if tag == "option":
            if attributes.get("value"):
                cut, hole = match.end() - 1, Hole("selected", select_name, attributes["value"])
            else:
                continue  # the empty "choose" option is never selected
        elif tag == "textarea":
            # the hole takes the line break Django's textarea template puts before the text
            cut, hole = match.end(), Hole("text", name)
            pieces.append(html[start:cut])
            holes.append(hole)
            start = cut + 1 if html.startswith("\n", cut) else cut
            continue
        elif attributes.get("type") in ("radio", "checkbox"):
            cut, hole = match.end() - 1, Hole("checked", name, attributes.get("value", ""))
        elif name and attributes.get("type") not in ("hidden", "submit", "button"):
            name_attribute = f' name="{name}"'
            cut, hole = html.index(name_attribute, match.start()) + len(name_attribute), Hole("value", name)
        else:
            continue
        pieces.append(html[start:cut])
        holes.append(hole)
        start = cut
    pieces.append(html[start:])
    return Holes(tuple(pieces), tuple(holes))


def _values(form: PageForm) -> dict[str, Any]:
    """Each control's value as the templates would show it: a set of chosen option values, or text."""
    values: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, RankingField):
            codes = value if isinstance(value, list) else []
            for position, code in enumerate(codes, start=1):
                values[f"{name}:{code}"] = {str(position)}
        elif hasattr(field, "choices"):
            if value is None:
                continue
            values[name] = {str(v) for v in value} if isinstance(value, list | tuple) else {str(value)}
        else:
            shown = field.widget.format_value(value)
            if shown is not None:
                values[name] = str(shown)
    return values


def _text(value: Any) -> str:
    """A textarea's content as the template writes it, after crispy-forms' ``specialspaceless``,
    which turns three or more blanks between ``>`` and ``<`` into one space."""
    text = "\n" + (str(escape(value)) if isinstance(value, str) else "")
    return " " if len(text) >= 3 and not text.strip() else text


def fill(holes: Holes, form: PageForm) -> str:
    """The blank page with ``form``'s answers (its ``initial``) in place."""
    values = _values(form)
    out = [holes.pieces[0]]
    for hole, piece in zip(holes.holes, holes.pieces[1:], strict=True):
        value = values.get(hole.name)
        if value is not None:
            if hole.kind == "checked" and hole.value in value:
                out.append(" checked")
            elif hole.kind == "selected" and hole.value in value:
                out.append(" selected")
            elif hole.kind == "value" and isinstance(value, str):
                out.append(f' value="{escape(value)}"')
            elif hole.kind == "text":
                out.append(_text(value))
        elif hole.kind == "text":
            out.append("\n")
        out.append(piece)
    return "".join(out)
