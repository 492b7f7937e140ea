"""The adapter: the one module that calls HiGHS (through highspy) for a single solve.

It hands HiGHS the assembled sparse matrix straight from numpy (``passModel`` with arrays), in
the units :mod:`sourcing.solver.scaling` chose, runs it with the planner's options and reads back
a :class:`~sourcing.solver.status.RawSolution` in the planner's units, with the two statuses of
:mod:`sourcing.solver.status`. :class:`~sourcing.solver.session.Session` keeps a model in HiGHS
between solves through the same :func:`handoff` and :func:`read_solution`.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import highspy
import numpy as np

from sourcing.model.lp import LinearProgram
from sourcing.solver.options import SolverOptions
from sourcing.solver.scaling import ScaledModel, Scaling, scaled_model
from sourcing.solver.status import (
    OPTIMAL_GAP,
    RawSolution,
    SolutionStatus,
    TerminationCondition,
    relative_gap,
)

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
    to start from (:func:`sourcing.solver.start.solve_with_start` finds one for a MIP), found in
    ``spent`` seconds of the time limit.
    """
    options = options or SolverOptions()
    if lp.n_vars == 0:
        return without_columns(*lp.row_bounds(), lp.is_mip)
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
    run(highs)
    solved = time.perf_counter()
    raw = read_solution(highs, lp.is_mip and not relax_integrality, scaling)
    raw.times = {
        "handoff": handed - started,
        "solve": solved - handed,
        "read": time.perf_counter() - solved,
    }
    return raw


def run(highs: highspy.Highs) -> None:
    """Run HiGHS on the model ``highs`` holds. Off the main thread (blocks solved side by side,
    :class:`~sourcing.solver.executor.Threads`) the calling thread's HiGHS scheduler is shut
    down afterwards, as highspy's own threaded solve does: a thread that ends while the
    scheduler's workers are still starting can deadlock (HiGHS pull request 1886), and the next
    block on this thread may ask for another number of threads."""
    highs.run()
    if threading.current_thread() is not threading.main_thread():
        highspy.Highs.resetThreadScheduler(False)


def handoff(
    lp: LinearProgram,
    cost: np.ndarray | None,
    relax: bool,
    options: SolverOptions,
    fix: tuple[np.ndarray, np.ndarray] | None,
) -> tuple[highspy.Highs | None, Scaling]:
    """A HiGHS instance holding ``lp`` in the units :mod:`sourcing.solver.scaling` chooses (``None``
    if HiGHS rejects the model), and that scaling."""
    highs = new_highs(options)

    model = scaled_model(lp, cost, fix)
    integrality = np.zeros(lp.n_vars, dtype=np.int32) if relax else lp.integrality()
    return pass_model(highs, model, integrality), model.scaling


def pass_model(
    highs: highspy.Highs, model: ScaledModel, integrality: np.ndarray
) -> highspy.Highs | None:
    """Hand HiGHS a scaled model straight from numpy; ``None`` when HiGHS rejects it."""
    status = highs.passModel(
        len(model.cost),
        len(model.row_lower),
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
        np.asarray(integrality, dtype=np.int32),
    )
    return None if status == highspy.HighsStatus.kError else highs


def new_highs(options: SolverOptions) -> highspy.Highs:
    """A HiGHS instance with the planner's options set."""
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
    return highs


_scheduler_threads: int | None = None


def _use_threads(threads: int) -> None:
    """HiGHS runs one thread pool per calling thread, sized by its first solve there; a solve
    asking for another size fails ("the scheduler has already been initialized"). Rebuild the
    main thread's pool when the planner asks for a different number (between solves, never
    during one). A block solved on a pool thread (:class:`~sourcing.solver.executor.Threads`)
    starts on a fresh thread, whose pool is sized by its own first solve: resetting from there
    could pull the pool from under another block's solve, so it is left alone."""
    global _scheduler_threads
    if threading.current_thread() is not threading.main_thread():
        return
    if _scheduler_threads != threads:
        highspy.Highs.resetGlobalScheduler(True)
        _scheduler_threads = threads


#: HiGHS prints its banner once per process, on the first construction; guarded so two threads
#: never swap the process's stdout at once (one would restore the other's /dev/null)
_banner = threading.Lock()
_banner_printed = False


def _new_highs(tee: bool) -> highspy.Highs:
    """A HiGHS instance; its C++ constructor prints a banner to the process's stdout (fd 1) the
    first time, which would corrupt ``--format json`` output: send it to /dev/null unless the
    solver log was asked for. Once the first instance exists, there is nothing to hide."""
    global _banner_printed
    if tee or _banner_printed:
        return highspy.Highs()
    with _banner:
        if _banner_printed:
            return highspy.Highs()
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                highs = highspy.Highs()
                _banner_printed = True
                return highs
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


def without_columns(row_lower: np.ndarray, row_upper: np.ndarray, is_mip: bool) -> RawSolution:
    """A program of rows that hold no variable (demand at a site nothing can reach, a block of
    such rows): each row reads 0, so it is feasible only when 0 lies within every row's bounds.
    HiGHS calls a model without columns "empty", and empty "optimal", whatever its rows ask:
    it is never asked."""
    if not ((row_lower <= 0).all() and (row_upper >= 0).all()):
        return RawSolution(
            TerminationCondition.infeasible,
            SolutionStatus.no_solution,
            is_mip,
            message="a row that holds no variable asks for more than 0",
        )
    rows = len(row_lower)
    return RawSolution(
        TerminationCondition.optimal,
        SolutionStatus.optimal,
        is_mip,
        objective=0.0,
        bound=0.0,
        gap=0.0,
        x=np.zeros(0),
        row_dual=np.zeros(rows),
        col_dual=np.zeros(0),
    )
