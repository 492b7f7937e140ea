"""Where independent solves run: the one seam between the engine and its workers.

An executor maps a function over a list of picklable tasks and returns the results in order::

    executor.map(solve_block, tasks)  ->  [result, ...]

    InProcess          one after another, in this process (``--jobs 1``, or a small program)
    Threads            ``jobs`` threads of this process, for tasks that spend their time inside
                       HiGHS: highspy lets go of Python's lock while HiGHS runs, so the blocks
                       of one program solve side by side with no process to start and nothing
                       to copy (:func:`block_executor`)
    LocalProcesses     a pool of worker processes on this machine (``--jobs N``; default: one
                       per core), started once and kept for the life of the process: for tasks
                       that spend their time in Python (a sweep's many small solves)

    DaskExecutor       the workers of a Dask cluster (``--scheduler tcp://HOST:PORT``, or the
                       environment variable SOURCING_DASK_SCHEDULER): :func:`executor_for`

``map_shared(fn, shared, tasks, done)`` calls ``fn(shared, task)`` for each task, ``shared``
going to each worker once, not once per task: a worker process reads it from one file and keeps
it under its content hash; a Dask cluster receives it by ``scatter(broadcast=True)``; ``done``
is called as each task finishes (progress). Worker processes are *spawned*,
never forked: HiGHS keeps a global thread pool, and a forked child inherits its state without
its threads (a child solving with it can hang). A spawned worker pays its imports once (about a
second), which is why a small program is solved in process: the pool is for programs whose
blocks take longer than that to solve.
"""

from __future__ import annotations

import atexit
import hashlib
import multiprocessing
import os
import pickle
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sourcing.errors import SourcingError

Task = TypeVar("Task")
Result = TypeVar("Result")
Shared = TypeVar("Shared")

#: the environment variable naming a Dask scheduler (tcp://HOST:PORT) when no option does
SCHEDULER_ENV = "SOURCING_DASK_SCHEDULER"


class Executor(Protocol):
    """Anything that maps a function over tasks, results in the tasks' order."""

    def map(self, fn: Callable[[Task], Result], tasks: Sequence[Task]) -> list[Result]: ...

    def map_shared(
        self,
        fn: Callable[[Any, Task], Result],
        shared: Any,
        tasks: Sequence[Task],
        done: Callable[[], None] | None = None,
    ) -> list[Result]: ...


class InProcess:
    """Each task in turn, in this process."""

    def map(self, fn: Callable[[Task], Result], tasks: Sequence[Task]) -> list[Result]:
        return [fn(task) for task in tasks]

    def map_shared(
        self,
        fn: Callable[[Any, Task], Result],
        shared: Any,
        tasks: Sequence[Task],
        done: Callable[[], None] | None = None,
    ) -> list[Result]:
        results = []
        for task in tasks:
            results.append(fn(shared, task))
            if done is not None:
                done()
        return results


class Threads:
    """``jobs`` threads of this process, new for each call (thread start-up costs microseconds
    against a block's solve). Each thread that runs HiGHS gets its own HiGHS thread pool, shut
    down after each run (:func:`sourcing.solver.highs.run`), so a planner's ``--threads``
    never meets a pool sized by an earlier solve."""

    def __init__(self, jobs: int):
        self.jobs = jobs

    def map(self, fn: Callable[[Task], Result], tasks: Sequence[Task]) -> list[Result]:
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="block") as pool:
            return list(pool.map(fn, tasks))

    def map_shared(
        self,
        fn: Callable[[Any, Task], Result],
        shared: Any,
        tasks: Sequence[Task],
        done: Callable[[], None] | None = None,
    ) -> list[Result]:
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="block") as pool:
            futures = [pool.submit(fn, shared, task) for task in tasks]
            for _ in as_completed(futures):
                if done is not None:
                    done()
            return [future.result() for future in futures]


class LocalProcesses:
    """A pool of ``jobs`` spawned worker processes, kept between calls."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None

    def pool(self) -> ProcessPoolExecutor:
        """The workers, started on first use and shut down when this process exits."""
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=context)
            atexit.register(self._pool.shutdown, cancel_futures=True)
        return self._pool

    def map(self, fn: Callable[[Task], Result], tasks: Sequence[Task]) -> list[Result]:
        return list(self.pool().map(fn, tasks))

    def map_shared(
        self,
        fn: Callable[[Any, Task], Result],
        shared: Any,
        tasks: Sequence[Task],
        done: Callable[[], None] | None = None,
    ) -> list[Result]:
        pool = self.pool()
        blob = pickle.dumps(shared, protocol=pickle.HIGHEST_PROTOCOL)
        digest = hashlib.sha256(blob).hexdigest()
        with tempfile.TemporaryDirectory(prefix="sourcing-shared-") as folder:
            path = Path(folder) / f"{digest}.pickle"
            path.write_bytes(blob)
            futures = [pool.submit(_with_shared, fn, str(path), digest, task) for task in tasks]
            for _ in as_completed(futures):
                if done is not None:
                    done()
            return [future.result() for future in futures]


#: in a worker process: what map_shared sent, by content hash (the latest only)
_received: dict[str, Any] = {}


def _with_shared(fn: Callable[[Any, Task], Result], path: str, digest: str, task: Task) -> Result:
    if digest not in _received:
        _received.clear()
        _received[digest] = pickle.loads(Path(path).read_bytes())
    return fn(_received[digest], task)


class DaskExecutor:
    """The workers of the Dask cluster whose scheduler is at ``address`` (tcp://HOST:PORT)."""

    def __init__(self, address: str, timeout: float = 10.0):
        try:
            from distributed import Client
        except ImportError as error:  # pragma: no cover - a dependency of sourcing
            raise RuntimeError("the Dask executor needs 'distributed' installed") from error
        self.address = address
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except OSError as error:
            raise SchedulerUnreachable(address, error) from None

    def map(self, fn: Callable[[Task], Result], tasks: Sequence[Task]) -> list[Result]:
        futures = self.client.map(fn, list(tasks), pure=False)
        return list(self.client.gather(futures))

    def map_shared(
        self,
        fn: Callable[[Any, Task], Result],
        shared: Any,
        tasks: Sequence[Task],
        done: Callable[[], None] | None = None,
    ) -> list[Result]:
        from distributed import as_completed as finished

        handle = self.client.scatter(shared, broadcast=True, hash=True)
        futures = [self.client.submit(fn, handle, task, pure=False) for task in tasks]
        for _ in finished(futures, loop=self.client.loop):
            if done is not None:
                done()
        results = list(self.client.gather(futures))
        self.client.cancel([handle, *futures])
        return results

    def close(self) -> None:
        self.client.close()


class SchedulerUnreachable(SourcingError):
    """No Dask scheduler answers at the address given."""

    def __init__(self, address: str, error: BaseException):
        self.address = address
        super().__init__(f"no Dask scheduler answers at {address} ({error})")


def cores() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_pools: dict[int, LocalProcesses] = {}


def local_executor(jobs: int | None) -> Executor:
    """``jobs`` worker processes (``None``: one per core); one job runs in this process."""
    jobs = cores() if jobs is None else jobs
    if jobs <= 1:
        return InProcess()
    if jobs not in _pools:
        _pools[jobs] = LocalProcesses(jobs)
    return _pools[jobs]


def block_executor(jobs: int | None, tasks: int) -> Executor:
    """Where the blocks of one program are solved: ``jobs`` threads (``None``: one per core),
    or in turn in this process when one job is asked for or there is one task."""
    jobs = cores() if jobs is None else jobs
    if jobs <= 1 or tasks < 2:
        return InProcess()
    return Threads(min(jobs, tasks))


def scheduler_address(scheduler: str | None) -> str | None:
    """The Dask scheduler to use: ``scheduler`` if given, else $SOURCING_DASK_SCHEDULER."""
    return scheduler or os.environ.get(SCHEDULER_ENV) or None


def executor_for(jobs: int | None, scheduler: str | None = None) -> Executor:
    """The Dask cluster at ``scheduler`` (or $SOURCING_DASK_SCHEDULER) if one is named, else
    ``jobs`` local worker processes (:func:`local_executor`)."""
    address = scheduler_address(scheduler)
    if address:
        return DaskExecutor(address)
    return local_executor(jobs)
