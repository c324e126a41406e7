"""Aggregation of a large wave against the PostgreSQL COPY baseline of bench/export.py (DESIGN.md §6).

    .venv/bin/python bench/aggregate.py [--rows 1000000] [--runs 3] [--new 10000]

On this machine, against 127.0.0.1 only: a fresh PostgreSQL database ``volna_aggregate_bench`` (dropped
and re-created, dropped again at the end) gets the data of bench/export.py: a questionnaire of 50
variables (20 select_one and 5 select_multiple with 5 choices each, 10 integer, 5 decimal, 5 text,
5 date) and ``--rows`` completed responses with random answers, completed on 300 past days.

Workloads, run interleaved ``--runs`` times, each in a fresh subprocess (its own peak RSS):

- ``baseline``: the COPY of bench/export.py (``COPY (SELECT r.id, x.* FROM … jsonb_to_record(r.answers)
  AS x(<50 typed columns>) …) TO STDOUT``) of the same rows, to a file;
- ``aggregate``: ``exports.aggregation.compute.wave_aggregate`` from nothing: fieldwork, frequencies of
  every select question, the 15 numbers (exact quartiles), cross-tabs of every select question by
  ``so01`` (one breakdown), the before/after pair ``sm01`` → ``sm02``, the state for folding;
- ``fold``: ``--new`` responses completed today are inserted, then ``wave_aggregate`` is given the state
  of the ``aggregate`` run of the same round (read from its JSON file, inside the timing); the new rows
  are deleted again (and the table vacuumed) before the next round, outside the timing.

Once, after the last round, a full aggregation with the new rows checks that the folded figures equal
it. Prints a markdown table (medians, ratios to the baseline, peak RSS) and writes
``bench/results/aggregate-<date>-<rows>.json``. Exit status 1 when a budget is missed.

Times are wall-clock: on a machine shared with other work, the aggregation (which reads a large wave
in ``tally_sql.SLICES`` parts at once, on as many connections) and the single-stream COPY do not
suffer from it alike; the load average at the start is recorded with the results.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import export as export_bench
from bench import stack

DATABASE = "volna_aggregate_bench"
# the export benchmark's data, database helpers and Django set-up, on a database of our own
export_bench.use_database(DATABASE)
RESULTS = stack.ROOT / "bench" / "results"
AGGREGATE_RATIO_BUDGET = 1.0
BREAKDOWN = "so01"
PAIR = ("sm01", "sm02")
WORKLOADS = ("baseline", "aggregate", "fold")


def spec() -> Any:
    from exports.aggregation.spec import AnalysisSpec, Pair

    return AnalysisSpec(breakdowns=(BREAKDOWN,), pairs=(Pair(*PAIR, label="sm01 → sm02"),))


# -- preparing ---------------------------------------------------------------------------------------


def _insert(wave_id: int, questionnaire_id: int, rows: int, *, today: bool) -> None:
    """``rows`` completed responses: on 300 past days, or today (the new ones of a fold)."""
    day = "CURRENT_DATE" if today else "date '2024-01-01' + (g %% 300)"
    connection = export_bench._connect()
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
            cursor.execute(
                "INSERT INTO respondents_response (id, wave_id, questionnaire_id, language, status, answers, "
                "current_section, trail, started_on, completed_on, revision) "
                f"SELECT gen_random_uuid(), %s, %s, 'en', 'completed', {export_bench._answers_sql()}, "
                f"'', '[\"main\"]'::jsonb, {day}, {day}, 1 FROM generate_series(1, %s) AS g",
                [wave_id, questionnaire_id, rows],
            )
    finally:
        connection.close()


def prepare(rows: int) -> tuple[int, int]:
    """Fresh database, the export bench's survey and ``rows`` responses; returns (wave, questionnaire)."""
    export_bench._admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    export_bench._admin(f"CREATE DATABASE {DATABASE}")
    export_bench._setup_django()
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from surveys.services import questionnaire_publish, survey_create, wave_create, wave_open
    from surveys.xlsform.importer import xlsform_import

    team = Group.objects.create(name="aggregate-bench")
    survey = survey_create(
        slug="aggregate-bench",
        title={"en": "Aggregate bench"},
        languages=["en"],
        default_language="en",
        team=team,
    )
    draft = xlsform_import(survey=survey, file_bytes=export_bench._xlsform(), filename="aggregate-bench.xlsx")
    questionnaire = questionnaire_publish(questionnaire=draft)
    wave = wave_open(wave=wave_create(questionnaire=questionnaire, name="Wave 1"))
    connection.close()
    started = time.monotonic()
    _insert(wave.pk, questionnaire.pk, rows, today=False)
    print(f"  {rows:,} responses inserted in {time.monotonic() - started:.0f} s")
    export_bench._admin_in_bench("VACUUM (FREEZE, ANALYZE) respondents_response")
    return wave.pk, questionnaire.pk


def remove_new_rows(wave_id: int) -> None:
    """Delete the responses of a fold (completed today) and vacuum, so every round starts alike."""
    connection = export_bench._connect()
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM respondents_response WHERE wave_id = %s AND completed_on = CURRENT_DATE",
                [wave_id],
            )
    finally:
        connection.close()
    export_bench._admin_in_bench("VACUUM (ANALYZE) respondents_response")


# -- one workload (in its own process) ----------------------------------------------------------------


def _figures_without_time(figures: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in figures.items() if key != "computed_at"}


def run_one(workload: str, wave_id: int, state_path: Path, out: Path) -> dict[str, Any]:
    """Run one workload; return its time (called in the subprocess)."""
    if workload == "baseline":
        connection = export_bench._connect()
        try:
            started = time.perf_counter()
            with open(out, "wb", buffering=1 << 20) as handle, connection.cursor() as cursor:
                cursor.copy_expert(export_bench.baseline_sql(wave_id), handle)
                rows = cursor.rowcount
            return {"seconds": time.perf_counter() - started, "rows": rows}
        finally:
            connection.close()
    export_bench._setup_django()
    from exports.aggregation.compute import wave_aggregate
    from surveys.models import Wave

    wave = Wave.objects.select_related("survey", "questionnaire").get(pk=wave_id)
    started = time.perf_counter()
    previous = json.loads(state_path.read_text()) if workload == "fold" else None
    result = wave_aggregate(wave, spec(), previous_state=previous)
    seconds = time.perf_counter() - started
    if workload == "aggregate":
        state_path.write_text(json.dumps(result.state))
    out.write_text(json.dumps(_figures_without_time(result.figures)))
    return {"seconds": seconds, "rows": result.responses, "state_bytes": len(json.dumps(result.state))}


def measure(workload: str, wave_id: int, scratch: Path) -> dict[str, Any]:
    """One workload in a fresh subprocess: its own time, rows and peak RSS."""
    out = scratch / f"{workload}.out"
    command = [sys.executable, str(Path(__file__).resolve()), "--one", workload, "--wave", str(wave_id)]
    command += ["--state", str(scratch / "state.json"), "--out", str(out)]
    process = subprocess.Popen(
        command, cwd=stack.ROOT, env={**os.environ, **export_bench._environment()}, stdout=subprocess.PIPE
    )
    stdout = process.stdout.read() if process.stdout else b""
    _pid, status, _usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{workload} failed (exit {os.waitstatus_to_exitcode(status)})")
    result = json.loads(stdout.decode().strip().splitlines()[-1])
    result["peak_rss_mb"] = round(result.pop("vm_hwm_kb") / 1024, 1)
    return result


def check_fold(wave_id: int, scratch: Path) -> bool:
    """Whether the last fold's figures equal a full aggregation of the same rows."""
    folded = json.loads((scratch / "fold.out").read_text())
    measure("aggregate", wave_id, scratch)
    return folded == json.loads((scratch / "aggregate.out").read_text())


# -- summary -------------------------------------------------------------------------------------------


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for workload in WORKLOADS:
        mine = [run for run in runs if run["workload"] == workload]
        table[workload] = {
            "median_s": round(statistics.median(run["seconds"] for run in mine), 3),
            "times_s": [round(run["seconds"], 3) for run in mine],
            "peak_rss_mb": max(run["peak_rss_mb"] for run in mine),
            "rows": mine[0]["rows"],
        }
        if "state_bytes" in mine[0]:
            table[workload]["state_bytes"] = mine[0]["state_bytes"]
    base = table["baseline"]["median_s"]
    for workload, row in table.items():
        row["ratio"] = round(row["median_s"] / base, 3)
        if workload == "aggregate":
            row["budget"] = f"≤ {AGGREGATE_RATIO_BUDGET}×"
            row["met"] = row["ratio"] <= AGGREGATE_RATIO_BUDGET
        else:
            row["budget"] = "baseline" if workload == "baseline" else "much less than aggregate"
            row["met"] = workload == "baseline" or row["median_s"] < table["aggregate"]["median_s"]
    return {"workloads": table, "all_budgets_met": all(row["met"] for row in table.values())}


def markdown_table(summary: dict[str, Any], rows: int, new: int) -> str:
    lines = [
        f"| Aggregation of {rows:,} rows (fold: +{new:,}) "
        "| median s | runs (s) | ratio | peak RSS MB | budget | met |",
        "|---|---:|---|---:|---:|---|---|",
    ]
    for workload, row in summary["workloads"].items():
        times = ", ".join(f"{value:.2f}" for value in row["times_s"])
        lines.append(
            f"| {workload} | {row['median_s']:.2f} | {times} | {row['ratio']:.2f}× "
            f"| {row['peak_rss_mb']:.0f} | {row['budget']} | {'yes' if row['met'] else '**no**'} |"
        )
    return "\n".join(lines)


def _rounds(
    args: argparse.Namespace, wave_id: int, questionnaire_id: int, scratch: Path
) -> list[dict[str, Any]]:
    runs = []
    for round_number in range(1, args.runs + 1):
        for workload in WORKLOADS:
            if workload == "fold":
                _insert(wave_id, questionnaire_id, args.new, today=True)
            run = {"workload": workload, "round": round_number, **measure(workload, wave_id, scratch)}
            runs.append(run)
            print(
                f"  round {round_number} {workload:<9} {run['seconds']:8.2f} s  {run['rows']:,} rows  "
                f"peak RSS {run['peak_rss_mb']:.0f} MB",
                flush=True,
            )
            if workload == "fold" and round_number < args.runs:
                remove_new_rows(wave_id)
    return runs


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.one:
        result = run_one(args.one, args.wave, args.state, args.out)
        status = Path("/proc/self/status").read_text()
        result["vm_hwm_kb"] = int(status.split("VmHWM:")[1].split()[0])
        print(json.dumps(result))
        return 0
    tree = stack.source_tree()
    print(f"Preparing {DATABASE}: migrate, survey with 50 variables, {args.rows:,} responses…")
    try:
        wave_id, questionnaire_id = prepare(args.rows)
        machine = export_bench._machine()
        with tempfile.TemporaryDirectory(prefix="volna-aggregate-bench-") as scratch:
            runs = _rounds(args, wave_id, questionnaire_id, Path(scratch))
            fold_matches = check_fold(wave_id, Path(scratch))
        print(f"  folded figures equal a full aggregation: {'yes' if fold_matches else 'NO'}")
    finally:
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()
        export_bench._admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    summary = summarise(runs)
    summary["fold_equals_full_aggregation"] = fold_matches
    output = args.output or RESULTS / f"aggregate-{time.strftime('%Y-%m-%d')}-{args.rows}.json"
    document = {
        "benchmark": "bench/aggregate.py",
        "machine": machine,
        "source": tree,
        "settings": {
            "rows": args.rows,
            "new_rows": args.new,
            "variables": len(export_bench.variables()),
            "runs": args.runs,
            "breakdowns": [BREAKDOWN],
            "pairs": [list(PAIR)],
        },
        "baseline_sql": export_bench.baseline_sql(0).replace("wave_id = 0", "wave_id = <wave>"),
        "summary": summary,
        "runs": runs,
    }
    stack.write_json(output, document)
    print()
    print(markdown_table(summary, args.rows, args.new))
    shown = output.relative_to(stack.ROOT) if output.is_relative_to(stack.ROOT) else output
    print(f"\nFigures written to {shown}")
    return 0 if summary["all_budgets_met"] and fold_matches else 1


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="responses generated (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--new", type=int, default=10_000, help="responses folded in (default 10,000)")
    parser.add_argument(
        "--output", type=Path, help="results file (default bench/results/aggregate-<date>-<rows>.json)"
    )
    parser.add_argument("--one", choices=WORKLOADS, help=argparse.SUPPRESS)
    parser.add_argument("--wave", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--state", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 10 or not 1 <= args.rows <= 5_000_000 or not 1 <= args.new <= 1_000_000:
        parser.error("--runs must be 1-10, --rows 1-5,000,000 and --new 1-1,000,000")
    return args


if __name__ == "__main__":
    sys.exit(main())
