"""The buttons of a questionnaire version: download, translate, preview, check, publish, create a wave.

Each view: access helper (404 for other teams) → permission (403) → form → service → redirect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from surveys import services
from surveys.access import questionnaire_access
from surveys.admin import grid, preview
from surveys.admin.action_forms import WaveCreateForm
from surveys.admin.base import VolnaModelAdmin, require_perm
from surveys.models import FrozenQuestionnaireError, Questionnaire
from surveys.snapshot import questionnaire_compile
from surveys.xlsform import xlsform_export

if TYPE_CHECKING:
    _AdminBase = VolnaModelAdmin
else:
    _AdminBase = object

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _change_url(questionnaire_id: int) -> str:
    return reverse("admin:surveys_questionnaire_change", args=[questionnaire_id])


class QuestionnaireActionsMixin(_AdminBase):
    """Custom pages of QuestionnaireAdmin (mixed into a VolnaModelAdmin)."""

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        prefix = "surveys_questionnaire"
        return [
            path("<path:object_id>/download/", wrap(self.download_view), name=f"{prefix}_download"),
            path(
                "<path:object_id>/translations/", wrap(self.translations_view), name=f"{prefix}_translations"
            ),
            path(
                "<path:object_id>/preview/<str:language>/", wrap(self.preview_view), name=f"{prefix}_preview"
            ),
            path("<path:object_id>/publish/", wrap(self.publish_view), name=f"{prefix}_publish"),
            path("<path:object_id>/checks/", wrap(require_POST(self.checks_view)), name=f"{prefix}_checks"),
            path("<path:object_id>/waves/new/", wrap(self.wave_create_view), name=f"{prefix}_wave_create"),
            *super().get_urls(),
        ]

    def download_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The version as an XLSForm workbook, named ``<survey-slug>-v<N>.xlsx``."""
        questionnaire = questionnaire_access(request.user, object_id)
        require_perm(request, "view_questionnaire")
        content = xlsform_export(questionnaire)
        filename = f"{questionnaire.survey.slug}-v{questionnaire.number}.xlsx"
        response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
        return response

    def translations_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Every string of the version side by side in every survey language."""
        questionnaire = questionnaire_access(request.user, object_id)
        require_perm(request, "view_questionnaire")
        editable = not questionnaire.is_published and request.user.has_perm("surveys.change_questionnaire")
        if request.method == "POST":
            if not editable:
                refused = _("This version is published: its texts cannot change.")
                self.message_user(request, refused, messages.ERROR)
            else:
                self._grid_save(request, questionnaire)
            return HttpResponseRedirect(request.get_full_path())
        page = grid.grid_page(questionnaire, request.GET)
        return self.volna_render(
            request,
            "admin/surveys/questionnaire/translations.html",
            questionnaire,
            _("Translations of %(version)s") % {"version": questionnaire},
            grid=page,
            editable=editable,
        )

    def _grid_save(self, request: HttpRequest, questionnaire: Questionnaire) -> None:
        try:
            changed = grid.grid_save(questionnaire, request.POST)
        except FrozenQuestionnaireError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return
        if changed:
            text = ngettext("Saved %(n)d changed text.", "Saved %(n)d changed texts.", changed) % {
                "n": changed
            }
            self.message_user(request, text, messages.SUCCESS)
        else:
            self.message_user(request, _("Nothing changed."), messages.INFO)

    def preview_view(self, request: HttpRequest, object_id: str, language: str) -> HttpResponse:
        """The version as respondents would read it in ``language``, with logic shown as notes."""
        questionnaire = questionnaire_access(request.user, object_id)
        require_perm(request, "view_questionnaire")
        survey = questionnaire.survey
        if language not in survey.languages:
            raise Http404(_("Not a language of this survey."))
        if questionnaire.is_published:
            snapshot = questionnaire.snapshot
        else:
            snapshot = questionnaire_compile(questionnaire)
        return self.volna_render(
            request,
            "admin/surveys/questionnaire/preview.html",
            questionnaire,
            _("Preview of %(version)s in %(language)s") % {"version": questionnaire, "language": language},
            preview=preview.preview_build(snapshot, language),
            language=language,
            languages=survey.languages,
        )

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Confirm, then freeze the version; a refusal lists every problem."""
        questionnaire = questionnaire_access(request.user, object_id)
        require_perm(request, "change_questionnaire")
        if questionnaire.is_published:
            self.message_user(request, _("This version is already published."), messages.INFO)
            return HttpResponseRedirect(_change_url(questionnaire.pk))
        problems: list[str] = []
        if request.method == "POST":
            try:
                services.questionnaire_publish(questionnaire=questionnaire)
            except services.PublishRefused as refused:
                problems = refused.problems
            except services.InvalidTransition as error:
                self.message_user(request, str(error), messages.ERROR)
                return HttpResponseRedirect(_change_url(questionnaire.pk))
            else:
                text = _("Published version %(n)s. It can no longer change.") % {"n": questionnaire.number}
                self.message_user(request, text, messages.SUCCESS)
                return HttpResponseRedirect(_change_url(questionnaire.pk))
        return self.volna_render(
            request,
            "admin/surveys/questionnaire/publish.html",
            questionnaire,
            _("Publish %(version)s") % {"version": questionnaire},
            problems=problems,
        )

    def checks_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Start the pre-publication checks and go to the page that follows the run."""
        questionnaire = questionnaire_access(request.user, object_id)
        require_perm(request, "add_checkrun")
        run = services.check_run_start(questionnaire=questionnaire)
        return HttpResponseRedirect(reverse("admin:surveys_checkrun_change", args=[run.pk]))

    def wave_create_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A new draft wave on this (published) version."""
        questionnaire = questionnaire_access(request.user, object_id)
        require_perm(request, "add_wave")
        if not questionnaire.is_published:
            refused = _("Publish this version before creating a wave on it.")
            self.message_user(request, refused, messages.ERROR)
            return HttpResponseRedirect(_change_url(questionnaire.pk))
        posted = request.method == "POST"
        form = WaveCreateForm(request.POST if posted else None, survey=questionnaire.survey)
        if posted and form.is_valid():
            try:
                wave = services.wave_create(questionnaire=questionnaire, **form.cleaned_data)
            except services.InvalidTransition as error:
                self.message_user(request, str(error), messages.ERROR)
                return HttpResponseRedirect(_change_url(questionnaire.pk))
            text = _("Created wave %(n)s. Open it when you are ready.") % {"n": wave.number}
            self.message_user(request, text, messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:surveys_wave_change", args=[wave.pk]))
        return self.volna_render(
            request,
            "admin/surveys/questionnaire/wave_create.html",
            questionnaire,
            _("New wave on %(version)s") % {"version": questionnaire},
            form=form,
        )
