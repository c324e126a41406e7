"""export_wave WAVE --format csv|sav|dta|codebook|panel --out FILE: an export for scripts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from exports.models import ExportJob
from exports.services import export_file_write
from surveys.models import Wave

FORMATS = ("csv", "sav", "dta", "codebook", "panel")


def find_wave(key: str) -> Wave:
    """A wave by public slug or id."""
    found = Wave.objects.filter(slug=key).first() or (
        Wave.objects.filter(pk=int(key)).first() if key.isdigit() else None
    )
    if found is None:
        raise CommandError(f"No wave {key!r} (give its id or slug).")
    return found


def plan_request(wave: Wave, fmt: str, layout: str | None, out: Path) -> tuple[list[Wave], str, str]:
    """The waves, job format and layout that the command's options ask for.

    ``panel`` is CSV in the panel layout (long unless ``--layout wide``); ``--layout`` with csv, sav or
    dta exports every wave of the survey in that panel layout; ``codebook`` is HTML when FILE ends
    in .html, CSV otherwise.
    """
    if fmt == "codebook":
        job_format = (
            ExportJob.Format.CODEBOOK_HTML if out.suffix.lower() in (".html", ".htm") else "codebook_csv"
        )
    else:
        job_format = "csv" if fmt == "panel" else fmt
    if fmt == "panel" and layout is None:
        layout = "long"
    if layout is None:
        return [wave], job_format, ExportJob.Layout.WAVE
    panel_layout = ExportJob.Layout.PANEL_WIDE if layout == "wide" else ExportJob.Layout.PANEL_LONG
    return list(wave.survey.waves.order_by("number")), job_format, panel_layout


class Command(BaseCommand):
    help = (
        "Export a wave (WAVE is the wave's id or public slug) to FILE, synchronously, through the same "
        "writers as the admin. 'panel' exports every wave of a panel survey (long, or --layout wide)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("wave")
        parser.add_argument("--format", choices=FORMATS, required=True, dest="fmt")
        parser.add_argument("--out", required=True, help="file to write (replaced atomically)")
        parser.add_argument("--values", choices=("codes", "labels"), default="codes")
        parser.add_argument("--language", help="label language (default: the survey's default language)")
        parser.add_argument("--dialect", choices=("comma", "semicolon"), default="comma")
        parser.add_argument("--no-bom", action="store_true", help="CSV without the UTF-8 byte order mark")
        parser.add_argument("--all", action="store_true", help="include partial and screened-out responses")
        parser.add_argument("--layout", choices=("long", "wide"), help="panel layout over all waves")

    def handle(self, *args: Any, **options: Any) -> None:
        wave = find_wave(options["wave"])
        out = Path(options["out"])
        waves, fmt, layout = plan_request(wave, options["fmt"], options["layout"], out)
        export_options = {
            "values": options["values"],
            "language": options["language"],
            "dialect": options["dialect"],
            "bom": not options["no_bom"],
            "include": "all" if options["all"] else "completed",
        }
        try:
            rows = export_file_write(
                survey=wave.survey, waves=waves, fmt=fmt, layout=layout, options=export_options, out=out
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        except OSError as error:
            raise CommandError(f"Cannot write {out}: {error.strerror}") from None
        unit = "variables" if fmt.startswith("codebook") else "rows"
        self.stdout.write(f"{rows} {unit} written to {out}")
