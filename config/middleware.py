"""Request-level safety nets."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("volna.database")


class DatabaseUnavailableMiddleware:
    """A database that does not answer gives 503 with Retry-After, never a 500 or a 200 without a commit.

    The next request reconnects by itself (CONN_HEALTH_CHECKS), so nothing needs restarting.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable: %s", type(exception).__name__)
        response = HttpResponse(
            "The service is briefly unavailable. Your last page was not saved: please try again in a moment.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = "5"
        return response
