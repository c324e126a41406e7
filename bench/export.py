"""Export of a large wave to CSV, SPSS and Stata against a PostgreSQL COPY baseline (DESIGN.md §6).

    .venv/bin/python bench/export.py [--rows 1000000] [--runs 3] [--sav | --no-sav] [--database NAME]

On this machine, against 127.0.0.1 only: a fresh PostgreSQL database (``volna_export_bench`` unless
``--database`` names another; dropped and re-created, dropped again at the end) is migrated, given a
survey whose published questionnaire has 50 variables (20 select_one and 5 select_multiple with 5
choices each, 10 integer, 5 decimal, 5 text, 5 date; imported from a generated XLSForm) and an open
wave, then ``--rows`` completed responses with random answers generated in SQL (``generate_series``).

Workloads, run interleaved ``--runs`` times, each in a fresh subprocess (``--one <workload>``) so that
its peak RSS is its own (``VmHWM`` of the subprocess, read by it at the end):

- ``baseline``: ``COPY (SELECT r.id, x.* FROM respondents_response r, jsonb_to_record(r.answers) AS
  x(<50 typed columns>) WHERE …) TO STDOUT (FORMAT csv, HEADER)`` streamed to a file (psycopg2).
- ``csv``: ``exports.services.export_write(fmt="csv", …)`` to a file.
- ``sav``, ``dta``: the same with ``fmt="sav"`` / ``"dta"`` (``--no-sav`` leaves them out).

Times are measured inside the subprocess around the export alone (not interpreter start-up). Prints a
markdown table (medians, ratios to the baseline, peak RSS) and writes
``bench/results/export-<date>-<rows>.json``. Exit status 1 when a budget is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import stack

DATABASE = "volna_export_bench"
DATABASE_URL = f"postgresql://postgres@{stack.LOOPBACK}:{stack.POSTGRES_PORT}/{DATABASE}"
RESULTS = stack.ROOT / "bench" / "results"
CSV_RATIO_BUDGET = 1.5
STATS_RATIO_BUDGET = 3.0
RSS_BUDGET_MB = 150.0  # every export: flat memory, whatever the number of rows


def use_database(name: str) -> None:
    """Work in the database ``name`` (a name of its own keeps parallel runs apart)."""
    global DATABASE, DATABASE_URL
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
        raise ValueError("a database name of lower-case letters, digits and underscores")
    DATABASE = name
    DATABASE_URL = f"postgresql://postgres@{stack.LOOPBACK}:{stack.POSTGRES_PORT}/{name}"


# (type, count): 50 variables
SELECT_ONE, SELECT_MULTIPLE, INTEGERS, DECIMALS, TEXTS, DATES = 20, 5, 10, 5, 5, 5
CHOICES = 5


def variables() -> list[tuple[str, str]]:
    """(name, XLSForm type) of the 50 variables."""
    spec = [
        ("so", "select_one opts", SELECT_ONE),
        ("sm", "select_multiple opts", SELECT_MULTIPLE),
        ("n", "integer", INTEGERS),
        ("d", "decimal", DECIMALS),
        ("t", "text", TEXTS),
        ("dt", "date", DATES),
    ]
    return [(f"{prefix}{i:02d}", kind) for prefix, kind, count in spec for i in range(1, count + 1)]


def _environment() -> dict[str, str]:
    return {**stack.bench_environment(), "DATABASE_URL": DATABASE_URL}


def _setup_django() -> None:
    os.environ.update(_environment())
    if str(stack.ROOT) not in sys.path:
        sys.path.insert(0, str(stack.ROOT))
    import django

    django.setup()


def _admin(statement: str) -> None:
    import psycopg2

    admin = psycopg2.connect(
        host=stack.LOOPBACK, port=stack.POSTGRES_PORT, user="postgres", dbname="postgres"
    )
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(statement)
    finally:
        admin.close()


def _connect() -> Any:
    import psycopg2

    return psycopg2.connect(host=stack.LOOPBACK, port=stack.POSTGRES_PORT, user="postgres", dbname=DATABASE)


# -- preparing ---------------------------------------------------------------------------------------


def _xlsform() -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    survey.append(["begin_group", "main", "Main"])
    for name, kind in variables():
        survey.append([kind, name, f"Question {name}"])
    survey.append(["end_group", "", ""])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    for code in range(1, CHOICES + 1):
        choices.append(["opts", f"c{code}", f"Option {code}"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _answers_sql() -> str:
    """A jsonb expression of random answers to the 50 variables (per row: no uncorrelated subquery)."""
    pairs = []
    for name, kind in variables():
        if kind.startswith("select_one"):
            value = f"'c' || (1 + floor(random() * {CHOICES}))::int"
        elif kind.startswith("select_multiple"):
            items = ", ".join(f"CASE WHEN random() < 0.4 THEN 'c{c}' END" for c in range(1, CHOICES + 1))
            value = f"to_jsonb(array_remove(ARRAY[{items}], NULL))"
        elif kind == "integer":
            value = "floor(random() * 100)::int"
        elif kind == "decimal":
            value = "round((random() * 1000)::numeric, 2)"
        elif kind == "text":
            value = "'answer ' || left(md5(random()::text), 12)"
        else:
            value = "(date '2020-01-01' + floor(random() * 1500)::int)::text"
        pairs.append(f"'{name}', {value}")
    half = len(pairs) // 2  # jsonb_build_object takes at most 100 arguments
    return f"jsonb_build_object({', '.join(pairs[:half])}) || jsonb_build_object({', '.join(pairs[half:])})"


def prepare(rows: int) -> int:
    """Fresh database, survey, questionnaire, open wave and ``rows`` responses; returns the wave id."""
    _admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    _admin(f"CREATE DATABASE {DATABASE}")
    _setup_django()
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from surveys.services import questionnaire_publish, survey_create, wave_create, wave_open
    from surveys.xlsform.importer import xlsform_import

    team = Group.objects.create(name="export-bench")
    survey = survey_create(
        slug="export-bench", title={"en": "Export bench"}, languages=["en"], default_language="en", team=team
    )
    draft = xlsform_import(survey=survey, file_bytes=_xlsform(), filename="export-bench.xlsx")
    questionnaire = questionnaire_publish(questionnaire=draft)
    wave = wave_open(wave=wave_create(questionnaire=questionnaire, name="Wave 1"))
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute(
            "INSERT INTO respondents_response (id, wave_id, questionnaire_id, language, status, answers, "
            "current_section, trail, started_on, completed_on, revision) "
            f"SELECT gen_random_uuid(), %s, %s, 'en', 'completed', {_answers_sql()}, '', '[]'::jsonb, "
            "date '2024-01-01' + (g %% 300), date '2024-01-01' + (g %% 300), 1 "
            "FROM generate_series(1, %s) AS g",
            [wave.pk, questionnaire.pk, rows],
        )
    connection.close()
    print(f"  {rows:,} responses inserted in {time.monotonic() - started:.0f} s")
    # no hint-bit writing or stale statistics inside the first measured run
    _admin_in_bench("VACUUM (FREEZE, ANALYZE) respondents_response")
    return wave.pk


def _admin_in_bench(statement: str) -> None:
    connection = _connect()
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


# -- one export (in its own process) ----------------------------------------------------------------


def _record_type(kind: str) -> str:
    if kind.startswith("select_one") or kind == "text":
        return "text"
    if kind.startswith("select_multiple"):
        return "jsonb"
    return {"integer": "integer", "decimal": "numeric", "date": "date"}[kind]


def baseline_sql(wave_id: int) -> str:
    columns = ", ".join(f"{name} {_record_type(kind)}" for name, kind in variables())
    return (
        "COPY (SELECT r.id, x.* FROM respondents_response r, "
        f"jsonb_to_record(r.answers) AS x({columns}) "
        f"WHERE r.wave_id = {int(wave_id)} AND r.status = 'completed') "
        "TO STDOUT WITH (FORMAT csv, HEADER true)"
    )


def run_one(workload: str, wave_id: int, out: Path) -> dict[str, Any]:
    """Run one export into ``out``; return its time and rows (called in the subprocess)."""
    if workload == "baseline":
        connection = _connect()
        try:
            started = time.perf_counter()
            with open(out, "wb", buffering=1 << 20) as handle, connection.cursor() as cursor:
                cursor.copy_expert(baseline_sql(wave_id), handle)
                rows = cursor.rowcount
            seconds = time.perf_counter() - started
        finally:
            connection.close()
        return {"seconds": seconds, "rows": rows}
    _setup_django()
    from exports.rows import ExportOptions, export_plan
    from exports.services import export_write
    from surveys.models import Wave

    started = time.perf_counter()
    waves = list(Wave.objects.select_related("survey", "questionnaire").filter(pk=wave_id))
    plan = export_plan(waves=waves)
    rows = export_write(fmt=workload, out=out, waves=waves, plan=plan, options=ExportOptions())
    return {"seconds": time.perf_counter() - started, "rows": rows}


def measure(workload: str, wave_id: int, scratch: Path) -> dict[str, Any]:
    """One export in a fresh subprocess: its own time, rows, output size and peak RSS."""
    out = scratch / f"{workload}.out"
    command = [sys.executable, str(Path(__file__).resolve()), "--one", workload, "--wave", str(wave_id)]
    command += ["--out", str(out), "--database", DATABASE]
    process = subprocess.Popen(
        command, cwd=stack.ROOT, env={**os.environ, **_environment()}, stdout=subprocess.PIPE
    )
    stdout = process.stdout.read() if process.stdout else b""
    _pid, status, _usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{workload} export failed (exit {process.returncode})")
    result = json.loads(stdout.decode().strip().splitlines()[-1])
    result["peak_rss_mb"] = round(result.pop("vm_hwm_kb") / 1024, 1)
    result["bytes"] = out.stat().st_size
    out.unlink()
    return result


# -- summary -------------------------------------------------------------------------------------------


def summarise(runs: list[dict[str, Any]], workloads: list[str]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for workload in workloads:
        mine = [run for run in runs if run["workload"] == workload]
        table[workload] = {
            "median_s": round(statistics.median(run["seconds"] for run in mine), 2),
            "times_s": [round(run["seconds"], 2) for run in mine],
            "peak_rss_mb": max(run["peak_rss_mb"] for run in mine),
            "rows": mine[0]["rows"],
            "bytes": mine[0]["bytes"],
        }
    base = table["baseline"]["median_s"]
    met = True
    for workload, row in table.items():
        row["ratio"] = round(row["median_s"] / base, 2)
        if workload in ("csv", "sav", "dta"):
            ratio = CSV_RATIO_BUDGET if workload == "csv" else STATS_RATIO_BUDGET
            row["budget"] = f"≤ {ratio}× and < {RSS_BUDGET_MB:.0f} MB RSS"
            row["met"] = row["ratio"] <= ratio and row["peak_rss_mb"] < RSS_BUDGET_MB
        else:
            row["budget"] = "baseline"
            row["met"] = True
        met = met and row["met"]
    return {"workloads": table, "all_budgets_met": met}


def markdown_table(summary: dict[str, Any], rows: int) -> str:
    lines = [
        f"| Export of {rows:,} rows | median s | runs (s) | ratio | peak RSS MB | file MB | budget | met |",
        "|---|---:|---|---:|---:|---:|---|---|",
    ]
    for workload, row in summary["workloads"].items():
        times = ", ".join(f"{value:.1f}" for value in row["times_s"])
        lines.append(
            f"| {workload} | {row['median_s']:.1f} | {times} | {row['ratio']:.2f}× "
            f"| {row['peak_rss_mb']:.0f} | {row['bytes'] / 1e6:.0f} | {row['budget']} "
            f"| {'yes' if row['met'] else '**no**'} |"
        )
    return "\n".join(lines)


def _machine() -> dict[str, Any]:
    import platform

    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    memory_kb = int(re.search(r"^MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text(), re.M).group(1))  # type: ignore[union-attr]
    import django

    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpus": stack.cpu_count(),
        "cpu_model": model.group(1).strip() if model else platform.processor(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgres": stack._postgres_version(),
    }


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    use_database(args.database)
    if args.one:
        result = run_one(args.one, args.wave, args.out)
        # VmHWM: the peak of this program's own memory. ru_maxrss would also count the parent's
        # memory copied by fork() before exec().
        status = Path("/proc/self/status").read_text()
        result["vm_hwm_kb"] = int(status.split("VmHWM:")[1].split()[0])
        print(json.dumps(result))
        return 0
    workloads = ["baseline", "csv"] + (["sav", "dta"] if args.sav else [])
    tree = stack.source_tree()
    print(f"Preparing {DATABASE}: migrate, survey with 50 variables, {args.rows:,} responses…")
    try:
        wave_id = prepare(args.rows)
        machine = _machine()
        runs = []
        with tempfile.TemporaryDirectory(prefix="volna-export-bench-") as scratch:
            for round_number in range(1, args.runs + 1):
                for workload in workloads:
                    run = {
                        "workload": workload,
                        "round": round_number,
                        **measure(workload, wave_id, Path(scratch)),
                    }
                    runs.append(run)
                    print(
                        f"  round {round_number} {workload:<8} {run['seconds']:7.1f} s  "
                        f"{run['rows']:,} rows  peak RSS {run['peak_rss_mb']:.0f} MB",
                        flush=True,
                    )
    finally:
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()
        _admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    summary = summarise(runs, workloads)
    output = args.output or RESULTS / f"export-{time.strftime('%Y-%m-%d')}-{args.rows}.json"
    document = {
        "benchmark": "bench/export.py",
        "machine": machine,
        "source": tree,
        "settings": {
            "database": DATABASE,
            "rows": args.rows,
            "variables": len(variables()),
            "runs": args.runs,
            "workloads": workloads,
        },
        "baseline_sql": baseline_sql(0).replace("wave_id = 0", "wave_id = <wave>"),
        "summary": summary,
        "runs": runs,
    }
    stack.write_json(output, document)
    print()
    print(markdown_table(summary, args.rows))
    shown = output.relative_to(stack.ROOT) if output.is_relative_to(stack.ROOT) else output
    print(f"\nFigures written to {shown}")
    return 0 if summary["all_budgets_met"] else 1


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="responses generated (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument(
        "--sav", action=argparse.BooleanOptionalAction, default=True, help="also SPSS and Stata (default)"
    )
    parser.add_argument(
        "--database", default=DATABASE, help=f"the database to drop, fill and drop again (default {DATABASE})"
    )
    parser.add_argument(
        "--output", type=Path, help="results file (default bench/results/export-<date>-<rows>.json)"
    )
    parser.add_argument("--one", choices=["baseline", "csv", "sav", "dta"], help=argparse.SUPPRESS)
    parser.add_argument("--wave", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 10 or not 1 <= args.rows <= 5_000_000:
        parser.error("--runs must be 1-10 and --rows 1-5,000,000")
    return args


if __name__ == "__main__":
    sys.exit(main())
