"""Page submit and page render of the demo survey against a bare insert (DESIGN.md §6).

    .venv/bin/python bench/submit.py [--duration 10] [--runs 5] [--connections 64]

On this machine, against 127.0.0.1 only: a fresh PostgreSQL database ``volna_bench`` with the demo
(``load_demo``), Redis database 9, and gunicorn as deployed (``config/gunicorn.py``: 2 sync workers,
persistent connections, DEBUG off) serving ``bench.settings``, which adds one benchmark-only URL.
wrk (Debian package ``wrk``) drives 64 connections through ``bench/wrk_requests.lua``.

Workloads, run interleaved (baseline, submit, render, ...) ``--runs`` times, after a short warm-up:

- ``baseline``: POST a ~2 KB JSON document to a bare view that inserts it as one row (bench/views.py).
- ``submit``: POST the demo's "background" page (7 answers, CSRF cookie + token, signed respondent
  cookie) for 2,000 distinct in-progress responses: validate, save, choose the next page, 302. Re-posting
  a page of the trail is accepted, so each connection cycles through its own respondents; the sum of
  the responses' ``revision`` is checked against the number of 302s.
- ``render_blank``: GET the page of respondents who just reached "background" (blank: from the cache).
- ``render_filled``: GET the page of respondents who went back to "background" (answers filled in).

Prints a markdown table (medians, ratios to the baseline, budgets) and writes the figures to
``bench/results/submit-<date>.json``. Exit status 1 when a budget is missed, 2 when it could not run.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import stack
from bench.submit_results import markdown_table, summarise
from bench.workload import EXPECTED_STATUS, WORKLOADS, Prepared, prepare, request_files, smoke_check

WRK_TIMEOUT = "5s"
DRAIN_SECONDS = 1.5  # let gunicorn finish what was in flight when wrk stopped
LUA_SCRIPT = stack.ROOT / "bench" / "wrk_requests.lua"
RESULTS = stack.ROOT / "bench" / "results"


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if shutil.which("wrk") is None:
        print("bench/submit.py needs wrk: apt-get install -y wrk (Debian package 'wrk')", file=sys.stderr)
        return 2
    stack.use_bench_environment()
    tree = stack.source_tree()  # what gunicorn is about to import
    print(
        f"Preparing {stack.BENCH_DATABASE}: migrate, load_demo, "
        f"{args.respondents + 2 * args.readers} responses…"
    )
    started = time.monotonic()
    prepared = prepare(respondents=args.respondents, readers=args.readers)
    print(f"  ready in {time.monotonic() - started:.0f} s")
    with tempfile.TemporaryDirectory(prefix="volna-bench-") as scratch:
        files = request_files(Path(scratch), prepared, args.threads)
        with stack.gunicorn(log_path=Path(scratch) / "gunicorn.log", app=args.app) as server:
            try:
                smoke_check(server, prepared)
            except RuntimeError as problem:
                tail = "\n".join(server.log_path.read_text(errors="replace").splitlines()[-40:])
                print(f"{problem}\nThe server log ends with:\n{tail}", file=sys.stderr)
                return 2
            runs = _measure(server, files, prepared, args)
            log_errors = server.log_errors()
    summary = summarise(runs)
    output = args.output or RESULTS / f"submit-{time.strftime('%Y-%m-%d')}.json"
    stack.write_json(output, _document(args, tree, summary, runs, log_errors))
    print()
    print(markdown_table(summary))
    if log_errors:
        print(f"\nThe server logged {len(log_errors)} error lines, first: {log_errors[0]}")
    shown = output.relative_to(stack.ROOT) if output.is_relative_to(stack.ROOT) else output
    print(f"\nFigures written to {shown}")
    return 0 if summary["all_budgets_met"] and not log_errors else 1


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--runs", type=int, default=5, help="interleaved rounds (default 5, at least 3)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per workload")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--respondents", type=int, default=2000, help="distinct respondents submitting")
    parser.add_argument("--readers", type=int, default=500, help="respondents per render workload")
    parser.add_argument("--output", type=Path, help="results file (default bench/results/submit-<date>.json)")
    parser.add_argument(
        "--app",
        default="config.wsgi",
        help="WSGI module to serve instead of config.wsgi (a candidate change, importable from PYTHONPATH); "
        "the baseline is served by it too",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 60 or not 3 <= args.runs <= 10 or not 1 <= args.warmup <= 30:
        parser.error("--duration must be 1-60 s, --warmup 1-30 s and --runs 3-10 (every loop is bounded)")
    if args.respondents < 2 * args.connections or args.readers < 2 * args.connections:
        parser.error("need at least twice as many respondents as connections (none posted twice at once)")
    return args


def _document(
    args: argparse.Namespace,
    tree: dict[str, object],
    summary: dict[str, Any],
    runs: list[dict[str, Any]],
    log_errors: list[str],
) -> dict[str, Any]:
    return {
        "benchmark": "bench/submit.py",
        "machine": stack.machine(),
        "source": tree,
        "settings": {
            "duration_s": args.duration,
            "runs": args.runs,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "wrk_threads": args.threads,
            "gunicorn_workers": stack.GUNICORN_WORKERS,
            "submit_respondents": args.respondents,
            "render_respondents": args.readers,
            "app": args.app,
        },
        "summary": summary,
        "runs": runs,
        "server_log_errors": log_errors[:20],
    }


# -- measuring -----------------------------------------------------------------------------------------


def _measure(
    server: stack.Server, files: dict[str, Path], prepared: Prepared, args: argparse.Namespace
) -> list[dict[str, Any]]:
    submit_ids = [r.response_id for r in prepared.submitters]
    print(f"Warming up ({args.warmup} s per workload)…")
    for workload in WORKLOADS:
        wrk_run(
            server,
            workload,
            files[workload],
            seconds=args.warmup,
            connections=args.connections,
            threads=args.threads,
        )
    runs = []
    for round_number in range(1, args.runs + 1):
        for workload in WORKLOADS:
            before = _revisions(submit_ids) if workload == "submit" else 0
            run = wrk_run(
                server,
                workload,
                files[workload],
                seconds=args.duration,
                connections=args.connections,
                threads=args.threads,
            )
            time.sleep(DRAIN_SECONDS)
            run["round"] = round_number
            if workload == "submit":
                run["revisions_saved"] = _revisions(submit_ids) - before
                # saved but never answered to wrk: at most one request in flight per connection at the end
                in_flight = run["revisions_saved"] - run["statuses"].get("302", 0)
                run["saves_match_302s"] = 0 <= in_flight <= args.connections
            runs.append(run)
            extra = f", {run['revisions_saved']} pages saved" if workload == "submit" else ""
            print(
                f"  round {round_number} {workload:<14} {run['requests_per_s']:7.1f} req/s  "
                f"p99 {run['latency_ms']['p99']:6.1f} ms  errors {run['errors']}{extra}"
            )
    return runs


def _revisions(response_ids: list[uuid.UUID]) -> int:
    from django.db import connections
    from django.db.models import Sum

    from respondents.models import Response

    total = Response.objects.filter(pk__in=response_ids).aggregate(total=Sum("revision"))["total"] or 0
    connections.close_all()
    return total


def wrk_run(
    server: stack.Server, workload: str, requests_file: Path, *, seconds: int, connections: int, threads: int
) -> dict[str, Any]:
    """One wrk run of ``workload``, with the CPU time gunicorn's workers, PostgreSQL and wrk spent."""
    groups = {
        "gunicorn": server.worker_pids,
        "postgres": stack.bench_database_backends,
        "redis": lambda: stack.pids_named("redis-server"),
    }
    before = {name: stack.cpu_by_process(pids()) for name, pids in groups.items()}
    wrk_before, machine_before, started = _children_cpu(), stack.machine_cpu_seconds(), time.monotonic()
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        f"--timeout={WRK_TIMEOUT}",
        "--latency",
        f"--script={LUA_SCRIPT}",
        f"http://{stack.LOOPBACK}:{server.port}",
        "--",
        str(requests_file),
        str(threads),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    used = {name: stack.cpu_used(before[name], stack.cpu_by_process(pids())) for name, pids in groups.items()}
    used["wrk"] = _children_cpu() - wrk_before
    machine = {key: value - machine_before[key] for key, value in stack.machine_cpu_seconds().items()}
    capacity = (time.monotonic() - started) * stack.cpu_count()
    # whatever else ran on the machine meanwhile (other people's tests on these shared cores)
    other = max(machine["busy"] - sum(used.values()), 0.0)
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(
            f"wrk failed ({completed.returncode}): {completed.stderr.strip() or completed.stdout}"
        )
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    expected = str(EXPECTED_STATUS[workload])
    ok = raw["statuses"].get(expected, 0)
    socket_errors = sum(raw["socket_errors"].values())
    seconds_measured = raw["duration_us"] / 1e6
    return {
        "workload": workload,
        "requests_per_s": round(ok / seconds_measured, 1),
        "responses": raw["responses"],
        "expected_status": int(expected),
        "statuses": raw["statuses"],
        "errors": raw["responses"] - ok + socket_errors,
        "socket_errors": raw["socket_errors"],
        "latency_ms": {key: round(value / 1000, 1) for key, value in raw["latency_us"].items()},
        "cpu_ms_per_request": {name: round(1000 * value / max(ok, 1), 2) for name, value in used.items()},
        "other_load_percent": round(100 * other / capacity, 1),
        "steal_percent": round(100 * machine["steal"] / capacity, 1),
        "seconds": round(seconds_measured, 2),
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    sys.exit(main())
