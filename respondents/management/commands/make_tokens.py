"""make_tokens WAVE N: invite N new panel members to a wave; write their tokens to a CSV for mail merge."""

from __future__ import annotations

import csv
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from respondents.services import invitations_create
from surveys.models import Wave


class Command(BaseCommand):
    help = (
        "Create invitation tokens for a wave (WAVE is the wave's id or public slug). Writes "
        "pseudonym,token,path as CSV; tokens are shown only this once and stored only as keyed hashes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("wave")
        parser.add_argument("count", type=int, help="number of new panel members to invite")
        parser.add_argument(
            "--existing-members",
            action="store_true",
            help="also invite every active panel member of the survey not yet invited to this wave",
        )
        parser.add_argument("--out", help="CSV file to write (default: standard output)")

    def handle(
        self, *args, wave: str, count: int, existing_members: bool, out: str | None, **options
    ) -> None:
        if count < 0 or count > 100_000:
            raise CommandError("count must be between 0 and 100000")
        found = Wave.objects.filter(slug=wave).first() or (
            Wave.objects.filter(pk=int(wave)).first() if wave.isdigit() else None
        )
        if found is None:
            raise CommandError(f"No wave {wave!r} (give its id or slug).")
        if not found.survey.is_panel and existing_members:
            raise CommandError("This survey is not a panel survey.")
        # open the file first: tokens exist in clear only now, so they must not be lost to a bad path
        try:
            handle = open(out, "w", newline="", encoding="utf-8") if out else sys.stdout  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"Cannot write {out}: {error}") from None
        try:
            issued = invitations_create(wave=found, count=count, existing_members=existing_members)
            writer = csv.writer(handle)
            writer.writerow(["pseudonym", "token", "path"])
            for pseudonym, token in issued:
                writer.writerow([pseudonym, token, reverse("respondents:invitation", args=[token])])
        finally:
            if out:
                handle.close()
        self.stderr.write(f"{len(issued)} invitation(s) to {found} written{' to ' + out if out else ''}.")
