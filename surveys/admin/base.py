"""Shared admin behaviour: team scoping, frozen published versions, translated fields, custom pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from surveys.access import surveys_for_user
from surveys.admin.forms import with_languages
from surveys.models import (
    Choice,
    ChoiceList,
    FrozenQuestionnaireError,
    Question,
    Questionnaire,
    Section,
    Survey,
    Wave,
)


def questionnaire_of(obj: Model | None) -> Questionnaire | None:
    """The version an editing-table object belongs to (None for anything else)."""
    if isinstance(obj, Questionnaire):
        return obj
    if isinstance(obj, Section | ChoiceList | Question):
        return obj.questionnaire
    if isinstance(obj, Choice):
        return obj.choice_list.questionnaire
    return None


def survey_of(obj: Model | None) -> Survey | None:
    if isinstance(obj, Survey):
        return obj
    if isinstance(obj, Wave):
        return obj.survey
    questionnaire = questionnaire_of(obj)
    return questionnaire.survey if questionnaire else None


def is_frozen(request: HttpRequest, obj: Model | None) -> bool:
    """Whether ``obj`` belongs to a published version.

    Answers are cached on the request: a delete confirmation asks for every nested question.
    """
    if obj is None or isinstance(obj, Questionnaire):
        return obj is not None and obj.is_published
    if isinstance(obj, Section | ChoiceList | Question):
        if type(obj).questionnaire.is_cached(obj):
            return obj.questionnaire.is_published
        key, lookup = ("version", obj.questionnaire_id), {"pk": obj.questionnaire_id}
    elif isinstance(obj, Choice):
        key, lookup = ("list", obj.choice_list_id), {"choice_lists": obj.choice_list_id}
    else:
        return False
    cache = request.__dict__.setdefault("_volna_frozen", {})
    if key not in cache:
        cache[key] = Questionnaire.objects.filter(status=Questionnaire.Status.PUBLISHED, **lookup).exists()
    return cache[key]


def require_perm(request: HttpRequest, codename: str) -> None:
    """403 unless the user holds ``surveys.<codename>`` (team scoping gives 404 before this)."""
    if not request.user.has_perm(f"surveys.{codename}"):
        raise PermissionDenied


class TranslatedText:
    """A read-only admin column showing a translated field one language per line."""

    def __init__(self, field: str, label: str) -> None:
        self.field = field
        self.short_description = label
        self.__name__ = f"{field}_translations"

    def __call__(self, obj: Model) -> str:
        texts = getattr(obj, self.field) or {}
        return format_html_join(
            "\n",
            '<span class="volna-translation-line"><span class="volna-lang">{}</span> {}</span>',
            ((language, text) for language, text in texts.items()),
        )


class ScopedMixin:
    """Every queryset limited to the user's teams' surveys; foreign-key choices too."""

    survey_lookup = "survey"
    model: type[Model]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        return queryset.filter(**{f"{self.survey_lookup}__in": surveys_for_user(request.user)})

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        surveys = surveys_for_user(request.user)
        related = db_field.related_model
        if related is Survey:
            kwargs["queryset"] = surveys
        elif related is Group:
            user = request.user
            kwargs["queryset"] = Group.objects.all() if user.is_superuser else user.groups.all()
        elif related in (Questionnaire, ChoiceList, Section):
            lookup = "survey__in" if related is Questionnaire else "questionnaire__survey__in"
            kwargs["queryset"] = related._default_manager.filter(**{lookup: surveys})
        elif related is Question:
            kwargs["queryset"] = Question.objects.filter(questionnaire__survey__in=surveys)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class TranslatedFieldsMixin:
    """Translated JSON fields edited per survey language; shown per language when read-only."""

    model: type[Model]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in getattr(self.model, "translated_fields", ()):
            label = str(self.model._meta.get_field(field).verbose_name).capitalize()
            setattr(self, f"{field}_translations", TranslatedText(field, label))

    def volna_survey(self, request: HttpRequest, obj: Model | None) -> Survey | None:
        """The survey whose languages the form edits (``obj`` is the parent for inlines)."""
        return survey_of(obj)

    def volna_read_only(self, request: HttpRequest, obj: Model | None) -> bool:
        return not self.has_change_permission(request, obj)  # type: ignore[attr-defined]

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None):
        fieldsets = super().get_fieldsets(request, obj)  # type: ignore[misc]
        if not self.volna_read_only(request, obj):
            return fieldsets
        translated = set(getattr(self.model, "translated_fields", ()))

        def shown(name: str) -> str:
            return f"{name}_translations" if name in translated else name

        return [(title, {**opts, "fields": [shown(f) for f in opts["fields"]]}) for title, opts in fieldsets]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None):
        readonly = tuple(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if not self.volna_read_only(request, obj):
            return readonly
        return readonly + tuple(f"{f}_translations" for f in getattr(self.model, "translated_fields", ()))

    def volna_form_attrs(self, request: HttpRequest, obj: Model | None) -> dict[str, Any]:
        """Extra class attributes for the form (e.g. the version whose lists a question may use)."""
        return {}

    def _volna_form(self, request: HttpRequest, obj: Model | None, form: type) -> type:
        return with_languages(form, self.volna_survey(request, obj), **self.volna_form_attrs(request, obj))

    def get_form(self, request: HttpRequest, obj: Model | None = None, **kwargs: Any):
        kwargs["form"] = self._volna_form(request, obj, kwargs.get("form", self.form))  # type: ignore[attr-defined]
        return super().get_form(request, obj, **kwargs)  # type: ignore[misc]

    def get_formset(self, request: HttpRequest, obj: Model | None = None, **kwargs: Any):
        kwargs["form"] = self._volna_form(request, obj, kwargs.get("form", self.form))  # type: ignore[attr-defined]
        return super().get_formset(request, obj, **kwargs)  # type: ignore[misc]


class FrozenMixin:
    """A published version and its parts can be viewed, never added to, changed or deleted."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        args = (request, obj) if isinstance(self, admin.options.InlineModelAdmin) else (request,)
        return super().has_add_permission(*args) and not is_frozen(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and not is_frozen(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and not is_frozen(request, obj)  # type: ignore[misc]


class VolnaModelAdmin(ScopedMixin, TranslatedFieldsMixin, admin.ModelAdmin):
    """Base of every Volna ModelAdmin: 404 for other teams' objects, friendly frozen/conflict errors."""

    class Media:
        css = {"all": ("admin/volna/volna.css",)}

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("Not found."))
        return obj

    def changeform_view(self, request: HttpRequest, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (FrozenQuestionnaireError, IntegrityError) as error:
            return self._refused(request, error)

    def delete_view(self, request: HttpRequest, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except (FrozenQuestionnaireError, IntegrityError) as error:
            return self._refused(request, error)

    def _refused(self, request: HttpRequest, error: Exception) -> HttpResponse:
        if isinstance(error, FrozenQuestionnaireError):
            text = " ".join(error.messages)
        else:
            text = _("Nothing was saved: it conflicts with another object (a name or code used twice?).")
        self.message_user(request, text, messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def volna_render(
        self, request: HttpRequest, template: str, obj: Model | None, title: str, **context: Any
    ) -> TemplateResponse:
        """Render a custom page inside the admin chrome, with breadcrumbs back to ``obj``."""
        full_context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "title": title,
            "has_view_permission": self.has_view_permission(request, obj),
            **context,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, template, full_context)


class VolnaInline(ScopedMixin, TranslatedFieldsMixin):
    """Base of Volna inlines (mix into TabularInline / StackedInline)."""

    # Expressions are short: a ten-row textarea per row would make a page of pages unreadable.
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}}
