"""Translated text: a map from language code to string on every field that people read.

A translation remembers a hash of the source-language text it was made from
(``translation_sources[field][language]``). When the source text changes, the hash no longer
matches and the translation is *stale* until someone edits it again. Why this shape:
docs/decisions.md ("How translations are stored").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from django.db import models

LANGUAGE_CODE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def source_hash(text: str) -> str:
    """A short fingerprint of a source text (whitespace at the ends ignored)."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:16]


def text_in(texts: Mapping[str, str] | None, language: str, fallback: str | None = None) -> str:
    """The text in ``language``, else in ``fallback``, else ''."""
    if not texts:
        return ""
    value = texts.get(language) or (texts.get(fallback) if fallback else "") or ""
    return str(value)


class TranslatableModel(models.Model):
    """Abstract base for models with translated JSON text fields."""

    translated_fields: ClassVar[tuple[str, ...]] = ()

    translation_sources = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        abstract = True

    def translation_state(self, field: str, language: str, source_language: str) -> str:
        """'missing', 'stale', 'ok' or 'source' for one field in one language."""
        texts: dict[str, Any] = getattr(self, field) or {}
        if language == source_language:
            return "source" if texts.get(language, "").strip() else "missing"
        if not str(texts.get(language, "")).strip():
            return "missing"
        recorded = (self.translation_sources or {}).get(field, {}).get(language)
        source_text = str(texts.get(source_language, ""))
        if recorded is not None and recorded != source_hash(source_text):
            return "stale"
        return "ok"

    def set_translation(self, field: str, language: str, text: str, source_language: str) -> None:
        """Set one translation (not saved) and record the source text it was made from."""
        texts = dict(getattr(self, field) or {})
        texts[language] = text
        setattr(self, field, texts)
        sources = dict(self.translation_sources or {})
        field_sources = dict(sources.get(field, {}))
        if language != source_language:
            field_sources[language] = source_hash(str(texts.get(source_language, "")))
        sources[field] = field_sources
        self.translation_sources = sources

    def mark_translations_current(self, source_language: str) -> None:
        """Record every present translation as made from the current source (used on import)."""
        sources: dict[str, dict[str, str]] = {}
        for field in self.translated_fields:
            texts = getattr(self, field) or {}
            digest = source_hash(str(texts.get(source_language, "")))
            sources[field] = {lang: digest for lang in texts if lang != source_language}
        self.translation_sources = sources
