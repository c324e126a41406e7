"""Published snapshots and waves, kept in process memory on the respondent's hot path.

A published snapshot never changes, so it is loaded once per process. A wave (its status, mode,
texts) is kept for a few seconds: a closed wave may still *show* a page for that long, but every
save re-reads the wave's status under lock, so nothing is stored after it closed.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from django.conf import settings

from surveys.models import Questionnaire, Wave

_waves: dict[str, tuple[float, Wave | None]] = {}


def snapshot_of(questionnaire: Questionnaire | int) -> dict[str, Any]:
    """The frozen snapshot of a published version; callers must not modify it."""
    return _load(questionnaire if isinstance(questionnaire, int) else questionnaire.pk)


@lru_cache(maxsize=64)
def _load(questionnaire_id: int) -> dict[str, Any]:
    return (
        Questionnaire.objects.filter(pk=questionnaire_id, status=Questionnaire.Status.PUBLISHED)
        .values_list("snapshot", flat=True)
        .get()
    )


def wave_by_slug(slug: str) -> Wave | None:
    """The wave with this public slug (and its survey), from memory when fetched moments ago."""
    now = time.monotonic()
    cached = _waves.get(slug)
    if cached is not None and cached[0] > now:
        return cached[1]
    wave = Wave.objects.select_related("survey").filter(slug=slug[:32]).first()
    if len(_waves) > 1000:
        _waves.clear()
    _waves[slug] = (now + settings.VOLNA_WAVE_CACHE_SECONDS, wave)
    return wave


def caches_clear() -> None:
    """Forget everything kept in memory (tests reuse primary keys after rolling back)."""
    _load.cache_clear()
    _waves.clear()
