"""The research dashboard in Chromium: no axe violation, readable on a 375 px phone, hostile labels
inert, the progress bar reloading the page when a refresh ends, and the README screenshot.

The figures are the hand-written contract document of tests/exports/dashboard_fixtures.py, except for
the screenshot, which shows the demo wave as the real aggregation computes it. With VOLNA_SCREENSHOTS=1
the screenshot is written to docs/img/dashboard.png, else to test-artifacts/.
"""

from __future__ import annotations

import io
import os
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from exports.aggregation.services import aggregation_compute_now
from exports.models import AggregateSnapshot, BeforeAfterPair, Breakdown, PopulationBenchmark
from respondents.management.commands.load_demo import ADMIN_USERNAME, SURVEY_SLUG
from surveys.models import Wave
from tests import conftest as suite
from tests.browser.conftest import ARTIFACTS, describe, log_in, run_axe
from tests.exports.builders import make_survey, make_wave
from tests.exports.dashboard_fixtures import figures
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

XSS_FIRED = "window.__xss !== undefined || document.querySelector('img[src=\"x\"]') !== null"
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def dashboard_wave():
    wave = make_wave(make_survey())
    AggregateSnapshot.objects.create(
        wave=wave,
        status=AggregateSnapshot.Status.DONE,
        progress=100,
        computed_at=timezone.now() - timezone.timedelta(minutes=3),
        responses=240,
        figures=figures(wave_id=wave.pk),
    )
    return wave


def dashboard_url(live_server, wave) -> str:
    return f"{live_server.url}/admin/surveys/wave/{wave.pk}/dashboard/"


def screenshot_dir():
    target = suite.ROOT / "docs" / "img" if os.environ.get("VOLNA_SCREENSHOTS") == "1" else ARTIFACTS
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.mark.parametrize("width", [1280, 375])
def test_dashboard_has_no_accessibility_violation_and_fits_the_screen(live_server, axe, width):
    wave = dashboard_wave()
    context = axe(viewport={"width": width, "height": 900}, color_scheme="light")
    log_in(context, live_server, UserFactory(is_superuser=True))
    page = context.new_page()

    page.goto(dashboard_url(live_server, wave))

    expect(page.locator("h1")).to_have_text("Dashboard of wave 1: Wave")
    expect(page.locator("svg.volna-chart").first).to_be_visible()
    violations = run_axe(page)
    assert violations == [], describe(violations)
    assert page.evaluate(OVERFLOW) <= 0, "the page scrolls sideways (only wide tables may, inside their box)"
    chart_box = page.locator("svg.volna-chart").first.bounding_box()
    assert chart_box is not None and chart_box["x"] + chart_box["width"] <= width
    assert not page.evaluate(XSS_FIRED), "a hostile label ran or became markup"


def test_running_refresh_shows_progress_and_the_page_reloads_when_it_ends(live_server, new_context):
    wave = dashboard_wave()
    running = AggregateSnapshot.objects.create(
        wave=wave, status=AggregateSnapshot.Status.RUNNING, progress=40, heartbeat_at=timezone.now()
    )
    context = new_context(viewport={"width": 1280, "height": 900})
    log_in(context, live_server, UserFactory(is_superuser=True))
    page = context.new_page()
    page.goto(dashboard_url(live_server, wave))
    expect(page.locator("#volna-dashboard-refresh progress")).to_have_attribute("value", "40")
    expect(page.locator("[data-volna-progress]")).to_have_text("40%")

    # when: the computation moves on, then ends
    AggregateSnapshot.objects.filter(pk=running.pk).update(progress=70)
    expect(page.locator("[data-volna-progress]")).to_have_text("70%")
    done = figures(wave_id=wave.pk)
    done["n"]["all"] = 321
    AggregateSnapshot.objects.filter(pk=running.pk).update(
        status=AggregateSnapshot.Status.DONE, progress=100, computed_at=timezone.now(), figures=done
    )

    # then: the page reloads by itself with the new figures and the button back
    expect(page.locator(".volna-dashboard-n")).to_have_text("n = 321")
    expect(page.locator("#volna-dashboard-refresh")).to_have_count(0)
    expect(page.locator("input[value='Refresh now']")).to_be_visible()


def test_dashboard_screenshot_of_the_demo_wave(live_server, new_context):
    """The README's picture: the demo survey's open wave, computed by the real aggregation."""
    call_command("load_demo", "--password", "demo-screenshots-only", stdout=io.StringIO())
    wave = Wave.objects.get(survey__slug=SURVEY_SLUG, status=Wave.Status.OPEN)
    survey = wave.survey
    Breakdown.objects.create(survey=survey, variable="gender", position=0)
    BeforeAfterPair.objects.create(
        survey=survey, before="act_before", after="act_after", label="Civic activity before and after leaving"
    )
    PopulationBenchmark.objects.create(
        survey=survey, variable="education", code="higher", share_percent=Decimal(27), source="Census 2021"
    )
    assert aggregation_compute_now(wave=wave).status == AggregateSnapshot.Status.DONE
    context = new_context(viewport={"width": 1280, "height": 1100}, color_scheme="light")
    log_in(context, live_server, User.objects.get(username=ADMIN_USERNAME))
    # the admin's navigation sidebar folded, as its toggle leaves it, so the figures get the width
    context.add_init_script("localStorage.setItem('django.admin.navSidebarIsOpen', 'false')")
    page = context.new_page()

    page.goto(dashboard_url(live_server, wave))

    expect(page.locator("[data-table='frequencies:country']")).to_be_attached()
    expect(page.locator("#nav-sidebar")).not_to_be_visible()
    page.screenshot(path=str(screenshot_dir() / "dashboard.png"), animations="disabled")
