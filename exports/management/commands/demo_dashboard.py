"""``manage.py demo_dashboard``: dashboard settings for the demo survey and a first snapshot of each wave.

Run by ``make demo`` after ``load_demo``. The settings show every part of the dashboard on the demo
data: breakdowns by gender and by when people left, the before/after pair of civic activities, two
population benchmarks and weights by gender. The benchmark and margin figures are **illustrative**
(they are labelled so), not official statistics. Idempotent: settings are created once, and a wave
gets a snapshot only when it has none.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from exports.aggregation.selectors import snapshot_latest
from exports.aggregation.services import AggregationFailed, aggregation_compute_now
from exports.models import AggregateSnapshot, BeforeAfterPair, Breakdown, PopulationBenchmark, WeightMargin
from surveys.models import Survey

SURVEY_SLUG = "emigrants-2022"
BREAKDOWNS = ("gender", "departure")
PAIRS = (("act_before", "act_after", "Civic activity in the last year in Russia and since leaving"),)
BENCHMARKS = (
    ("education", "higher", Decimal("27.00"), "Illustrative: adult population with higher education"),
    ("finances", "car", Decimal("4.00"), "Illustrative: population able to afford a car"),
)
MARGINS = {"gender": {"female": Decimal("50.00"), "male": Decimal("48.00"), "other": Decimal("2.00")}}


class Command(BaseCommand):
    help = "Dashboard settings for the demo survey and a first aggregate snapshot of each of its waves."

    def handle(self, *args: Any, **options: Any) -> None:
        survey = Survey.objects.filter(slug=SURVEY_SLUG).first()
        if survey is None:
            raise CommandError(f"No survey {SURVEY_SLUG}: run load_demo first.")
        self._plan(survey)
        for wave in survey.waves.order_by("number"):
            if snapshot_latest(wave) is not None or not wave.responses.exists():
                continue
            try:
                snapshot = aggregation_compute_now(wave=wave)
            except AggregationFailed as error:
                raise CommandError(str(error)) from None
            if snapshot.status != AggregateSnapshot.Status.DONE:
                raise CommandError(f"The aggregation of {wave} failed: {snapshot.error}")
            self.stdout.write(
                f"Dashboard of wave {wave.number}: figures from {snapshot.responses} responses."
            )

    def _plan(self, survey: Survey) -> None:
        if survey.breakdowns.exists() or survey.before_after_pairs.exists():
            return
        for position, variable in enumerate(BREAKDOWNS):
            Breakdown.objects.create(survey=survey, variable=variable, position=position)
        for before, after, label in PAIRS:
            BeforeAfterPair.objects.create(survey=survey, before=before, after=after, label=label)
        for variable, code, share, source in BENCHMARKS:
            PopulationBenchmark.objects.create(
                survey=survey, variable=variable, code=code, share_percent=share, source=source
            )
        for variable, shares in MARGINS.items():
            for code, share in shares.items():
                WeightMargin.objects.create(survey=survey, variable=variable, code=code, share_percent=share)
        self.stdout.write("Created the demo's dashboard settings.")
