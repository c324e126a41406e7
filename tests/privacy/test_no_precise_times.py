"""No column records when a respondent answered more precisely than a day (DESIGN.md §4).

Every column of the migrated database whose type holds a time of day (timestamp, time, interval) is
listed here with why it is not about a respondent; a new one fails this test until someone has
looked at it. Tables of respondent data (the ``respondents`` app, and any table that points at one)
may hold dates, never times.
"""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

TIME_TYPES = {"DateTimeField", "TimeField", "DurationField"}
RESPONDENT_TABLES = {"respondents_response", "respondents_panelmember", "respondents_invitation"}
# (table, column): why the time it records is not a respondent's
NOT_ABOUT_RESPONDENTS = {
    ("auth_user", "last_login"): "researchers' accounts",
    ("auth_user", "date_joined"): "researchers' accounts",
    ("django_admin_log", "action_time"): "researchers' actions in the admin (responses have no admin)",
    ("django_session", "expire_date"): "researchers' admin sessions; respondents get no session",
    ("django_migrations", "applied"): "deployments",
    ("axes_accessattempt", "attempt_time"): "failed admin sign-ins (researchers), no address kept",
    ("axes_accessattemptexpiration", "expires_at"): "failed admin sign-ins (researchers)",
    ("axes_accessfailurelog", "attempt_time"): "failed admin sign-ins (researchers)",
    ("axes_accesslog", "attempt_time"): "admin sign-ins (researchers; disabled by AXES_DISABLE_ACCESS_LOG)",
    ("axes_accesslog", "logout_time"): "admin sign-outs (researchers; disabled by AXES_DISABLE_ACCESS_LOG)",
    ("surveys_survey", "created_at"): "researchers' work",
    ("surveys_questionnaire", "created_at"): "researchers' work",
    ("surveys_questionnaire", "published_at"): "researchers' work",
    ("surveys_wave", "created_at"): "researchers' work",
    ("surveys_wave", "opened_at"): "when researchers opened the wave",
    ("surveys_wave", "closed_at"): "when researchers closed the wave",
    ("surveys_checkrun", "created_at"): "a researcher's check of a questionnaire",
    ("surveys_checkrun", "started_at"): "a researcher's check of a questionnaire",
    ("surveys_checkrun", "finished_at"): "a researcher's check of a questionnaire",
    ("exports_exportjob", "created_at"): "a researcher's export of a whole wave",
    ("exports_exportjob", "started_at"): "a researcher's export of a whole wave",
    ("exports_exportjob", "finished_at"): "a researcher's export of a whole wave",
    ("exports_exportjob", "heartbeat_at"): "a researcher's export of a whole wave",
    ("exports_exportjob", "expires_at"): "when an export's file is deleted",
    ("exports_exportauditentry", "at"): "who exported what, when (researchers)",
    ("exports_aggregatesnapshot", "created_at"): "figures of a whole wave (see docs/reliability.md)",
    ("exports_aggregatesnapshot", "computed_at"): "figures of a whole wave (see docs/reliability.md)",
    ("exports_aggregatesnapshot", "heartbeat_at"): "figures of a whole wave (see docs/reliability.md)",
}
# Dates a respondent's row may hold: the day, as the survey's date precision allows.
RESPONDENT_DATES = {("respondents_response", "started_on"), ("respondents_response", "completed_on")}


def _columns() -> dict[tuple[str, str], str]:
    """(table, column) → Django field type, for every column of every table, as the database says."""
    found = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                kind = connection.introspection.get_field_type(column.type_code, column)
                found[(table, column.name)] = kind
    return found


def _tables_pointing_at(targets: set[str]) -> set[str]:
    """Tables with a foreign key to one of ``targets`` (a new table of respondent data)."""
    pointing = set()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            constraints = connection.introspection.get_constraints(cursor, table)
            if any((c.get("foreign_key") or ("",))[0] in targets for c in constraints.values()):
                pointing.add(table)
    return pointing


def test_no_column_records_a_time_of_day_about_a_respondent():
    columns = _columns()
    timed = {key for key, kind in columns.items() if kind in TIME_TYPES}
    respondent_data = RESPONDENT_TABLES | _tables_pointing_at(RESPONDENT_TABLES)

    assert {table for table, _column in timed} & respondent_data == set()
    unexplained = timed - set(NOT_ABOUT_RESPONDENTS)
    assert unexplained == set(), f"time columns to look at (and list with a reason): {sorted(unexplained)}"


def test_a_response_holds_days_only():
    columns = _columns()

    dates = {key for key, kind in columns.items() if kind == "DateField" and key[0] in RESPONDENT_TABLES}

    assert dates == RESPONDENT_DATES
    assert {key for key in RESPONDENT_TABLES if key in {table for table, _c in columns}} == RESPONDENT_TABLES
