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

from sourcing.lp import LinearProgram


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
    """Options under the names Pyomo's solver interface uses."""

    time_limit: float | None = None  # seconds
    rel_gap: float | None = None  # MIP relative gap at which to stop
    threads: int | None = None
    tee: bool = False  # print the solver log


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
    highspy.HighsModelStatus.kHighsInterrupt: TerminationCondition.interrupted,
}


def solve_lp(
    lp: LinearProgram,
    options: SolverOptions | None = None,
    cost: np.ndarray | None = None,
    relax_integrality: bool = False,
    fix: tuple[np.ndarray, np.ndarray] | None = None,
) -> RawSolution:
    """Solve ``lp`` (minimise ``cost``, default the model's total cost) with HiGHS.

    ``fix=(cols, values)`` fixes those variables (used to price a MIP's optimum: fix its binary
    choices, relax integrality, and read the LP's duals).
    """
    options = options or SolverOptions()
    started = time.perf_counter()
    highs = _handoff(lp, cost, relax_integrality, options, fix)
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
    raw = _read(highs, lp.is_mip and not relax_integrality)
    raw.times = {
        "handoff": handed - started,
        "solve": solved - handed,
        "read": time.perf_counter() - solved,
    }
    return raw


def _handoff(
    lp: LinearProgram,
    cost: np.ndarray | None,
    relax: bool,
    options: SolverOptions,
    fix: tuple[np.ndarray, np.ndarray] | None,
) -> highspy.Highs | None:
    highs = _new_highs(options.tee)
    highs.setOptionValue("output_flag", bool(options.tee))
    if options.time_limit is not None:
        highs.setOptionValue("time_limit", float(options.time_limit))
    if options.rel_gap is not None:
        highs.setOptionValue("mip_rel_gap", float(options.rel_gap))
    if options.threads is not None:
        _use_threads(int(options.threads))
        highs.setOptionValue("threads", int(options.threads))
    starts, index, values = lp.csr()
    lower, upper = lp.bounds()
    if fix is not None:
        lower[fix[0]] = upper[fix[0]] = fix[1]
    row_lower, row_upper = lp.row_bounds()
    integrality = np.zeros(lp.n_vars, dtype=np.int32) if relax else lp.integrality()
    c = lp.cost_vector() if cost is None else cost
    status = highs.passModel(
        lp.n_vars,
        lp.n_rows,
        len(values),
        int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        np.ascontiguousarray(c, dtype=np.float64),
        lower,
        upper,
        row_lower,
        row_upper,
        starts[:-1].astype(np.int32),
        index.astype(np.int32),
        values,
        integrality,
    )
    return None if status == highspy.HighsStatus.kError else highs


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


def _read(highs: highspy.Highs, is_mip: bool) -> RawSolution:
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
    if status is SolutionStatus.no_solution:
        return RawSolution(
            termination, status, is_mip, message=highs.modelStatusToString(model_status)
        )
    solution = highs.getSolution()
    objective = float(info.objective_function_value)
    if is_mip:
        bound = float(info.mip_dual_bound)
        gap = _gap(objective, bound)
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
        x=np.asarray(solution.col_value),
        row_dual=np.asarray(solution.row_dual) if duals else None,
        col_dual=np.asarray(solution.col_dual) if duals else None,
        message=highs.modelStatusToString(model_status),
    )


def _gap(objective: float, bound: float) -> float | None:
    if not math.isfinite(bound):
        return None
    return abs(objective - bound) / max(abs(objective), 1e-10) if objective != bound else 0.0
