"""Write-behind for finished synchronous solves: their caller has the answer before the
database has the job (a mixin of :class:`sourcing.service.db.Store`).

:meth:`WriteBehind.add_later` keeps the job and its plan in memory, where the store's reads
find them at once, and one writer thread writes whatever is waiting in one transaction moments
later. A server killed in between loses those records, never an answer: the callers had their
plans.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from sourcing.service.db import JobRecord, PlanRecord


class WriteBehind:
    engine: Engine

    def _start_writer(self, jobs: type[JobRecord], plans: type[PlanRecord]) -> None:
        """Ready to write records of these two classes (db.py's, passed in: no import cycle)."""
        self._jobs, self._plans = jobs, plans
        #: finished synchronous solves not yet written: (job, plan) by id (see add_later)
        self._pending: dict[str, tuple[JobRecord, str | None]] = {}
        self._pending_lock = threading.Lock()
        self._writes: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None

    def add_later(self, job: JobRecord, request: str, plan: str | None) -> None:
        """Keep a finished job (and its plan) without making its caller wait for the database:
        :meth:`get`, :meth:`list` and :meth:`plan` find it in memory at once, and one writer
        thread writes it, with whatever else is waiting, in one transaction moments later."""
        job.request = request
        with self._pending_lock:
            self._pending[job.id] = (job, plan)
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_behind, name="sourcing-writer", daemon=True
                )
                self._writer.start()
        self._writes.put(job.id)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every job given to :meth:`add_later` is written; False past ``timeout``."""
        deadline = time.monotonic() + timeout
        while self._pending:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def _write_behind(self) -> None:
        while True:
            ids = [self._writes.get()]
            while True:
                try:
                    ids.append(self._writes.get_nowait())
                except queue.Empty:
                    break
            with self._pending_lock:
                batch = [self._pending[i] for i in ids if i in self._pending]
            try:
                with Session(self.engine) as session:
                    session.add_all([self._copy(job) for job, _ in batch])
                    session.flush()  # the jobs before their plans (the foreign key)
                    session.add_all(
                        [self._plans(job_id=job.id, plan=plan) for job, plan in batch if plan]
                    )
                    session.commit()
            except Exception:  # noqa: BLE001 - the database is away: keep them, try again
                logging.getLogger("sourcing.service").exception("writing finished solves")
                time.sleep(1.0)
                for job_id in ids:
                    self._writes.put(job_id)
                continue
            with self._pending_lock:
                for job, _ in batch:
                    self._pending.pop(job.id, None)

    def _copy(self, job: JobRecord) -> JobRecord:
        """A new record with ``job``'s values: the one in memory is never attached to a session."""
        columns = self._jobs.__mapper__.columns
        return self._jobs(**{column.key: getattr(job, column.key) for column in columns})

    def _held(self, job_id: str) -> tuple[JobRecord, str | None] | None:
        with self._pending_lock:
            return self._pending.get(job_id)
