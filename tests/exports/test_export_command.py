"""The export_wave command: writes through the same writers, audits, refuses bad requests cleanly."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from exports.models import ExportAuditEntry
from respondents.models import PanelMember, Response
from tests.exports.builders import add_response, build_questionnaire, make_survey, make_wave, read_csv

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    stdout = io.StringIO()
    call_command("export_wave", *args, stdout=stdout)
    return stdout.getvalue()


@pytest.fixture
def wave():
    wave = make_wave(make_survey())
    add_response(wave, {"country": "GE", "age": 30, "comment": "=cmd"})
    add_response(wave, {"country": "AM"}, status=Response.Status.IN_PROGRESS)
    return wave


def test_csv_by_wave_id_with_russian_labels(wave, tmp_path):
    out = tmp_path / "wave.csv"

    printed = run(
        str(wave.pk), "--format", "csv", "--out", str(out), "--values", "labels", "--language", "ru"
    )

    assert printed.strip() == f"1 rows written to {out}"
    _header, rows = read_csv(out.read_bytes())
    assert [(row["country"], row["age"], row["comment"]) for row in rows] == [("Грузия", "30", "'=cmd")]
    entry = ExportAuditEntry.objects.get()
    assert entry.action == "command" and entry.username.startswith("shell:") and entry.survey == wave.survey
    assert "=cmd" not in entry.description
    assert [path.name for path in tmp_path.iterdir()] == ["wave.csv"]  # no temp file left beside it


def test_csv_by_slug_with_semicolons_no_bom_and_all_responses(wave, tmp_path):
    out = tmp_path / "all.csv"

    run(wave.slug, "--format", "csv", "--out", str(out), "--dialect", "semicolon", "--no-bom", "--all")

    data = out.read_bytes()
    assert data.startswith(b"response_id;wave;")
    _header, rows = read_csv(data, delimiter=";")
    assert sorted(row["status"] for row in rows) == ["completed", "in_progress"]


def test_panel_long_and_wide_cover_every_wave(tmp_path):
    survey = make_survey(slug="panel", is_panel=True)
    wave1 = make_wave(survey)
    wave2 = make_wave(survey, build_questionnaire(survey, without=("comment",), extra=("new_q",)))
    member = PanelMember.objects.create(survey=survey)
    add_response(wave1, {"age": 30}, member=member)
    add_response(wave2, {"age": 31, "new_q": "yes"}, member=member)

    run(str(wave2.pk), "--format", "panel", "--out", str(tmp_path / "long.csv"))
    run(str(wave1.pk), "--format", "panel", "--layout", "wide", "--out", str(tmp_path / "wide.csv"))

    _header, long_rows = read_csv((tmp_path / "long.csv").read_bytes())
    assert [(row["wave"], row["age"], row["new_q"]) for row in long_rows] == [
        ("1", "30", ""),
        ("2", "31", "yes"),
    ]
    _header, wide_rows = read_csv((tmp_path / "wide.csv").read_bytes())
    assert [(row["panel_id"], row["age_w1"], row["age_w2"]) for row in wide_rows] == [
        (member.pseudonym, "30", "31")
    ]


def test_codebook_goes_through_the_same_dispatch(wave, tmp_path):
    out = tmp_path / "codebook.html"

    printed = run(str(wave.pk), "--format", "codebook", "--out", str(out))

    assert "variables written" in printed
    assert "<html" in out.read_text(encoding="utf-8").lower()


def test_bad_requests_are_refused_without_writing(wave, tmp_path):
    with pytest.raises(CommandError, match="No wave"):
        run("no-such-wave", "--format", "csv", "--out", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="panel survey"):
        run(str(wave.pk), "--format", "panel", "--out", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="not a language"):
        run(str(wave.pk), "--format", "csv", "--language", "de", "--out", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="Cannot write"):
        run(str(wave.pk), "--format", "csv", "--out", str(tmp_path / "missing-dir" / "x.csv"))
    assert list(tmp_path.iterdir()) == []
