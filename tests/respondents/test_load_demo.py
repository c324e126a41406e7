"""``load_demo``: the demo survey, published version, waves and admin user; running it twice adds nothing."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from respondents.models import Response
from surveys.models import Questionnaire, Survey, Wave

pytestmark = pytest.mark.django_db


def load_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def test_load_demo_creates_the_survey_a_published_version_and_two_waves():
    output = load_demo()

    survey = Survey.objects.get(slug="emigrants-2022")
    assert survey.languages == ["en", "ru"]
    assert survey.default_language == "en"
    assert set(survey.title) == {"en", "ru"}
    assert survey.team.name == "Demo research team"
    questionnaire = survey.questionnaires.get()
    assert questionnaire.status == Questionnaire.Status.PUBLISHED
    country = questionnaire.snapshot["sections"][1]["questions"][0]
    assert country["label"]["ru"].endswith("вы сейчас живёте?")
    spring, autumn = survey.waves.order_by("number")
    assert (spring.number, spring.name, spring.status) == (1, "Spring 2023", Wave.Status.CLOSED)
    assert (autumn.number, autumn.name, autumn.status) == (2, "Autumn 2023", Wave.Status.OPEN)
    for wave in (spring, autumn):
        assert set(wave.welcome) == set(wave.thanks) == {"en", "ru"}
        assert wave.questionnaire_id == questionnaire.pk
    assert spring.responses.filter(status="completed").count() == 2000
    assert spring.responses.filter(status="in_progress").count() > 0
    assert autumn.responses.filter(status="completed").count() > 0
    assert "/admin/" in output
    assert f"/s/{autumn.slug}/" in output
    assert f"/s/{spring.slug}/" not in output


def test_load_demo_creates_a_superuser_with_a_random_password_shown_once():
    output = load_demo()

    password = re.search(r"password: (\S+)", output).group(1)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(password)
    assert admin.groups.filter(name="Demo research team").exists()
    assert password not in load_demo()


def test_running_load_demo_twice_duplicates_nothing_and_keeps_the_password():
    load_demo("--password", "first password")
    wave_slugs = set(Wave.objects.values_list("slug", flat=True))
    responses = Response.objects.count()

    output = load_demo()

    assert "password was left unchanged" in output
    assert User.objects.get(username="admin").check_password("first password")
    assert Group.objects.filter(name="Demo research team").count() == 1
    assert Survey.objects.count() == 1
    assert Questionnaire.objects.count() == 1
    assert set(Wave.objects.values_list("slug", flat=True)) == wave_slugs
    assert list(Wave.objects.order_by("number").values_list("status", flat=True)) == ["closed", "open"]
    assert Response.objects.count() == responses


def test_load_demo_sets_the_password_of_an_existing_admin_when_asked():
    User.objects.create_user("admin", password="old")

    load_demo("--password", "new password")

    assert User.objects.get(username="admin").check_password("new password")
