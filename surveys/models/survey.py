"""Surveys: the study itself, with its languages, team and privacy settings."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from surveys.translation import LANGUAGE_CODE_RE, TranslatableModel

VARIABLE_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
variable_name_validator = RegexValidator(
    VARIABLE_NAME_PATTERN,
    _("Use 1–32 characters: a lower-case letter first, then lower-case letters, digits or _."),
)
CODE_PATTERN = r"^[A-Za-z0-9_.\-]{1,64}$"
choice_code_validator = RegexValidator(
    CODE_PATTERN, _("Use 1–64 letters, digits, '_', '.' or '-' (no spaces).")
)


class Survey(TranslatableModel):
    class DatePrecision(models.TextChoices):
        DAY = "day", _("Day")
        NONE = "none", _("None (no dates stored)")

    translated_fields = ("title",)

    slug = models.SlugField(verbose_name=_("slug"), max_length=50, unique=True)
    title = models.JSONField(verbose_name=_("title"), default=dict)
    languages = models.JSONField(
        verbose_name=_("languages"), default=list, help_text=_("Ordered language codes, e.g. en, ru.")
    )
    default_language = models.CharField(verbose_name=_("default language"), max_length=16)
    team = models.ForeignKey(Group, verbose_name=_("team"), on_delete=models.PROTECT, related_name="surveys")
    date_precision = models.CharField(
        verbose_name=_("date precision"),
        max_length=8,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    small_cell_k = models.PositiveSmallIntegerField(
        verbose_name=_("small-cell threshold (k)"),
        default=5,
        help_text=_("Cells with fewer respondents are suppressed."),
    )
    is_panel = models.BooleanField(default=False, verbose_name=_("panel survey"))
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(condition=Q(small_cell_k__gte=1), name="survey_k_positive"),
        ]

    def __str__(self) -> str:
        return self.slug

    def clean(self) -> None:
        errors: dict[str, str] = {}
        languages = self.languages or []
        if not isinstance(languages, list) or not languages:
            errors["languages"] = _("List at least one language code.")
        else:
            bad = [
                code for code in languages if not isinstance(code, str) or not LANGUAGE_CODE_RE.match(code)
            ]
            if bad:
                errors["languages"] = _("Not language codes: %(codes)s") % {"codes": ", ".join(map(str, bad))}
            elif len(set(languages)) != len(languages):
                errors["languages"] = _("A language is listed twice.")
            elif self.default_language not in languages:
                errors["default_language"] = _("The default language must be one of the survey's languages.")
        if errors:
            raise ValidationError(errors)
