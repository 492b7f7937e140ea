"""What a long command shows while it runs, on stderr (stdout stays the result's alone).

    on a terminal        a transient line (rich): the current phase or point and the time so
                         far; it disappears when the command is done
    not on a terminal    plain lines, one per phase or point, for a command that has already run
                         LONG seconds (a log stays quiet for small solves), every one under
                         --verbose
    --quiet              nothing but errors
    --verbose            every phase as a plain line, and at the end the seconds per phase

Engines report through a callback: :func:`sourcing.solve` calls ``progress(phase)`` as each phase
starts; the analyses (compare, stress, frontier) call it before each solve with what is solved.
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.status import Status

#: seconds after which a command counts as long and shows plain progress lines off a terminal
LONG = 2.0


class Progress:
    """A callable progress reporter: ``progress("build")``; use it as a context manager."""

    def __init__(
        self, console: Console, quiet: bool = False, verbose: bool = False, live: bool = True
    ):
        """``live=False``: never the transient line (when the solver log shares stderr)."""
        self.console = console
        self.quiet = quiet
        self.verbose = verbose and not quiet
        self.live = live
        self.started = time.perf_counter()
        self._status: Status | None = None
        self.phases: list[tuple[str, float]] = []

    def __enter__(self) -> Progress:
        if not self.quiet and self.console.is_terminal and not self.verbose and self.live:
            self._status = self.console.status("starting", spinner="dots")
            self._status.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._status is not None:
            self._status.stop()
        if self.verbose and kind is None:
            self.summary()

    def __call__(self, what: str) -> None:
        now = time.perf_counter() - self.started
        self.phases.append((what, now))
        if self.quiet:
            return
        if self._status is not None:
            self._status.update(f"{escape(what)} ({now:.1f} s)")
        elif self.verbose or now >= LONG:
            self.console.print(f"[{now:7.2f} s] {what}", markup=False, highlight=False)

    def summary(self) -> None:
        """Seconds per phase (each phase lasts until the next one starts)."""
        end = time.perf_counter() - self.started
        marks = self.phases + [("done", end)]
        for (what, at), (_, after) in zip(marks, marks[1:], strict=False):
            self.console.print(f"{after - at:9.3f} s  {what}", markup=False, highlight=False)
        self.console.print(f"{end:9.3f} s  in all", markup=False, highlight=False)


class Bar:
    """Progress through N units of work, ``bar(done, total)``: a rich bar on a terminal; off it,
    a plain line per unit once the command has run LONG seconds (every one under --verbose)."""

    def __init__(
        self, console: Console, what: str, quiet: bool = False, verbose: bool = False
    ) -> None:
        self.console, self.what = console, what
        self.quiet, self.verbose = quiet, verbose and not quiet
        self.started = time.perf_counter()
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Bar:
        if not self.quiet and self.console.is_terminal and not self.verbose:
            self._bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self._bar.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter() - self.started
        if self.quiet:
            return
        if self._bar is not None:
            if self._task is None:
                self._task = self._bar.add_task(self.what, total=total)
            self._bar.update(self._task, completed=done, total=total)
        elif self.verbose or now >= LONG:
            line = f"[{now:7.2f} s] {self.what} {done}/{total}"
            self.console.print(line, markup=False, highlight=False)
