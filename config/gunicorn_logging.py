"""gunicorn's access logger: no client address, agent, referrer, query string, headers or tokens."""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

from config.logging import RedactFilter

_SECRET_PATHS = re.compile(r"^/i/[^/]+")


def redact_path(path: str) -> str:
    """``/i/<token>/`` → ``/i/…/``: a token in a log would let whoever reads the log answer as that person."""
    return _SECRET_PATHS.sub("/i/…", path)


class RedactingLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        # gunicorn's own error log names client addresses ("Invalid request from ip=…") and URIs
        self.error_log.addFilter(RedactFilter())

    def atoms(self, resp, req, environ, request_time):  # gunicorn's hook for the log line's fields
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = redact_path(atoms.get("U") or "")
        # whatever the format says, these never reach the log (DESIGN.md §4)
        for identifying in ("h", "r", "q", "f", "a", "u"):
            atoms[identifying] = "-"
        return {key: value for key, value in atoms.items() if not key.startswith("{")}
