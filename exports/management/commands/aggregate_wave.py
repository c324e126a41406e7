"""aggregate_wave WAVE: compute a wave's dashboard figures now, store them, print a summary."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exports.aggregation.services import AggregationFailed, aggregation_compute_now
from exports.management.commands.export_wave import find_wave
from exports.models import AggregateSnapshot

STATUSES = (("completed", "completed"), ("screened_out", "screened out"), ("in_progress", "in progress"))


def _label(texts: Any, language: str, fallback: str) -> str:
    if isinstance(texts, dict) and texts:
        return str(texts.get(language) or next(iter(texts.values())) or fallback)
    return fallback


def _cell_text(cell: Any, k: int) -> str:
    """'    1,234   51.7%', or '< k' for a suppressed cell (its count is not in the figures)."""
    if not isinstance(cell, dict) or cell.get("suppressed"):
        return f"{'< ' + str(k):>9}"
    count, share = cell.get("count"), cell.get("share")
    count_text = f"{count:,}" if isinstance(count, int) else "—"
    share_text = f"{share * 100:5.1f}%" if isinstance(share, int | float) else ""
    return f"{count_text:>9}  {share_text}".rstrip()


def _ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Largest counts first; suppressed cells (count unknown) after them, in questionnaire order."""

    def key(row: dict[str, Any]) -> tuple[int, int]:
        cell = row.get("cell") or {}
        count = cell.get("count")
        return (1, 0) if cell.get("suppressed") or count is None else (0, -count)

    return sorted(rows, key=key)


def snapshot_summary(snapshot: AggregateSnapshot, *, top: int = 5) -> list[str]:
    """The lines the command prints: n by status, then the top lines of every frequency."""
    figures = snapshot.figures or {}
    k = figures.get("k", snapshot.wave.survey.small_cell_k)
    language = figures.get("default_language") or snapshot.wave.survey.default_language
    counts = figures.get("n") or {}
    by_status = ", ".join(f"{name} {counts.get(key, 0):,}" for key, name in STATUSES)
    lines = [
        f"{snapshot.wave}: figures computed {snapshot.computed_at:%Y-%m-%d %H:%M %Z} "
        f"(snapshot {snapshot.pk}, cells under {k} suppressed)",
        f"Responses: {counts.get('all', snapshot.responses):,} ({by_status})",
    ]
    for question in figures.get("questions") or []:
        name = question.get("name", "?")
        lines += [
            "",
            f"{name} — {_label(question.get('label'), language, name)} "
            f"({question.get('type', '?')}, base {question.get('base', 0):,})",
        ]
        rows = _ranked(list(question.get("rows") or []))
        for row in rows[:top]:
            code = str(row.get("code", ""))
            lines.append(
                f"  {code:<12} {_label(row.get('label'), language, code)[:32]:<32} "
                f"{_cell_text(row.get('cell'), k)}"
            )
        if len(rows) > top:
            lines.append(f"  … {len(rows) - top} more")
        if question.get("no_answer") is not None:
            lines.append(f"  {'(no answer)':<45} {_cell_text(question['no_answer'], k)}")
    numbers = figures.get("numbers") or []
    if numbers:
        lines.append("")
    for number in numbers:
        name = number.get("name", "?")
        if number.get("suppressed"):
            lines.append(f"{name}: n < {k}")
            continue
        stats = ", ".join(
            f"{stat} {number[stat]:g}"
            for stat in ("median", "mean", "min", "max")
            if isinstance(number.get(stat), int | float)
        )
        lines.append(f"{name}: n {number.get('n', 0):,}, {stats}")
    return lines


class Command(BaseCommand):
    help = (
        "Compute the dashboard figures of a wave now (WAVE is the wave's id or public slug), store them as "
        "its latest snapshot, and print the response counts and the top lines of every frequency."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("wave")
        parser.add_argument("--top", type=int, default=5, help="answers shown per question (default 5)")

    def handle(self, *args: Any, **options: Any) -> None:
        wave = find_wave(options["wave"])
        try:
            snapshot = aggregation_compute_now(wave=wave)
        except AggregationFailed as error:
            raise CommandError(str(error)) from None
        if snapshot.status != AggregateSnapshot.Status.DONE:
            raise CommandError(f"The aggregation of {wave} failed: {snapshot.error}")
        self.stdout.write("\n".join(snapshot_summary(snapshot, top=max(1, options["top"]))))
