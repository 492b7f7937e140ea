"""The duals of a MIP plan: the LP left when the plan's binary choices are fixed.

A MIP has no duals of its own. A plan's marginal prices are those of the LP in which every
binary (a contract taken or not, a supplier counted or not) is fixed at its value in the plan
and integrality is dropped: with the choices made, what would one more tonne of demand, or one
point of a cap, cost? Every caller prices a plan here, one way:

    single solve         a fresh handoff of the LP with the binaries fixed (:func:`solve_lp`)
    block by block       the same LP, one block at a time (:mod:`sourcing.solver.split`)
    warm session         the same change made in the HiGHS model the session holds, re-solved,
                         then undone, so the sweep goes on from the model it built

An LP plan prices itself.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from sourcing.model.lp import LinearProgram
from sourcing.solver.blocks import Block
from sourcing.solver.highs import read_solution, run, solve_lp
from sourcing.solver.options import SolverOptions
from sourcing.solver.split import solve_in_blocks
from sourcing.solver.status import RawSolution

if TYPE_CHECKING:
    from sourcing.solver.session import Session


def binary_choices(lp: LinearProgram, raw: RawSolution) -> tuple[np.ndarray, np.ndarray]:
    """The integer columns and their values in ``raw``, rounded (HiGHS holds 1 as 0.9999999)."""
    assert raw.x is not None, "only a held plan is priced"
    integer = np.flatnonzero(lp.integrality()).astype(np.int32)
    return integer, np.round(raw.x[integer])


def price(
    lp: LinearProgram,
    raw: RawSolution,
    options: SolverOptions,
    session: Session | None = None,
    blocks: list[Block] | None = None,
    jobs: int | None = None,
) -> RawSolution:
    """The solution whose duals price ``raw``: ``raw`` itself for an LP or when no plan is
    held; for a MIP, the LP with ``raw``'s binary choices fixed, solved afresh (block by block
    when ``blocks`` are given, in ``jobs`` workers), or inside ``session`` when one holds the
    model."""
    if not raw.is_mip or raw.x is None:
        return raw
    integer, fixed = binary_choices(lp, raw)
    if blocks is not None and len(blocks) > 1:
        return solve_in_blocks(lp, options, blocks, jobs=jobs, fix=(integer, fixed))
    if session is None:
        return solve_lp(lp, options, relax_integrality=True, fix=(integer, fixed))
    return _price_in_session(session, integer, fixed)


def _price_in_session(session: Session, integer: np.ndarray, fixed: np.ndarray) -> RawSolution:
    """Fix the binaries in the session's HiGHS model, solve the LP, then restore the binaries
    and their bounds in force, whatever happened."""
    highs, n = session.highs, len(integer)
    if highs is None:
        return session.solve()  # HiGHS rejected the model: the session's own error answer
    highs.changeColsIntegrality(n, integer, np.zeros(n, dtype=np.uint8))
    scaling = session.scaling
    highs.changeColsBounds(
        n, integer, scaling.columns_in(fixed, integer), scaling.columns_in(fixed, integer)
    )
    try:
        if session.options.time_limit is not None:
            highs.setOptionValue(
                "time_limit", highs.getRunTime() + float(session.options.time_limit)
            )
        started = time.perf_counter()
        run(highs)
        priced = read_solution(highs, False, scaling)
        priced.times = {"solve": time.perf_counter() - started}
    finally:
        highs.changeColsBounds(
            n,
            integer,
            scaling.columns_in(session.lower[integer], integer),
            scaling.columns_in(session.upper[integer], integer),
        )
        highs.changeColsIntegrality(n, integer, np.ones(n, dtype=np.uint8))
    return priced
