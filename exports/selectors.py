"""Reads of export jobs, scoped to what a user may see."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet

from exports.models import ExportJob
from surveys.access import surveys_for_user

EXPORT_PERMISSION = "exports.export_responses"


def can_export(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether ``user`` holds the export permission (superusers do)."""
    return bool(user.is_authenticated and user.is_active and user.has_perm(EXPORT_PERMISSION))


def export_jobs_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[ExportJob]:
    """The jobs of the surveys ``user`` may export (none without the permission)."""
    if not can_export(user):
        return ExportJob.objects.none()
    return ExportJob.objects.filter(survey__in=surveys_for_user(user))


def export_job_for_download(*, user: AbstractBaseUser | AnonymousUser, job_id: Any) -> ExportJob:
    """A finished job whose file ``user`` may download.

    PermissionDenied (403) for a user without the permission, for another team's job and for an ID
    that does not exist, so a guessed URL learns nothing.
    """
    try:
        job = export_jobs_for_user(user).select_related("survey").get(pk=job_id)
    except (ExportJob.DoesNotExist, ValueError, ValidationError):
        raise PermissionDenied from None
    if job.status != ExportJob.Status.DONE or not job.file_path:
        raise PermissionDenied
    return job
