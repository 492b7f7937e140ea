"""The supervisor: runs queued jobs in solver processes, at most ``workers`` at once.

A thread in the server process loops:

    claim the next queued job in the database ─▶ start its solver process (one per job, forked
    from a fork server that preloaded the engine) ─▶ record each phase it reports ─▶ record its
    plan or its failure ─▶ claim the next

A cancelled job's process is killed (``SIGKILL``: HiGHS has no say), and so is a process that
runs far past its time limit (``DEADLINE_FACTOR`` × the limit + ``DEADLINE_SLACK`` s: loading,
the solve, the MIP's pricing re-solve and an infeasibility explanation each take time). A process
that dies on its own (out of memory, a crash in the solver) fails its job; the server lives on.

Each running job is held under a lease (:mod:`sourcing.service.db`) that the loop renews every
third of ``lease_seconds``. Every server, at start and then as often as it renews, sweeps the
database for running jobs whose lease ran out (their server was killed, or lost its database)
and re-queues each, or fails it with the reason once it has been started ``max_attempts`` times;
at start it also takes back the jobs held under its own name (``server_id``: by default host
and port, so a restarted server need not wait for its old leases to run out). A synchronous
solve is failed instead: the caller that waited on it is gone.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import multiprocessing
import os
import socket
import threading
import time
from collections import deque
from multiprocessing import forkserver
from multiprocessing.connection import wait
from types import EllipsisType
from typing import Any

from sourcing.service import worker
from sourcing.service.db import (
    CANCELLED,
    FAILED,
    FINISHED,
    QUEUED,
    RUNNING,
    SOLVE,
    SUCCEEDED,
    Store,
    now,
)
from sourcing.service.leases import LeaseKeeping
from sourcing.service.settings import Settings
from sourcing.service.warm import (
    DEADLINE_FACTOR,
    DEADLINE_SLACK,
    Local,
    Running,
    WarmPool,
    WarmSolves,
)

log = logging.getLogger("sourcing.service")


class Supervisor(LeaseKeeping, WarmSolves):
    def __init__(self, store: Store, settings: Settings):
        self.store = store
        self.workers = settings.workers
        self.max_attempts = settings.max_attempts
        self.holder = settings.server_id or default_server_id()
        self.lease = settings.lease_seconds
        self._next_renewal = 0.0
        self._context = multiprocessing.get_context("forkserver")
        self._pool = WarmPool(self._context, self.workers)
        self._local: deque[Local] = deque()  # synchronous solves waiting for a warm process
        self._running: dict[str, Running] = {}
        self._lock = threading.Lock()
        self._waiters: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Future]]] = {}
        self._stopping = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        for fd in (self._wake_r, self._wake_w):
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
        self._thread = threading.Thread(target=self._loop, name="sourcing-supervisor", daemon=True)

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self.recover()
        self._context.set_forkserver_preload(["sourcing.service.worker"])
        forkserver.ensure_running()  # import the engine once, now, not on the first job
        with self._lock:
            self._pool.fill()
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop and the running solves; their jobs go back to the queue."""
        self._stopping.set()
        self.wake()
        self._thread.join(timeout=10)
        with self._lock:
            entries = list(self._running.values())
            self._running.clear()
        stopped = "the server stopped during this solve"
        with self._lock:
            waiting, self._local = list(self._local), deque()
        for local in waiting:
            self._finish_local(local, FAILED, None, {"message": stopped, "problems": []})
        for entry in entries:
            entry.process.kill()
            entry.process.join(timeout=5)
            if entry.local is not None:
                error: dict[str, Any] = {"message": stopped, "problems": [], "phase": entry.phase}
                self._finish_local(entry.local, FAILED, None, error)
                continue
            job = self.store.get(entry.job_id)
            if job is not None and job.kind == SOLVE:
                message = "the server stopped during this solve"
                self._fail(entry.job_id, RUNNING, message, entry.phase)
            else:
                self.store.move(
                    entry.job_id,
                    RUNNING,
                    held_by=self.holder,
                    holder=None,
                    lease_until=None,
                    status=QUEUED,
                    phase=None,
                    started_at=None,
                    attempts=max(0, (job.attempts if job else 1) - 1),
                    note="re-queued: the server was stopped while it ran",
                )
            entry.done.set()
        self._pool.stop()
        self.store.flush()

    def wake(self) -> None:
        """Look at the queue now (a job was submitted)."""
        try:
            os.write(self._wake_w, b"!")
        except (BlockingIOError, OSError):
            pass  # already awake, or stopping

    @property
    def busy(self) -> int:
        return len(self._running)

    # -- what the routes ask --------------------------------------------------------------------

    def cancel(self, job_id: str, timeout: float = 10.0) -> bool:
        """Kill a running job's process and mark it cancelled; False if it is not running here.
        Returns once the process is gone."""
        with self._lock:
            entry = self._running.get(job_id)
            if entry is None or entry.stopped:
                return False
            entry.stopped = True
            entry.process.kill()
            cancelled = self.store.move(
                job_id, RUNNING, status=CANCELLED, finished_at=now(), phase=None, lease_until=None
            )
        entry.done.wait(timeout)
        self._notify(job_id)
        if cancelled:
            log.info("job %s cancelled (solver process %s stopped)", job_id, entry.process.pid)
        return cancelled

    async def wait(self, job_id: str, timeout: float) -> bool:
        """Wait until the job is finished; False if ``timeout`` seconds passed first."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        with self._lock:
            self._waiters.setdefault(job_id, []).append((loop, future))
        try:
            job = self.store.get(job_id)
            if job is None or job.status in FINISHED:
                return True
            await asyncio.wait_for(future, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                waiting = self._waiters.get(job_id, [])
                if (loop, future) in waiting:
                    waiting.remove((loop, future))
                if not waiting:
                    self._waiters.pop(job_id, None)

    # -- the loop -------------------------------------------------------------------------------

    def _loop(self) -> None:
        every = min(1.0, self.lease / 3)
        claim, asked = True, 0.0
        while not self._stopping.is_set():
            try:
                if claim:
                    asked = time.monotonic()
                self._dispatch(claim)
                with self._lock:
                    pipes: list[Any] = [e.results for e in self._running.values()]
                    running = len(self._running)
                woken = wait([*pipes, self._wake_r], timeout=every)
                for ready in woken:
                    if ready == self._wake_r:
                        self._drain_wake()
                    else:
                        self._receive(ready)
                self._enforce_deadlines()
                self._renew()
                # the database is asked for a queued job when one may be there for this
                # server: woken (a job submitted), a worker freed, or every `every` seconds
                # (another server's jobs); not after each phase a running solve reports
                with self._lock:
                    freed = len(self._running) < running
                claim = (
                    not woken or self._wake_r in woken or freed or time.monotonic() - asked >= every
                )
            except Exception:  # noqa: BLE001 - a database hiccup must not stop the supervisor
                log.exception("supervisor: retrying in 1 s")
                claim = True
                time.sleep(1.0)

    def _drain_wake(self) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except BlockingIOError:
            pass

    def _dispatch(self, claim: bool = True) -> None:
        """Start what waits while a worker is free: synchronous solves first, then (``claim``)
        queued jobs claimed from the database."""
        while not self._stopping.is_set():
            with self._lock:
                if len(self._running) >= self.workers:
                    return
                if self._local:
                    warm = self._pool.take()
                    if warm is not None:
                        self._start_warm(self._local.popleft(), warm)
                        continue
                if not claim:
                    return
                claimed = self.store.claim_next(self.holder, self.lease)
                if claimed is None:
                    return
                self._start(*claimed)

    def _start(self, job_id: str, request: str, time_limit: float) -> None:
        results_r, results_w = self._context.Pipe(duplex=False)
        lifeline_r, lifeline_w = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=worker.run,
            args=(request, results_w, lifeline_r),
            name=f"sourcing-job-{job_id}",
            daemon=True,
        )
        try:
            process.start()
        except Exception as error:  # noqa: BLE001 - e.g. out of processes: fail this job only
            for end in (results_r, results_w, lifeline_r, lifeline_w):
                end.close()
            self._fail(job_id, RUNNING, f"could not start a solver process: {error}")
            return
        results_w.close()
        lifeline_r.close()
        deadline = time.monotonic() + DEADLINE_FACTOR * time_limit + DEADLINE_SLACK
        self._running[job_id] = Running(job_id, process, results_r, lifeline_w, deadline)
        log.info("job %s started (solver process %s)", job_id, process.pid)

    def _receive(self, pipe: Any) -> None:
        entry = next((e for e in list(self._running.values()) if e.results is pipe), None)
        if entry is None:
            return
        if entry.local is not None:
            try:
                self._receive_warm(entry, pipe.recv())
            except (EOFError, OSError):
                self._receive_warm(entry, None)
            return
        try:
            message = pipe.recv()
        except (EOFError, OSError):  # the process is gone
            self._release(entry)
            if not entry.stopped:
                code = entry.process.exitcode
                self._fail(
                    entry.job_id,
                    RUNNING,
                    f"the solver process stopped unexpectedly (exit code {code})",
                    entry.phase,
                )
            return
        kind = message[0]
        if kind == "phase":
            entry.phase = message[1]
            self.store.move(entry.job_id, RUNNING, held_by=self.holder, phase=message[1])
        elif kind == "plan":
            _, plan, summary = message
            if self.store.finish(entry.job_id, self.holder, SUCCEEDED, plan=plan, **summary):
                log.info("job %s succeeded: %s", entry.job_id, summary["termination_condition"])
            self._release(entry)
            self._notify(entry.job_id)
        elif kind == "failed":
            error = json.dumps({**message[1], "phase": entry.phase})
            if self.store.finish(entry.job_id, self.holder, FAILED, error=error):
                log.info("job %s failed: %s", entry.job_id, message[1]["message"])
            self._release(entry)
            self._notify(entry.job_id)

    def _release(self, entry: Running) -> None:
        """Forget a finished process: reap it, close its pipes, free its worker slot."""
        entry.process.join(timeout=5)
        if entry.process.is_alive():
            entry.process.kill()
            entry.process.join(timeout=5)
        entry.results.close()
        entry.lifeline.close()
        with self._lock:
            self._running.pop(entry.job_id, None)
        entry.done.set()

    def _enforce_deadlines(self) -> None:
        moment = time.monotonic()
        for entry in list(self._running.values()):
            if entry.stopped or moment < entry.deadline:
                continue
            if entry.local is not None and entry.warm is not None:
                with self._lock:
                    entry.stopped = True
                    self._running.pop(entry.job_id, None)
                    self._pool.discard(entry.warm)
                error = {"message": "stopped: it ran far past its time limit", "problems": []}
                self._finish_local(entry.local, FAILED, None, {**error, "phase": entry.phase})
                continue
            with self._lock:
                entry.stopped = True
                entry.process.kill()
            self._fail(
                entry.job_id, RUNNING, "stopped: it ran far past its time limit", entry.phase
            )

    def _fail(
        self,
        job_id: str,
        start: str,
        message: str,
        phase: str | None = None,
        held_by: str | None | EllipsisType = ...,
    ) -> None:
        """Fail the job if it is still in ``start`` and held by ``held_by`` (``...``: this
        server): its error says why, and in which engine phase (None: before the engine
        started); its progress no longer shows a phase."""
        error = json.dumps({"message": message, "problems": [], "phase": phase})
        moved = self.store.move(
            job_id,
            start,
            held_by=self.holder if isinstance(held_by, EllipsisType) else held_by,
            status=FAILED,
            finished_at=now(),
            error=error,
            phase=None,
            lease_until=None,
        )
        if moved:
            log.warning("job %s failed: %s", job_id, message)
        self._notify(job_id)

    def _notify(self, job_id: str) -> None:
        with self._lock:
            waiting = self._waiters.pop(job_id, [])
        for loop, future in waiting:
            loop.call_soon_threadsafe(_resolve, future)


def default_server_id(port: int | None = None) -> str:
    """This server's name on the jobs it holds: host name and port (process id without one)."""
    return f"{socket.gethostname()}:{port if port is not None else f'pid{os.getpid()}'}"


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)
