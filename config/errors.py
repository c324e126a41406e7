"""Error reports that name the failing code, never the respondent or the answers (DESIGN.md §4).

Django's report of an unhandled exception (mailed to ADMINS by ``AdminEmailHandler``, or kept by any
tool fed from the same reporter) lists the POST body, the local variables of every frame, the cookies,
the query string and every request header. Only POST parameters and variables marked with
``sensitive_*`` decorators are hidden by default, so a failing page submit would report the answers
(in ``page_answers`` and the form), the client's address, agent and referrer, and the cookie naming
the response. With DEBUG off these two classes hide all of that; the traceback (files, lines,
functions), the exception, the method and the path (tokens cut out) remain to debug from.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.http import HttpRequest
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from config.logging import redact

# Request headers and server variables safe to report: none identifies a respondent or holds a secret.
SAFE_META = frozenset(
    {
        "REQUEST_METHOD",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "SERVER_SOFTWARE",
        "SCRIPT_NAME",
        "HTTP_HOST",
        "HTTP_ACCEPT",
        "HTTP_ACCEPT_LANGUAGE",
        "HTTP_ACCEPT_ENCODING",
        "HTTP_CONNECTION",
        "HTTP_X_FORWARDED_PROTO",
        "wsgi.url_scheme",
        "wsgi.version",
        "wsgi.multithread",
        "wsgi.multiprocess",
        "wsgi.run_once",
    }
)
REDACTED_PATHS = frozenset({"PATH_INFO", "REQUEST_URI", "RAW_URI"})


class AnonymousReporterFilter(SafeExceptionReporterFilter):
    """Every POST value, frame variable and cookie hidden; request headers only from ``SAFE_META``."""

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        if request is None or not self.is_active(request):
            return super().get_post_parameters(request)
        cleansed = request.POST.copy()
        for name in cleansed:
            cleansed.setlist(name, [self.cleansed_substitute])
        return cleansed  # the names of the fields posted stay: they help and say nothing

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        if not self.is_active(request):
            return super().get_traceback_frame_variables(request, tb_frame)
        # answers pass through the views, forms and services as ordinary locals, under any name
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]

    def get_safe_request_meta(self, request: HttpRequest) -> dict[str, Any]:
        if not self.is_active(request):
            return super().get_safe_request_meta(request)
        safe = {}
        for name, value in getattr(request, "META", {}).items():
            if name in SAFE_META:
                safe[name] = value
            elif name in REDACTED_PATHS:
                safe[name] = redact(str(value))
            else:  # addresses, agent, referrer, cookies, query string, the socket (its peer address)
                safe[name] = self.cleansed_substitute
        return safe

    def get_safe_cookies(self, request: HttpRequest) -> dict[str, Any]:
        if not self.is_active(request):
            return super().get_safe_cookies(request)
        return {name: self.cleansed_substitute for name in getattr(request, "COOKIES", {})}


class AnonymousExceptionReporter(ExceptionReporter):
    """Django's reporter, with the URL, query string and the request itself seen through the filter."""

    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        request = self.request
        if request is None or not self.filter.is_active(request):
            return data
        hidden = self.filter.cleansed_substitute
        # an exception's message can quote what was typed ("invalid literal for int(): '…'") or a
        # database row ("Failing row contains (…, answers, …)"): only its class is reported
        if self.exc_type is not None:
            data["exception_value"] = f"{self.exc_type.__name__} (message hidden)"
            data["exception_notes"] = ""
        for frame in data.get("frames", []):
            cause = frame.get("exc_cause")
            if cause is not None:  # "The above exception (…) was the direct cause": its message too
                frame["exc_cause"] = f"{type(cause).__name__} (message hidden)"
        data["request_GET_items"] = [(name, hidden) for name in request.GET]
        data["request_FILES_items"] = [(name, hidden) for name in request.FILES]
        data["request_insecure_uri"] = redact(data.get("request_insecure_uri", ""))
        # the templates read these from the request object: give them a reduced copy
        data["request"] = SimpleNamespace(
            path_info=redact(request.path_info),
            META=self.filter.get_safe_request_meta(request),
            GET={name: hidden for name in request.GET},
            FILES={name: hidden for name in request.FILES},
            COOKIES=self.filter.get_safe_cookies(request),
        )
        return data
