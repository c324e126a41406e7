"""Numbers and labels shared by the SPSS and Stata files and the codebook.

Choice codes become numbers (docs/exports.md, "SPSS and Stata"):

- a list whose codes are all plain integers (``1`` … ``5``, ``-9``, ``99``) keeps them as the numbers;
- any other list is numbered 1…n in list order (``GE`` → 1, ``AM`` → 2, …);
- a code found in the answers but not in the list (a later version added it) gets the next free
  number, in sorted code order; an integer code in an integer list keeps its own number.

The value labels carry the labels only ("Georgia"); the codebook lists number = code = label, so an
analyst can always recover the code. The same function numbers codes for the files and the codebook,
so they never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy

from exports.columns import Column, Kind
from respondents.models import PanelMember, Response

# Stata's labelled values are 32-bit integers below its missing codes (".", ".a", …)
STATA_MAX_LABELLED = 2_147_483_620
ELLIPSIS = "…"

_META_LABELS: dict[str, Any] = {
    "response_id": gettext_lazy("response"),
    "wave": Response._meta.get_field("wave").verbose_name,
    "questionnaire_version": gettext_lazy("questionnaire version"),
    "language": Response._meta.get_field("language").verbose_name,
    "status": Response._meta.get_field("status").verbose_name,
    "started_on": Response._meta.get_field("started_on").verbose_name,
    "completed_on": Response._meta.get_field("completed_on").verbose_name,
    "panel_id": PanelMember._meta.get_field("pseudonym").verbose_name,
}
_WAVE_SUFFIX_RE = re.compile(r"(?P<base>[a-z_]+)_w(?P<wave>[0-9]+)")


def _integer(code: str) -> int | None:
    """The code as an integer when it is written as one exactly (``"1"``, ``"-9"``; not ``"01"``)."""
    try:
        number = int(code)
    except ValueError:
        return None
    if str(number) != code or abs(number) > STATA_MAX_LABELLED:
        return None
    return number


def codes_are_numbers(codes: Sequence[str]) -> bool:
    """Whether a choice list keeps its own codes as the numbers in SPSS and Stata."""
    return bool(codes) and all(_integer(code) is not None for code in codes)


def code_numbers(codes: Sequence[str], extra: Iterable[str] = ()) -> dict[str, int]:
    """The number of each code of a list (in list order), then of ``extra`` codes not in it."""
    keep = codes_are_numbers(codes)
    if keep:
        numbers = {code: int(code) for code in codes}
    else:
        numbers = {code: position for position, code in enumerate(codes, 1)}
    used = set(numbers.values())
    next_number = max(used, default=0) + 1
    for code in sorted(set(extra) - numbers.keys()):
        own = _integer(code) if keep else None
        if own is None or own in used:
            own = next_number
        numbers[code] = own
        used.add(own)
        next_number = max(next_number, own) + 1
    return numbers


def label_language(survey: Any, wanted: str | None) -> str:
    """The language of the labels: the one asked for when the survey has it, else its default."""
    return wanted if wanted and wanted in survey.languages else survey.default_language


def text_in(texts: dict[str, str], language: str, fallback: str, default: str = "") -> str:
    """A translated text in ``language``, else in ``fallback``, else any, else ``default``."""
    for candidate in (language, fallback):
        if texts.get(candidate):
            return texts[candidate]
    return next((text for text in texts.values() if text), default)


def dummy_labels(language: str) -> dict[int, str]:
    """The value labels of a 0/1 column of a multiple choice, in ``language``."""
    with translation.override(language):
        return {0: gettext("not selected"), 1: gettext("selected")}


def meta_label(name: str, language: str) -> str:
    """The variable label of a response column (ID, wave, status, dates…), in ``language``.

    panel_wide repeats them per wave (``started_on_w2``): the label says which wave.
    """
    base, wave = name, None
    suffixed = _WAVE_SUFFIX_RE.fullmatch(name)
    if suffixed and suffixed["base"] in _META_LABELS:
        base, wave = suffixed["base"], suffixed["wave"]
    with translation.override(language):
        label = capfirst(str(_META_LABELS.get(base, base)))
        if wave is not None:
            label = f"{label} ({_META_LABELS['wave']} {wave})"
    return label


def column_value_labels(
    column: Column, numbers: dict[str, int], language: str, fallback: str
) -> dict[int, str]:
    """Value labels of one labelled column: number → label (the code when a label is missing)."""
    if column.kind == Kind.DUMMY:
        return dummy_labels(language)
    return {
        number: text_in(column.value_labels.get(code, {}), language, fallback, default=code)
        for code, number in numbers.items()
    }


def fit_chars(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def fit_bytes(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """``text`` cut to ``limit`` UTF-8 bytes on a character boundary (ending in ``ellipsis`` when cut)."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    room = limit - len(ellipsis.encode("utf-8"))
    return encoded[:room].decode("utf-8", errors="ignore") + ellipsis
