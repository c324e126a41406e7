"""Every benchmark of DESIGN.md §6, one after the other (`make bench`); method, results: docs/benchmarks.md.

Each runs in a process of its own (each sets up Django with its own settings) and prints its results;
the exit status is non-zero when any of them failed or missed its budget.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# (script, what it measures)
BENCHMARKS = (
    ("page_weight.py", "page weight: HTML + CSS + JS compressed, no fonts, no other origin"),
    ("submit.py", "page submit and page render against a bare insert, gunicorn + PostgreSQL"),
    ("export.py", "CSV, SPSS and Stata exports of 1,000,000 responses against COPY"),
    ("aggregate.py", "aggregation of 1,000,000 responses and a fold of 10,000 against COPY"),
)
LIMIT_SECONDS = 30 * 60  # a benchmark that runs longer than this is stuck


def main() -> int:
    outcomes = []
    for script, title in BENCHMARKS:
        print(f"\n## {title} (bench/{script})\n", flush=True)
        started = time.monotonic()
        try:
            status = subprocess.run([sys.executable, str(BENCH / script)], timeout=LIMIT_SECONDS, check=False)
            code = status.returncode
        except subprocess.TimeoutExpired:
            code = -1
        outcomes.append((script, code, time.monotonic() - started))
    print("\n## Summary\n")
    meaning = {0: "within budget", 1: "BUDGET MISSED", 2: "could not run", -1: "timed out"}
    for script, code, seconds in outcomes:
        print(f"- bench/{script}: {meaning.get(code, f'failed (exit {code})')} ({seconds:.0f} s)")
    return 0 if all(code == 0 for _script, code, _seconds in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
