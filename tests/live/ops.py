"""What a live test asks of the private stack's own database, through the services (not through SQL).

Run as ``python -m tests.live.ops OPERATION ARGS`` in the stack's environment (``Stack.ops``): a
process of its own, so that the test process keeps its own database configuration. Prints JSON.

- ``wave-new NAME``: a new open wave on the demo survey's published version.
- ``export-jobs WAVE FORMAT...``: queue export jobs of a wave (the stack's worker writes them).
- ``exports-reconcile SECONDS``: the export reconciler, with "stale" meaning no heartbeat for SECONDS.
- ``aggregate-beat``: what the beat's aggregation job does (queue a snapshot of each changed wave).
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from typing import Any

THANKS = {"en": "Thank you (live test).", "ru": "Спасибо (live test)."}
WELCOME = {"en": "Welcome (live test).", "ru": "Добро пожаловать (live test)."}


def wave_new(name: str) -> dict[str, Any]:
    from surveys.models import Questionnaire, Survey
    from surveys.services import wave_create, wave_open

    survey = Survey.objects.get(slug="emigrants-2022")
    questionnaire = survey.questionnaires.filter(status=Questionnaire.Status.PUBLISHED).latest("number")
    wave = wave_open(wave=wave_create(questionnaire=questionnaire, name=name, welcome=WELCOME, thanks=THANKS))
    return {"id": wave.pk, "slug": wave.slug}


def export_jobs(wave_id: str, *formats: str) -> list[str]:
    from exports.services import export_job_create
    from surveys.models import Wave

    wave = Wave.objects.select_related("survey").get(pk=int(wave_id))
    jobs = [
        export_job_create(survey=wave.survey, waves=[wave], format=fmt, options={"include": "all"}, user=None)
        for fmt in formats
    ]
    return [str(job.pk) for job in jobs]


def exports_reconcile(seconds: str) -> int:
    from exports.services import export_jobs_reconcile

    return export_jobs_reconcile(stale_after=timedelta(seconds=float(seconds)))


def aggregate_beat() -> int:
    from exports.aggregation.services import aggregate_open_waves

    return aggregate_open_waves()


OPERATIONS = {
    "wave-new": wave_new,
    "export-jobs": export_jobs,
    "exports-reconcile": exports_reconcile,
    "aggregate-beat": aggregate_beat,
}


def main(argv: list[str]) -> None:
    import django

    django.setup()
    operation, *args = argv
    print(json.dumps(OPERATIONS[operation](*args)))


if __name__ == "__main__":
    main(sys.argv[1:])
