"""Form fields for answers: strict parsing of what a browser (or anything else) posts.

Every field here is ``required=False`` for Django: whether an answer is required depends on the
question's relevance, which the page form decides after all fields are parsed (``PageForm.clean``).
Messages reuse Django's own translated strings where one fits, so they come out in the respondent's
language without any work.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

MAX_TEXT_LENGTH = 10_000
OTHER_LABEL = _("Other, please specify")
# Beyond this, numbers stop being exact in a double (SPSS, Stata, JavaScript): no survey needs more.
MAX_NUMBER = 10**15 - 1
_MAX_NUMBER_INPUT = 40  # characters: anything longer is not a number a person typed
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
_RANK = re.compile(r"[0-9]{1,4}")


class _NumberInput(forms.NumberInput):
    def __init__(self, inputmode: str, step: str) -> None:
        super().__init__(attrs={"inputmode": inputmode, "step": step})


def _number_text(value: Any) -> str:
    if value in (None, ""):
        return ""
    text = str(value).strip()
    if len(text) > _MAX_NUMBER_INPUT:
        raise ValidationError(forms.DecimalField.default_error_messages["invalid"], code="invalid")
    return text


def _check_range(number: float) -> None:
    if number > MAX_NUMBER:
        raise ValidationError(
            _("Ensure this value is less than or equal to %(limit_value)s."),
            code="max_value",
            params={"limit_value": MAX_NUMBER},
        )
    if number < -MAX_NUMBER:
        raise ValidationError(
            _("Ensure this value is greater than or equal to %(limit_value)s."),
            code="min_value",
            params={"limit_value": -MAX_NUMBER},
        )


class IntegerAnswerField(forms.Field):
    """A whole number written in digits: no exponent, no NaN, no trailing letters."""

    default_error_messages = {"invalid": forms.IntegerField.default_error_messages["invalid"]}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(widget=_NumberInput("numeric", "1"), required=False, **kwargs)

    def to_python(self, value: Any) -> int | None:
        text = _number_text(value)
        if not text:
            return None
        if not _INTEGER.fullmatch(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        number = int(text)
        _check_range(number)
        return number


class DecimalAnswerField(forms.Field):
    """A finite number written in digits, with '.' or ',' as the decimal mark (never 1e999 or NaN)."""

    default_error_messages = {"invalid": forms.DecimalField.default_error_messages["invalid"]}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(widget=_NumberInput("decimal", "any"), required=False, **kwargs)

    def to_python(self, value: Any) -> float | None:
        text = _number_text(value)
        if not text:
            return None
        if not _DECIMAL.fullmatch(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        number = float(text.replace(",", "."))
        if not math.isfinite(number):  # cannot happen with the pattern above; kept as a guard
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        _check_range(number)
        return number

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


class DateAnswerField(forms.DateField):
    """A date from ``<input type=date>`` (ISO), or typed by hand where a browser has no date picker.

    The typed value is the ISO string (``YYYY-MM-DD``), as answers store dates.
    """

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(input_formats=["%Y-%m-%d", "%d.%m.%Y"], required=False, **kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) > _MAX_NUMBER_INPUT:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)

    def clean(self, value: Any) -> str | None:
        day = super().clean(value)
        return day.isoformat() if day else None


class TextAnswerField(forms.CharField):
    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        widget = forms.Textarea(attrs={"rows": 4}) if multiline else forms.TextInput()
        super().__init__(max_length=MAX_TEXT_LENGTH, required=False, strip=True, widget=widget, **kwargs)


# Django's own (translated) message that does not repeat the posted value back: it may be anything.
INVALID_CHOICE = _("Select a valid choice. That choice is not one of the available choices.")


class SingleChoiceField(forms.ChoiceField):
    default_error_messages = {"invalid_choice": INVALID_CHOICE}

    def __init__(self, *, choices: list[tuple[str, str]], dropdown: bool = False, **kwargs: Any) -> None:
        widget = forms.Select if dropdown else forms.RadioSelect
        if dropdown:
            choices = [("", _("Choose an answer")), *choices]
        super().__init__(choices=choices, widget=widget, required=False, **kwargs)


class MultipleChoiceAnswerField(forms.MultipleChoiceField):
    """Codes in the questionnaire's choice order, each once; more values than choices is an error."""

    widget = forms.CheckboxSelectMultiple
    default_error_messages = {"invalid_choice": INVALID_CHOICE}

    def __init__(self, *, choices: list[tuple[str, str]], order: list[str], **kwargs: Any) -> None:
        super().__init__(choices=choices, required=False, **kwargs)
        self.order = order

    def clean(self, value: Any) -> list[str]:
        if isinstance(value, list | tuple) and len(value) > len(self.order):
            raise ValidationError(
                ngettext_lazy(
                    "Select at most %(limit)d option.", "Select at most %(limit)d options.", "limit"
                ),
                code="too_many",
                params={"limit": len(self.order)},
            )
        codes = set(super().clean(value))
        return [code for code in self.order if code in codes]


class RankingWidget(forms.Widget):
    """One ``<select>`` of ranks per choice, posted as ``<name>:<code>`` (':' is in no name or code)."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__()
        self.codes = codes

    def value_from_datadict(self, data: Any, files: Any, name: str) -> dict[str, str]:
        return {code: data.get(f"{name}:{code}", "") for code in self.codes}

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return not any(f"{name}:{code}" in data for code in self.codes)


class RankingField(forms.Field):
    """Ranks 1..n, each used once, for every choice (or for none): the codes, rank 1 first."""

    default_error_messages = {
        "invalid": _("Choose a rank between 1 and %(count)d."),
        "incomplete": _("Give every option a rank."),
        "duplicate": _("Use each rank only once."),
    }

    def __init__(self, *, codes: list[str], **kwargs: Any) -> None:
        super().__init__(widget=RankingWidget(codes), required=False, **kwargs)
        self.codes = codes

    def to_python(self, value: Any) -> list[str]:
        ranks = value if isinstance(value, dict) else {}
        chosen: dict[str, int] = {}
        count = len(self.codes)
        for code in self.codes:
            raw = str(ranks.get(code) or "").strip()
            if not raw:
                continue
            if not _RANK.fullmatch(raw) or not 1 <= int(raw) <= count:
                raise ValidationError(self.error_messages["invalid"], code="invalid", params={"count": count})
            chosen[code] = int(raw)
        if not chosen:
            return []
        if len(chosen) < count:
            raise ValidationError(self.error_messages["incomplete"], code="incomplete")
        if len(set(chosen.values())) < count:
            raise ValidationError(self.error_messages["duplicate"], code="duplicate")
        return sorted(chosen, key=chosen.__getitem__)
