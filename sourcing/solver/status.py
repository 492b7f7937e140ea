"""How a solve ended, in one vocabulary for the API, the analyses, the command line and the service.

As in Pyomo's solver interface, two statuses: why the solver stopped
(:class:`TerminationCondition`) and what solution is held (:class:`SolutionStatus`). A
time-limited incumbent is never called optimal. From the pair follow the one word every table
shows (:func:`outcome`), whether a plan is held (:func:`has_plan`) and the exit code
(:func:`exit_code`). :class:`RawSolution` is what the adapter (:mod:`sourcing.solver.highs`)
returns: the statuses, the numbers, and the plan's values in the planner's units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sourcing.solver.scaling import Scaling


class TerminationCondition(StrEnum):
    optimal = "optimal"
    infeasible = "infeasible"
    unbounded = "unbounded"
    infeasible_or_unbounded = "infeasible_or_unbounded"
    time_limit = "time_limit"
    iteration_limit = "iteration_limit"
    interrupted = "interrupted"
    error = "error"


class SolutionStatus(StrEnum):
    optimal = "optimal"
    feasible = "feasible"
    no_solution = "no_solution"


@dataclass
class RawSolution:
    termination: TerminationCondition
    status: SolutionStatus
    is_mip: bool
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    x: np.ndarray | None = None
    row_dual: np.ndarray | None = None
    col_dual: np.ndarray | None = None
    times: dict[str, float] = field(default_factory=dict)
    message: str = ""
    nodes: int = 0  # branch-and-bound nodes (a MIP)
    start_objective: float | None = None  # the starting plan's cost, when one was handed over
    #: the units HiGHS solved in (sourcing.solver.scaling): its tolerances are relative to them
    scaling: Scaling | None = None
    #: when solved in independent blocks (sourcing.solver.split): one entry per block, with its
    #: label (minerals and periods), outcome, objective and seconds; None for a whole solve
    blocks: list[dict[str, Any]] | None = None


#: Exit codes of a solve (the command line's; the service and the analyses use the same words)
EXIT_OK, EXIT_BUG, EXIT_INFEASIBLE, EXIT_NO_SOLUTION = 0, 1, 3, 4


def outcome(termination: TerminationCondition, status: SolutionStatus) -> str:
    """How a solve ended, in one word used alike by every table and answer: ``optimal``;
    ``feasible`` (a plan found within the limits, never called optimal); ``infeasible``
    (HiGHS's 'infeasible or unbounded' included: every cost and variable is ≥ 0, so the problem
    is never unbounded); else the termination condition (``time_limit``, ``error``...)."""
    if termination is TerminationCondition.infeasible_or_unbounded:
        return TerminationCondition.infeasible.value
    if status is SolutionStatus.feasible:
        return SolutionStatus.feasible.value
    return termination.value


def has_plan(status: SolutionStatus) -> bool:
    """Whether a plan is held: optimal, or feasible within the limits."""
    return status is not SolutionStatus.no_solution


def exit_code(termination: TerminationCondition, status: SolutionStatus) -> int:
    """0 a plan; 3 infeasible; 4 no plan within the limits; 1 anything else (a solver error)."""
    if has_plan(status):
        return EXIT_OK
    if outcome(termination, status) == TerminationCondition.infeasible.value:
        return EXIT_INFEASIBLE
    if termination in (
        TerminationCondition.time_limit,
        TerminationCondition.iteration_limit,
        TerminationCondition.interrupted,
    ):
        return EXIT_NO_SOLUTION
    return EXIT_BUG


#: The relative gap within which a MIP plan is called optimal (HiGHS's default mip_rel_gap).
OPTIMAL_GAP = 1e-4


def relative_gap(objective: float, bound: float) -> float | None:
    """|objective − bound| / |objective|: how far a plan may be from the optimum."""
    if not math.isfinite(bound):
        return None
    return abs(objective - bound) / max(abs(objective), 1e-10) if objective != bound else 0.0
