"""Published snapshots, kept in process memory: they never change once published."""

from __future__ import annotations

import datetime
from functools import lru_cache
from typing import Any

from surveys.models import Questionnaire


def snapshot_of(questionnaire: Questionnaire) -> dict[str, Any]:
    """The frozen snapshot of a published version; callers must not modify it."""
    return _load(questionnaire.pk, questionnaire.published_at)


@lru_cache(maxsize=64)
def _load(questionnaire_id: int, published_at: datetime.datetime | None) -> dict[str, Any]:
    # keyed by publication time too, so a reused primary key (tests, restores) never serves another version
    return (
        Questionnaire.objects.filter(pk=questionnaire_id, status=Questionnaire.Status.PUBLISHED)
        .values_list("snapshot", flat=True)
        .get()
    )
