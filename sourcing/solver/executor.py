"""Where independent solves run: the one seam between the engine and its workers.

An executor maps a function over a list of picklable tasks and returns the results in order::

    executor.map(solve_block, tasks)  ->  [result, ...]

    InProcess          one after another, in this process (``--jobs 1``, or a small program)
    LocalProcesses     a pool of worker processes on this machine (``--jobs N``; default: one
                       per core), started once and kept for the life of the process

The sweep issue adds a Dask cluster behind the same ``map``. Worker processes are *spawned*,
never forked: HiGHS keeps a global thread pool, and a forked child inherits its state without
its threads (a child solving with it can hang). A spawned worker pays its imports once (about a
second), which is why a small program is solved in process: the pool is for programs whose
blocks take longer than that to solve.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Protocol, TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")


class Executor(Protocol):
    """Anything that maps a function over tasks, results in the tasks' order."""

    def map(self, fn: Callable[[Task], Result], tasks: Sequence[Task]) -> list[Result]: ...


class InProcess:
    """Each task in turn, in this process."""

    def map(self, fn: Callable[[Task], Result], tasks: Sequence[Task]) -> list[Result]:
        return [fn(task) for task in tasks]


class LocalProcesses:
    """A pool of ``jobs`` spawned worker processes, kept between calls."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[Task], Result], tasks: Sequence[Task]) -> list[Result]:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=context)
            atexit.register(self._pool.shutdown, cancel_futures=True)
        return list(self._pool.map(fn, tasks))


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
