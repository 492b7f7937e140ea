"""Solve a program block by block (:mod:`sourcing.solver.blocks`) and merge the answers.

Every block is handed to HiGHS in the units the whole program was scaled to, so a block's
numbers are exactly the whole's, and the merged answer reads back through the whole's scaling.
The blocks go through an executor (:mod:`sourcing.solver.executor`): worker processes when the
program is large enough to repay their start, in this process otherwise.

Merging, for blocks b with objective z_b and (for a MIP) best bound β_b:

    objective = Σ_b z_b          bound = Σ_b β_b          gap = |objective − bound| / |objective|

The whole is optimal when every block is; a block proven infeasible makes the whole infeasible
(the other blocks keep their values, and the answer names the infeasible block); a block stopped
by the time limit makes the whole a feasible plan (when it holds one) or no plan. One time limit
covers all blocks: each block gets what is left of it when it starts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from sourcing.model.lp import LinearProgram
from sourcing.solver.blocks import Block, find_blocks
from sourcing.solver.executor import Executor, InProcess, local_executor
from sourcing.solver.highs import new_highs, pass_model, read_solution
from sourcing.solver.options import SolverOptions
from sourcing.solver.scaling import ScaledModel, scaled_model
from sourcing.solver.status import (
    RawSolution,
    SolutionStatus,
    TerminationCondition,
    outcome,
    relative_gap,
)

#: below this many nonzeros a program is solved in this process: starting worker processes
#: (about a second each) would cost more than the parallel solve saves
WORKERS_FROM = 200_000


@dataclass(frozen=True)
class BlockTask:
    """What a worker needs to solve one block: picklable arrays and options only."""

    label: str
    model: ScaledModel
    integrality: np.ndarray
    options: SolverOptions
    deadline: float | None  # time.time() by which every block must be done


def solve_block(task: BlockTask) -> RawSolution:
    """Solve one block with HiGHS (in a worker or in this process)."""
    options = task.options
    if task.deadline is not None:
        left = task.deadline - time.time()
        if left <= 0:
            return RawSolution(
                TerminationCondition.time_limit,
                SolutionStatus.no_solution,
                bool(task.integrality.any()),
                message="the time limit ran out before this block started",
            )
        options = replace(options, time_limit=left)
    started = time.perf_counter()
    is_mip = bool(task.integrality.any())
    if len(task.model.cost) == 0:
        return _rows_alone(task.model, is_mip)
    highs = pass_model(new_highs(options), task.model, task.integrality)
    if highs is None:
        return RawSolution(
            TerminationCondition.error,
            SolutionStatus.no_solution,
            is_mip,
            message="HiGHS rejected the model (numbers out of its range?)",
        )
    handed = time.perf_counter()
    highs.run()
    solved = time.perf_counter()
    raw = read_solution(highs, is_mip, task.model.scaling)
    raw.times = {"handoff": handed - started, "solve": solved - handed}
    return raw


def _rows_alone(model: ScaledModel, is_mip: bool) -> RawSolution:
    """A block of rows that hold no variable (demand at a site nothing can reach): each row
    reads 0, so the block is feasible only when 0 lies within every row's bounds. HiGHS calls
    a model without columns "empty", and empty as optimal, whatever its rows demand: it is
    never asked."""
    feasible = bool((model.row_lower <= 0).all() and (model.row_upper >= 0).all())
    if not feasible:
        return RawSolution(
            TerminationCondition.infeasible,
            SolutionStatus.no_solution,
            is_mip,
            message="a row that holds no variable asks for more than 0",
        )
    rows = len(model.row_lower)
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


def solve_in_blocks(
    lp: LinearProgram,
    options: SolverOptions,
    blocks: list[Block] | None = None,
    executor: Executor | None = None,
    jobs: int | None = None,
) -> RawSolution:
    """Solve ``lp`` block by block (``blocks`` as :func:`find_blocks` gives them) and merge."""
    started = time.perf_counter()
    blocks = find_blocks(lp) if blocks is None else blocks
    model = scaled_model(lp)
    integrality = lp.integrality()
    deadline = None if options.time_limit is None else time.time() + options.time_limit
    tasks = [
        BlockTask(b.label, model.take(b.cols, b.rows), integrality[b.cols], options, deadline)
        for b in blocks
    ]
    if executor is None:
        small = lp.n_nonzeros < WORKERS_FROM or len(blocks) < 2
        executor = InProcess() if small else local_executor(jobs)
    prepared = time.perf_counter()
    answers = executor.map(solve_block, tasks)
    merged = merge(lp, blocks, answers, model)
    merged.times = {
        "handoff": prepared - started,
        "solve": time.perf_counter() - prepared,
        "read": 0.0,
    }
    return merged


def merge(
    lp: LinearProgram, blocks: list[Block], answers: list[RawSolution], model: ScaledModel
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
    x = np.zeros(lp.n_vars)
    row_dual: np.ndarray | None = np.zeros(lp.n_rows)
    col_dual: np.ndarray | None = np.zeros(lp.n_vars)
    for block, answer in zip(blocks, answers, strict=True):
        if answer.x is not None:
            x[block.cols] = answer.x
        if answer.row_dual is None or answer.col_dual is None:
            row_dual = col_dual = None
        elif row_dual is not None and col_dual is not None:
            row_dual[block.rows] = answer.row_dual
            col_dual[block.cols] = answer.col_dual
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
        lp.is_mip,
        objective=objective,
        bound=bound,
        gap=gap,
        x=x if held else None,
        row_dual=row_dual if held else None,
        col_dual=col_dual if held else None,
        message="; ".join(sorted({a.message for a in answers if a.message})),
        nodes=sum(a.nodes for a in answers),
        scaling=model.scaling,
        blocks=[
            {
                "label": block.label,
                "status": word,
                "objective": answer.objective,
                "variables": len(block.cols),
                "constraints": len(block.rows),
            }
            for block, answer, word in zip(blocks, answers, words, strict=True)
        ],
    )
