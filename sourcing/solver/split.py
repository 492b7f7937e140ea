"""Solve a program block by block (:mod:`sourcing.solver.blocks`) and merge the answers.

Every block is handed to HiGHS in the units the whole program was scaled to, so a block's
numbers are exactly the whole's, and the merged answer reads back through the whole's scaling.
The blocks go through an executor (:mod:`sourcing.solver.executor`): by default ``jobs``
threads of this process (one per core when ``jobs`` is ``None``), since highspy lets go of
Python's lock while HiGHS runs, so blocks solve side by side with no worker to start and no
matrix to copy; one after another with ``jobs=1``; or any executor given (worker processes,
a Dask cluster).

Merging, for blocks b with objective z_b and (for a MIP) best bound β_b:

    objective = Σ_b z_b          bound = Σ_b β_b          gap = |objective − bound| / |objective|

The whole is optimal when every block is; a block proven infeasible makes the whole infeasible
(the other blocks keep their values, and the answer names the infeasible block); a block stopped
by the time limit makes the whole a feasible plan (when it holds one) or no plan. One time limit
covers all blocks: each block gets what is left of it when it starts.
"""

from __future__ import annotations

import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace

import numpy as np

from sourcing.model.lp import LinearProgram
from sourcing.solver.blocks import Block, find_blocks
from sourcing.solver.executor import Executor, InProcess, Threads, block_executor
from sourcing.solver.highs import (
    new_highs,
    pass_model,
    read_solution,
    run,
    solve_lp,
    without_columns,
)
from sourcing.solver.options import SolverOptions
from sourcing.solver.scaling import ScaledModel, Scaling, scaled_model
from sourcing.solver.status import (
    RawSolution,
    SolutionStatus,
    TerminationCondition,
    outcome,
    relative_gap,
)

#: the size (nonzeros) from which a program is solved block by block by default: below it the
#: whole matrix solves in well under a second and a split saves nothing (docs/performance.md)
SPLIT_FROM = 200_000

#: HiGHS's presolve for an LP block. The engine's LPs are flow networks with share rows, from
#: which presolve removes little and costs much: without it HiGHS solved every bundled LP in
#: 0.5-0.8x the time (usgs-2024: 1.1-1.3x, a few milliseconds), to the same optimum and the
#: same infeasibility, and lp-1m's 40 blocks in 4.8 s against 6.5 s (docs/performance.md).
#: Whole-matrix solves and MIPs keep HiGHS's default.
LP_BLOCK_PRESOLVE = "off"


@dataclass(frozen=True)
class BlockTask:
    """What a worker needs to solve one block: picklable arrays and options only.

    An LP block is a slice of the whole program in the whole's units (``model``), so its
    numbers are exactly the whole's. A MIP block is its own program (``program``, and no
    ``model``), solved like a whole MIP: from a rounded-LP start (:mod:`sourcing.solver.start`)
    in its own units."""

    label: str
    model: ScaledModel | None
    integrality: np.ndarray
    options: SolverOptions
    deadline: float | None  # time.time() by which every block must be done
    program: LinearProgram | None = None


def solve_block(task: BlockTask) -> RawSolution:
    """Solve one block with HiGHS (in a worker or in this process)."""
    options = task.options
    is_mip = bool(task.integrality.any())
    if task.deadline is not None:
        left = task.deadline - time.time()
        if left <= 0:
            return RawSolution(
                TerminationCondition.time_limit,
                SolutionStatus.no_solution,
                is_mip,
                message="the time limit ran out before this block started",
            )
        options = replace(options, time_limit=left)
    if task.program is not None:
        from sourcing.solver.start import solve_with_start

        raw = solve_with_start(task.program, options)
        raw.scaling = None  # in the block's own units; the merge reads the whole's
        return raw
    assert task.model is not None, "an LP block is a slice of the whole's matrix"
    if len(task.model.cost) == 0:
        return without_columns(task.model.row_lower, task.model.row_upper, is_mip)
    started = time.perf_counter()
    highs = pass_model(new_highs(options), task.model, task.integrality)
    if highs is None:
        return RawSolution(
            TerminationCondition.error,
            SolutionStatus.no_solution,
            is_mip,
            message="HiGHS rejected the model (numbers out of its range?)",
        )
    if not is_mip:
        highs.setOptionValue("presolve", LP_BLOCK_PRESOLVE)
    handed = time.perf_counter()
    run(highs)
    solved = time.perf_counter()
    raw = read_solution(highs, is_mip, task.model.scaling)
    raw.times = {"handoff": handed - started, "solve": solved - handed}
    return raw


def _proven_infeasible(reason: str, is_mip: bool) -> RawSolution:
    """A block a pre-solve check proved to have no plan: infeasible, not searched."""
    return RawSolution(
        TerminationCondition.infeasible,
        SolutionStatus.no_solution,
        is_mip,
        message=f"not searched, proved before solving: {reason}",
    )


def solve_in_blocks(
    lp: LinearProgram,
    options: SolverOptions,
    blocks: list[Block] | None = None,
    executor: Executor | None = None,
    jobs: int | None = None,
    fix: tuple[np.ndarray, np.ndarray] | None = None,
    cost: np.ndarray | None = None,
    settled: dict[tuple[str, str], str] | None = None,
) -> RawSolution:
    """Solve ``lp`` block by block (``blocks`` as :func:`find_blocks` gives them) and merge,
    ``jobs`` blocks at a time (``None``: one per core) unless an ``executor`` is given.
    ``fix=(cols, values)``: those columns fixed and integrality relaxed (a MIP plan's pricing,
    :mod:`sourcing.solver.pricing`). ``cost``: minimise this instead of the program's cost (an
    elastic re-solve's slacks, :mod:`sourcing.results.explain`); a MIP block then starts
    without a rounded plan, which is priced by the program's cost. ``settled``: (mineral,
    period) pairs a pre-solve check proved to have no plan, with why; a block holding one is
    infeasible without a search (HiGHS took 45 s to prove mip-100k's m05 so)."""
    started = time.perf_counter()
    blocks = find_blocks(lp) if blocks is None else blocks
    model = scaled_model(lp, cost, fix)
    integrality = np.zeros(lp.n_vars, dtype=np.int32) if fix is not None else lp.integrality()
    deadline = None if options.time_limit is None else time.time() + options.time_limit
    proven = {
        i: next(settled[pair] for pair in sorted(b.pairs) if pair in settled)
        for i, b in enumerate(blocks)
        if settled and b.pairs & settled.keys()
    }
    if executor is None:
        executor = block_executor(jobs, len(blocks) - len(proven))
    if isinstance(executor, Threads) and options.threads is None:
        # the blocks are the parallelism: one HiGHS thread each, unless the planner asked
        options = replace(options, threads=1)

    def task(b: Block) -> BlockTask:
        """A MIP block as its own program, an LP block as a slice of the whole's matrix."""
        own = bool(integrality[b.cols].any()) and cost is None
        return BlockTask(
            b.label,
            None if own else model.take(b.cols, b.rows),
            integrality[b.cols],
            options,
            deadline,
            lp.subprogram(b.cols, b.rows) if own else None,
        )

    # a block proved to have no plan is neither searched nor prepared
    searched = [task(b) for i, b in enumerate(blocks) if i not in proven]
    prepared = time.perf_counter()
    note = ""
    try:
        found = iter(executor.map(solve_block, searched))
    except BrokenProcessPool as error:
        # a spawned worker re-imports the caller's main module: a script without
        # `if __name__ == "__main__":` cannot start one. Same answer, in this process.
        found = iter(InProcess().map(solve_block, searched))
        note = f"worker processes could not start ({error}); the blocks were solved in process"
    answers = [
        _proven_infeasible(proven[i], bool(integrality[b.cols].any()))
        if i in proven
        else next(found)
        for i, b in enumerate(blocks)
    ]
    merged = merge(lp, blocks, answers, model.scaling, bool(integrality.any()), set(proven))
    if note:
        merged.message = "; ".join(m for m in (merged.message, note) if m)
    merged.times = {
        "handoff": prepared - started,
        "solve": time.perf_counter() - prepared,
        "read": 0.0,
    }
    return merged


def merge(
    lp: LinearProgram,
    blocks: list[Block],
    answers: list[RawSolution],
    scaling: Scaling,
    is_mip: bool,
    proven: set[int] | None = None,
) -> RawSolution:
    """One answer for the whole program from its blocks' answers (module docstring)."""
    words = [outcome(a.termination, a.status) for a in answers]
    if "infeasible" in words:
        termination = TerminationCondition.infeasible
    elif any(a.termination is TerminationCondition.error for a in answers):
        termination = TerminationCondition.error
    elif all(a.termination is TerminationCondition.optimal for a in answers):
        termination = TerminationCondition.optimal
    else:
        termination = next(
            a.termination for a in answers if a.termination is not TerminationCondition.optimal
        )
    if any(a.status is SolutionStatus.no_solution for a in answers):
        status = SolutionStatus.no_solution
    elif all(a.status is SolutionStatus.optimal for a in answers):
        status = SolutionStatus.optimal
    else:
        status = SolutionStatus.feasible
    # values and duals of every block that has them; a block without a plan reads 0 (so a
    # partial plan, of the blocks that have one, can be read where another block is infeasible)
    x = np.zeros(lp.n_vars)
    row_dual, col_dual = np.zeros(lp.n_rows), np.zeros(lp.n_vars)
    some_plan = some_duals = False
    for block, answer in zip(blocks, answers, strict=True):
        if answer.x is not None:
            x[block.cols] = answer.x
            some_plan = True
        if answer.row_dual is not None and answer.col_dual is not None:
            row_dual[block.rows] = answer.row_dual
            col_dual[block.cols] = answer.col_dual
            some_duals = True
    held = status is not SolutionStatus.no_solution
    objective = sum(a.objective or 0.0 for a in answers) if held else None
    bounds = [a.bound for a in answers]
    bound = sum(b for b in bounds if b is not None) if held and None not in bounds else None
    gap = None
    if objective is not None and bound is not None:
        gap = relative_gap(objective, bound)
    return RawSolution(
        termination,
        status,
        is_mip,
        objective=objective,
        bound=bound,
        gap=gap,
        x=x if some_plan else None,
        row_dual=row_dual if some_duals else None,
        col_dual=col_dual if some_duals else None,
        message="; ".join(sorted({a.message for a in answers if a.message})),
        nodes=sum(a.nodes for a in answers),
        scaling=scaling,
        blocks=[
            {
                "label": block.label,
                "minerals": sorted({m for m, _ in block.pairs}),
                "periods": sorted({p for _, p in block.pairs if p}),
                "status": word,
                "proved_before_solving": i in (proven or set()),
                "objective": answer.objective,
                "variables": len(block.cols),
                "constraints": len(block.rows),
            }
            for i, (block, answer, word) in enumerate(zip(blocks, answers, words, strict=True))
        ],
    )


def solve_by_size(lp: LinearProgram, options: SolverOptions, cost: np.ndarray) -> RawSolution:
    """``lp`` minimising ``cost``: block by block from :data:`SPLIT_FROM` nonzeros, as a plan
    is, so the blocks that were feasible solve on their own and do not slow the one that is
    not (the elastic re-solves of :mod:`sourcing.results.explain`); whole below."""
    if lp.n_nonzeros >= SPLIT_FROM:
        return solve_in_blocks(lp, options, cost=cost)
    return solve_lp(lp, options, cost=cost)
