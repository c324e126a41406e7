"""What is asked: surveys, questionnaire versions and their editing tables, and waves.

The respondent flow, exports and aggregation read ``Questionnaire.snapshot`` (compiled at publish
time, immutable), never the editing tables (DESIGN.md §3).
"""

from __future__ import annotations

import secrets

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


def new_wave_slug() -> str:
    """An unguessable public slug (96 random bits)."""
    return secrets.token_urlsafe(12)


class FrozenQuestionnaireError(ValidationError):
    """Raised on any attempt to change a published questionnaire."""


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
        if Questionnaire.objects.filter(
            pk=self.owning_questionnaire().pk, status=Questionnaire.Status.PUBLISHED
        ).exists():
            raise FrozenQuestionnaireError(_("A published questionnaire cannot be changed."))

    def save(self, *args, **kwargs) -> None:
        self._refuse_if_frozen()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
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
