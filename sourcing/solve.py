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
    highs, scaling = _handoff(lp, cost, relax_integrality, options, fix)
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
    raw = _read(highs, lp.is_mip and not relax_integrality, scaling)
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


def _read(highs: highspy.Highs, is_mip: bool, scaling: Scaling) -> RawSolution:
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


class Session:
    """A built model kept in HiGHS between solves, for sweeps that change a few numbers.

    Stress tests and frontiers solve the same model many times, each time with a few bounds or
    coefficients changed. Rebuilding and handing the matrix over each time would pay HiGHS's
    presolve and a simplex from scratch again; a session instead changes the numbers in place
    and re-solves from the last basis (a warm start: a few hundred pivots instead of thousands).

        session = Session(lp, options)
        base = session.solve()                           # cold: like solve_lp
        session.set_column_bounds(cols, upper=0.0)       # e.g. lose a country's supply
        lost = session.solve(basis=session.basis)        # warm: from the base plan's basis
        session.set_column_bounds(cols, upper=session.built_upper[cols])   # and back

    Changes persist until changed back; :attr:`lower`, :attr:`upper`, :attr:`row_lower`,
    :attr:`row_upper` hold the bounds in force. A MIP is re-solved by branch and bound each time
    (HiGHS does not warm-start it), still without rebuilding; :meth:`price` gives its LP duals
    with the binary choices fixed, as :func:`solve_lp` does for a single solve.
    """

    def __init__(self, lp: LinearProgram, options: SolverOptions | None = None):
        self.lp = lp
        self.options = options or SolverOptions()
        self.built_lower, self.built_upper = lp.bounds()
        self.lower, self.upper = self.built_lower.copy(), self.built_upper.copy()
        self.row_lower, self.row_upper = lp.row_bounds()
        self.integer = np.flatnonzero(lp.integrality()).astype(np.int32)
        self.basis: highspy.HighsBasis | None = None  # of the last solve that found an LP optimum
        self.solves = 0
        started = time.perf_counter()
        self._highs, self.scaling = _handoff(lp, None, False, self.options, None)
        self.handoff_seconds = time.perf_counter() - started
        #: seconds in HiGHS: the first (cold) solve, and all later (warm) ones together
        self.seconds = {"handoff": self.handoff_seconds, "first_solve": 0.0, "resolves": 0.0}

    def set_column_bounds(
        self,
        cols: np.ndarray,
        lower: np.ndarray | float | None = None,
        upper: np.ndarray | float | None = None,
    ) -> None:
        """Change the bounds of variables ``cols`` (``None``: keep that side as it is)."""
        cols = np.asarray(cols, dtype=np.int32)
        if lower is not None:
            self.lower[cols] = lower
        if upper is not None:
            self.upper[cols] = upper
        if self._highs is not None and len(cols):
            self._highs.changeColsBounds(
                len(cols),
                cols,
                self.scaling.columns_in(self.lower[cols], cols),
                self.scaling.columns_in(self.upper[cols], cols),
            )

    def set_row_bounds(
        self,
        rows: np.ndarray,
        lower: np.ndarray | float | None = None,
        upper: np.ndarray | float | None = None,
    ) -> None:
        """Change the bounds of constraint rows ``rows`` (``None``: keep that side)."""
        rows = np.asarray(rows, dtype=np.int32)
        if lower is not None:
            self.row_lower[rows] = lower
        if upper is not None:
            self.row_upper[rows] = upper
        if self._highs is not None and len(rows):
            # in highspy, missing from its incomplete __init__.pyi
            self._highs.changeRowsBounds(  # type: ignore[attr-defined]
                len(rows),
                rows,
                self.scaling.rows_in(self.row_lower[rows], rows),
                self.scaling.rows_in(self.row_upper[rows], rows),
            )

    def set_coefficients(
        self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray | float
    ) -> None:
        """Set the matrix entries (rows[i], cols[i]) to values[i]."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        values = np.broadcast_to(np.asarray(values, dtype=float), rows.shape)
        if self._highs is None:
            return
        values = self.scaling.matrix_in(rows, cols, values)
        for row, col, value in zip(rows.tolist(), cols.tolist(), values.tolist(), strict=True):
            self._highs.changeCoeff(row, col, value)

    def solve(self, basis: highspy.HighsBasis | None = None) -> RawSolution:
        """Solve the model as it now stands, from ``basis`` if given (else from HiGHS's last
        basis: the first solve is cold). The planner's time limit applies to each solve."""
        if self._highs is None:
            return RawSolution(
                TerminationCondition.error,
                SolutionStatus.no_solution,
                self.lp.is_mip,
                times={"handoff": self.handoff_seconds},
                message="HiGHS rejected the model (numbers out of its range?)",
            )
        highs = self._highs
        if self.options.time_limit is not None:
            # HiGHS measures its time limit on the clock of the whole object, not of one run
            highs.setOptionValue("time_limit", highs.getRunTime() + float(self.options.time_limit))
        if basis is not None and not self.lp.is_mip:
            highs.setBasis(basis)
        started = time.perf_counter()
        highs.run()
        solved = time.perf_counter()
        raw = _read(highs, self.lp.is_mip, self.scaling)
        if raw.status is SolutionStatus.optimal and not self.lp.is_mip:
            self.basis = highs.getBasis()
        raw.times = {
            "handoff": self.handoff_seconds if self.solves == 0 else 0.0,
            "solve": solved - started,
            "read": time.perf_counter() - solved,
        }
        self.seconds["first_solve" if self.solves == 0 else "resolves"] += sum(
            raw.times[k] for k in ("solve", "read")
        )
        self.solves += 1
        return raw

    def price(self, raw: RawSolution) -> RawSolution:
        """The solution whose duals price ``raw``: ``raw`` itself for an LP; for a MIP, the LP
        left when its binary choices are fixed at ``raw``'s values (re-solved in place, then the
        binaries are restored)."""
        if not raw.is_mip or raw.x is None or self._highs is None:
            return raw
        highs, integer, n = self._highs, self.integer, len(self.integer)
        fixed = np.round(raw.x[integer])
        highs.changeColsIntegrality(n, integer, np.zeros(n, dtype=np.uint8))
        highs.changeColsBounds(n, integer, fixed, fixed)
        try:
            if self.options.time_limit is not None:
                highs.setOptionValue(
                    "time_limit", highs.getRunTime() + float(self.options.time_limit)
                )
            started = time.perf_counter()
            highs.run()
            priced = _read(highs, False, self.scaling)
            priced.times = {"solve": time.perf_counter() - started}
        finally:
            highs.changeColsBounds(
                n,
                integer,
                self.scaling.columns_in(self.lower[integer], integer),
                self.scaling.columns_in(self.upper[integer], integer),
            )
            highs.changeColsIntegrality(n, integer, np.ones(n, dtype=np.uint8))
        return priced
