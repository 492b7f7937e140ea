"""A starting plan for a MIP: round the LP relaxation's choices, price the rounding, keep the best.

HiGHS proves a MIP optimal faster when it holds a good plan from the start: nodes whose bound is
above that plan are cut at once, and the gap it reports is honest from the first second. Its own
heuristics can take long to find a first plan on sourcing MIPs with many binaries (the ladder's
mip-100k: none in 300 s). The engine builds one from the LP relaxation x̄:

    1. solve the LP relaxation (binaries w ∈ [0, 1]);
    2. round the binaries, family by family (a family is one block of binaries: the
       contracts, or one rule's supplier switches):
                            up       w = 1 wherever w̄ > 0 (sign every contract the LP touches),
                            nearest  w = 1 where w̄ ≥ ½,
                            down     w = 1 only where w̄ = 1 (count only the suppliers that
                                     already clear a rule's minimum share);
       all families up, all nearest, all down, and contracts up with the rules' switches down
       or nearest; then repair the rows over binaries alone that the rounding breaks (a
       supplier count Σ w ≥ k, a contract cover Σ U w ≥ R): switch on the most promising
       binaries (largest w̄) of each such row until it holds;
    3. fix the binaries at each rounding and solve the LP that is left (the flows);
    4. the cheapest of the feasible roundings is the starting plan (the first one that meets
       the relaxation's bound ends the search: nothing can be cheaper);
    5. if no rounding is feasible: fix only the binaries the relaxation already decided
       (w̄ = 0 or 1) and let HiGHS solve the small MIP left over the undecided ones, for at most
       a fifth of the time limit (30 s without one): "relaxation enforced neighbourhood search".

"Up" is feasible whenever the binaries only switch capacity on (contracts, supplier links);
"down" suits the switches that impose a minimum when on (min_suppliers: w = 1 ⇒ q ≥ μV), where
rounding up would demand a minimum share from every small supplier at once. Whatever the
rounding, the plan is a real plan of the model (HiGHS checks it), so a start never changes the
optimum, only how fast it is proven. Its ``bound`` is the relaxation's optimum, a lower bound on
every plan: a start within the optimality gap of it is the proven optimum, and HiGHS's branch and
bound is not needed at all (uncapacitated facility location on these data: the relaxation is
integral already).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from sourcing.model.lp import LinearProgram
from sourcing.solver.highs import solve_lp
from sourcing.solver.options import SolverOptions
from sourcing.solver.status import (
    OPTIMAL_GAP,
    RawSolution,
    SolutionStatus,
    TerminationCondition,
    relative_gap,
)

#: columns from which the relaxation is solved by the interior point method
LARGE = 50_000
#: (direction for the contracts, direction for every other family of binaries)
ROUNDINGS = (
    ("up", "up"),
    ("nearest", "nearest"),
    ("down", "down"),
    ("up", "down"),
    ("up", "nearest"),
)


def solve_with_start(lp: LinearProgram, options: SolverOptions) -> RawSolution:
    """Solve ``lp`` with HiGHS; a MIP first gets a starting plan (:func:`starting_plan`),
    returned as the proven optimum when it meets the relaxation's bound, else handed to HiGHS.
    The search for it counts against the time limit. This sits above the solver module
    (:mod:`sourcing.solver.highs`), which knows nothing of it."""
    if not lp.is_mip:
        return solve_lp(lp, options)
    begun = time.perf_counter()
    first = starting_plan(lp, options)
    if first is not None and first.objective is not None and first.bound is not None:
        gap = relative_gap(first.objective, first.bound)
        if gap is not None and gap <= OPTIMAL_GAP:  # the relaxation's bound proves it
            return _proven(first, gap, time.perf_counter() - begun)
    spent = time.perf_counter() - begun
    raw = solve_lp(lp, options, initial=first, spent=spent)
    if first is not None:
        raw.times["start"] = spent
        raw.start_objective = first.objective
    return raw


def _proven(start: RawSolution, gap: float, seconds: float) -> RawSolution:
    """A starting plan whose cost the LP relaxation's bound already proves optimal."""
    return RawSolution(
        TerminationCondition.optimal,
        SolutionStatus.optimal,
        True,
        objective=start.objective,
        bound=start.bound,
        gap=gap,
        x=start.x,
        times={"start": seconds, "handoff": 0.0, "solve": 0.0, "read": 0.0},
        message="optimal: the starting plan meets the LP relaxation's bound",
        start_objective=start.objective,
        scaling=start.scaling,
    )


def starting_plan(lp: LinearProgram, options: SolverOptions) -> RawSolution | None:
    """The best plan found by rounding the LP relaxation, or ``None``."""
    integer = np.flatnonzero(lp.integrality())
    if not len(integer):
        return None
    # the relaxation of a large facility-location MIP is highly degenerate: the interior point
    # method (with crossover to a vertex) solves capb's in 32 s where the dual simplex takes 72 s
    large = lp.n_vars >= LARGE
    chosen_options = replace(options, lp_algorithm="ipm") if large else options
    relaxed = solve_lp(lp, chosen_options, relax_integrality=True)
    if relaxed.status is not SolutionStatus.optimal:
        return None
    assert relaxed.x is not None and relaxed.objective is not None  # optimal: both are set
    fractional = relaxed.x[integer]
    contract = np.isin(integer, _contract_columns(lp))
    binary_rows = _binary_rows(lp)
    best: RawSolution | None = None
    tried: set[bytes] = set()
    for for_contracts, for_others in ROUNDINGS:
        chosen = np.where(
            contract, _round(fractional, for_contracts), _round(fractional, for_others)
        )
        chosen = _repair(chosen, fractional, integer, binary_rows)
        if chosen.tobytes() in tried:
            continue
        tried.add(chosen.tobytes())
        plan = solve_lp(lp, options, relax_integrality=True, fix=(integer, chosen))
        if (
            plan.status is SolutionStatus.optimal
            and plan.x is not None
            and plan.objective is not None  # optimal: both are set
            and (best is None or best.objective is None or plan.objective < best.objective)
        ):
            plan.x[integer] = chosen  # exact 0/1, as HiGHS expects of an integer start
            best = plan
            gap = relative_gap(plan.objective, relaxed.objective)
            if gap is not None and gap <= OPTIMAL_GAP:  # as cheap as the relaxation: no better
                break
    if best is None:
        best = _neighbourhood(lp, options, integer, fractional)
    if best is not None:
        best.bound = relaxed.objective
    return best


def _neighbourhood(
    lp: LinearProgram, options: SolverOptions, integer: np.ndarray, fractional: np.ndarray
) -> RawSolution | None:
    decided = (fractional <= 1e-6) | (fractional >= 1 - 1e-6)
    limit = 30.0 if options.time_limit is None else max(options.time_limit / 5, 1.0)
    small = replace(options, time_limit=limit, rel_gap=max(options.rel_gap or 0.0, 0.01))
    plan = solve_lp(lp, small, fix=(integer[decided], np.round(fractional[decided])))
    if plan.status is SolutionStatus.no_solution or plan.x is None:  # a solution has x
        return None
    plan.x[integer] = np.round(plan.x[integer])
    return plan


def _binary_rows(lp: LinearProgram) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """(lower bound, columns, coefficients) of each ≥ row over binaries alone with positive
    coefficients: the rows a rounding can break and switching binaries on repairs."""
    integer = lp.integrality().astype(bool)
    lower, _ = lp.row_bounds()
    rows = []
    for block in lp.constraints.values():
        if not len(block.cols) or not (integer[block.cols].all() and (block.vals > 0).all()):
            continue
        order = np.argsort(block.rows, kind="stable")
        cols, vals, row_of = block.cols[order], block.vals[order], block.rows[order]
        cuts = np.flatnonzero(np.diff(row_of)) + 1
        for row, c, v in zip(
            row_of[np.r_[0, cuts]], np.split(cols, cuts), np.split(vals, cuts), strict=True
        ):
            if np.isfinite(lower[row]) and lower[row] > 0:
                rows.append((float(lower[row]), c, v))
    return rows


def _repair(
    chosen: np.ndarray,
    fractional: np.ndarray,
    integer: np.ndarray,
    rows: list[tuple[float, np.ndarray, np.ndarray]],
) -> np.ndarray:
    """Switch on binaries, largest w̄ first, until every pure-binary ≥ row holds."""
    chosen = chosen.copy()
    position = np.full(int(integer.max()) + 1 if len(integer) else 0, -1)
    position[integer] = np.arange(len(integer))
    for lower, cols, vals in rows:
        at = position[cols]
        short = lower - float(vals @ chosen[at])
        if short <= 1e-9 * max(1.0, lower):
            continue
        for k in np.argsort(-fractional[at], kind="stable"):
            if chosen[at[k]] == 0:
                chosen[at[k]] = 1.0
                short -= vals[k]
                if short <= 1e-9 * max(1.0, lower):
                    break
    return chosen


def _contract_columns(lp: LinearProgram) -> np.ndarray:
    block = lp.variables.get("contract")
    return block.ids if block is not None else np.zeros(0, dtype=int)


def _round(values: np.ndarray, direction: str) -> np.ndarray:
    if direction == "up":
        return (values > 1e-6).astype(float)
    if direction == "down":
        return (values >= 1 - 1e-6).astype(float)
    return (values >= 0.5).astype(float)
