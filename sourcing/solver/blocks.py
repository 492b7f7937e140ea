"""Independent blocks: the parts of a program that share no row, solved side by side.

The engine's program separates by mineral and period: no row of the network, the contracts or
the rules couples two minerals. A block is a connected component of the bipartite graph whose
nodes are the program's columns and rows, with an edge for each nonzero a_ij: two columns are
in one block when some chain of rows links them. Finding the blocks from the matrix itself (not
from the instance's minerals) means any row that couples minerals, today's or a future one,
keeps them in one block by construction.

Columns that sit in no row are bounded only by themselves; they join the first block (they cost
nothing to carry and give no reason to split).

Solving block by block is exact: with no shared row, the optimum of the whole is the sum of the
blocks' optima, each block's primal values and duals are those of an optimum of the whole, and
a block that is infeasible makes the whole infeasible. For a MIP, the objective and the best
bound are sums, and the gap of the whole is |Σ objective − Σ bound| / |Σ objective|.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from sourcing.model.lp import LinearProgram


@dataclass(frozen=True)
class Block:
    """One independent part of a program: its columns and rows (global ids, sorted) and the
    (mineral, period) pairs its columns belong to, in the planner's words."""

    cols: np.ndarray
    rows: np.ndarray
    label: str
    pairs: frozenset[tuple[str, str]] = frozenset()  # (mineral, period); period "" if none

    @property
    def size(self) -> int:
        return len(self.cols) + len(self.rows)


def find_blocks(lp: LinearProgram) -> list[Block]:
    """The program's independent blocks, largest first (so the longest solve starts first)."""
    n, m = lp.n_vars, lp.n_rows
    if n == 0:
        return []
    families = list(lp.constraints.values())
    index = np.concatenate([f.cols for f in families]) if families else np.zeros(0, np.int64)
    row_of = np.concatenate([f.rows for f in families]) if families else np.zeros(0, np.int64)
    # nodes 0..n-1 are columns, n..n+m-1 rows; one edge per coefficient (repeats do no harm)
    graph = coo_matrix(
        (np.ones(len(index), dtype=np.int8), (index, n + row_of)), shape=(n + m, n + m)
    )
    count, label = connected_components(graph, directed=False)
    col_label, row_label = label[:n], label[n:]
    in_a_row = np.zeros(n, dtype=bool)
    in_a_row[index] = True
    with_rows = np.unique(row_label) if m else np.zeros(0, dtype=label.dtype)
    if len(with_rows) <= 1:
        return [_labelled(np.arange(n), np.arange(m), *_pair_codes(lp))]
    first = with_rows[0]
    col_label = np.where(in_a_row, col_label, first)  # free columns ride with the first block
    col_order = np.argsort(col_label, kind="stable")
    row_order = np.argsort(row_label, kind="stable")
    col_bounds = np.searchsorted(col_label[col_order], with_rows, side="left")
    col_ends = np.searchsorted(col_label[col_order], with_rows, side="right")
    row_bounds = np.searchsorted(row_label[row_order], with_rows, side="left")
    row_ends = np.searchsorted(row_label[row_order], with_rows, side="right")
    blocks = [
        Block(
            np.sort(col_order[col_bounds[k] : col_ends[k]]),
            np.sort(row_order[row_bounds[k] : row_ends[k]]),
            "",
        )
        for k in range(len(with_rows))
    ]
    codes, pairs = _pair_codes(lp)
    blocks = [_labelled(b.cols, b.rows, codes, pairs) for b in blocks]
    return sorted(blocks, key=lambda b: -b.size)


def _pair_codes(lp: LinearProgram) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Each column's (mineral, period) as a code into the returned list (-1: a column of no
    mineral), found once for the whole program. A family's columns come in runs of one
    (mineral, period), as the index sorts them: only where a run starts is the pair named, and
    the run repeats its code (13 ms for lp-1m's million flows, against 0.16 s to number every
    label). A family in no such order is numbered label by label (:func:`_numbered`)."""
    codes = np.full(lp.n_vars, -1, dtype=np.int64)
    pairs: dict[tuple[str, str], int] = {}
    for family in lp.variables.values():
        index = family.index
        if "mineral" not in index.columns or not len(index):
            continue
        mineral = index["mineral"].to_numpy()
        period = index["period"].to_numpy() if "period" in index.columns else None
        starts = _run_starts(mineral, period)
        if starts is None or len(starts) > len(index) // 8:
            codes[family.ids] = _numbered(mineral, period, pairs)
            continue
        named = [
            pairs.setdefault(
                (str(mineral[i]), "" if period is None else str(period[i])), len(pairs)
            )
            for i in starts.tolist()
        ]
        lengths = np.diff(np.append(starts, len(index)))
        codes[family.ids] = np.repeat(np.asarray(named, dtype=np.int64), lengths)
    return codes, list(pairs)


def _run_starts(mineral: np.ndarray, period: np.ndarray | None) -> np.ndarray | None:
    """Where a new (mineral, period) run starts; ``None`` if a label cannot be compared (a
    missing one)."""
    try:
        changed = mineral[1:] != mineral[:-1]
        if period is not None:
            changed |= period[1:] != period[:-1]
    except TypeError:  # pd.NA's truth is ambiguous
        return None
    return np.flatnonzero(np.concatenate(([True], np.asarray(changed, dtype=bool))))


def _numbered(
    mineral: np.ndarray, period: np.ndarray | None, pairs: dict[tuple[str, str], int]
) -> np.ndarray:
    """Each row's (mineral, period) code, the labels numbered with pandas, new pairs added."""
    m_code, minerals = pd.factorize(mineral, use_na_sentinel=False)
    if period is None:
        period = np.full(len(mineral), "", dtype=object)
    p_code, periods = pd.factorize(period, use_na_sentinel=False)
    local, combined = pd.factorize(m_code.astype(np.int64) * len(periods) + p_code)
    names = [
        (str(minerals[m]), str(periods[p]))
        for m, p in zip(*np.divmod(combined.tolist(), len(periods)), strict=True)
    ]
    named = [pairs.setdefault(name, len(pairs)) for name in names]
    return np.asarray(named, dtype=np.int64)[local]


def _labelled(
    cols: np.ndarray, rows: np.ndarray, codes: np.ndarray, pairs: list[tuple[str, str]]
) -> Block:
    """A block named by the (mineral, period) pairs of its columns: "ga", "ga 2027",
    "ga, ge 2027"."""
    found = {pairs[c] for c in np.unique(codes[cols]) if c >= 0}
    minerals = sorted({m for m, _ in found})
    periods = sorted({t for _, t in found if t})
    label = ", ".join(minerals) + (f" {', '.join(periods)}" if periods else "")
    return Block(cols, rows, label or "(no mineral)", frozenset(found))
