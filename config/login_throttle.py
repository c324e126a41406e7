"""Admin sign-in throttling (django-axes), set up to record nothing about where an attempt came from.

Failed sign-ins are counted per **username** in the database (``AxesDatabaseHandler``), never in
Redis: a cache outage neither locks a researcher out nor lifts a lockout. Left to its defaults, axes
would also store the client's IP address, user agent and ``Accept`` header with each attempt and
write them into its log lines. Volna keeps none of them, because the admin shares the hosts and the
logs of the respondent pages (DESIGN.md §4):

- ``client_address`` (``AXES_CLIENT_IP_CALLABLE``) answers None, so axes' ``ip_address`` column
  holds NULL in every row;
- ``AnonymousDatabaseHandler`` blanks the user agent and ``Accept`` header before a row is written;
- ``client_description`` (``AXES_CLIENT_STR_CALLABLE``) is all that axes' log lines say about a
  client: the path, never an address, agent or username.

Respondents never sign in: their resume-code and invitation guesses are limited separately, in the
cache (``respondents.throttle``), and neither limit can reset or trip the other.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

LOCKED_OUT_TEMPLATE = "admin/volna_locked_out.html"


def client_address(request: HttpRequest) -> None:
    """What axes records as the client's IP address: nothing (the column is NULL)."""
    return None


def client_description(
    username: str | None, ip_address: str | None, user_agent: str, path_info: Any, request: HttpRequest
) -> str:
    """How axes' log lines name a client: by the path alone."""
    if isinstance(path_info, list | tuple):
        path_info = path_info[0] if path_info else ""
    return f'{{path_info: "{path_info}"}}'


def _forget_client(request: HttpRequest | None) -> None:
    """Blank what axes read from the request's headers before it can store or log any of it."""
    if request is not None:
        request.axes_ip_address = None
        request.axes_user_agent = ""
        request.axes_http_accept = ""


class AnonymousDatabaseHandler(AxesDatabaseHandler):
    """axes' database handler, minus the client's address, user agent and Accept header."""

    def user_login_failed(self, sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
        _forget_client(request)
        return super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        _forget_client(request)
        return super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        _forget_client(request)
        return super().user_logged_out(sender, request, user, **kwargs)


def cool_off_minutes() -> int:
    """How long a username stays locked after its last counted failure, in whole minutes."""
    cool_off: timedelta = settings.AXES_COOLOFF_TIME
    return max(1, math.ceil(cool_off.total_seconds() / 60))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """429 with a page in the admin's chrome that says what happened and how long to wait."""
    minutes = cool_off_minutes()
    context = {
        **admin.site.each_context(request),
        "title": _("Too many failed sign-in attempts"),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": minutes,
    }
    response = render(request, LOCKED_OUT_TEMPLATE, context, status=429)
    response["Retry-After"] = str(minutes * 60)
    response["Cache-Control"] = "private, no-store"
    return response
