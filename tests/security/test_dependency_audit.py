"""The CI dependency audit (.ci/dependency_audit.py) fails on a known vulnerability and never reports a
clean audit that did not happen.

pip-audit is replaced by a stand-in that answers what each test says each vulnerability database
would (the real databases are out of reach of test machines); one test runs the real pip-audit to
check that it is installed.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / ".ci" / "dependency_audit.py"
FAKE_PIP_AUDIT = """
import json, sys
answers = json.load(open(sys.argv[1]))
service = sys.argv[sys.argv.index("--vulnerability-service") + 1]
output = sys.argv[sys.argv.index("--output") + 1]
open(sys.argv[1] + ".calls", "a").write(service + "\\n")
answer = answers[service]
if "report" in answer:
    json.dump(answer["report"], open(output, "w"))
sys.stderr.write(answer.get("stderr", ""))
sys.exit(answer.get("exit", 0))
"""
DJANGO = {"name": "django", "version": "5.2.19", "vulns": []}
CELERY = {"name": "celery", "version": "5.7.0", "vulns": []}
VULNERABLE_DJANGO = {
    "name": "django",
    "version": "4.2.0",
    "vulns": [{"id": "PYSEC-2023-100", "fix_versions": ["4.2.2"], "aliases": ["CVE-2023-36053"]}],
}


def skipped(name: str) -> dict:
    return {
        "name": name,
        "skip_reason": f"Dependency not found on PyPI and could not be audited: {name} (1.0)",
    }


UNREACHABLE = {
    "exit": 1,
    "stderr": "Traceback ...\nrequests.exceptions.ConnectionError: Failed to resolve 'api.osv.dev'\n",
}


def load_script():
    spec = importlib.util.spec_from_file_location("dependency_audit", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["dependency_audit"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def run_audit(tmp_path: Path, answers: dict, **environment: str) -> tuple[int, str, list[str]]:
    """Run the script with the stand-in pip-audit; exit status, output and the services asked."""
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps(answers))
    fake = tmp_path / "fake_pip_audit.py"
    fake.write_text(FAKE_PIP_AUDIT)
    finished = subprocess.run(
        [sys.executable, str(SCRIPT), "--pip-audit", f"{sys.executable} {fake} {answers_file}"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **environment},
        timeout=60,
    )
    calls = Path(f"{answers_file}.calls").read_text().split()
    return finished.returncode, finished.stdout + finished.stderr, calls


def test_a_known_vulnerability_fails_and_is_named(tmp_path):
    answers = {"pypi": {"exit": 1, "report": {"dependencies": [VULNERABLE_DJANGO, CELERY], "fixes": []}}}

    status, output, _calls = run_audit(tmp_path, answers)

    assert status == 1
    assert "DEPENDENCY AUDIT FAILED: 1 known vulnerabilities (pypi)" in output
    assert "django 4.2.0: PYSEC-2023-100 (CVE-2023-36053); fixed in 4.2.2" in output


def test_a_vulnerability_found_by_osv_when_pypi_cannot_answer_fails(tmp_path):
    answers = {
        "pypi": {"report": {"dependencies": [skipped("django"), skipped("celery")]}},
        "osv": {"exit": 1, "report": {"dependencies": [VULNERABLE_DJANGO, CELERY]}},
    }

    status, output, calls = run_audit(tmp_path, answers)

    assert (status, calls) == (1, ["pypi", "osv"])
    assert "PYSEC-2023-100" in output


def test_a_complete_clean_audit_says_how_many_packages_and_where(tmp_path):
    answers = {"pypi": {"report": {"dependencies": [DJANGO, CELERY], "fixes": []}}}

    status, output, calls = run_audit(tmp_path, answers)

    assert (status, calls) == (0, ["pypi"])
    assert output.strip() == "Dependency audit: 2 packages checked against pypi: no known vulnerabilities."


def test_an_audit_that_reached_no_database_says_so_and_claims_nothing(tmp_path):
    # what this machine gets: PyPI's per-version JSON is not served, OSV's host does not resolve
    answers = {
        "pypi": {"report": {"dependencies": [skipped("django"), skipped("celery")]}},
        "osv": UNREACHABLE,
    }

    status, output, calls = run_audit(tmp_path, answers)

    assert (status, calls) == (0, ["pypi", "osv"])
    assert "DEPENDENCY AUDIT NOT PERFORMED" in output
    assert "pypi: 2 of 2 packages skipped" in output
    assert "osv: requests.exceptions.ConnectionError: Failed to resolve 'api.osv.dev'" in output
    assert "no known vulnerabilities" not in output.lower()


def test_a_missing_audit_fails_where_an_audit_is_required(tmp_path):
    answers = {"pypi": UNREACHABLE, "osv": UNREACHABLE}

    status, output, _calls = run_audit(tmp_path, answers, VOLNA_REQUIRE_AUDIT="1")

    assert status == 2
    assert "DEPENDENCY AUDIT NOT PERFORMED" in output


def test_a_partial_audit_lists_the_packages_it_could_not_check(tmp_path):
    answers = {
        "pypi": {"report": {"dependencies": [DJANGO, skipped("celery")]}},
        "osv": {"report": {"dependencies": [skipped("django"), skipped("celery")]}},
    }

    status, output, _calls = run_audit(tmp_path, answers)

    assert status == 0
    assert "DEPENDENCY AUDIT INCOMPLETE (pypi): 1 packages checked" in output
    assert "1 could not be looked up:\n  celery" in output


def test_reports_are_read_from_pip_audits_json():
    audit = load_script()

    report = audit.parse_report("pypi", {"dependencies": [VULNERABLE_DJANGO, skipped("celery")], "fixes": []})

    assert report.audited == {"django": "4.2.0"}
    assert list(report.skipped) == ["celery"]
    assert not report.complete


@pytest.mark.parametrize("requirements", ["requirements-dev.txt"])
def test_pip_audit_is_pinned_and_installed(requirements):
    assert "pip-audit==" in (ROOT / requirements).read_text()
    pip_audit = Path(sys.executable).with_name("pip-audit")

    version = subprocess.run([str(pip_audit), "--version"], capture_output=True, text=True, timeout=60)

    assert version.returncode == 0 and version.stdout.startswith("pip-audit ")


def test_ci_runs_the_audit():
    assert ".venv/bin/python .ci/dependency_audit.py" in (ROOT / ".ci" / "run").read_text()
