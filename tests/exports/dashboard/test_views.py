"""The dashboard in the admin: the page from a snapshot, CSV files, refresh, progress, scoping."""

from __future__ import annotations

import csv
import io
import itertools
import re
import uuid
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exports.models import AggregateSnapshot
from tests.exports.builders import add_response
from tests.exports.dashboard.conftest import VIEW, make_researcher, make_snapshot, urls
from tests.exports.dashboard_fixtures import FORMULA, HOSTILE, K, figures, large_figures
from tests.factories import GroupFactory

pytestmark = pytest.mark.django_db

BROKER_DATABASES = itertools.count(1)
SECTION_TITLES = (
    "Fieldwork",
    "Frequencies",
    "Numbers",
    "Cross-tabulations",
    "Before and after",
    "Benchmarks",
    "Weights",
)


def page_text(response) -> str:
    assert response.status_code == 200, response.content[:2000]
    return response.content.decode()


def table_html(content: str, key: str) -> str:
    """The HTML of one table on the page, found by its data-table key."""
    match = re.search(
        rf'<table class="volna-dashboard-table" data-table="{re.escape(key)}">(.*?)</table>', content, re.S
    )
    assert match, f"no table {key}"
    return match.group(1)


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def csv_url(wave, key: str) -> str:
    return f"{urls(wave)['csv']}?table={key}"


# -- the page --------------------------------------------------------------------------------------


def test_page_renders_every_section_from_the_snapshot(researcher_client, wave, snapshot):
    content = page_text(researcher_client.get(urls(wave)["page"]))

    for title in SECTION_TITLES:
        assert f">{title}</h2>" in content, title
    # one table per frequency question, cross-tab, pair (and its breakdown groups), plus the rest
    for key in (
        "fieldwork-status",
        "fieldwork-language",
        "fieldwork-days",
        "fieldwork-funnel",
        "frequencies:gender",
        "frequencies:act",
        "frequencies:education",
        "numbers",
        "crosstab:act:gender",
        "pair:act_before:act_after",
        "pair:act_before:act_after:by:gender",
        "benchmarks",
        "weights",
    ):
        assert f'data-table="{key}"' in content, key
    assert "Female" in content and "What did you do?" in content
    assert "n = 240" in content and "200 completed" in content
    assert "Rosstat 2021" in content  # the benchmark's source note
    assert "Design effect" in content and "1.21" in content
    assert "(computed just now)" in content


def test_header_says_when_the_snapshot_was_computed_and_how_long_ago(researcher_client, wave):
    make_snapshot(wave, computed_at=timezone.now() - timezone.timedelta(minutes=3))

    content = page_text(researcher_client.get(urls(wave)["page"]))

    assert "computed 3\xa0minutes ago" in content
    assert 'value="Refresh now"' in content
    assert f'action="{urls(wave)["refresh"]}"' in content
    assert "csrfmiddlewaretoken" in content


def test_frequency_table_shows_counts_shares_and_sets_no_answer_and_not_shown_apart(
    researcher_client, wave, snapshot
):
    content = page_text(researcher_client.get(urls(wave)["page"]))

    gender = table_html(content, "frequencies:gender")
    body, foot = gender.split('<tbody class="volna-table-foot">')
    assert "Female" in body and ">104<" in body and ">52.0%<" in body  # 104 of a base of 200
    assert ">49.4%<" in body  # the weighted share (0.52 × 0.95)
    assert "No answer" in foot and ">10<" in foot and ">5.0%<" in foot
    assert "Not shown" in foot and "No answer" not in body
    act = table_html(content, "frequencies:act")
    assert "Several answers allowed" in act
    assert "Not shown" in act and ">20<" in act.split("Not shown")[1]


def test_suppressed_cells_read_less_than_k_and_never_zero(researcher_client, wave, snapshot):
    content = page_text(researcher_client.get(urls(wave)["page"]))

    suppressed = f'<td class="volna-suppressed">&lt; {K}</td>'
    # "Other" in gender (3 of 200): count, share and weighted share are all "< 5"
    gender = table_html(content, "frequencies:gender")
    other_row = re.search(
        r'<th scope="row">Other <span class="volna-cell-detail">x</span></th>(.*?)</tr>', gender, re.S
    )
    assert other_row.group(1).count(suppressed) == 3
    assert ">0<" not in other_row.group(1) and "0.0%" not in other_row.group(1)
    # a cross-tab column whose base is suppressed, a number question, a before/after cell, a benchmark
    assert suppressed in table_html(content, "crosstab:act:gender")
    numbers = table_html(content, "numbers")
    children = re.search(r"Children.*?</tr>", numbers, re.S).group(0)
    assert suppressed in children and "—" in children
    assert "volna-suppressed" in table_html(content, "pair:act_before:act_after")
    assert suppressed in table_html(content, "benchmarks")
    assert f"Cells under {K} respondents are shown as “&lt; {K}”." in content


def test_crosstab_shows_column_shares_with_count_and_interval(researcher_client, wave, snapshot):
    content = page_text(researcher_client.get(urls(wave)["page"]))

    crosstab = table_html(content, "crosstab:act:gender")
    assert "Column shares" in crosstab
    # rally among women: 33 of 95 = 34.7%, Wilson interval 25.9–44.7%
    assert (
        '<td class="volna-num">34.7%<span class="volna-cell-detail">33 · 25.9–44.7%</span></td>' in crosstab
    )
    assert "What did you do? by Gender" in content


def test_pair_table_shows_before_after_and_change_in_points(researcher_client, wave, snapshot):
    content = page_text(researcher_client.get(urls(wave)["page"]))

    pair = table_html(content, "pair:act_before:act_after")
    rally = re.search(r"Rally</th>(.*?)</tr>", pair, re.S).group(1)
    # 40 → 61 of 180: 22.2% → 33.9%, +11.7 points
    assert "22.2%" in rally and "33.9%" in rally and "+11.7" in rally
    none = re.search(r"None</th>(.*?)</tr>", pair, re.S).group(1)
    assert "&lt; 5" in none and "—" in none  # suppressed on both sides: no change shown
    assert "Gender: Female" in content and "Gender: Male" in content


def test_charts_are_images_with_text_alternatives_beside_their_tables(researcher_client, wave, snapshot):
    content = page_text(researcher_client.get(urls(wave)["page"]))

    charts = re.findall(r'<svg class="volna-chart"[^>]*>', content)
    # days, funnel, 3 frequencies, 1 cross-tab, 1 pair, benchmarks
    assert len(charts) == 8
    for tag in charts:
        assert 'role="img"' in tag and re.search(r'aria-label="[^"]{10,}"', tag), tag
    assert content.count("<title>") == len(charts) + 1  # each chart's title, and the page's
    assert 'aria-label="Bar chart of Gender: Female 52.0%; Male 41.5%; Other &lt; 5."' in content
    assert "style=" not in content.split('<div id="content-main"')[1]  # CSP: no inline style


def test_hostile_labels_are_escaped_in_tables_and_charts(researcher_client, wave, snapshot):
    content = page_text(researcher_client.get(urls(wave)["page"]))

    assert "<script>window.__xss" not in content
    assert "<img src=x" not in content
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in content
    svg_texts = re.findall(r"<text [^>]*>(.*?)</text>", content)
    assert any("&lt;img src=x" in text for text in svg_texts)
    assert HOSTILE not in content


def test_labels_follow_the_admin_language_when_the_survey_has_it(researcher_client, wave, snapshot):
    english = page_text(researcher_client.get(urls(wave)["page"], HTTP_ACCEPT_LANGUAGE="en"))
    russian = page_text(researcher_client.get(urls(wave)["page"], HTTP_ACCEPT_LANGUAGE="ru"))

    assert "Female" in english and "Женщина" not in english
    assert "Женщина" in russian and "52,0%" in russian


def test_labels_fall_back_to_the_survey_default_language(researcher_client, wave):
    survey = wave.survey
    survey.languages, survey.default_language = ["ru"], "ru"
    survey.save(update_fields=["languages", "default_language"])
    make_snapshot(wave)

    content = page_text(researcher_client.get(urls(wave)["page"], HTTP_ACCEPT_LANGUAGE="en"))

    assert "Женщина" in content and ">Female<" not in content
    assert "Frequencies" in content  # the interface itself stays in the admin's language


def test_empty_state_offers_the_refresh_button(researcher_client, wave):
    content = page_text(researcher_client.get(urls(wave)["page"]))

    assert "No figures yet" in content
    assert 'value="Refresh now"' in content
    assert "volna-dashboard-section" not in content


def test_page_costs_the_same_queries_for_a_demo_sized_questionnaire(researcher_client, wave):
    snapshot = make_snapshot(wave)
    researcher_client.get(urls(wave)["page"])  # warm the session and content types
    with CaptureQueriesContext(connection) as small:
        page_text(researcher_client.get(urls(wave)["page"]))
    snapshot.figures = large_figures(questions=60)
    snapshot.save(update_fields=["figures"])

    with CaptureQueriesContext(connection) as large:
        content = page_text(researcher_client.get(urls(wave)["page"]))

    assert content.count('data-table="frequencies:') == 60
    assert len(large.captured_queries) == len(small.captured_queries) <= 10


def test_wave_page_links_to_the_dashboard(researcher_client, wave):
    content = page_text(researcher_client.get(reverse("admin:surveys_wave_change", args=[wave.pk])))

    assert f'href="{urls(wave)["page"]}"' in content


# -- CSV files ---------------------------------------------------------------------------------------


def test_every_table_on_the_page_downloads_as_csv(researcher_client, wave, snapshot):
    content = page_text(researcher_client.get(urls(wave)["page"]))
    keys = sorted(set(re.findall(r'data-table="([^"]+)"', content)))
    links = set(re.findall(r'href="[^"]*/csv/\?table=([^"]+)"', content))

    assert len(keys) == 13
    for key in keys:
        assert key.replace(":", "%3A") in links, key
        response = researcher_client.get(csv_url(wave, key))
        assert response.status_code == 200, key
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith('attachment; filename="emigrants-2022-wave1-')
        assert "no-store" in response["Cache-Control"]
        rows = read_csv(response.content)
        assert len(rows) >= 2 and all(len(row) == len(rows[0]) for row in rows), key


def test_frequency_csv_holds_counts_shares_and_suppressed_cells_as_less_than_k(
    researcher_client, wave, snapshot
):
    rows = read_csv(researcher_client.get(csv_url(wave, "frequencies:gender")).content)

    assert rows[0] == ["code", "label", "count", "share", "weighted_share"]
    assert rows[1] == ["f", "Female", "104", "52.0%", "49.4%"]
    assert rows[3] == ["x", "Other", f"< {K}", f"< {K}", f"< {K}"]
    assert rows[4][0] == "(base)" and rows[4][2] == "200"
    assert rows[5][:4] == ["(no answer)", "No answer", "10", "5.0%"]
    assert rows[6][:3] == ["(not shown)", "Not shown", "0"]


def test_csv_neutralises_formulas_in_labels(researcher_client, wave, snapshot):
    rows = read_csv(researcher_client.get(csv_url(wave, "frequencies:education")).content)

    school = next(row for row in rows if row[0] == "school")
    assert school[1] == "'" + FORMULA


def test_crosstab_and_pair_breakdown_csv(researcher_client, wave, snapshot):
    crosstab = read_csv(researcher_client.get(csv_url(wave, "crosstab:act:gender")).content)
    by_gender = read_csv(researcher_client.get(csv_url(wave, "pair:act_before:act_after:by:gender")).content)

    assert crosstab[0][:6] == ["code", "label", "f_count", "f_share", "f_ci_low", "f_ci_high"]
    assert crosstab[1][:6] == ["rally", "Rally", "33", "34.7%", "25.9", "44.7"]
    assert crosstab[1][-4:] == [f"< {K}", f"< {K}", "", ""]
    assert crosstab[-1][:3] == ["(base)", "Base", "95"]
    assert by_gender[0][:3] == ["group_code", "group_label", "code"]
    assert [row[0] for row in by_gender[1:]] == ["f"] * 3 + ["m"] * 3
    assert by_gender[1][-1] == "11.6"  # women, rally: 22 → 33 of 95


def test_all_tables_download_as_one_zip(researcher_client, wave, snapshot):
    response = researcher_client.get(csv_url(wave, "all"))

    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert len(names) == 13 and "frequencies-gender.csv" in names


def test_unknown_table_and_missing_snapshot_are_404(researcher_client, wave):
    assert researcher_client.get(csv_url(wave, "frequencies:gender")).status_code == 404
    make_snapshot(wave)
    assert researcher_client.get(csv_url(wave, "frequencies:nothing")).status_code == 404
    assert researcher_client.get(urls(wave)["csv"]).status_code == 404


# -- refresh and progress ------------------------------------------------------------------------------


def _finish_responses(wave, count):
    for _ in range(count):
        add_response(wave, {})


def test_refresh_queues_a_snapshot_and_the_page_follows_its_progress(
    researcher_client, wave, snapshot, django_capture_on_commit_callbacks
):
    _finish_responses(wave, wave.survey.small_cell_k)  # enough new responses for new figures
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = researcher_client.post(urls(wave)["refresh"])

    # then
    assert response.status_code == 302 and response["Location"] == urls(wave)["page"]
    assert len(callbacks) == 1  # the task is sent after commit
    pending = AggregateSnapshot.objects.get(wave=wave, status=AggregateSnapshot.Status.QUEUED)
    assert pending.requested_by.username == "anna"
    content = page_text(researcher_client.get(urls(wave)["page"]))
    progress_url = reverse("dashboard:progress", args=[wave.pk, pending.pk])
    assert f'data-status-url="{progress_url}"' in content
    assert '<progress max="100" value="0" aria-label="Refresh progress">' in content
    assert "admin/volna/progress.js" in content and '<meta http-equiv="refresh"' in content
    assert 'value="Refresh now"' not in content
    assert 'data-table="frequencies:gender"' in content  # the last figures stay shown meanwhile


def test_refresh_waits_until_k_more_responses_have_finished(
    researcher_client, wave, snapshot, django_capture_on_commit_callbacks
):
    _finish_responses(wave, wave.survey.small_cell_k - 1)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = researcher_client.post(urls(wave)["refresh"], follow=True)

    assert not callbacks and not AggregateSnapshot.objects.filter(wave=wave, status="queued").exists()
    assert "4 responses have finished since these figures. They are refreshed once 5 have" in page_text(
        response
    )


def test_second_refresh_joins_the_pending_snapshot(
    researcher_client, wave, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        researcher_client.post(urls(wave)["refresh"])
        researcher_client.post(urls(wave)["refresh"])

    assert AggregateSnapshot.objects.filter(wave=wave).count() == 1


def test_progress_endpoint_reports_the_snapshot_as_json(researcher_client, wave):
    pending = make_snapshot(wave, status=AggregateSnapshot.Status.RUNNING, computed_at=None, progress=42)

    response = researcher_client.get(reverse("dashboard:progress", args=[wave.pk, pending.pk]))

    assert response.json() == {
        "status": "running",
        "status_label": "Running",
        "progress": 42,
        "finished": False,
    }
    assert "no-store" in response["Cache-Control"]
    pending.status, pending.progress, pending.computed_at = AggregateSnapshot.Status.DONE, 100, timezone.now()
    pending.save()
    assert researcher_client.get(reverse("dashboard:progress", args=[wave.pk, pending.pk])).json()["finished"]


@pytest.mark.django_db(transaction=True)
def test_refresh_with_the_broker_down_and_no_snapshot_yet_says_to_try_later(team, wave, broker_down):
    client = make_researcher("anna", team)

    content = page_text(client.post(urls(wave)["refresh"], follow=True))

    assert "Refresh unavailable: the task queue cannot be reached." in content
    assert "No figures yet" in content and 'value="Refresh now"' in content


def test_a_failed_refresh_is_reported_above_the_last_figures(researcher_client, wave, snapshot):
    make_snapshot(wave, status=AggregateSnapshot.Status.FAILED, computed_at=None, error="The worker stopped")

    content = page_text(researcher_client.get(urls(wave)["page"]))

    assert "The last refresh failed: The worker stopped" in content
    assert 'data-table="frequencies:gender"' in content


def test_refresh_needs_post_and_the_add_permission(team, wave, snapshot):
    viewer = make_researcher("vera", team, codenames=(VIEW,))

    assert viewer.get(urls(wave)["refresh"]).status_code == 405
    assert viewer.post(urls(wave)["refresh"]).status_code == 403
    assert 'value="Refresh now"' not in page_text(viewer.get(urls(wave)["page"]))
    assert not AggregateSnapshot.objects.exclude(pk=snapshot.pk).exists()


# -- who may see it ------------------------------------------------------------------------------------


def test_another_teams_researcher_gets_404_by_every_url(wave, snapshot):
    stranger = make_researcher("boris", GroupFactory(name="team-south"))
    every_url = [
        urls(wave)["page"],
        csv_url(wave, "frequencies:gender"),
        csv_url(wave, "all"),
        reverse("dashboard:progress", args=[wave.pk, snapshot.pk]),
    ]

    for url in every_url:
        assert stranger.get(url).status_code == 404, url
    assert stranger.post(urls(wave)["refresh"]).status_code == 404
    assert AggregateSnapshot.objects.count() == 1


def test_progress_of_another_waves_snapshot_is_404(researcher_client, wave, team):
    other_wave = make_snapshot(wave).wave  # same team, but ask through a different wave's URL
    from tests.exports.builders import make_survey, make_wave

    survey = make_survey(slug="other-survey")
    survey.team = team
    survey.save(update_fields=["team"])
    second = make_wave(survey)
    foreign = make_snapshot(second)

    url = reverse("dashboard:progress", args=[other_wave.pk, foreign.pk])
    assert researcher_client.get(url).status_code == 404
    assert (
        researcher_client.get(reverse("dashboard:progress", args=[wave.pk, uuid.uuid4()])).status_code == 404
    )


def test_a_team_member_without_the_view_permission_gets_403(team, wave, snapshot):
    member = make_researcher("petr", team, codenames=())

    assert member.get(urls(wave)["page"]).status_code == 403
    assert member.get(csv_url(wave, "numbers")).status_code == 403
    wave_page = page_text(member.get(reverse("admin:surveys_wave_change", args=[wave.pk])))
    assert urls(wave)["page"] not in wave_page


def test_anonymous_visitors_are_sent_to_the_admin_login(client, wave, snapshot):
    response = client.get(urls(wave)["page"])

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.get(csv_url(wave, "numbers")).status_code == 302


def test_export_permission_is_not_needed(team, wave, snapshot):
    viewer = make_researcher("olga", team, codenames=(VIEW,))

    content = page_text(viewer.get(urls(wave)["page"]))

    assert len(set(re.findall(r'data-table="([^"]+)"', content))) == 13


def test_figures_document_is_the_contract_shape():
    document = figures()

    assert document["version"] == 1 and document["k"] == K
    for question in document["questions"]:
        for row in question["rows"]:
            cell = row["cell"]
            assert set(cell) == {"count", "share", "suppressed"}
            assert (cell["count"] is None) == cell["suppressed"]


# -- with the real computation -------------------------------------------------------------------------


def test_figures_computed_from_responses_render_and_download(researcher_client, wave):
    # given: 12 answered country, of whom 2 said Armenia (below k); act is a select_multiple
    from exports.aggregation.services import aggregation_compute_now
    from exports.models import Breakdown
    from tests.exports.builders import add_response

    for index in range(12):
        country = "AM" if index < 2 else "GE"
        add_response(
            wave, {"country": country, "act": ["rally", "donate"][: 1 + index % 2], "age": 20 + index}
        )
    add_response(wave, {"country": None})
    Breakdown.objects.create(survey=wave.survey, variable="country", position=0)

    # when
    snapshot = aggregation_compute_now(wave=wave)
    content = page_text(researcher_client.get(urls(wave)["page"]))

    # then
    assert snapshot.status == AggregateSnapshot.Status.DONE, snapshot.error
    country = table_html(content, "frequencies:country")
    assert "Georgia" in country and ">10<" in country and "&lt; 5" in country
    assert 'data-table="numbers"' in content
    keys = set(re.findall(r'data-table="([^"]+)"', content))
    assert "crosstab:act:country" in keys
    for key in keys:
        assert researcher_client.get(csv_url(wave, key)).status_code == 200, key
    rows = read_csv(researcher_client.get(csv_url(wave, "frequencies:country")).content)
    assert ["AM", "Armenia", "< 5", "< 5"] in [row[:4] for row in rows]


def test_a_wave_without_responses_renders_its_computed_figures(researcher_client, wave):
    from exports.aggregation.services import aggregation_compute_now

    assert aggregation_compute_now(wave=wave).status == AggregateSnapshot.Status.DONE

    content = page_text(researcher_client.get(urls(wave)["page"]))

    assert "n = 0" in content
    assert 'data-table="frequencies:country"' in content


@pytest.fixture
def broker_down():
    """Tasks go to a Redis broker where nothing listens; the app's pools are set aside meanwhile."""
    from config.celery import app

    previous = (app.conf.task_always_eager, app.conf.broker_url, app._pool, app.amqp._producer_pool)
    app._pool = app.amqp._producer_pool = None
    app.conf.task_always_eager = False
    # a database number of its own per test: kombu keeps producer pools by URL for the whole process,
    # and the pool of an earlier test is closed
    app.conf.broker_url = f"redis://127.0.0.1:1/{next(BROKER_DATABASES)}"
    yield
    if app._pool is not None:
        app._pool.force_close_all()
    app.conf.task_always_eager, app.conf.broker_url, app._pool, app.amqp._producer_pool = previous


@pytest.mark.django_db(transaction=True)
def test_refresh_with_an_unreachable_broker_says_so_and_keeps_the_figures(team, wave, broker_down):
    """The real path: the task cannot be sent after commit, the service raises, the page explains."""
    make_snapshot(wave)
    _finish_responses(wave, wave.survey.small_cell_k)
    client = make_researcher("anna", team)

    response = client.post(urls(wave)["refresh"], follow=True)

    content = page_text(response)
    assert "Refresh unavailable; showing the last snapshot from" in content
    assert 'data-table="frequencies:gender"' in content
    assert 'value="Refresh now"' in content  # nothing is left pending: the next try may go through
    assert not AggregateSnapshot.objects.filter(wave=wave, status__in=["queued", "running"]).exists()


def test_dashboard_settings_link_needs_the_plan_permission(team, wave, snapshot):
    plain = make_researcher("ivan", team)
    planner = make_researcher("inna", team, codenames=(VIEW, "view_analysisplan"))
    settings_url = reverse("admin:exports_analysisplan_change", args=[wave.survey_id])

    assert settings_url not in page_text(plain.get(urls(wave)["page"]))
    assert f'href="{settings_url}"' in page_text(planner.get(urls(wave)["page"]))
