"""The four settings every solving entry point takes, as one value.

The command line builds one :class:`SolveOptions` from ``--time-limit``, ``--rel-gap``,
``--threads`` and ``--strict`` and hands it to :func:`sourcing.solve` and the analyses
(:func:`sourcing.analysis.compare`, ``stress``, ``frontier``) through :meth:`SolveOptions.kwargs`,
so their signatures stay keyword arguments a Python caller can pass one by one::

    options = SolveOptions(time_limit=60, strict=True)
    plan = sourcing.solve("instances/battery-demo", "eu-crma", **options.kwargs())
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


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
