"""Waves: rounds of fieldwork on a published questionnaire version."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from surveys.models.questionnaire import Questionnaire
from surveys.models.survey import Survey
from surveys.translation import TranslatableModel


def new_wave_slug() -> str:
    """An unguessable public slug (96 random bits, drawn again when it would start with "-" or "_",
    so that it can be typed as a command's argument: ``export_wave -x…`` would read as an option)."""
    while True:
        slug = secrets.token_urlsafe(12)
        if slug[0] not in "-_":
            return slug


class Wave(TranslatableModel):
    """One round of fieldwork on a published questionnaire."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Mode(models.TextChoices):
        OPEN_LINK = "open", _("Open link")
        INVITATION = "invitation", _("Invitation only")

    translated_fields = ("welcome", "thanks")

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="waves"
    )
    number = models.PositiveIntegerField(
        verbose_name=_("number"),
    )
    name = models.CharField(verbose_name=_("name"), max_length=200)
    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.PROTECT, related_name="waves"
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    mode = models.CharField(
        verbose_name=_("mode"), max_length=16, choices=Mode.choices, default=Mode.OPEN_LINK
    )
    slug = models.CharField(
        verbose_name=_("slug"), max_length=32, unique=True, default=new_wave_slug, editable=False
    )
    welcome = models.JSONField(verbose_name=_("welcome"), default=dict, blank=True)
    thanks = models.JSONField(verbose_name=_("thanks"), default=dict, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    opened_at = models.DateTimeField(verbose_name=_("opened at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(verbose_name=_("closed at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("wave")
        verbose_name_plural = _("waves")
        ordering = ["survey", "number"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="wave_number_unique"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(opened_at__isnull=False), name="wave_opened_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False), name="wave_closed_has_time"
            ),
        ]

    def __str__(self) -> str:
        return _("%(survey)s wave %(number)s") % {"survey": self.survey.slug, "number": self.number}
