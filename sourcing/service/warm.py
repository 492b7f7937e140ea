"""Warm solver processes for synchronous solves (``POST /v1/solve``): no process start, no
import, no database write between a request and its plan.

    request ─▶ the supervisor's local queue (memory, ahead of queued jobs) ─▶ an idle warm
    process (:func:`sourcing.service.worker.serve`: engine imported, one warm-up solve done)
    ─▶ its plan ─▶ the answer; the job and its plan are written to the database after it
    (:meth:`sourcing.service.db.Store.add_later`), and served from memory until then

``workers`` warm processes are started with the server, from the fork server that preloaded the
engine. A solve that must stop (past its deadline, its caller gone) is stopped by killing its
process; another takes its place at once. Queued jobs (``POST /v1/jobs``) keep a process of
their own each (:mod:`sourcing.service.jobs`): they run long, and are cancelled by killing it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from typing import Any

from sourcing.service import worker
from sourcing.service.db import CANCELLED, FAILED, RUNNING, SUCCEEDED, JobRecord, Store, now

log = logging.getLogger("sourcing.service")


@dataclass
class Warm:
    """One warm process and the server's ends of its pipes."""

    process: BaseProcess
    tasks: Connection  # requests go out here
    results: Connection  # phases and outcomes come back here
    lifeline: Connection  # the write end: the process exits when it closes


@dataclass
class Local:
    """A synchronous solve, from its request to its outcome, held in memory."""

    job: JobRecord
    request: str
    time_limit: float
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    #: (status, plan JSON or None, error dict or None) once finished
    outcome: tuple[str, str | None, dict[str, Any] | None] | None = None

    def resolve(self, outcome: tuple[str, str | None, dict[str, Any] | None]) -> None:
        """Record the outcome and wake the request waiting on it (from any thread)."""
        self.outcome = outcome
        self.loop.call_soon_threadsafe(_resolve, self.future)


DEADLINE_FACTOR = 3.0
DEADLINE_SLACK = 30.0


@dataclass
class Running:
    job_id: str
    process: BaseProcess
    results: Connection
    lifeline: Connection  # the write end: the process exits when it closes
    deadline: float  # time.monotonic() past which the process is killed
    stopped: bool = False  # killed on purpose (cancelled, or past its deadline)
    phase: str | None = None  # the engine phase it last reported
    done: threading.Event = field(default_factory=threading.Event)
    warm: Warm | None = None  # a synchronous solve's warm process (its pipes are the above)
    local: Local | None = None  # and the solve, held in memory


class WarmPool:
    """``size`` warm processes; :meth:`take` one, :meth:`give_back` it after its solve, or
    :meth:`discard` it (killed) to have it replaced."""

    def __init__(self, context: ForkServerContext, size: int):
        self._context = context
        self._size = size
        self._idle: list[Warm] = []
        self._all: list[Warm] = []

    def fill(self) -> None:
        """Start processes until there are ``size`` (at start, and after a discard)."""
        while len(self._all) < self._size:
            try:
                self._all.append(self._spawn())
                self._idle.append(self._all[-1])
            except Exception as error:  # noqa: BLE001 - e.g. out of processes: try later
                log.warning("could not start a warm solver process: %s", error)
                return

    def take(self) -> Warm | None:
        self.fill()
        return self._idle.pop() if self._idle else None

    def give_back(self, warm: Warm) -> None:
        self._idle.append(warm)

    def discard(self, warm: Warm) -> None:
        """Kill it (if it still runs) and start another in its place."""
        warm.process.kill()
        warm.process.join(timeout=5)
        for end in (warm.tasks, warm.results, warm.lifeline):
            end.close()
        if warm in self._all:
            self._all.remove(warm)
        if warm in self._idle:
            self._idle.remove(warm)
        self.fill()

    def stop(self) -> None:
        for warm in list(self._all):
            warm.process.kill()
            warm.process.join(timeout=5)
        self._all.clear()
        self._idle.clear()

    def _spawn(self) -> Warm:
        tasks_r, tasks_w = self._context.Pipe(duplex=False)
        results_r, results_w = self._context.Pipe(duplex=False)
        lifeline_r, lifeline_w = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=worker.serve,
            args=(tasks_r, results_w, lifeline_r),
            name="sourcing-warm-solver",
            daemon=True,
        )
        try:
            process.start()
        finally:
            for end in (tasks_r, results_w, lifeline_r):
                end.close()
        return Warm(process, tasks_w, results_r, lifeline_w)


class WarmSolves:
    """The supervisor's synchronous solves (a mixin: :class:`sourcing.service.jobs.Supervisor`)."""

    store: Store
    holder: str
    _lock: threading.Lock
    _local: deque[Local]
    _running: dict[str, Any]
    _pool: WarmPool

    def wake(self) -> None: ...

    async def solve_now(
        self, job: JobRecord, request: str, time_limit: float, timeout: float
    ) -> tuple[str, str | None, dict[str, Any] | None] | None:
        """Solve on a warm process, ahead of queued jobs: (status, plan, error), or None if
        ``timeout`` seconds passed first (then the solve is withdrawn: cancelled)."""
        loop = asyncio.get_running_loop()
        local = Local(job, request, time_limit, loop, loop.create_future())
        with self._lock:
            self._local.append(local)
        self.wake()
        try:
            await asyncio.wait_for(asyncio.shield(local.future), timeout)
        except TimeoutError:
            await loop.run_in_executor(None, self._withdraw, local)
        if local.outcome is None or local.outcome[0] == CANCELLED:
            return None
        return local.outcome

    def _withdraw(self, local: Local) -> None:
        """Take back a synchronous solve whose caller stops waiting: cancelled."""
        with self._lock:
            if local.outcome is not None:
                return
            if local in self._local:
                self._local.remove(local)
                entry = None
            else:
                entry = self._running.pop(local.job.id, None)
                if entry is not None:
                    entry.stopped = True
        if entry is not None and entry.warm is not None:
            with self._lock:
                self._pool.discard(entry.warm)
        self._finish_local(local, CANCELLED, None, None)

    def _start_warm(self, local: Local, warm: Warm) -> None:
        job = local.job
        job.status, job.started_at, job.attempts, job.holder = RUNNING, now(), 1, self.holder
        warm.tasks.send(local.request)
        deadline = time.monotonic() + DEADLINE_FACTOR * local.time_limit + DEADLINE_SLACK
        entry = Running(job.id, warm.process, warm.results, warm.lifeline, deadline, warm=warm)
        entry.local = local
        self._running[job.id] = entry

    def _finish_local(
        self, local: Local, status: str, plan: str | None, error: dict[str, Any] | None, **summary
    ) -> None:
        """A synchronous solve's outcome: to its caller at once, to the database after."""
        job = local.job
        job.status, job.finished_at, job.phase = status, now(), None
        job.error = json.dumps(error) if error is not None else None
        for name, value in summary.items():
            setattr(job, name, value)
        local.resolve((status, plan, error))
        self.store.add_later(job, local.request, plan)

    def _receive_warm(self, entry: Running, message: Any) -> None:
        local, warm = entry.local, entry.warm
        assert local is not None and warm is not None
        if message is None or message[0] != "phase":
            with self._lock:
                self._running.pop(entry.job_id, None)
                if message is None:
                    self._pool.discard(warm)
                else:
                    self._pool.give_back(warm)
        if message is None:  # the process is gone
            code = warm.process.exitcode
            error = {"message": f"the solver process stopped unexpectedly (exit code {code})"}
            self._finish_local(local, FAILED, None, {**error, "problems": [], "phase": entry.phase})
        elif message[0] == "phase":
            entry.phase = local.job.phase = message[1]
        elif message[0] == "plan":
            self._finish_local(local, SUCCEEDED, message[1], None, **message[2])
        elif message[0] == "failed":
            self._finish_local(local, FAILED, None, {**message[1], "phase": entry.phase})


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)
