"""Where a gunicorn worker spends its time on one workload of bench/submit.py (py-spy, sampling).

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/profile_page.py submit [--seconds 10]

Same stack as bench/submit.py (fresh ``volna_bench``, Redis database 9, ``config/gunicorn.py``) but one
sync worker, so that one process serves every request; py-spy samples it while wrk drives the workload.
Prints the functions with the largest share of samples, inclusive (the function and what it calls) and
by area (ORM, templates, forms, ...). Needs ptrace rights over the worker (root, or the same user with
``kernel.yama.ptrace_scope`` = 0).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import stack, submit, workload

# (label, pattern on "function (path:line)"): a sample counts for the area of its innermost frame that
# matches one; stdlib and django/utils frames thus count for whoever called them.
AREAS = (
    # cursor.execute is C code: time in it shows as Django's _execute (or is_usable: the health check)
    (
        "PostgreSQL round trips (queries, health check)",
        r"\(django/db/backends/(?:utils|postgresql/base)\.py:",
    ),
    ("Redis client and round trips", r"\(redis/"),
    ("ORM: building SQL, making model instances", r"\(django/db/"),
    ("Django templates", r"\(django/template/"),
    ("crispy-forms", r"\(crispy_(?:forms|bootstrap5)/"),
    ("Django forms and widgets", r"\(django/forms/"),
    ("Volna code (respondents/, surveys/)", r"\((?:respondents|surveys|bench|config)/"),
    (
        "Django request handling and middleware",
        r"\((?:django/(?:core|middleware|contrib|http|urls|views)|csp|whitenoise)/",
    ),
    ("gunicorn (accept, parse, write, log)", r"\(gunicorn/"),
)
# frames every request goes through (the server loop, the middleware chain): left out of the function table
PLUMBING = re.compile(
    r"\((?:<frozen runpy>|gunicorn/|django/core/handlers/|django/utils/deprecation|whitenoise/|"
    r"django/views/decorators/)"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("workload", choices=workload.WORKLOADS)
    parser.add_argument("--seconds", type=int, default=10, help="seconds of sampling (1-60)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--app", default="config.wsgi", help="WSGI module to serve (see bench/submit.py --app)"
    )
    args = parser.parse_args(argv)
    missing = [tool for tool in ("wrk", "py-spy") if not _tool(tool)]
    if missing:
        print(f"needs {', '.join(missing)}: apt-get install -y wrk; pip install -r bench/requirements.txt")
        return 2
    if not 1 <= args.seconds <= 60:
        parser.error("--seconds must be 1-60")
    stack.use_bench_environment()
    prepared = workload.prepare(
        respondents=max(500, 4 * args.connections), readers=max(300, 4 * args.connections)
    )
    with tempfile.TemporaryDirectory(prefix="volna-profile-") as scratch:
        files = workload.request_files(Path(scratch), prepared, threads=2)
        with stack.gunicorn(log_path=Path(scratch) / "gunicorn.log", workers=1, app=args.app) as server:
            workload.smoke_check(server, prepared)
            run = dict(seconds=2, connections=args.connections, threads=2)
            submit.wrk_run(server, args.workload, files[args.workload], **run)  # warm-up
            (worker,) = server.worker_pids()
            samples = Path(scratch) / "samples.txt"
            spy = subprocess.Popen(
                [
                    *(_tool("py-spy"), "record", "--pid", str(worker), "--duration", str(args.seconds)),
                    *("--rate", "250", "--format", "raw", "--output", str(samples)),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            time.sleep(0.5)
            run["seconds"] = args.seconds + 1
            measured = submit.wrk_run(server, args.workload, files[args.workload], **run)
            _out, errors = spy.communicate(timeout=args.seconds + 60)
            if spy.returncode != 0 or not samples.exists():
                print(f"py-spy failed: {errors.strip()}")
                return 2
        stacks = _read_collapsed(samples)
    print(
        f"{args.workload} on one sync worker: {measured['requests_per_s']:.0f} req/s, "
        f"{measured['cpu_ms_per_request']['gunicorn']:.2f} CPU-ms per request in the worker, "
        f"{sum(stacks.values())} samples\n"
    )
    print(report(stacks, top=args.top))
    return 0


def _tool(name: str) -> str | None:
    beside_python = Path(sys.executable).parent / name
    return str(beside_python) if beside_python.exists() else shutil.which(name)


def _read_collapsed(path: Path) -> Counter[tuple[str, ...]]:
    """py-spy's raw format: one line per distinct stack, frames root first joined by ';', then a count."""
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in path.read_text().splitlines():
        frames, _space, count = line.rpartition(" ")
        if frames and count.isdigit():
            stacks[tuple(frames.split(";"))] += int(count)
    return stacks


def report(stacks: Counter[tuple[str, ...]], *, top: int) -> str:
    total = sum(stacks.values()) or 1
    inclusive: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    for frames, count in stacks.items():
        for name in {_short(frame) for frame in frames if not PLUMBING.search(frame)}:
            inclusive[name] += count
        areas[_area(frames)] += count
    lines = ["| area (innermost frame) | share of samples |", "|---|---:|"]
    lines += [f"| {area} | {100 * count / total:.1f}% |" for area, count in areas.most_common()]
    lines += ["", "| function (inclusive: with what it calls) | share of samples |", "|---|---:|"]
    lines += [f"| `{name}` | {100 * count / total:.1f}% |" for name, count in inclusive.most_common(top)]
    return "\n".join(lines)


def _short(frame: str) -> str:
    """``render (django/template/base.py:166)`` → ``django/template/base.py:render`` (lines vary per call)."""
    match = re.match(r"(.*?) \((.*?)(?::\d+)?\)$", frame)
    if not match:
        return frame
    function, path = match.groups()
    path = re.sub(r"^.*?/(site-packages|lib/python3\.\d+)/", "", path).replace(str(stack.ROOT) + "/", "")
    return f"{path}:{function}"


def _area(frames: tuple[str, ...]) -> str:
    """The area of the innermost frame that belongs to one (idle and other frames: 'other')."""
    for frame in reversed(frames):
        for label, pattern in AREAS:
            if re.search(pattern, frame):
                return label
    return "other (interpreter, stdlib)"


if __name__ == "__main__":
    sys.exit(main())
