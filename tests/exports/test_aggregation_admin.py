"""Dashboard settings in the admin: the analysis plan of a survey, scoped by team, checked on save."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from exports.models import BeforeAfterPair, Breakdown, PopulationBenchmark, WeightMargin
from tests.exports.aggregation_builders import make_plan_survey
from tests.factories import GroupFactory, UserFactory
from tests.surveys.admin_helpers import change_form_data, grant_survey_permissions

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:exports_analysisplan_changelist"


def plan_url(survey) -> str:
    return reverse("admin:exports_analysisplan_change", args=[survey.pk])


@pytest.fixture
def team():
    return GroupFactory(name="team-north")


@pytest.fixture
def own_survey(team):
    return make_plan_survey(slug="north-exiles", team=team)


@pytest.fixture
def foreign_survey():
    return make_plan_survey(slug="south-secret", team=GroupFactory(name="team-south"))


@pytest.fixture
def researcher(team) -> Client:
    user = UserFactory(username="anna")
    user.groups.add(team)
    grant_survey_permissions(user)
    client = Client()
    client.force_login(user)
    return client


def page_data(client: Client, survey) -> dict[str, object]:
    response = client.get(plan_url(survey))
    assert response.status_code == 200
    return change_form_data(response)


def errors_of(response) -> str:
    """Every error message on the page: the inline rows' and the inline tables' own."""
    messages = []
    for inline in response.context["inline_admin_formsets"]:
        messages += inline.formset.non_form_errors()
        for errors in inline.formset.errors:
            messages += [message for field in errors.values() for message in field]
    return " | ".join(messages)


def test_researchers_see_only_their_teams_plans(researcher, own_survey, foreign_survey):
    listing = researcher.get(reverse(CHANGELIST))

    assert listing.status_code == 200
    assert b"north-exiles" in listing.content and b"south-secret" not in listing.content
    assert researcher.get(plan_url(foreign_survey)).status_code == 404
    assert researcher.get(reverse("admin:exports_analysisplan_change", args=[999_999])).status_code == 404
    data = page_data(researcher, own_survey)
    data.update({"breakdowns-0-variable": "gender", "breakdowns-0-position": "1"})
    assert researcher.post(plan_url(foreign_survey), data).status_code == 404
    assert not Breakdown.objects.exists()


def test_the_page_offers_the_published_questions_as_choices(researcher, own_survey):
    response = researcher.get(plan_url(own_survey))

    breakdown = response.context["inline_admin_formsets"][0].formset.forms[0]
    pair = response.context["inline_admin_formsets"][1].formset.forms[0]
    offered = [name for name, _label in breakdown.fields["variable"].widget.choices]
    assert offered == ["", "gender", "country", "now"]  # select_one only
    assert [name for name, _label in pair.fields["before"].widget.choices] == [
        "",
        "gender",
        "country",
        "act_before",
        "act_after",
        "now",
    ]
    assert b'<option value="gender">gender' in response.content


def test_a_valid_plan_is_saved(researcher, own_survey):
    data = page_data(researcher, own_survey)
    data.update(
        {
            "breakdowns-0-variable": "gender",
            "breakdowns-0-position": "1",
            "before_after_pairs-0-before": "act_before",
            "before_after_pairs-0-after": "act_after",
            "before_after_pairs-0-label": "Activism",
            "population_benchmarks-0-variable": "country",
            "population_benchmarks-0-code": "GE",
            "population_benchmarks-0-share_percent": "12.5",
            "population_benchmarks-0-source": "UNHCR 2023",
            "weight_margins-0-variable": "gender",
            "weight_margins-0-code": "f",
            "weight_margins-0-share_percent": "100",
        }
    )

    response = researcher.post(plan_url(own_survey), data)

    assert response.status_code == 302, errors_of(response)
    assert list(Breakdown.objects.values_list("survey", "variable")) == [(own_survey.pk, "gender")]
    assert BeforeAfterPair.objects.get().label == "Activism"
    assert str(PopulationBenchmark.objects.get().share_percent) == "12.50"
    assert WeightMargin.objects.get().code == "f"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"breakdowns-0-variable": "age"}, "“age” is of type integer; a breakdown needs a select_one"),
        (
            {"before_after_pairs-0-before": "act_before", "before_after_pairs-0-after": "gender"},
            "a pair needs the same choice list",
        ),
        (
            {
                "population_benchmarks-0-variable": "country",
                "population_benchmarks-0-code": "RU",
                "population_benchmarks-0-share_percent": "5",
            },
            "code: “RU” is not a choice of “country” (its codes: GE, AM, TR).",
        ),
        (
            {
                "population_benchmarks-0-variable": "country",
                "population_benchmarks-0-code": "GE",
                "population_benchmarks-0-share_percent": "120",
            },
            "Ensure this value is less than or equal to 100.",
        ),
        (
            {
                "weight_margins-0-variable": "gender",
                "weight_margins-0-code": "f",
                "weight_margins-0-share_percent": "51",
                "weight_margins-1-variable": "gender",
                "weight_margins-1-code": "m",
                "weight_margins-1-share_percent": "40",
            },
            "the shares of “gender” add up to 91 %, not 100 %.",
        ),
    ],
)
def test_bad_rows_are_form_errors_and_nothing_is_saved(researcher, own_survey, rows, message):
    data = page_data(researcher, own_survey)
    data.update({"breakdowns-0-variable": "country", "breakdowns-0-position": "0"})  # a valid row too
    data.update(rows)
    data["weight_margins-TOTAL_FORMS"] = "2"

    response = researcher.post(plan_url(own_survey), data)

    assert response.status_code == 200
    assert message in errors_of(response)
    assert not Breakdown.objects.exists() and not WeightMargin.objects.exists()
    assert not PopulationBenchmark.objects.exists() and not BeforeAfterPair.objects.exists()


def test_a_duplicate_breakdown_is_a_form_error(researcher, own_survey):
    data = page_data(researcher, own_survey)
    data.update(
        {
            "breakdowns-TOTAL_FORMS": "2",
            "breakdowns-0-variable": "gender",
            "breakdowns-1-variable": "gender",
            "breakdowns-1-position": "1",
        }
    )

    response = researcher.post(plan_url(own_survey), data)

    assert response.status_code == 200
    assert "Please correct the duplicate data for variable" in errors_of(response)
    assert not Breakdown.objects.exists()


def test_without_the_survey_change_permission_the_plan_is_read_only(team, own_survey):
    Breakdown.objects.create(survey=own_survey, variable="gender")
    viewer = UserFactory(username="viewer")
    viewer.groups.add(team)
    viewer.user_permissions.add(Permission.objects.get(codename="view_survey"))
    client = Client()
    client.force_login(viewer)

    response = client.get(plan_url(own_survey))

    assert response.status_code == 200
    assert b"gender" in response.content
    assert client.post(plan_url(own_survey), {}).status_code == 403
    assert Breakdown.objects.count() == 1
