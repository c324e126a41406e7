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

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="panel_members")
    pseudonym = models.CharField(max_length=32, unique=True, default=new_pseudonym, editable=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["pseudonym"]

    def __str__(self) -> str:
        return self.pseudonym


class Invitation(models.Model):
    """One panel member's invitation to one wave. The token itself is never stored, only its HMAC."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitations")
    member = models.ForeignKey(PanelMember, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
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

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="responses")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="responses")
    language = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    answers = models.JSONField(default=dict, blank=True)
    current_section = models.CharField(max_length=64, blank=True)
    # sections the respondent has submitted, in order: Back goes through this trail
    trail = models.JSONField(default=list, blank=True)
    # dates only, and only when the survey's date precision allows (DESIGN.md §4)
    started_on = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    panel_member = models.ForeignKey(
        PanelMember, on_delete=models.PROTECT, null=True, blank=True, related_name="responses"
    )
    resume_code_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    # increases on every saved page; lets a stale tab be told that the response moved on
    revision = models.PositiveIntegerField(default=0)

    class Meta:
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
