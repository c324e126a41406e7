"""The summary of bench/submit.py's runs: medians, ratios to the baseline, budgets, markdown tables."""

from __future__ import annotations

import statistics
from typing import Any

from bench.workload import WORKLOADS

RATIO_BUDGETS = {"submit": 0.5, "render_blank": 0.4, "render_filled": 0.4}
P99_BUDGET_MS = 250.0


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    workloads: dict[str, Any] = {}
    for workload in WORKLOADS:
        mine = [run for run in runs if run["workload"] == workload]
        workloads[workload] = {
            "requests_per_s": statistics.median(run["requests_per_s"] for run in mine),
            "requests_per_s_runs": [run["requests_per_s"] for run in mine],
            "latency_ms": {
                key: statistics.median(run["latency_ms"][key] for run in mine)
                for key in ("p50", "p95", "p99")
            },
            "p99_ms_worst": max(run["latency_ms"]["p99"] for run in mine),
            "errors": sum(run["errors"] for run in mine),
            "cpu_ms_per_request": {
                key: round(statistics.median(run["cpu_ms_per_request"][key] for run in mine), 2)
                for key in ("gunicorn", "postgres", "redis", "wrk")
            },
            "other_load_percent_runs": [run["other_load_percent"] for run in mine],
            "steal_percent_runs": [run["steal_percent"] for run in mine],
        }
        workloads[workload]["cpu_ms_per_request"]["total"] = round(
            sum(workloads[workload]["cpu_ms_per_request"].values()), 2
        )
        if workload == "submit":
            accepted = sum(run["statuses"].get("302", 0) for run in mine)
            saved = sum(run["revisions_saved"] for run in mine)
            workloads[workload]["pages_accepted_302"] = accepted
            workloads[workload]["pages_saved_revisions"] = saved
            workloads[workload]["saves_match_302s"] = all(run["saves_match_302s"] for run in mine)
    baseline = workloads["baseline"]["requests_per_s"]
    baselines = {run["round"]: run["requests_per_s"] for run in runs if run["workload"] == "baseline"}
    met = True
    for workload, budget in RATIO_BUDGETS.items():
        entry = workloads[workload]
        entry["ratio"] = round(entry["requests_per_s"] / baseline, 3)
        entry["ratio_per_round"] = [
            round(run["requests_per_s"] / baselines[run["round"]], 3)
            for run in runs
            if run["workload"] == workload
        ]
        # what the ratio would be on a machine busy with nothing else: CPU per baseline request ÷ ours
        entry["cpu_cost_ratio"] = round(
            workloads["baseline"]["cpu_ms_per_request"]["total"] / entry["cpu_ms_per_request"]["total"], 3
        )
        entry["ratio_budget"] = budget
        entry["budget_met"] = entry["ratio"] >= budget and entry["errors"] == 0
        if workload == "submit":
            entry["p99_budget_ms"] = P99_BUDGET_MS
            entry["budget_met"] = (
                entry["budget_met"]
                and entry["latency_ms"]["p99"] < P99_BUDGET_MS
                and entry["saves_match_302s"]
            )
        met = met and entry["budget_met"]
    return {"workloads": workloads, "all_budgets_met": met}


def markdown_table(summary: dict[str, Any]) -> str:
    rows = [
        "| workload | req/s (median) | req/s per run | ratio to baseline (per round) | budget "
        "| p50 ms | p95 ms | p99 ms (worst run) | errors | met |",
        "|---|---:|---|---|---|---:|---:|---:|---:|---|",
    ]
    for workload, entry in summary["workloads"].items():
        latency = entry["latency_ms"]
        if workload in RATIO_BUDGETS:
            budget = f"≥ {entry['ratio_budget']}×"
            if "p99_budget_ms" in entry:
                budget += f", p99 < {entry['p99_budget_ms']:.0f} ms, 0 errors"
            ratio = f"**{entry['ratio']:.2f}×** ({', '.join(f'{r:.2f}' for r in entry['ratio_per_round'])})"
            met = "yes" if entry["budget_met"] else "**no**"
        else:
            budget, ratio, met = "—", "1", "—"
        runs = ", ".join(f"{value:.0f}" for value in entry["requests_per_s_runs"])
        rows.append(
            f"| {workload} | {entry['requests_per_s']:.0f} | {runs} | {ratio} | {budget} "
            f"| {latency['p50']:.0f} | {latency['p95']:.0f} "
            f"| {latency['p99']:.0f} ({entry['p99_ms_worst']:.0f}) | {entry['errors']} | {met} |"
        )
    rows += [
        "",
        "| workload | CPU-ms per request: gunicorn worker | PostgreSQL | Redis | wrk | total "
        "| CPU-cost ratio | other load on the machine, % per run |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for workload, entry in summary["workloads"].items():
        cpu = entry["cpu_ms_per_request"]
        cost_ratio = f"{entry['cpu_cost_ratio']:.2f}×" if "cpu_cost_ratio" in entry else "1"
        rows.append(
            f"| {workload} | {cpu['gunicorn']:.2f} | {cpu['postgres']:.2f} | {cpu['redis']:.2f} "
            f"| {cpu['wrk']:.2f} | {cpu['total']:.2f} | {cost_ratio} "
            f"| {', '.join(f'{load:.0f}' for load in entry['other_load_percent_runs'])} |"
        )
    submit = summary["workloads"]["submit"]
    matched = "yes" if submit["saves_match_302s"] else "NO"
    rows += [
        "",
        f"Submit: {submit['pages_accepted_302']} pages answered 302 and {submit['pages_saved_revisions']} "
        "saves were counted in the database (sum of revision); the difference is what was in flight when "
        f"wrk stopped (at most one per connection in each run: {matched}).",
    ]
    return "\n".join(rows)
