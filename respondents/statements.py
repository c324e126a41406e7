"""The two statements every page view runs, written once as SQL instead of built by the ORM each time.

Reading the respondent's row and saving a page by compare-and-set are what every GET and POST of a
page does. Built by the ORM, each costs about 0.45 ms of CPU in query compilation alone (measured
on the benchmark machine: ``Response.objects.get`` 0.47 ms against 0.11 ms for the same SELECT
through a cursor, the filtered ``update`` 0.45 ms), which is a third of a page submit. Here the SQL
is composed once per database connection from the model's own metadata, parameters go through each
field's ``get_db_prep_*`` and values come back through the same converters the ORM applies, so both
backends (PostgreSQL, SQLite for the demo) see exactly what the ORM would send and return.
See docs/decisions.md, "Two statements in plain SQL".
"""

from __future__ import annotations

import uuid
from typing import Any
from weakref import WeakKeyDictionary

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from respondents.models import Response
from surveys.models import Wave

# the columns a page save writes (besides revision, which is incremented)
SAVED_FIELDS = ("answers", "trail", "status", "completed_on", "current_section")


class _Statements:
    """The SQL of one database connection's vendor, and the converters of the columns read."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        quote = connection.ops.quote_name
        meta = Response._meta
        self.fields = meta.concrete_fields
        self.attnames = [field.attname for field in self.fields]
        table = quote(meta.db_table)
        columns = ", ".join(quote(field.column) for field in self.fields)
        pk, wave = quote(meta.pk.column), quote(meta.get_field("wave").column)
        # names from the model's metadata, quoted; every value is a parameter
        self.select = f"SELECT {columns} FROM {table} WHERE {pk} = %s AND {wave} = %s"  # noqa: S608
        self.saved = [meta.get_field(name) for name in SAVED_FIELDS]
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in self.saved)
        revision, status = quote(meta.get_field("revision").column), quote(meta.get_field("status").column)
        wave_table = quote(Wave._meta.db_table)
        wave_pk, wave_status = quote(Wave._meta.pk.column), quote(Wave._meta.get_field("status").column)
        self.update = (
            f"UPDATE {table} SET {assignments}, {revision} = {revision} + 1 "  # noqa: S608 -- as above
            f"WHERE {pk} = %s AND {revision} = %s AND {status} = %s "
            f"AND EXISTS (SELECT 1 FROM {wave_table} WHERE {wave_pk} = %s AND {wave_status} = %s)"
        )
        self.converters = []
        for index, field in enumerate(self.fields):
            column = field.get_col(meta.db_table)
            functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if functions:
                self.converters.append((index, column, functions))


# per connection object (each thread has its own): the converters are bound to its operations
_by_connection: WeakKeyDictionary[BaseDatabaseWrapper, _Statements] = WeakKeyDictionary()


def _for(alias: str) -> tuple[BaseDatabaseWrapper, _Statements]:
    connection = connections[alias]
    statements = _by_connection.get(connection)
    if statements is None:
        statements = _by_connection[connection] = _Statements(connection)
    return connection, statements


def response_in_wave(
    response_id: uuid.UUID | str, wave_id: int, *, using: str = "default"
) -> Response | None:
    """The response with this id in this wave, or None (as ``Response.objects.get``, one SELECT)."""
    connection, statements = _for(using)
    try:
        key = Response._meta.pk.get_db_prep_value(response_id, connection)
    except (ValidationError, ValueError, TypeError, AttributeError):  # not a UUID
        return None
    with connection.cursor() as cursor:
        cursor.execute(statements.select, [key, wave_id])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, column, functions in statements.converters:
        for function in functions:
            values[index] = function(values[index], column, connection)
    return Response.from_db(using, statements.attnames, values)


def response_save_if_unchanged(response: Response, seen_revision: int, *, using: str = "default") -> bool:
    """Write the saved fields of ``response`` (in memory) if its row is still at ``seen_revision``, in
    progress, and its wave open: one UPDATE; True when it was written (the revision is then one more)."""
    connection, statements = _for(using)
    values: list[Any] = [
        field.get_db_prep_save(getattr(response, field.attname), connection) for field in statements.saved
    ]
    values += [
        Response._meta.pk.get_db_prep_value(response.pk, connection),
        seen_revision,
        Response.Status.IN_PROGRESS,
        response.wave_id,
        Wave.Status.OPEN,
    ]
    with connection.cursor() as cursor:
        cursor.execute(statements.update, values)
        return cursor.rowcount == 1
