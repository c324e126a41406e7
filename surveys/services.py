"""Writes on surveys, questionnaires and waves. Views, admin actions, commands and tasks call these."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import Group
from django.db import OperationalError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import get_language, gettext_noop, override
from django.utils.translation import gettext as _

from surveys.checks import simulate, stale_translations, static_problems
from surveys.models import (
    CheckRun,
    Choice,
    ChoiceList,
    Question,
    Questionnaire,
    Section,
    Survey,
    Wave,
)
from surveys.snapshot import questionnaire_compile
from surveys.translation import TranslatableModel

_QUESTION_COPY_FIELDS = (
    "position",
    "name",
    "type",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "appearance",
    "has_other",
    "randomize",
    "translation_sources",
)


class PublishRefused(Exception):
    """Publishing was refused; ``problems`` lists every reason, for the researcher."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class InvalidTransition(Exception):
    """A state change that does not apply to the object's current state."""


def survey_create(
    *,
    slug: str,
    title: dict[str, str],
    languages: list[str],
    default_language: str,
    team: Group,
    is_panel: bool = False,
) -> Survey:
    """Create a survey after validating its languages."""
    survey = Survey(
        slug=slug,
        title=title,
        languages=languages,
        default_language=default_language,
        team=team,
        is_panel=is_panel,
    )
    survey.full_clean()
    survey.mark_translations_current(default_language)
    survey.save()
    return survey


def questionnaire_create_draft(*, survey: Survey, notes: str = "", **fields: Any) -> Questionnaire:
    """A new, empty draft version numbered after the survey's last one.

    The caller fills its editing tables in the same transaction (see the XLSForm importer).
    """
    with transaction.atomic():
        Survey.objects.select_for_update().filter(pk=survey.pk).first()  # serialise numbering
        last = survey.questionnaires.aggregate(last=Max("number"))["last"] or 0
        return Questionnaire.objects.create(survey=survey, number=last + 1, notes=notes, **fields)


@transaction.atomic(durable=True)
def questionnaire_copy_as_draft(*, questionnaire: Questionnaire) -> Questionnaire:
    """Revise a version: a new draft with a copy of every section, question, list and choice."""
    draft = questionnaire_create_draft(
        survey=questionnaire.survey, notes=_("Revision of version %(n)s") % {"n": questionnaire.number}
    )
    lists: dict[int, ChoiceList] = {}
    for choice_list in questionnaire.choice_lists.prefetch_related("choices"):
        lists[choice_list.pk] = ChoiceList.objects.create(questionnaire=draft, name=choice_list.name)
        Choice.objects.bulk_create(
            Choice(
                choice_list=lists[choice_list.pk],
                position=c.position,
                code=c.code,
                label=c.label,
                translation_sources=c.translation_sources,
            )
            for c in choice_list.choices.all()
        )
    questions: dict[int, Question] = {}
    for section in questionnaire.sections.all():
        new_section = Section.objects.create(
            questionnaire=draft,
            position=section.position,
            name=section.name,
            title=section.title,
            relevant=section.relevant,
            ends_survey=section.ends_survey,
            translation_sources=section.translation_sources,
        )
        # parents before items, so items can point at their copied matrix
        for question in section.questions.order_by(F("parent_id").asc(nulls_first=True), "position", "id"):
            copy = Question(
                questionnaire=draft,
                section=new_section,
                parent=questions.get(question.parent_id) if question.parent_id else None,
                choice_list=lists.get(question.choice_list_id) if question.choice_list_id else None,
            )
            for field in _QUESTION_COPY_FIELDS:
                setattr(copy, field, getattr(question, field))
            copy.save()
            questions[question.pk] = copy
    return draft


def questionnaire_publish(*, questionnaire: Questionnaire) -> Questionnaire:
    """Freeze a draft: compile its snapshot and mark it published.

    Raises PublishRefused listing every problem (missing translations, bad expressions, …).
    """
    with transaction.atomic(durable=True):
        locked = Questionnaire.objects.select_for_update().select_related("survey").get(pk=questionnaire.pk)
        if locked.status != Questionnaire.Status.DRAFT:
            raise InvalidTransition(_("This version is already published."))
        snapshot = questionnaire_compile(locked)
        problems = static_problems(snapshot)
        if problems.errors:
            raise PublishRefused(problems.errors)
        now = timezone.now()
        updated = Questionnaire.objects.filter(pk=locked.pk, status=Questionnaire.Status.DRAFT).update(
            status=Questionnaire.Status.PUBLISHED, snapshot=snapshot, published_at=now
        )
        if updated != 1:
            raise InvalidTransition(_("This version is already published."))
    questionnaire.refresh_from_db()
    return questionnaire


def wave_create(
    *,
    questionnaire: Questionnaire,
    name: str,
    mode: str = Wave.Mode.OPEN_LINK,
    welcome: dict[str, str] | None = None,
    thanks: dict[str, str] | None = None,
) -> Wave:
    """A draft wave on a published version, numbered after the survey's last wave."""
    if not questionnaire.is_published:
        raise InvalidTransition(_("A wave can only use a published questionnaire version."))
    survey = questionnaire.survey
    with transaction.atomic():
        Survey.objects.select_for_update().filter(pk=survey.pk).first()
        last = survey.waves.aggregate(last=Max("number"))["last"] or 0
        wave = Wave(
            survey=survey,
            number=last + 1,
            name=name,
            questionnaire=questionnaire,
            mode=mode,
            welcome=welcome or {},
            thanks=thanks or {},
        )
        wave.mark_translations_current(survey.default_language)
        wave.save()
    return wave


def wave_missing_texts(wave: Wave) -> list[str]:
    """Welcome and thank-you texts missing in a survey language, where the source has one."""
    missing = []
    for field, label in (("welcome", _("welcome text")), ("thanks", _("thank-you text"))):
        texts = getattr(wave, field) or {}
        if not any(str(v).strip() for v in texts.values()):
            continue
        missing.extend(
            f"{language}: {label}"
            for language in wave.survey.languages
            if not str(texts.get(language, "")).strip()
        )
    return missing


def wave_open(*, wave: Wave) -> Wave:
    """Open a draft (or reopen a closed) wave to respondents."""
    missing = wave_missing_texts(wave)
    if missing:
        raise PublishRefused([_("Missing translation: %(what)s") % {"what": m} for m in missing])
    with transaction.atomic(durable=True):
        updated = Wave.objects.filter(pk=wave.pk, status__in=[Wave.Status.DRAFT, Wave.Status.CLOSED]).update(
            status=Wave.Status.OPEN, opened_at=timezone.now(), closed_at=None
        )
    if updated != 1:
        raise InvalidTransition(_("Only a draft or closed wave can be opened."))
    wave.refresh_from_db()
    return wave


def wave_close(*, wave: Wave) -> Wave:
    """Close an open wave: its link stops accepting answers."""
    with transaction.atomic(durable=True):
        updated = Wave.objects.filter(pk=wave.pk, status=Wave.Status.OPEN).update(
            status=Wave.Status.CLOSED, closed_at=timezone.now()
        )
    if updated != 1:
        raise InvalidTransition(_("Only an open wave can be closed."))
    wave.refresh_from_db()
    return wave


def translation_set(
    *, obj: TranslatableModel, field: str, language: str, text: str, source_language: str
) -> None:
    """Set one translated string and record the source text it translates (for staleness)."""
    if field not in obj.translated_fields:
        raise ValueError(f"{type(obj).__name__}.{field} is not translated")
    obj.set_translation(field, language, text, source_language)
    obj.save(update_fields=[field, "translation_sources"])


def check_run_start(*, questionnaire: Questionnaire) -> CheckRun:
    """Queue the pre-publication checks of a version; the task starts after commit."""
    from surveys.tasks import check_run_task

    with transaction.atomic():
        run = CheckRun.objects.create(questionnaire=questionnaire, language=get_language() or "en")
        # If the broker is down the run stays queued; the reconciler marks it failed later.
        check_run_task.delay_on_commit(run.pk)
    return run


def check_run_execute(*, check_run_id: int) -> CheckRun | None:
    """Claim a queued check run and carry it out, saving progress as it goes.

    Idempotent: a run that is not queued (already taken, done or failed) is left alone.
    """
    claimed = CheckRun.objects.filter(pk=check_run_id, status=CheckRun.Status.QUEUED).update(
        status=CheckRun.Status.RUNNING, started_at=timezone.now(), progress=0
    )
    if claimed != 1:
        return None
    run = CheckRun.objects.select_related("questionnaire__survey").get(pk=check_run_id)
    try:
        with override(run.language):
            report = _checks_report(run)
    except OperationalError:
        # the database hiccuped: hand the run back so the task's retry can claim it again
        CheckRun.objects.filter(pk=run.pk, status=CheckRun.Status.RUNNING).update(
            status=CheckRun.Status.QUEUED
        )
        raise
    except Exception as error:
        CheckRun.objects.filter(pk=run.pk).update(
            status=CheckRun.Status.FAILED,
            error=f"{type(error).__name__}: {error}",
            finished_at=timezone.now(),
        )
        raise
    CheckRun.objects.filter(pk=run.pk, status=CheckRun.Status.RUNNING).update(
        status=CheckRun.Status.DONE, progress=100, report=report, finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run


def _checks_report(run: CheckRun) -> dict[str, Any]:
    questionnaire = run.questionnaire
    snapshot = questionnaire.snapshot if questionnaire.is_published else questionnaire_compile(questionnaire)
    problems = static_problems(snapshot)
    warnings = stale_translations(questionnaire)

    def progress(percent: int) -> None:
        CheckRun.objects.filter(pk=run.pk).update(progress=min(99, max(1, percent)))

    simulation = simulate(snapshot, progress=progress)
    for name in simulation["unreachable_sections"]:
        warnings.append(_("Page %(name)s was never reached in the simulated run.") % {"name": name})
    for name in simulation["never_shown"]:
        warnings.append(_("Question %(name)s was never shown in the simulated run.") % {"name": name})
    errors = list(problems.errors)
    errors += [_("Run-time error: %(e)s") % {"e": e} for e in simulation["runtime_errors"]]
    errors += [
        _("%(name)s is required but no simulated answer satisfied its constraint.") % {"name": name}
        for name in simulation["unsatisfiable"]
    ]
    return {"errors": errors, "warnings": warnings, "simulation": simulation}


def check_runs_reconcile(*, stuck_after: timedelta = timedelta(minutes=30)) -> int:
    """Mark runs stuck in queued or running (worker lost, broker down) as failed. Returns how many."""
    cutoff = timezone.now() - stuck_after
    stuck = Q(status=CheckRun.Status.QUEUED, created_at__lt=cutoff) | Q(
        status=CheckRun.Status.RUNNING, started_at__lt=cutoff
    )
    return CheckRun.objects.filter(stuck).update(
        status=CheckRun.Status.FAILED,
        error=gettext_noop(
            "The check did not finish (the worker stopped or the queue was unavailable). Run it again."
        ),
        finished_at=timezone.now(),
    )
