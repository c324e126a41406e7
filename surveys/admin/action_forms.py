"""Forms of the custom admin pages: XLSForm upload, new version, new wave."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from surveys.admin.forms import TranslatedTextField
from surveys.models import Questionnaire, Survey, Wave


class XLSFormUploadForm(forms.Form):
    file = forms.FileField(
        label=_("XLSForm file"),
        help_text=_(
            "An .xlsx workbook with survey, choices and settings sheets (KoboToolbox, ODK, SurveyCTO)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        limit = settings.VOLNA_XLSFORM_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(
                _("The file is %(size)s bytes; the largest accepted is %(limit)s bytes."),
                params={"size": upload.size, "limit": limit},
            )
        name = upload.name.lower()
        if name.endswith((".xlsm", ".xltm", ".xlam")):
            raise ValidationError(
                _("Macro-enabled workbooks are refused: save the form as an .xlsx workbook (no macros).")
            )
        if not name.endswith(".xlsx"):
            raise ValidationError(_("Upload an .xlsx workbook."))
        return upload


class NewVersionForm(forms.Form):
    source = forms.ChoiceField(
        label=_("Start from"), help_text=_("Copying keeps variable names, so waves line up.")
    )

    def __init__(self, *args: Any, versions: Sequence[Questionnaire] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("An empty version"))]
        for version in versions:
            label = _("A copy of version %(n)s (%(status)s)") % {
                "n": version.number,
                "status": version.get_status_display(),
            }
            choices.append((str(version.pk), label))
        self.fields["source"].choices = choices
        self.fields["source"].required = False
        if versions:
            self.fields["source"].initial = str(versions[0].pk)


class WaveCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=200, help_text=_("For researchers, e.g. “Spring 2026”.")
    )
    mode = forms.ChoiceField(label=_("Mode"), choices=Wave.Mode.choices, initial=Wave.Mode.OPEN_LINK)

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        languages = [survey.default_language, *(x for x in survey.languages if x != survey.default_language)]
        texts = (
            (
                "welcome",
                _("Welcome text"),
                _("Shown before the first page. Optional; if given, in every language."),
            ),
            (
                "thanks",
                _("Thank-you text"),
                _("Shown after the last page. Optional; if given, in every language."),
            ),
        )
        for name, label, help_text in texts:
            self.fields[name] = TranslatedTextField(
                languages=languages,
                source_language=survey.default_language,
                long_text=True,
                label=label,
                help_text=help_text,
            )
