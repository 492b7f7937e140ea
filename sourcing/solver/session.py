"""A built model kept in HiGHS between solves: the warm re-solves of the sweeps (stress,
frontier). It talks to HiGHS through the solver module's handoff and reading
(:mod:`sourcing.solver.highs`), so the matrix is scaled and read back the same way as a single
solve.
"""

from __future__ import annotations

import time

import highspy
import numpy as np

from sourcing.model.lp import LinearProgram
from sourcing.solver.highs import handoff, read_solution, run, without_columns
from sourcing.solver.options import SolverOptions
from sourcing.solver.pricing import price
from sourcing.solver.status import RawSolution, SolutionStatus, TerminationCondition


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
        self.basis: highspy.HighsBasis | None = None  # of the last solve that found an LP optimum
        self.solves = 0
        started = time.perf_counter()
        #: the model in HiGHS (``None`` when HiGHS rejected it: every solve then says so)
        self.highs, self.scaling = handoff(lp, None, False, self.options, None)
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
        if self.highs is not None and len(cols):
            self.highs.changeColsBounds(
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
        if self.highs is not None and len(rows):
            # in highspy, missing from its incomplete __init__.pyi
            self.highs.changeRowsBounds(  # type: ignore[attr-defined]
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
        if self.highs is None:
            return
        values = self.scaling.matrix_in(rows, cols, values)
        for row, col, value in zip(rows.tolist(), cols.tolist(), values.tolist(), strict=True):
            self.highs.changeCoeff(row, col, value)

    def solve(self, basis: highspy.HighsBasis | None = None) -> RawSolution:
        """Solve the model as it now stands, from ``basis`` if given (else from HiGHS's last
        basis: the first solve is cold). The planner's time limit applies to each solve."""
        if self.lp.n_vars == 0:
            self.solves += 1
            return without_columns(self.row_lower, self.row_upper, self.lp.is_mip)
        if self.highs is None:
            return RawSolution(
                TerminationCondition.error,
                SolutionStatus.no_solution,
                self.lp.is_mip,
                times={"handoff": self.handoff_seconds},
                message="HiGHS rejected the model (numbers out of its range?)",
            )
        highs = self.highs
        if self.options.time_limit is not None:
            # HiGHS measures its time limit on the clock of the whole object, not of one run
            highs.setOptionValue("time_limit", highs.getRunTime() + float(self.options.time_limit))
        if basis is not None and not self.lp.is_mip:
            highs.setBasis(basis)
        started = time.perf_counter()
        run(highs)
        solved = time.perf_counter()
        raw = read_solution(highs, self.lp.is_mip, self.scaling)
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
        """The solution whose duals price ``raw`` (:func:`sourcing.solver.pricing.price`): for a
        MIP, its binary choices fixed in this session's model, solved, then restored."""
        return price(self.lp, raw, self.options, session=self)
