"""Export files in the private root (``MEDIA_ROOT``, never served by URL: downloads go through a
permission check). Names are random and reveal nothing about the survey, the wave or the time.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import datetime
from pathlib import Path

from django.conf import settings

from exports.models import ExportJob

EXPORTS_DIR = "exports"
TEMP_PREFIX = "tmp-"
CHUNK = 1 << 20


def private_root() -> Path:
    """The private root, read at call time (tests and deployments point it elsewhere)."""
    return Path(settings.MEDIA_ROOT)


def export_file(relative: str) -> Path:
    """The absolute path of a file name stored on a job."""
    return private_root() / relative


def random_name(fmt: str) -> str:
    """A final file name, e.g. ``exports/3f…9c.csv``."""
    return f"{EXPORTS_DIR}/{uuid.uuid4().hex}.{ExportJob.EXTENSIONS[ExportJob.Format(fmt)]}"


def temp_name() -> str:
    """A fresh temporary name: a retried task never writes into another attempt's file."""
    return f"{EXPORTS_DIR}/{TEMP_PREFIX}{uuid.uuid4().hex}"


def sibling_temp(out: Path) -> Path:
    """A hidden temporary file beside ``out``, renamed over it once complete."""
    return out.with_name(f".{out.name}.{TEMP_PREFIX}{uuid.uuid4().hex}")


def discard(path: Path) -> None:
    path.unlink(missing_ok=True)


def sync_and_digest(path: Path) -> tuple[str, int]:
    """fsync ``path``; return its SHA-256 (hex) and size."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
        while block := handle.read(CHUNK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def publish_file(temp: Path, final: Path) -> None:
    """Rename ``temp`` to ``final`` atomically and make the rename durable."""
    os.replace(temp, final)
    directory = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def sweep_temp_files(*, before: datetime, keep: set[str]) -> int:
    """Remove temp files last written before ``before`` and not in ``keep`` (a worker killed hard)."""
    directory = private_root() / EXPORTS_DIR
    if not directory.is_dir():
        return 0
    removed = 0
    for path in directory.glob(f"{TEMP_PREFIX}*"):
        if f"{EXPORTS_DIR}/{path.name}" in keep or path.stat().st_mtime >= before.timestamp():
            continue
        discard(path)
        removed += 1
    return removed
