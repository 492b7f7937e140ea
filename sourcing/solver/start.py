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
       or nearest; a binary that cannot be on is left off (below); then repair the rows over
       binaries alone that the rounding breaks (a supplier count Σ w ≥ k, a contract cover
       Σ U w ≥ R): switch on the most promising binaries of each such row until it holds,
       those that can be on first, then the largest w̄;
    3. fix the binaries at each rounding and solve the LP that is left (the flows);
    4. the cheapest of the feasible roundings is the starting plan (the first one that meets
       the relaxation's bound ends the search: nothing can be cheaper);
    5. if no rounding is feasible: fix only the binaries the relaxation already decided
       (w̄ = 0 or 1) and let HiGHS solve the small MIP left over the undecided ones, for at most
       a fifth of the time limit (30 s without one): "relaxation enforced neighbourhood search".

A binary *can be on* when every row that switching it on tightens (a ≥ row where its coefficient
is negative, a ≤ row where it is positive) can still hold with the row's other columns at their
most helpful bound, but those working against the row held at their relaxed value x̄:

    z can be on  ⇔  Σ_{a_j>0, j≠z} a_j u_j + Σ_{a_j<0, j≠z} a_j x̄_j ≥ lo − a_z   (each ≥ row)

(other binaries, as in a max_suppliers count Σ z ≤ k, at their bound: x̄ is only taken for the
continuous columns, such as a stage volume).

For ``min_suppliers:share`` (q_o − μ V − μ V̄ z_o ≥ −μ V̄) this reads cap_o ≥ μ V̄_relaxed: only
suppliers whose capacity can reach the minimum share are counted, where the LP relaxation, which
spreads the volume thinly, would have the repair pick whoever it touched most.

A binary switched on may need others on: z_o = 1 asks q_o ≥ μ V, and q_o is held at 0 by the
offer's contract link q_o − U_o w_o ≤ 0 while w_o = 0. After the repair, every binary that lifts
such a ceiling (a row where a column the switched-on binary needs up is bounded, and the binary
raises the bound) is switched on too: counted suppliers get their contracts signed.

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
import pandas as pd

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
    can_be_on = _can_be_on(lp, relaxed.x)[integer]
    needs, needed = _needs(lp, integer)
    best: RawSolution | None = None
    tried: set[bytes] = set()
    for for_contracts, for_others in ROUNDINGS:
        chosen = np.where(
            contract, _round(fractional, for_contracts), _round(fractional, for_others)
        )
        chosen = _repair(chosen * can_be_on, fractional, integer, binary_rows, can_be_on)
        chosen[needed[chosen[needs] == 1]] = 1.0
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
    can_be_on: np.ndarray | None = None,
) -> np.ndarray:
    """Switch on binaries, those that can be on first (``can_be_on``, by binary; default all),
    then the largest w̄ first, until every pure-binary ≥ row holds."""
    chosen = chosen.copy()
    if can_be_on is None:
        can_be_on = np.ones(len(chosen), dtype=bool)
    position = np.full(int(integer.max()) + 1 if len(integer) else 0, -1)
    position[integer] = np.arange(len(integer))
    for lower, cols, vals in rows:
        at = position[cols]
        short = lower - float(vals @ chosen[at])
        if short <= 1e-9 * max(1.0, lower):
            continue
        for k in np.lexsort((-fractional[at], ~can_be_on[at])):
            if chosen[at[k]] == 0:
                chosen[at[k]] = 1.0
                short -= vals[k]
                if short <= 1e-9 * max(1.0, lower):
                    break
    return chosen


def _can_be_on(lp: LinearProgram, relaxed: np.ndarray) -> np.ndarray:
    """For each column, whether setting it to 1 leaves every row it tightens able to hold (the
    module's docstring): the other columns that help, and the integer ones, at their bound, the
    continuous ones that hurt at their relaxed value. Vectorised over the matrix's entries; True
    for a column in no such row."""
    starts, cols, vals = lp.csr()
    lower, upper = lp.bounds()
    row_lower, row_upper = lp.row_bounds()
    row = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
    integer = lp.integrality().astype(bool)
    able = np.ones(lp.n_vars, dtype=bool)
    # a ≤ row (−a x ≥ −up) is a ≥ row with the signs turned: one test for both sides
    for sign, bound in ((1.0, row_lower), (-1.0, -row_upper)):
        a = sign * vals
        # binaries (their own count rows) at their bound too: only the continuous columns
        # that hurt, as a stage volume, are held where the relaxation put them
        helpful = (a > 0) | integer[cols]
        value = np.where(helpful, np.where(a > 0, upper[cols], lower[cols]), relaxed[cols])
        unbounded = helpful & np.isinf(value) & (a != 0)  # the row can always be made to hold
        most = np.where(unbounded, 0.0, a * np.where(np.isinf(value), 0.0, value))
        total = np.bincount(row, weights=most, minlength=len(starts) - 1)
        others_unbounded = np.bincount(row, weights=unbounded, minlength=len(starts) - 1)[row]
        others_unbounded -= unbounded
        need = bound[row] - a  # with the column at 1
        tightens = (a < 0) & np.isfinite(need) & (others_unbounded == 0)
        rest = total[row] - most  # the row's best without this entry's column
        fails = tightens & (rest < need - 1e-9 * np.maximum(1.0, np.abs(need)))
        able[cols[fails]] = False
    return able


def _needs(lp: LinearProgram, integer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (z, w) of positions in ``integer``: switching z on needs w on (the module's
    docstring). In ≥ form (a ≤ row's signs turned), z enters a row with a < 0 beside a
    continuous column c with a > 0 that must then rise; c enters another row with a < 0 beside
    w with a > 0: w = 0 holds c down."""
    starts, cols, vals = lp.csr()
    row_lower, row_upper = lp.row_bounds()
    is_integer = lp.integrality().astype(bool)
    row = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
    entries = []
    for sign, bound in ((1.0, row_lower), (-1.0, -row_upper)):
        kept = np.isfinite(bound[row])
        entries.append(pd.DataFrame({"row": row[kept] * 2 + (sign < 0), "col": cols[kept],
                                     "a": sign * vals[kept]}))  # fmt: skip
    oriented = pd.concat(entries, ignore_index=True)
    binary = is_integer[oriented["col"].to_numpy()]
    up, down = oriented["a"].to_numpy() > 0, oriented["a"].to_numpy() < 0
    tightened = oriented[binary & down][["row", "col"]].rename(columns={"col": "z"})
    raised = oriented[~binary & up][["row", "col"]]
    held = oriented[~binary & down][["row", "col"]]
    lifts = oriented[binary & up][["row", "col"]].rename(columns={"col": "w"})
    pairs = tightened.merge(raised, on="row")[["z", "col"]].drop_duplicates()
    pairs = pairs.merge(held.merge(lifts, on="row")[["col", "w"]], on="col")[["z", "w"]]
    pairs = pairs[pairs["z"] != pairs["w"]].drop_duplicates()
    position = np.full(lp.n_vars, -1)
    position[integer] = np.arange(len(integer))
    return position[pairs["z"].to_numpy()], position[pairs["w"].to_numpy()]


def _contract_columns(lp: LinearProgram) -> np.ndarray:
    block = lp.variables.get("contract")
    return block.ids if block is not None else np.zeros(0, dtype=int)


def _round(values: np.ndarray, direction: str) -> np.ndarray:
    if direction == "up":
        return (values > 1e-6).astype(float)
    if direction == "down":
        return (values >= 1 - 1e-6).astype(float)
    return (values >= 0.5).astype(float)
