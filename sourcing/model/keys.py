"""Rows of one table matched to rows of another by key columns, in numpy.

The engine's tables are matched many times per solve (an offer's stage-volume row, a delivery
lane's demand row, ...). A ``merge`` builds a whole new table to answer "which row?"; on a small
instance its fixed cost is most of a solve's time. Here each key column is factorized once over
both tables and the codes are combined into one integer per row, so a match is an integer lookup,
linear in the rows on any size. Missing values (NaN) match each other, as in ``merge``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Tables up to this many rows in all are matched through a dict of their keys.
SMALL = 2000


#: A table, or some of its rows (positions), without copying them into a table of their own.
Rows = pd.DataFrame | tuple[pd.DataFrame, np.ndarray]


def _column(table: Rows, column: str) -> np.ndarray:
    if isinstance(table, tuple):
        return table[0][column].to_numpy(dtype=object)[table[1]]
    return table[column].to_numpy(dtype=object)


def key_codes(*tables: Rows, on: list[str]) -> list[np.ndarray]:
    """One integer per row of each table, equal where the rows' ``on`` columns are equal."""
    sizes = np.cumsum([0] + [len(t[1]) if isinstance(t, tuple) else len(t) for t in tables])
    columns = [np.concatenate([_column(t, c) for t in tables]) for c in on]
    if sizes[-1] <= SMALL:  # a dict of the keys: no fixed cost per column
        for values in columns:
            values[pd.isna(values)] = None  # every missing value is one key
        seen: dict[tuple, int] = {}
        keys = [seen.setdefault(k, len(seen)) for k in zip(*columns, strict=True)]
        combined = np.array(keys, dtype=np.int64)
    else:
        combined = np.zeros(int(sizes[-1]), dtype=np.int64)
        for values in columns:
            codes, uniques = pd.factorize(values)  # NaN: -1
            combined = combined * (len(uniques) + 1) + (codes + 1)
            combined, _ = pd.factorize(combined)  # keep the codes small whatever the columns
    return [combined[sizes[i] : sizes[i + 1]] for i in range(len(tables))]


def row_of(left: Rows, right: pd.DataFrame, on: list[str]) -> np.ndarray:
    """For each row of ``left`` (a table, or a table and positions of its rows), the position
    of the row of ``right`` with the same ``on`` values; -1 where there is none. ``right``'s
    keys must be unique (every table matched here has unique keys:
    :mod:`sourcing.data.references` refuses duplicates)."""
    left_key, right_key = key_codes(left, right, on=on)
    if not len(left_key):
        return np.zeros(0, dtype=np.int64)
    found = np.full(int(max(left_key.max(), right_key.max(initial=-1))) + 1, -1, dtype=np.int64)
    found[right_key] = np.arange(len(right_key))
    return found[left_key]
