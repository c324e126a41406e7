"""Helpers for the admin tests (their fixtures are in tests/surveys/conftest.py).

A *researcher* is staff, a member of one team Group, and holds every model permission of the
surveys app; they see only their team's surveys. The *other team* owns a survey they must not see.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import Permission, User
from django.http import HttpResponse
from django.urls import reverse

from surveys.models import Questionnaire, Survey
from surveys.services import questionnaire_publish
from tests.factories import QuestionnaireFactory
from tests.surveys.conftest import build_small_questionnaire


def admin_url(name: str, *args: object) -> str:
    """``admin_url("survey_change", 3)`` → /admin/surveys/survey/3/change/."""
    return reverse(f"admin:surveys_{name}", args=args)


def grant_survey_permissions(user: User) -> None:
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="surveys"))


def draft_of(survey: Survey) -> Questionnaire:
    """A complete bilingual two-page draft version of ``survey``."""
    return build_small_questionnaire(QuestionnaireFactory(survey=survey))


def published_of(survey: Survey) -> Questionnaire:
    return questionnaire_publish(questionnaire=draft_of(survey))


def _field_data(form: forms.BaseForm) -> dict[str, object]:
    data: dict[str, object] = {}
    for bound in form:
        value = bound.value()
        widget = bound.field.widget
        if isinstance(widget, forms.MultiWidget):
            parts = value if isinstance(value, list) else widget.decompress(value)
            for suffix, part in zip(widget.widgets_names, parts, strict=False):
                data[bound.html_name + suffix] = part or ""
        elif isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif value is not None:
            data[bound.html_name] = value
    return data


def change_form_data(response: HttpResponse) -> dict[str, object]:
    """What a browser would POST back from an admin change page left as it is (inlines included)."""
    data = _field_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_field_data(formset.management_form))
        for form in formset.forms:
            data.update(_field_data(form))
    return data
