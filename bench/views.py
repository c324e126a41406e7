"""The baseline of DESIGN.md §6: a bare view inserting one ~2 KB JSON row, served by the same stack."""

from __future__ import annotations

import json

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

BASELINE_TABLE = "bench_row"
CREATE_BASELINE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {BASELINE_TABLE} (id bigserial PRIMARY KEY, payload jsonb NOT NULL)"
)


# csrf_exempt only because this URL exists in the benchmark server alone (bench/urls.py, never
# config.urls): the baseline is "a bare view", and wrk posts JSON with no CSRF cookie or token.
@csrf_exempt
@require_POST
def baseline_view(request: HttpRequest) -> HttpResponse:
    """Parse the posted JSON document and insert it as one row (autocommit: one statement, one commit)."""
    try:
        payload = json.loads(request.body)
    except ValueError:
        return HttpResponseBadRequest("JSON expected")
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {BASELINE_TABLE} (payload) VALUES (%s)", [json.dumps(payload)])
    return HttpResponse(status=201)
