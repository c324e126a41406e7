"""Audit the installed dependencies for known vulnerabilities with pip-audit, and say honestly how far
the audit went.

pip-audit asks a vulnerability database about every installed package: PyPI's JSON API (the
default) and, if PyPI cannot answer, OSV. pip-audit alone reports "No known vulnerabilities found"
and exits 0 even when it could look up none of the packages (each one "skipped"), which would read
as a clean audit. This script reads pip-audit's JSON report instead and ends in one of three ways:

- a known vulnerability in any package: every one is listed and the exit status is 1 (CI fails);
- every package looked up, none vulnerable: a one-line summary, exit 0;
- the database could not be reached for some or all packages: a banner saying that the audit was
  **not** performed (or only partly) and for which packages, exit 0, because a CI machine without
  that network access should not fail for it; with ``VOLNA_REQUIRE_AUDIT=1`` the exit status is 2.

Usage: ``python .ci/dependency_audit.py [--pip-audit COMMAND]`` (run with the project's virtualenv
Python, which is the environment audited).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = ("pypi", "osv")
EXIT_VULNERABLE = 1
EXIT_NOT_AUDITED = 2


@dataclass
class Report:
    """What one pip-audit run found (``error`` set when it produced no report at all)."""

    service: str
    audited: dict[str, str] = field(default_factory=dict)  # name -> version
    vulnerable: list[str] = field(default_factory=list)  # one line per vulnerability
    skipped: dict[str, str] = field(default_factory=dict)  # name -> reason
    error: str = ""

    @property
    def complete(self) -> bool:
        return not self.error and not self.skipped


def parse_report(service: str, document: dict) -> Report:
    """A pip-audit JSON report (``--format json``) as a Report."""
    report = Report(service=service)
    for dependency in document.get("dependencies", []):
        name = dependency.get("name", "?")
        if "skip_reason" in dependency:
            report.skipped[name] = dependency["skip_reason"]
            continue
        report.audited[name] = dependency.get("version", "?")
        for vulnerability in dependency.get("vulns", []):
            fixes = ", ".join(vulnerability.get("fix_versions") or []) or "no fixed version yet"
            aliases = ", ".join(vulnerability.get("aliases") or [])
            ident = vulnerability.get("id", "?") + (f" ({aliases})" if aliases else "")
            report.vulnerable.append(f"{name} {report.audited[name]}: {ident}; fixed in {fixes}")
    return report


def run_pip_audit(command: list[str], service: str) -> Report:
    """Run pip-audit against ``service`` and read its JSON report."""
    with tempfile.TemporaryDirectory() as directory:
        output = Path(directory) / "audit.json"
        arguments = [
            *command,
            "--vulnerability-service",
            service,
            "--format",
            "json",
            "--output",
            str(output),
            "--progress-spinner",
            "off",
            "--skip-editable",
        ]
        try:
            finished = subprocess.run(arguments, capture_output=True, text=True, timeout=900)  # noqa: S603
        except (OSError, subprocess.TimeoutExpired) as error:
            return Report(service=service, error=f"pip-audit could not run: {error}")
        if not output.exists() or not output.read_text().strip():
            lines = [line for line in (finished.stderr or finished.stdout).splitlines() if line.strip()]
            return Report(service=service, error=lines[-1] if lines else f"exit status {finished.returncode}")
        return parse_report(service, json.loads(output.read_text()))


def audit(command: list[str]) -> tuple[Report, list[Report]]:
    """The report of the first service that answers for every package (or finds a vulnerability),
    else the most complete one; and every report made on the way."""
    reports = []
    for service in SERVICES:
        report = run_pip_audit(command, service)
        reports.append(report)
        if report.complete or report.vulnerable:
            return report, reports
    return max(reports, key=lambda report: len(report.audited)), reports


def why_not(report: Report) -> str:
    """Why ``report``'s service could not look every package up, in one line."""
    if report.error:
        return f"{report.service}: {report.error}"
    first_reason = next(iter(sorted(report.skipped.items())))[1]
    total = len(report.skipped) + len(report.audited)
    return f"{report.service}: {len(report.skipped)} of {total} packages skipped, e.g. {first_reason}"


def summary(report: Report, tried: list[Report] | None = None) -> tuple[int, list[str]]:
    """The exit status and the lines to print for ``report`` (``tried``: every service's report)."""
    require = os.environ.get("VOLNA_REQUIRE_AUDIT") == "1"
    if report.vulnerable:
        count = len(report.vulnerable)
        lines = [f"DEPENDENCY AUDIT FAILED: {count} known vulnerabilities ({report.service}):"]
        return EXIT_VULNERABLE, lines + [f"  {line}" for line in report.vulnerable]
    if report.complete:
        count = len(report.audited)
        return 0, [
            f"Dependency audit: {count} packages checked against {report.service}: no known vulnerabilities."
        ]
    banner = "!" * 78
    reasons = [f"  {why_not(each)}" for each in tried or [report] if not each.complete]
    if not report.audited:
        lines = [
            banner,
            "DEPENDENCY AUDIT NOT PERFORMED: no vulnerability database answered for these packages.",
            *reasons,
            "Nothing is known about vulnerabilities in the installed packages.",
            banner,
        ]
    else:
        not_audited = sorted(report.skipped)
        lines = [
            banner,
            f"DEPENDENCY AUDIT INCOMPLETE ({report.service}): {len(report.audited)} packages checked, "
            f"no known vulnerabilities among them; {len(not_audited)} could not be looked up:",
            "  " + ", ".join(not_audited),
            *reasons,
            banner,
        ]
    return (EXIT_NOT_AUDITED if require else 0), lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = str(Path(sys.executable).with_name("pip-audit"))
    parser.add_argument("--pip-audit", default=default, help="the pip-audit command (default: %(default)s)")
    arguments = parser.parse_args(argv)
    report, tried = audit(shlex.split(arguments.pip_audit))
    status, lines = summary(report, tried)
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
