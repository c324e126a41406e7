"""Who answers, anonymously: responses and panel members.

Nothing here can identify a person: random UUIDs, dates without times, keyed hashes of tokens and
resume codes (never the codes themselves), and no column for an address, agent or referrer.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from surveys.models import Questionnaire, Survey, Wave


def new_pseudonym() -> str:
    """A random panel pseudonym (80 bits, base32, readable in a spreadsheet)."""
    import base64
    import secrets

    return base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()


class PanelMember(models.Model):
    """A member of a survey's panel, known only by a random pseudonym."""

    id = models.UUIDField(verbose_name="ID", primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="panel_members"
    )
    pseudonym = models.CharField(
        verbose_name=_("pseudonym"), max_length=32, unique=True, default=new_pseudonym, editable=False
    )
    active = models.BooleanField(verbose_name=_("active"), default=True)

    class Meta:
        verbose_name = _("panel member")
        verbose_name_plural = _("panel members")
        ordering = ["pseudonym"]

    def __str__(self) -> str:
        return self.pseudonym


class Invitation(models.Model):
    """One panel member's invitation to one wave. The token itself is never stored, only its HMAC."""

    id = models.UUIDField(verbose_name="ID", primary_key=True, default=uuid.uuid4, editable=False)
    wave = models.ForeignKey(
        Wave, verbose_name=_("wave"), on_delete=models.CASCADE, related_name="invitations"
    )
    member = models.ForeignKey(
        PanelMember, verbose_name=_("member"), on_delete=models.CASCADE, related_name="invitations"
    )
    token_hash = models.CharField(verbose_name=_("token hash"), max_length=64, unique=True, editable=False)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(fields=["wave", "member"], name="one_invitation_per_member_and_wave"),
        ]

    def __str__(self) -> str:
        return f"{self.member} → wave {self.wave_id}"


class Response(models.Model):
    """One respondent's answers to one wave: one row, whatever the number of submits."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        SCREENED_OUT = "screened_out", _("Screened out")

    id = models.UUIDField(verbose_name="ID", primary_key=True, default=uuid.uuid4, editable=False)
    wave = models.ForeignKey(Wave, verbose_name=_("wave"), on_delete=models.PROTECT, related_name="responses")
    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.PROTECT, related_name="responses"
    )
    language = models.CharField(verbose_name=_("language"), max_length=16)
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=Status.choices, default=Status.IN_PROGRESS
    )
    answers = models.JSONField(verbose_name=_("answers"), default=dict, blank=True)
    current_section = models.CharField(verbose_name=_("current section"), max_length=64, blank=True)
    # sections the respondent has submitted, in order: Back goes through this trail
    trail = models.JSONField(verbose_name=_("trail"), default=list, blank=True)
    # dates only, and only when the survey's date precision allows (DESIGN.md §4)
    started_on = models.DateField(verbose_name=_("started on"), null=True, blank=True)
    completed_on = models.DateField(verbose_name=_("completed on"), null=True, blank=True)
    panel_member = models.ForeignKey(
        PanelMember,
        verbose_name=_("panel member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responses",
    )
    resume_code_hash = models.CharField(
        verbose_name=_("resume code hash"), max_length=64, null=True, blank=True, unique=True, editable=False
    )
    # increases on every saved page; lets a stale tab be told that the response moved on
    revision = models.PositiveIntegerField(verbose_name=_("revision"), default=0)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "panel_member"],
                condition=Q(panel_member__isnull=False),
                name="one_response_per_member_and_wave",
            ),
        ]

    def __str__(self) -> str:
        return str(self.id)

    @property
    def is_finished(self) -> bool:
        return self.status != self.Status.IN_PROGRESS
