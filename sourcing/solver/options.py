"""What a planner sets about a solve, checked once, in the two forms the code passes around.

:class:`SolveOptions` are the four settings every entry point takes (``--time-limit``,
``--rel-gap``, ``--threads``, ``--strict``). The command line builds one and hands it to
:func:`sourcing.solve` and the analyses (:func:`sourcing.analysis.compare`, ``stress``,
``frontier``) through :meth:`SolveOptions.kwargs`, so their signatures stay keyword arguments a
Python caller can pass one by one::

    options = SolveOptions(time_limit=60, strict=True)
    plan = sourcing.solve("instances/battery-demo", "eu-crma", **options.kwargs())

:class:`SolverOptions` are what the adapter hands HiGHS, under the names Pyomo's solver interface
uses. Both are checked by :func:`option_problem`, the one place that says what a valid value is.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from sourcing.errors import InputError, Problem


@dataclass(frozen=True)
class SolveOptions:
    """How long and how precisely to solve, and whether consistency warnings are errors."""

    time_limit: float | None = None  # seconds the solver may run (for each solve)
    rel_gap: float | None = None  # relative MIP gap at which to stop, in [0, 1)
    threads: int | None = None  # solver threads, at least 1
    strict: bool = False  # treat consistency warnings as errors

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``sourcing.solve`` and the analyses, by their names."""
        return asdict(self)


@dataclass(frozen=True)
class SolverOptions:
    """Options under the names Pyomo's solver interface uses.

    Each is checked when the options are made (:func:`option_problem`): a negative or NaN time
    limit, a gap outside [0, 1) or fewer than one thread is an :class:`InputError`, never handed
    to HiGHS (which would read ``--rel-gap 2`` as "stop at once" and a NaN limit as none)."""

    time_limit: float | None = None  # seconds
    rel_gap: float | None = None  # MIP relative gap at which to stop
    threads: int | None = None
    tee: bool = False  # print the solver log
    lp_algorithm: str | None = None  # HiGHS's "solver": simplex (its default choice) or ipm

    def __post_init__(self) -> None:
        checked = {"time_limit": self.time_limit, "rel_gap": self.rel_gap, "threads": self.threads}
        problems = [
            Problem("options", None, name, message)
            for name, value in checked.items()
            if (message := option_problem(name, value)) is not None
        ]
        if problems:
            raise InputError(problems)


def option_problem(name: str, value: object) -> str | None:
    """What is wrong with one solver option's value, or ``None`` when it may be used.

    time_limit: seconds, a finite number of at least 0 (0: stop at the first chance).
    rel_gap: a finite fraction in [0, 1) (0 asks for the proven optimum).
    threads: a whole number of at least 1. ``None`` means the default."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number, got {value!r}"
    if name == "threads":
        if not isinstance(value, int) or value < 1:
            return f"must be a whole number of threads, at least 1; got {value}"
        return None
    if not math.isfinite(value):
        return f"must be a finite number, got {value}"
    if name == "time_limit" and value < 0:
        return f"must be a number of seconds, 0 or more; got {value}"
    if name == "rel_gap" and not 0 <= value < 1:
        return f"must be a fraction from 0 (prove the optimum) up to, not including, 1; got {value}"
    return None
