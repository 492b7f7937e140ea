"""A built program kept in HiGHS block by block: warm re-solves that touch only what changed.

Stress and frontier change a few numbers and re-solve (:class:`~sourcing.solver.session.Session`).
When the program separates into independent blocks (:mod:`sourcing.solver.blocks`), each block
is kept in its own HiGHS model; a change marks the blocks it touches, and a re-solve solves
those alone (side by side, on threads) and reuses the others' last answers. Losing one
country re-solves the minerals it supplies, not all 36 of usgs-2024. The merged answer is
:func:`sourcing.solver.split.merge`'s: exact, since no row is shared.

It answers as a :class:`Session` does (same methods, bounds in force, basis, counts, seconds),
so the analyses take either from :func:`open_session`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from sourcing.model.lp import LinearProgram
from sourcing.solver.blocks import Block, find_blocks
from sourcing.solver.executor import block_executor
from sourcing.solver.options import SolverOptions
from sourcing.solver.scaling import Scaling
from sourcing.solver.session import Session
from sourcing.solver.split import SPLIT_FROM, merge
from sourcing.solver.status import RawSolution


def open_session(lp: LinearProgram, options: SolverOptions) -> Session | BlockSession:
    """A block session for a large program that separates, a whole one otherwise (the same
    size rule as a plan's, :data:`~sourcing.solver.split.SPLIT_FROM`)."""
    if lp.n_nonzeros >= SPLIT_FROM:
        blocks = find_blocks(lp)
        if len(blocks) > 1:
            return BlockSession(lp, options, blocks)
    return Session(lp, options)


class BlockSession:
    """One :class:`Session` per block, and which blocks a change has touched since they were
    last solved."""

    def __init__(self, lp: LinearProgram, options: SolverOptions, blocks: list[Block]):
        started = time.perf_counter()
        self.lp, self.options, self.blocks = lp, options, blocks
        self.parts = [Session(lp.subprogram(b.cols, b.rows), options) for b in blocks]
        self.block_of_col = np.empty(lp.n_vars, dtype=np.int64)
        self.local_col = np.empty(lp.n_vars, dtype=np.int64)
        self.block_of_row = np.empty(lp.n_rows, dtype=np.int64)
        self.local_row = np.empty(lp.n_rows, dtype=np.int64)
        for k, b in enumerate(blocks):
            self.block_of_col[b.cols], self.local_col[b.cols] = k, np.arange(len(b.cols))
            self.block_of_row[b.rows], self.local_row[b.rows] = k, np.arange(len(b.rows))
        self.built_lower, self.built_upper = lp.bounds()
        self.lower, self.upper = self.built_lower.copy(), self.built_upper.copy()
        self.row_lower, self.row_upper = lp.row_bounds()
        self.answers: list[RawSolution | None] = [None] * len(blocks)
        self.solves = 0
        #: blocks solved in all (a block untouched by a change is not solved again)
        self.block_solves = 0
        self.seconds = {
            "handoff": time.perf_counter() - started,
            "first_solve": 0.0,
            "resolves": 0.0,
        }
        self._scaling = _whole_scaling(lp, blocks, self.parts)

    @property
    def basis(self) -> dict[int, Any]:
        """Each block's basis from its last optimal LP solve (pass it back to ``solve``)."""
        return {k: part.basis for k, part in enumerate(self.parts) if part.basis is not None}

    def set_column_bounds(
        self,
        cols: np.ndarray,
        lower: np.ndarray | float | None = None,
        upper: np.ndarray | float | None = None,
    ) -> None:
        self._set_bounds("column", cols, lower, upper)

    def set_row_bounds(
        self,
        rows: np.ndarray,
        lower: np.ndarray | float | None = None,
        upper: np.ndarray | float | None = None,
    ) -> None:
        self._set_bounds("row", rows, lower, upper)

    def _set_bounds(
        self,
        kind: str,
        ids: np.ndarray,
        lower: np.ndarray | float | None,
        upper: np.ndarray | float | None,
    ) -> None:
        """Record the bounds in force on columns or rows ``ids`` (``None``: keep that side),
        hand each block its own, and mark those blocks to be solved again."""
        ids = np.asarray(ids, dtype=np.int64)
        if kind == "column":
            block_of, local, low, high = self.block_of_col, self.local_col, self.lower, self.upper
        else:
            block_of, local = self.block_of_row, self.local_row
            low, high = self.row_lower, self.row_upper
        lower_at = None if lower is None else np.broadcast_to(lower, ids.shape)
        upper_at = None if upper is None else np.broadcast_to(upper, ids.shape)
        if lower_at is not None:
            low[ids] = lower_at
        if upper_at is not None:
            high[ids] = upper_at
        for k in np.unique(block_of[ids]):
            mine = block_of[ids] == k
            part = self.parts[k]
            setter = part.set_column_bounds if kind == "column" else part.set_row_bounds
            setter(
                local[ids[mine]],
                None if lower_at is None else lower_at[mine],
                None if upper_at is None else upper_at[mine],
            )
            self.answers[k] = None

    def set_coefficients(
        self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray | float
    ) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        values = np.broadcast_to(np.asarray(values, dtype=float), rows.shape)
        for k in np.unique(self.block_of_row[rows]):
            mine = self.block_of_row[rows] == k
            self.parts[k].set_coefficients(
                self.local_row[rows[mine]], self.local_col[cols[mine]], values[mine]
            )
            self.answers[k] = None

    def solve(self, basis: dict[int, Any] | None = None) -> RawSolution:
        """Solve the blocks a change touched (from ``basis``'s entry for each, if given) and
        merge them with the others' last answers."""
        started = time.perf_counter()
        touched = [k for k, answer in enumerate(self.answers) if answer is None]

        def solve_part(k: int) -> RawSolution:
            return self.parts[k].solve(None if basis is None else basis.get(k))

        # side by side on threads: each block has its own HiGHS model (sourcing.solver.executor)
        found = block_executor(None, len(touched)).map(solve_part, touched)
        for k, answer in zip(touched, found, strict=True):
            self.answers[k] = answer
        self.block_solves += len(touched)
        self.seconds["first_solve" if self.solves == 0 else "resolves"] += (
            time.perf_counter() - started
        )
        self.solves += 1
        return self._merged([a for a in self.answers if a is not None])

    def price(self, raw: RawSolution) -> RawSolution:
        """The duals of the last solve (``raw``): each block priced by its own session."""
        if not raw.is_mip:
            return raw
        priced = [
            part.price(answer)
            for part, answer in zip(self.parts, self.answers, strict=True)
            if answer is not None
        ]
        return self._merged(priced, is_mip=False)

    def _merged(self, answers: list[RawSolution], is_mip: bool | None = None) -> RawSolution:
        mip = self.lp.is_mip if is_mip is None else is_mip
        return merge(self.lp, self.blocks, answers, self._scaling, mip)


def _whole_scaling(lp: LinearProgram, blocks: list[Block], parts: list[Session]) -> Scaling:
    """The blocks' units side by side: each column and row in its block's units; the cost unit
    the largest block's (read only as the size below which a dual is noise)."""
    column, row = np.ones(lp.n_vars), np.ones(lp.n_rows)
    for block, part in zip(blocks, parts, strict=True):
        column[block.cols] = part.scaling.column
        row[block.rows] = part.scaling.row
    return Scaling(column, row, max(part.scaling.cost for part in parts))
