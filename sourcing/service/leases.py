"""Leases: how a server keeps its running jobs, and how any server takes back a lost one.

Each running job is held under a lease (:mod:`sourcing.service.db`) that the supervisor's loop
renews every third of ``lease_seconds``. Every server, at start and then as often as it renews,
sweeps the database for running jobs whose lease ran out (their server was killed, or lost its
database) and re-queues each, or fails it with the reason once it has been started
``max_attempts`` times; at start it also takes back the jobs held under its own name
(``server_id``: by default host and port, so a restarted server need not wait for its old
leases to run out). A synchronous solve is failed instead: the caller that waited on it is gone.
A job cancelled through another server is no longer held here at the next renewal: its
process is stopped.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from sourcing.service.db import FAILED, QUEUED, SOLVE, Store, now

log = logging.getLogger("sourcing.service")


class LeaseKeeping:
    """The supervisor's lease duties (a mixin: :class:`sourcing.service.jobs.Supervisor`)."""

    store: Store
    holder: str
    lease: float
    max_attempts: int
    _running: dict[str, Any]
    _lock: threading.Lock
    _next_renewal: float

    def wake(self) -> None: ...
    def _notify(self, job_id: str) -> None: ...
    def _fail(self, job_id: str, start: str, message: str, *args: Any, **kwargs: Any) -> None: ...

    def recover(self) -> None:
        """Take back the jobs a stopped server left running (this one's, and any whose lease
        ran out), and fail this server's synchronous solves that never ran."""
        self.sweep(starting=True)
        for job_id, _kind, _, _phase in self.store.ids(QUEUED, kind=SOLVE):
            job = self.store.get(job_id)
            if job is not None and job.holder in (None, self.holder):
                message = "the server stopped before this solve ran; solve again"
                self._fail(job_id, QUEUED, message, held_by=job.holder)

    def sweep(self, starting: bool = False) -> None:
        """Re-queue (or fail, past ``max_attempts``) the running jobs whose server is gone."""
        own = self.holder if starting else None
        for job_id, kind, attempts, phase, holder in self.store.expired(own):
            mine = holder == self.holder
            if mine and not starting:
                continue  # running here: a late renewal, not a lost server
            took = mine and starting
            if kind == SOLVE or attempts >= self.max_attempts:
                if kind == SOLVE:
                    message = "the server stopped during this solve; solve again"
                else:
                    message = (
                        f"the server stopped while this job ran, {attempts} times: "
                        "not started again"
                    )
                error = json.dumps({"message": message, "problems": [], "phase": phase})
                values = {"status": FAILED, "finished_at": now(), "error": error, "phase": None}
                if self.store.take_back(job_id, holder, took, **values):
                    log.warning("job %s failed: %s", job_id, message)
                    self._notify(job_id)
                continue
            if took or holder is None:
                note = f"re-queued: the server stopped while it ran (start {attempts})"
            else:
                note = f"re-queued: its server {holder} stopped renewing its lease"
                note += f" (start {attempts})"
            values = {"status": QUEUED, "phase": None, "started_at": None, "note": note}
            if self.store.take_back(job_id, holder, took, holder=None, lease_until=None, **values):
                log.warning("job %s %s", job_id, note)
                self.wake()

    def _renew(self) -> None:
        """Every third of the lease: renew this server's leases, and sweep for lost servers."""
        moment = time.monotonic()
        if moment < self._next_renewal:
            return
        self._next_renewal = moment + self.lease / 3
        with self._lock:
            ids = [
                job_id
                for job_id, entry in self._running.items()
                if not entry.stopped and entry.local is None  # a synchronous solve has no lease
            ]
        held = self.store.renew(self.holder, ids, self.lease)
        for job_id in set(ids) - held:  # cancelled through another server: stop it here
            with self._lock:
                entry = self._running.get(job_id)
                if entry is None or entry.stopped:
                    continue
                entry.stopped = True
                entry.process.kill()
            log.info("job %s stopped: no longer running on this server", job_id)
        self.sweep()
