"""Who may see which survey: researchers see only their teams' surveys; superusers see all."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from surveys.models import Questionnaire, Survey, Wave


def surveys_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Survey]:
    """The surveys ``user`` may see (none for anonymous or non-staff users)."""
    if not user.is_authenticated or not user.is_active or not user.is_staff:
        return Survey.objects.none()
    if user.is_superuser:
        return Survey.objects.all()
    return Survey.objects.filter(team__in=user.groups.all())


def survey_access(user: AbstractBaseUser | AnonymousUser, survey_id: int) -> Survey:
    """The survey, or 404 when it does not exist *or* belongs to another team (no existence leak)."""
    try:
        return surveys_for_user(user).get(pk=survey_id)
    except (Survey.DoesNotExist, ValueError, TypeError):
        raise Http404("No such survey") from None


def questionnaire_access(user: AbstractBaseUser | AnonymousUser, questionnaire_id: int) -> Questionnaire:
    try:
        return Questionnaire.objects.select_related("survey").get(
            pk=questionnaire_id, survey__in=surveys_for_user(user)
        )
    except (Questionnaire.DoesNotExist, ValueError, TypeError):
        raise Http404("No such questionnaire") from None


def wave_access(user: AbstractBaseUser | AnonymousUser, wave_id: int) -> Wave:
    try:
        return Wave.objects.select_related("survey", "questionnaire").get(
            pk=wave_id, survey__in=surveys_for_user(user)
        )
    except (Wave.DoesNotExist, ValueError, TypeError):
        raise Http404("No such wave") from None
