"""Restore drill: back up Volna's database, restore the backup into a fresh database, compare them.

    .venv/bin/python scripts/restore_drill.py [--database-url URL] [--keep-dump FILE] [--keep-restored]

1. Opens a read-only REPEATABLE READ transaction on the database (DATABASE_URL by default), exports
   its snapshot and counts, in that snapshot, the responses of every wave by status and the rows of
   every table.
2. Runs ``pg_dump --format=custom --snapshot=…``: the dump holds exactly what was counted, even while
   respondents keep answering.
3. Creates a fresh database beside it, ``pg_restore``s the dump into it, and counts the same there.
4. Prints both, drops the restored database (unless ``--keep-restored``) and exits 0 when every count
   matches, 1 otherwise (2 when the drill could not run).

Needs ``pg_dump``/``pg_restore`` at least as new as the server (``--pg-bin`` to choose them) and a role
that may create databases. Nothing is written to the source database. See docs/operations.md.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

Counts = dict[str, int]


def database_url_with(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` instead (same server, user, options)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def counts(cursor) -> Counts:
    """Responses per wave and status, and rows per table, as seen by ``cursor``'s transaction."""
    found: Counts = {}
    cursor.execute(
        "SELECT w.id, w.number, s.slug, r.status, count(*) "
        "FROM respondents_response r JOIN surveys_wave w ON w.id = r.wave_id "
        "JOIN surveys_survey s ON s.id = w.survey_id GROUP BY 1, 2, 3, 4 ORDER BY 1, 4"
    )
    for wave_id, number, slug, status, count in cursor.fetchall():
        found[f"responses: {slug} wave {number} (id {wave_id}), {status}"] = count
    cursor.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') "
        "ORDER BY 1, 2"
    )
    for schema, table in cursor.fetchall():
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table)))
        found[f"rows: {schema}.{table}"] = cursor.fetchone()[0]
    return found


def compare(before: Counts, after: Counts) -> list[str]:
    """Every count that differs between the source and the restored database."""
    return [
        f"{key}: {before.get(key, 'missing')} in the source, {after.get(key, 'missing')} restored"
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]


def _program(pg_bin: str | None, name: str) -> str:
    found = shutil.which(name, path=pg_bin) if pg_bin else shutil.which(name)
    if not found:
        raise SystemExit(f"restore drill: {name} not found (install postgresql-client or pass --pg-bin)")
    return found


def dump(url: str, out: Path, pg_bin: str | None) -> Counts:
    """Counts of the database and a custom-format dump of the very same snapshot."""
    connection = psycopg2.connect(url)
    try:
        connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            before = counts(cursor)
            # the transaction stays open until pg_dump has run: its snapshot must stay importable
            subprocess.run(  # noqa: S603 -- our own arguments, no shell
                [
                    _program(pg_bin, "pg_dump"),
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    "--file",
                    str(out),
                    "--dbname",
                    url,
                ],
                check=True,
            )
        connection.rollback()
    finally:
        connection.close()
    return before


def _admin(url: str):
    connection = psycopg2.connect(database_url_with(url, "postgres"))
    connection.autocommit = True
    return connection


def restore(url: str, backup: Path, target: str, pg_bin: str | None) -> Counts:
    """Restore ``backup`` into a new database ``target`` on the same server; its counts."""
    admin = _admin(url)
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(target)))
    finally:
        admin.close()
    target_url = database_url_with(url, target)
    subprocess.run(  # noqa: S603 -- our own arguments, no shell
        [
            _program(pg_bin, "pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--jobs=2",
            "--dbname",
            target_url,
            str(backup),
        ],
        check=True,
    )
    connection = psycopg2.connect(target_url)
    try:
        with connection.cursor() as cursor:
            return counts(cursor)
    finally:
        connection.close()


def drop(url: str, target: str) -> None:
    admin = _admin(url)
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target)))
    finally:
        admin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--keep-dump", type=Path, help="keep the dump at this path (else a temporary file)")
    parser.add_argument("--keep-restored", action="store_true", help="do not drop the restored database")
    parser.add_argument("--pg-bin", help="directory of pg_dump and pg_restore")
    arguments = parser.parse_args(argv)
    url = arguments.database_url
    if not url.startswith(("postgres://", "postgresql://")):
        print("restore drill: needs a PostgreSQL DATABASE_URL (or --database-url)", file=sys.stderr)
        return 2
    target = f"{database_name(url)}_restore_drill_{secrets.token_hex(4)}"
    with tempfile.TemporaryDirectory(prefix="volna-drill-") as scratch:
        backup = arguments.keep_dump or Path(scratch) / "volna.dump"
        started = time.monotonic()
        before = dump(url, backup, arguments.pg_bin)
        dumped = time.monotonic()
        try:
            after = restore(url, backup, target, arguments.pg_bin)
        finally:
            if not arguments.keep_restored:
                drop(url, target)
        restored = time.monotonic()
        size = backup.stat().st_size
    problems = compare(before, after)
    responses = sum(count for key, count in before.items() if key.startswith("responses:"))
    for key in sorted(before):
        print(f"{before[key]:>12,}  {key}")
    print(
        f"restore drill: {responses:,} responses, {len(before)} counts compared; dump {size / 1e6:.1f} MB in "
        f"{dumped - started:.1f} s, restore into {target} in {restored - dumped:.1f} s"
        + ("" if arguments.keep_restored else " (dropped)")
    )
    for problem in problems:
        print(f"MISMATCH {problem}", file=sys.stderr)
    print("restore drill: " + ("FAILED" if problems else "every count matches"))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
