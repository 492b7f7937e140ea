"""Numbers as a planner reads them: to the solver's precision, without floating-point noise.

HiGHS meets its constraints to about 1e-7 relative, and the arithmetic that turns its answer
into a plan leaves noise in the last bits (``62.99999999999999`` t, ``298500.00000000006``
USD). The plan's outputs (JSON, CSV, the workbook) round every number to :data:`SIGNIFICANT`
significant digits, finer than the solver's own precision, so nothing it decided is lost, and
money to at least the cent. ``sourcing solve --full-precision`` (``Plan.to_json(full=True)``)
writes the numbers as computed, for a user who wants the last bits.

The rule, one for every number:
    quantity, price, share, HHI, dual    9 significant digits (166.666666666 -> 166.666667)
    money (costs, totals, values)        9 significant digits, but never coarser than cents
                                         (8,552,211,057.405834 -> 8,552,211,057.41)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sourcing.results.columns import kind_of

SIGNIFICANT = 9
CENTS = 2


def tidy(values: np.ndarray | float, money: bool = False) -> np.ndarray | float:
    """``values`` rounded by the rule above (an array, or one float); NaN and inf unchanged."""
    array = np.asarray(values, dtype=float)
    out = array.copy()
    finite = np.isfinite(array) & (array != 0)
    x = array[finite]
    magnitude = np.floor(np.log10(np.abs(x))).astype(int)  # 298500 -> 5
    decimals = SIGNIFICANT - 1 - magnitude
    if money:
        decimals = np.maximum(decimals, CENTS)
    up = decimals >= 0
    scale = np.power(10.0, np.abs(decimals))
    # n / 10**d is the double nearest the decimal n·10^-d: exactly what the text would parse to
    x = np.where(up, np.round(x * scale) / scale, np.round(x / scale) * scale)
    out[finite] = x
    if np.ndim(values) == 0:
        return float(out)
    return out


def tidy_frame(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """A copy of one of the plan's tables with its float columns rounded; money columns (by
    :func:`sourcing.results.columns.kind_of`) keep at least cents."""
    floats = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]
    if not floats:
        return frame
    out = frame.copy()
    for column in floats:
        money = kind_of(table, str(column)) == "money"
        out[column] = tidy(out[column].to_numpy(), money=money)
    return out


def records(frame: pd.DataFrame, table: str, full: bool, plain: Any) -> list[dict[str, Any]]:
    """One of the plan's tables as JSON-ready rows: what ``tidy_frame(frame, table)`` (unless
    ``full``) then ``to_dict("records")`` with each value made plain gives, built a column at a
    time (``plain``: how a value of any other column is made JSON-ready). Floats are Python
    floats, NaN and infinity ``None``; integers and booleans Python's own."""
    columns: list[list[Any]] = []
    for name in frame.columns:
        values = frame[name]
        dtype = values.dtype
        if isinstance(dtype, np.dtype) and dtype.kind == "f":
            array = values.to_numpy(dtype=float)
            if not full:
                array = np.asarray(tidy(array, money=kind_of(table, str(name)) == "money"))
            columns.append([v if math.isfinite(v) else None for v in array.tolist()])
        elif isinstance(dtype, np.dtype) and dtype.kind in "iub":
            columns.append(values.to_numpy().tolist())
        else:
            columns.append([plain(v) for v in values.to_numpy(dtype=object)])
    keys = list(frame.columns)
    return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]
