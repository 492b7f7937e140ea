"""The one module that talks to the solver (HiGHS through highspy).

It hands HiGHS the assembled sparse matrix straight from numpy (``passModel`` with arrays), runs
it with the planner's options and returns a :class:`RawSolution` with two separate statuses, as
in Pyomo's solver interface: why the solver stopped (:class:`TerminationCondition`) and what
solution is held (:class:`SolutionStatus`). A time-limited incumbent is never called optimal.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field
from enum import StrEnum

import highspy
import numpy as np

from sourcing.errors import InputError, Problem
from sourcing.lp import LinearProgram
from sourcing.scaling import Scaling, scaled_model


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
    #: the units HiGHS solved in (sourcing.scaling): its tolerances are relative to them
    scaling: Scaling | None = None


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

_TERMINATION = {
    highspy.HighsModelStatus.kOptimal: TerminationCondition.optimal,
    highspy.HighsModelStatus.kModelEmpty: TerminationCondition.optimal,
    highspy.HighsModelStatus.kInfeasible: TerminationCondition.infeasible,
    highspy.HighsModelStatus.kUnbounded: TerminationCondition.unbounded,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: TerminationCondition.infeasible_or_unbounded,
    highspy.HighsModelStatus.kTimeLimit: TerminationCondition.time_limit,
    highspy.HighsModelStatus.kIterationLimit: TerminationCondition.iteration_limit,
    highspy.HighsModelStatus.kSolutionLimit: TerminationCondition.iteration_limit,
    highspy.HighsModelStatus.kInterrupt: TerminationCondition.interrupted,
    # in highspy, missing from its incomplete __init__.pyi
    highspy.HighsModelStatus.kHighsInterrupt: TerminationCondition.interrupted,  # type: ignore[attr-defined]
}


def solve_lp(
    lp: LinearProgram,
    options: SolverOptions | None = None,
    cost: np.ndarray | None = None,
    relax_integrality: bool = False,
    fix: tuple[np.ndarray, np.ndarray] | None = None,
    initial: RawSolution | None = None,
    spent: float = 0.0,
) -> RawSolution:
    """Solve ``lp`` (minimise ``cost``, default the model's total cost) with HiGHS.

    ``fix=(cols, values)`` fixes those variables (used to price a MIP's optimum: fix its binary
    choices, relax integrality, and read the LP's duals). ``initial``: a plan handed to HiGHS
    to start from (:func:`sourcing.start.solve_with_start` finds one for a MIP), found in
    ``spent`` seconds of the time limit.
    """
    options = options or SolverOptions()
    started = time.perf_counter()
    highs, scaling = handoff(lp, cost, relax_integrality, options, fix)
    if highs is not None and initial is not None and initial.x is not None:
        plan = highspy.HighsSolution()
        plan.col_value = scaling.columns_in(initial.x)
        plan.value_valid = True
        highs.setSolution(plan)
        if options.time_limit is not None:  # the search for a start spent part of the limit
            left = max(options.time_limit - spent, 1.0)
            highs.setOptionValue("time_limit", float(left))
    handed = time.perf_counter()
    if highs is None:
        return RawSolution(
            TerminationCondition.error,
            SolutionStatus.no_solution,
            lp.is_mip,
            times={"handoff": handed - started},
            message="HiGHS rejected the model (numbers out of its range?)",
        )
    highs.run()
    solved = time.perf_counter()
    raw = read_solution(highs, lp.is_mip and not relax_integrality, scaling)
    raw.times = {
        "handoff": handed - started,
        "solve": solved - handed,
        "read": time.perf_counter() - solved,
    }
    return raw


def handoff(
    lp: LinearProgram,
    cost: np.ndarray | None,
    relax: bool,
    options: SolverOptions,
    fix: tuple[np.ndarray, np.ndarray] | None,
) -> tuple[highspy.Highs | None, Scaling]:
    """A HiGHS instance holding ``lp`` in the units :mod:`sourcing.scaling` chooses (``None``
    if HiGHS rejects the model), and that scaling."""
    highs = _new_highs(options.tee)
    highs.setOptionValue("output_flag", bool(options.tee))
    if options.time_limit is not None:
        highs.setOptionValue("time_limit", float(options.time_limit))
    if options.rel_gap is not None:
        highs.setOptionValue("mip_rel_gap", float(options.rel_gap))
    if options.threads is not None:
        _use_threads(int(options.threads))
        highs.setOptionValue("threads", int(options.threads))
    if options.lp_algorithm is not None:
        highs.setOptionValue("solver", options.lp_algorithm)
    model = scaled_model(lp, cost, fix)
    integrality = np.zeros(lp.n_vars, dtype=np.int32) if relax else lp.integrality()
    status = highs.passModel(
        lp.n_vars,
        lp.n_rows,
        len(model.values),
        int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        np.ascontiguousarray(model.cost, dtype=np.float64),
        model.lower,
        model.upper,
        model.row_lower,
        model.row_upper,
        model.starts[:-1].astype(np.int32),
        model.index.astype(np.int32),
        model.values,
        integrality,
    )
    return (None if status == highspy.HighsStatus.kError else highs), model.scaling


_scheduler_threads: int | None = None


def _use_threads(threads: int) -> None:
    """HiGHS runs one thread pool per process, sized by the first solve; a solve asking for
    another size fails ("the scheduler has already been initialized"). Rebuild the pool when the
    planner asks for a different number (between solves, never during one)."""
    global _scheduler_threads
    if _scheduler_threads != threads:
        highspy.Highs.resetGlobalScheduler(True)
        _scheduler_threads = threads


def _new_highs(tee: bool) -> highspy.Highs:
    """A HiGHS instance; its C++ constructor prints a banner to the process's stdout (fd 1) the
    first time, which would corrupt ``--format json`` output: send it to /dev/null unless the
    solver log was asked for."""
    if tee:
        return highspy.Highs()
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def read_solution(highs: highspy.Highs, is_mip: bool, scaling: Scaling) -> RawSolution:
    """What HiGHS holds after a run, in the planner's units."""
    model_status = highs.getModelStatus()
    info = highs.getInfo()
    termination = _TERMINATION.get(model_status, TerminationCondition.error)
    has_primal = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    if termination is TerminationCondition.optimal:
        status = SolutionStatus.optimal
    elif has_primal and termination in (
        TerminationCondition.time_limit,
        TerminationCondition.iteration_limit,
        TerminationCondition.interrupted,
    ):
        status = SolutionStatus.feasible
    else:
        status = SolutionStatus.no_solution
    nodes = int(info.mip_node_count) if is_mip else 0
    if status is SolutionStatus.no_solution:
        return RawSolution(
            termination,
            status,
            is_mip,
            message=highs.modelStatusToString(model_status),
            nodes=max(nodes, 0),
        )
    solution = highs.getSolution()
    objective = scaling.objective_out(float(info.objective_function_value))
    bound: float | None
    gap: float | None
    if is_mip:
        bound = scaling.objective_out(float(info.mip_dual_bound))
        gap = relative_gap(objective, bound)
        if status is SolutionStatus.optimal and (gap is None or gap > OPTIMAL_GAP):
            # HiGHS stopped because the planner's --rel-gap was reached: converged, but what is
            # held is a feasible plan within that gap, not a proven optimum
            status = SolutionStatus.feasible
    else:
        bound, gap = (objective, 0.0) if status is SolutionStatus.optimal else (None, None)
    duals = not is_mip and solution.dual_valid and status is SolutionStatus.optimal
    return RawSolution(
        termination,
        status,
        is_mip,
        objective=objective,
        bound=bound,
        gap=gap,
        x=scaling.columns_out(np.asarray(solution.col_value)),
        row_dual=scaling.row_duals_out(np.asarray(solution.row_dual)) if duals else None,
        col_dual=scaling.column_duals_out(np.asarray(solution.col_dual)) if duals else None,
        message=highs.modelStatusToString(model_status),
        nodes=max(nodes, 0),
        scaling=scaling,
    )


def relative_gap(objective: float, bound: float) -> float | None:
    """|objective − bound| / |objective|: how far a plan may be from the optimum."""
    if not math.isfinite(bound):
        return None
    return abs(objective - bound) / max(abs(objective), 1e-10) if objective != bound else 0.0


def __getattr__(name: str) -> object:
    """``sourcing.solve.Session``, the path the README once gave, still answers: the session
    lives in :mod:`sourcing.session`, which builds on this module."""
    if name == "Session":
        from sourcing.session import Session

        return Session
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
