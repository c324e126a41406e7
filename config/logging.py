"""Logging filters: secrets and client addresses never reach a log line (DESIGN.md §4)."""

from __future__ import annotations

import logging
import re

_TOKEN_PATH = re.compile(r"/i/[^/\s?\"']+")
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")
_ADDRESS = re.compile(
    r"\bip=\S+"  # gunicorn's "Invalid request from ip=…"
    r"|\b(?:\d{1,3}\.){3}\d{1,3}\b"  # IPv4
    r"|\b(?:[0-9a-f]{1,4}:){4,7}[0-9a-f]{1,4}\b|[0-9a-f:]*::[0-9a-f:]*[0-9a-f]",  # IPv6, not clock times
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """Cut invitation tokens out of paths, drop query strings and blank IP addresses."""
    text = _TOKEN_PATH.sub("/i/…", text)
    text = _QUERY.sub(r"\1?…", text)
    return _ADDRESS.sub("[address]", text)


class RedactFilter(logging.Filter):
    """Rewrite each record's message in place (after %-formatting its arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_TRACEBACK_HEADERS = (
    "Traceback (most recent call last):",
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)
_EXCEPTION_NAME = re.compile(r"[A-Za-z_][\w.]*(?=:|$)")


def hide_exception_messages(formatted: str) -> str:
    """A formatted traceback with every exception's message replaced: the frames (file, line, code)
    stay, but "ValueError: invalid literal for int(): '<what was typed>'" or a database error's
    "DETAIL: Failing row contains (…)" does not. Lines at the left margin that are not traceback
    headers are exception lines (or the continuation of a message)."""
    lines = []
    for line in formatted.splitlines():
        if not line or line[0].isspace() or line in _TRACEBACK_HEADERS:
            lines.append(line)
            continue
        name = _EXCEPTION_NAME.match(line)
        lines.append(f"{name.group(0)} (message hidden)" if name else "(message hidden)")
    return "\n".join(lines)


class AnonymousFormatter(logging.Formatter):
    """Log lines as usual; exception messages left out of tracebacks (they can quote answers)."""

    def formatException(self, ei) -> str:
        return hide_exception_messages(super().formatException(ei))
