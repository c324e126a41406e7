"""Questionnaire versions and their editing tables; a published version is frozen.

The respondent flow, exports and aggregation read ``Questionnaire.snapshot`` (compiled at publish
time, immutable), never the editing tables (DESIGN.md §3).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from surveys.models.survey import (
    VARIABLE_NAME_PATTERN,
    Survey,
    choice_code_validator,
    variable_name_validator,
)
from surveys.translation import TranslatableModel


class FrozenQuestionnaireError(ValidationError):
    """Raised on any attempt to change a published questionnaire."""


class Questionnaire(models.Model):
    """A version of a survey's instrument: editable while draft, frozen once published."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="questionnaires"
    )
    number = models.PositiveIntegerField(
        verbose_name=_("number"),
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    notes = models.TextField(
        verbose_name=_("notes"), blank=True, help_text=_("What changed in this version.")
    )
    source_filename = models.CharField(verbose_name=_("source filename"), max_length=255, blank=True)
    source_file = models.BinaryField(verbose_name=_("source file"), null=True, blank=True, editable=False)
    snapshot = models.JSONField(verbose_name=_("snapshot"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(verbose_name=_("published at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("questionnaire version")
        verbose_name_plural = _("questionnaire versions")
        ordering = ["survey", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="questionnaire_number_unique"),
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(status="published", snapshot__isnull=False, published_at__isnull=False),
                name="published_questionnaire_has_snapshot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey.slug} v{self.number}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            stored = Questionnaire.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == self.Status.PUBLISHED:
                raise FrozenQuestionnaireError(_("A published questionnaire cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_published:
            raise FrozenQuestionnaireError(_("A published questionnaire cannot be deleted."))
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class QuestionnairePart(TranslatableModel):
    """Base for the editing tables: refuses changes once the version is published."""

    class Meta:
        abstract = True

    def owning_questionnaire(self) -> Questionnaire:
        raise NotImplementedError

    def _refuse_if_frozen(self) -> None:
        # Lock the version's row: publishing locks it too, so an edit cannot slip in between the
        # snapshot being compiled and the status changing.
        status = (
            Questionnaire.objects.select_for_update()
            .filter(pk=self.owning_questionnaire().pk)
            .values_list("status", flat=True)
            .first()
        )
        if status == Questionnaire.Status.PUBLISHED:
            raise FrozenQuestionnaireError(_("A published questionnaire cannot be changed."))

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            self._refuse_if_frozen()
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            self._refuse_if_frozen()
            return super().delete(*args, **kwargs)


class Section(QuestionnairePart):
    """One page of the questionnaire (an XLSForm top-level group)."""

    translated_fields = ("title",)

    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.CASCADE, related_name="sections"
    )
    position = models.PositiveIntegerField(verbose_name=_("position"), default=0)
    name = models.CharField(verbose_name=_("name"), max_length=64, validators=[variable_name_validator])
    title = models.JSONField(verbose_name=_("title"), default=dict, blank=True)
    relevant = models.TextField(
        verbose_name=_("relevant"),
        blank=True,
        help_text=_("Show this page only when this expression is true."),
    )
    ends_survey = models.BooleanField(
        verbose_name=_("ends survey"),
        default=False,
        help_text=_("Reaching this page ends the response as screened out."),
    )

    class Meta:
        verbose_name = _("page")
        verbose_name_plural = _("pages")
        ordering = ["questionnaire", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "name"], name="section_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def owning_questionnaire(self) -> Questionnaire:
        return self.questionnaire


class ChoiceList(QuestionnairePart):
    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.CASCADE, related_name="choice_lists"
    )
    name = models.CharField(verbose_name=_("name"), max_length=64, validators=[choice_code_validator])

    class Meta:
        verbose_name = _("choice list")
        verbose_name_plural = _("choice lists")
        ordering = ["questionnaire", "name"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "name"], name="choice_list_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def owning_questionnaire(self) -> Questionnaire:
        return self.questionnaire


class Choice(QuestionnairePart):
    translated_fields = ("label",)

    choice_list = models.ForeignKey(
        ChoiceList, verbose_name=_("choice list"), on_delete=models.CASCADE, related_name="choices"
    )
    position = models.PositiveIntegerField(verbose_name=_("position"), default=0)
    code = models.CharField(verbose_name=_("code"), max_length=64, validators=[choice_code_validator])
    label = models.JSONField(verbose_name=_("label"), default=dict, blank=True)

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["choice_list", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["choice_list", "code"], name="choice_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code

    def owning_questionnaire(self) -> Questionnaire:
        return self.choice_list.questionnaire


class Question(QuestionnairePart):
    class Type(models.TextChoices):
        NOTE = "note", _("Note (no answer)")
        SELECT_ONE = "select_one", _("Select one")
        SELECT_MULTIPLE = "select_multiple", _("Select multiple")
        TEXT = "text", _("Text")
        INTEGER = "integer", _("Integer")
        DECIMAL = "decimal", _("Decimal")
        DATE = "date", _("Date")
        MATRIX = "matrix", _("Likert / matrix (grid of items)")
        RANKING = "ranking", _("Ranking")

    CHOICE_TYPES = (Type.SELECT_ONE, Type.SELECT_MULTIPLE, Type.MATRIX, Type.RANKING)
    translated_fields = ("label", "hint", "constraint_message")

    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.CASCADE, related_name="questions"
    )
    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.CASCADE, related_name="questions"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="items",
        help_text=_("The matrix this item belongs to."),
    )
    position = models.PositiveIntegerField(verbose_name=_("position"), default=0)
    name = models.CharField(verbose_name=_("name"), max_length=32, validators=[variable_name_validator])
    type = models.CharField(verbose_name=_("type"), max_length=16, choices=Type.choices)
    label = models.JSONField(verbose_name=_("label"), default=dict, blank=True)
    hint = models.JSONField(verbose_name=_("hint"), default=dict, blank=True)
    required = models.BooleanField(verbose_name=_("required"), default=False)
    relevant = models.TextField(verbose_name=_("relevant"), blank=True)
    constraint = models.TextField(verbose_name=_("constraint"), blank=True)
    constraint_message = models.JSONField(verbose_name=_("constraint message"), default=dict, blank=True)
    appearance = models.CharField(verbose_name=_("appearance"), max_length=100, blank=True)
    choice_list = models.ForeignKey(
        ChoiceList,
        verbose_name=_("choice list"),
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="questions",
    )
    has_other = models.BooleanField(default=False, verbose_name=_("other, specify"))
    randomize = models.BooleanField(default=False, verbose_name=_("randomize choice order"))

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["section", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "name"], name="question_name_unique"),
            models.CheckConstraint(
                condition=Q(name__regex=VARIABLE_NAME_PATTERN), name="question_name_valid"
            ),
            models.CheckConstraint(
                condition=~Q(type__in=["select_one", "select_multiple", "matrix", "ranking"])
                | Q(choice_list__isnull=False),
                name="choice_question_has_list",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def owning_questionnaire(self) -> Questionnaire:
        return self.questionnaire

    def clean(self) -> None:
        if self.type in self.CHOICE_TYPES and self.choice_list_id is None:
            raise ValidationError({"choice_list": _("This type of question needs a choice list.")})
        if self.choice_list_id and self.choice_list.questionnaire_id != self.questionnaire_id:
            raise ValidationError({"choice_list": _("The choice list belongs to another version.")})


class CheckRun(models.Model):
    """One run of the pre-publication checks, done by a Celery task; the admin shows its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.CASCADE, related_name="check_runs"
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    # the interface language of whoever asked: the worker writes the report in it
    language = models.CharField(verbose_name=_("language"), max_length=16, default="en")
    progress = models.PositiveSmallIntegerField(verbose_name=_("progress"), default=0)
    report = models.JSONField(verbose_name=_("report"), null=True, blank=True)
    error = models.TextField(verbose_name=_("error"), blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(verbose_name=_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(verbose_name=_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("check run")
        verbose_name_plural = _("check runs")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="check_run_progress_range"),
        ]

    def __str__(self) -> str:
        return f"checks of {self.questionnaire_id} ({self.status})"
