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
