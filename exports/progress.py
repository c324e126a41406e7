"""Live progress of a running export job or aggregate snapshot, saved without blocking the work.

Writers call ``progress(rows_done)`` as they go; the CSV writer does it from inside PostgreSQL's
``COPY``, while the job's connection is busy. So the callback only records the count, and a heartbeat
thread with its own connection saves it (with ``heartbeat_at``) every few seconds in a short UPDATE of
its own. The heartbeat also runs while the work is busy in one long step (pyreadstat writing a whole
file, one aggregate query over a million rows): the row looks alive for as long as the worker is. On
SQLite (the demo, one process) the count is saved by the callback itself; there is no COPY there.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Any

from django.db import DatabaseError, connection, connections
from django.utils import timezone

from exports.models import ExportJob

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 3.0


class Heartbeat:
    """Saves a RUNNING row's progress and ``heartbeat_at`` from a thread while the work goes on.

    Subclasses say what to save (``save``); callers record progress and use it as a context manager.
    """

    name = "work"

    def __init__(self, row_id: Any, *, interval: float = HEARTBEAT_SECONDS) -> None:
        self.row_id = row_id
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._threaded = connection.vendor == "postgresql"

    def recorded(self) -> None:
        """Call after recording new progress: saves it at once where there is no heartbeat thread."""
        if not self._threaded:
            self.save()

    def __enter__(self) -> Heartbeat:
        if self._threaded:
            self._thread = threading.Thread(target=self._beat, name=f"{self.name}-{self.row_id}", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def save(self) -> None:
        raise NotImplementedError

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.save()
                except DatabaseError as error:  # a missed beat is harmless; the next one retries
                    logger.warning(
                        "%s %s: heartbeat not saved (%s)", self.name, self.row_id, type(error).__name__
                    )
        finally:
            connections.close_all()  # this thread's connections only


class JobProgress(Heartbeat):
    """A ``progress`` callback for the writers that keeps a RUNNING export job's row up to date."""

    name = "export job"

    def __init__(self, job_id: Any, rows_total: int, *, interval: float = HEARTBEAT_SECONDS) -> None:
        super().__init__(job_id, interval=interval)
        self.job_id = job_id
        self.rows_total = rows_total
        self.rows_done = 0

    def __call__(self, rows_done: int) -> None:
        self.rows_done = rows_done
        self.recorded()

    def __enter__(self) -> JobProgress:
        super().__enter__()
        return self

    @property
    def percent(self) -> int:
        """0–99 while running: 100 is set only when the file is in place."""
        if self.rows_total <= 0:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)

    def save(self) -> None:
        """One short UPDATE: rows done, percent, heartbeat (only while the job is RUNNING)."""
        ExportJob.objects.filter(pk=self.job_id, status=ExportJob.Status.RUNNING).update(
            rows_done=self.rows_done, progress=self.percent, heartbeat_at=timezone.now()
        )
