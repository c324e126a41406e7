"""``manage.py import_xlsform FILE --survey SLUG [--publish]``: a new version from an XLSForm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.models import Questionnaire, Survey
from surveys.services import PublishRefused, questionnaire_publish
from surveys.xlsform import XLSFormError, xlsform_import


class Command(BaseCommand):
    help = "Import an XLSForm (.xlsx) as a new draft version of a survey's questionnaire."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the .xlsx XLSForm")
        parser.add_argument("--survey", required=True, help="the survey's slug")
        parser.add_argument("--publish", action="store_true", help="publish the new version right away")

    def handle(self, *args: Any, file: Path, survey: str, publish: bool, **options: Any) -> None:
        target = Survey.objects.filter(slug=survey).first()
        if target is None:
            raise CommandError(f'no survey "{survey}"')
        try:
            file_bytes = file.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error}") from error
        try:
            questionnaire = xlsform_import(survey=target, file_bytes=file_bytes, filename=file.name)
        except XLSFormError as error:
            for message in error.messages:
                self.stderr.write(message)
            count = len(error.problems)
            raise CommandError(
                f"{file.name}: {count} problem{'s' if count != 1 else ''}; nothing was imported"
            ) from error
        if publish:
            questionnaire = self._publish(questionnaire)
        self.stdout.write(summary(questionnaire))

    def _publish(self, questionnaire: Questionnaire) -> Questionnaire:
        try:
            return questionnaire_publish(questionnaire=questionnaire)
        except PublishRefused as refused:
            for problem in refused.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"{summary(questionnaire)}, but it was not published: {len(refused.problems)} problem(s)"
            ) from refused


def summary(questionnaire: Questionnaire) -> str:
    """``Imported emigrants-2022 version 2 (draft): 4 sections, 20 questions``."""
    sections = questionnaire.sections.count()
    questions = questionnaire.questions.filter(parent__isnull=True).count()
    return (
        f"Imported {questionnaire.survey.slug} version {questionnaire.number} ({questionnaire.status}): "
        f"{_count(sections, 'section')}, {_count(questions, 'question')}"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
