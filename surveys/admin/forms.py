"""Form fields and forms of the researchers' admin.

Translated JSON fields (``{"en": "...", "ru": "..."}``) are edited as one input per survey language;
saving records which source text each translation was made from, so staleness works
(``TranslatableModel.set_translation``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from surveys.models import Question, Survey
from surveys.translation import LANGUAGE_CODE_RE, TranslatableModel

# Fields that hold running text get a textarea; the others a one-line input.
LONG_TEXT_FIELDS = frozenset({"label", "hint", "welcome", "thanks"})
# Fields that must have a text in the source language.
SOURCE_REQUIRED_FIELDS = frozenset({("survey", "title"), ("question", "label"), ("choice", "label")})


class TranslatedTextWidget(forms.MultiWidget):
    """One input per language, each with a visible label naming its language."""

    def __init__(self, languages: Sequence[str], source_language: str, long_text: bool = False) -> None:
        self.languages = list(languages)
        self.source_language = source_language
        widgets: dict[str, forms.Widget] = {}
        for lang in self.languages:
            if long_text:
                widgets[lang] = forms.Textarea(
                    attrs={"rows": 2, "cols": 60, "lang": lang, "class": "vLargeTextField"}
                )
            else:
                widgets[lang] = forms.TextInput(attrs={"lang": lang, "class": "vTextField"})
        super().__init__(widgets)

    def decompress(self, value: Any) -> list[str]:
        texts = value if isinstance(value, dict) else {}
        return [str(texts.get(lang, "")) for lang in self.languages]

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer=None) -> str:
        if not isinstance(value, list | tuple):
            value = self.decompress(value)
        final_attrs = self.build_attrs(self.attrs, attrs)
        base_id = final_attrs.pop("id", None) or f"id_{name}"
        rows = []
        for lang, widget, text in zip(self.languages, self.widgets, value, strict=False):
            sub_id = f"{base_id}_{lang}"
            control = widget.render(f"{name}_{lang}", text, {**final_attrs, "id": sub_id}, renderer)
            caption = _("%(code)s (source)") % {"code": lang} if lang == self.source_language else lang
            rows.append((sub_id, caption, control))
        inner = format_html_join(
            "",
            '<div class="volna-translation"><label class="volna-lang" for="{}">{}</label>{}</div>',
            rows,
        )
        return format_html('<div class="volna-translated">{}</div>', inner)

    def id_for_label(self, id_: str) -> str:
        return ""  # each input has its own label naming its language


class TranslatedTextField(forms.MultiValueField):
    """A ``{language: text}`` map edited as one input per survey language (empty texts dropped)."""

    def __init__(
        self,
        *,
        languages: Sequence[str],
        source_language: str,
        long_text: bool = False,
        source_required: bool = False,
        **kwargs: Any,
    ) -> None:
        self.languages = list(languages)
        fields = []
        for lang in self.languages:
            required = source_required and lang == source_language
            message = _("Enter the text in %(code)s, the source language.") % {"code": lang}
            fields.append(forms.CharField(required=required, error_messages={"incomplete": message}))
        widget = TranslatedTextWidget(self.languages, source_language, long_text)
        super().__init__(
            fields=fields, widget=widget, require_all_fields=False, required=source_required, **kwargs
        )

    def compress(self, data_list: list[str]) -> dict[str, str]:
        return {lang: text for lang, text in zip(self.languages, data_list or [], strict=False) if text}


def apply_text_changes(
    instance: TranslatableModel,
    field: str,
    before: dict[str, str],
    after: dict[str, str],
    languages: Sequence[str],
    source_language: str,
) -> None:
    """Write the languages whose text changed, source first, recording translation sources."""
    setattr(instance, field, dict(before))
    ordered = [source_language, *(lang for lang in languages if lang != source_language)]
    for lang in ordered:
        new, old = after.get(lang, ""), str(before.get(lang, ""))
        if new == old:
            continue
        if new:
            instance.set_translation(field, lang, new, source_language)
        else:
            texts = dict(getattr(instance, field) or {})
            texts.pop(lang, None)
            setattr(instance, field, texts)


class TranslatedModelForm(forms.ModelForm):
    """A ModelForm whose translated JSON fields are edited per language.

    The languages are class attributes, set per survey by ``with_languages``.
    """

    volna_languages: ClassVar[list[str]] = []
    volna_source_language: ClassVar[str] = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._texts_before: dict[str, dict[str, str]] = {}
        if not self.volna_languages:
            return
        model_name = self._meta.model._meta.model_name
        for name in getattr(self._meta.model, "translated_fields", ()):
            if name not in self.fields:
                continue
            self._texts_before[name] = dict(getattr(self.instance, name) or {})
            old = self.fields[name]
            self.fields[name] = TranslatedTextField(
                languages=self.volna_languages,
                source_language=self.volna_source_language,
                long_text=name in LONG_TEXT_FIELDS,
                source_required=(model_name, name) in SOURCE_REQUIRED_FIELDS,
                label=old.label,
                help_text=old.help_text,
            )

    def _post_clean(self) -> None:
        super()._post_clean()
        for name, before in self._texts_before.items():
            if name in self.cleaned_data:
                apply_text_changes(
                    self.instance,
                    name,
                    before,
                    self.cleaned_data[name],
                    self.volna_languages,
                    self.volna_source_language,
                )


def with_languages(form_class: type[forms.ModelForm], survey: Survey | None, **attrs: Any) -> type:
    """``form_class`` bound to ``survey``'s languages (the source language first)."""
    if survey is not None:
        languages = [survey.default_language, *(x for x in survey.languages if x != survey.default_language)]
        attrs = {"volna_languages": languages, "volna_source_language": survey.default_language, **attrs}
    return type(form_class.__name__, (form_class,), attrs) if attrs else form_class


class LanguagesField(forms.CharField):
    """Survey languages typed as a comma-separated list of codes (``ru, en, uk``)."""

    default_help_text = _("Language codes separated by commas, e.g. “ru, en, uk”. The order is kept.")

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(code) for code in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list | tuple):
            return [str(code) for code in value]
        text = super().to_python(value) or ""
        return [code.strip() for code in text.replace(";", ",").split(",") if code.strip()]

    def validate(self, value: list[str]) -> None:
        if not value:
            if self.required:
                raise ValidationError(_("List at least one language code."), code="required")
            return
        bad = [code for code in value if not LANGUAGE_CODE_RE.match(code)]
        if bad:
            raise ValidationError(
                _("Not language codes: %(codes)s. Use codes like “en”, “ru” or “pt-BR”."),
                params={"codes": ", ".join(bad)},
                code="invalid",
            )
        if len(set(value)) != len(value):
            raise ValidationError(_("A language is listed twice."), code="duplicate")

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {**super().widget_attrs(widget), "size": 40}


class SurveyForm(TranslatedModelForm):
    """Survey add/change form. On add, the title is typed once, in the default language."""

    languages = LanguagesField(help_text=LanguagesField.default_help_text)

    class Meta:
        model = Survey
        fields = (
            "slug",
            "title",
            "languages",
            "default_language",
            "team",
            "date_precision",
            "small_cell_k",
            "is_panel",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and "title" in self.fields:
            self.fields["title"] = forms.CharField(
                label=_("Title"),
                max_length=500,
                help_text=_("In the default language. Translations are added after the survey is created."),
            )

    def _post_clean(self) -> None:
        if self.instance.pk is None and isinstance(self.cleaned_data.get("title"), str):
            language = self.cleaned_data.get("default_language") or ""
            self.cleaned_data["title"] = {language: self.cleaned_data["title"]}
        super()._post_clean()


QUESTION_HELP = {
    "name": _("The variable name in exports (a-z first, then a-z, 0-9, _). Keep it stable across versions."),
    "position": _("Order on the page: smaller first."),
    "relevant": _("Ask only when this is true, e.g. ${consent} = 'yes'. Empty: always."),
    "constraint": _("Accept the answer only when this is true; “.” is the answer, e.g. . >= 1930."),
    "constraint_message": _("Shown to the respondent when the constraint is not met."),
    "appearance": _("XLSForm appearance, e.g. minimal, likert, multiline."),
}


class QuestionForm(TranslatedModelForm):
    """A question inside its version: pages, lists and matrices come from the same version."""

    volna_questionnaire_id: ClassVar[int | None] = None

    class Meta:
        model = Question
        fields = (
            "section",
            "parent",
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
            "choice_list",
            "has_other",
            "randomize",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        questionnaire_id = self.instance.questionnaire_id or self.volna_questionnaire_id
        if not self.instance.questionnaire_id:
            self.instance.questionnaire_id = questionnaire_id
        for name, help_text in QUESTION_HELP.items():
            if name in self.fields and not self.fields[name].help_text:
                self.fields[name].help_text = help_text
        for name, extra in (("section", {}), ("choice_list", {}), ("parent", {"type": Question.Type.MATRIX})):
            if name in self.fields:
                field = self.fields[name]
                field.queryset = field.queryset.filter(questionnaire_id=questionnaire_id, **extra)  # type: ignore[attr-defined]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if self.instance.pk and "name" not in self.changed_data:
            return name  # unchanged: the database already holds it unique
        taken = Question.objects.filter(questionnaire_id=self.instance.questionnaire_id, name=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(
                _("Another question of this version is already named “%(name)s”."), params={"name": name}
            )
        return name

    def clean_parent(self) -> Question | None:
        parent = self.cleaned_data.get("parent")
        if parent is not None and self.instance.pk and parent.pk == self.instance.pk:
            raise ValidationError(_("A question cannot be an item of itself."))
        return parent


class QuestionFormSet(forms.BaseInlineFormSet):
    """The questions of one page.

    The choices of the list and matrix selects are read once for the whole page, not once per
    question; two questions of one submit cannot share a variable name (the database would refuse).
    """

    def _construct_form(self, i: int, **kwargs: Any) -> forms.Form:
        form = super()._construct_form(i, **kwargs)
        self._share_choices(form)
        return form

    @property
    def empty_form(self) -> forms.Form:
        form = super().empty_form
        self._share_choices(form)
        return form

    def _share_choices(self, form: forms.Form) -> None:
        cache = self.__dict__.setdefault("_volna_choices", {})
        for name in ("choice_list", "parent"):
            if name in form.fields:
                if name not in cache:
                    cache[name] = list(form.fields[name].choices)  # type: ignore[attr-defined]
                form.fields[name].choices = cache[name]  # type: ignore[attr-defined]

    def clean(self) -> None:
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            if not form.has_changed() or self._should_delete_form(form):
                continue
            name = form.cleaned_data.get("name")
            if name and name in seen:
                form.add_error("name", _("This variable name is used twice on this page."))
            seen.add(name)
