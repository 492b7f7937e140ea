"""Rows of a DataFrame as named tuples, typed for mypy as what they are in this code base."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd


def frame_rows(frame: pd.DataFrame) -> Iterator[Any]:
    """``frame.itertuples(index=False)``. pandas-stubs types every field of such a row as any
    pandas scalar (Interval, Period, bytes, ...), which no field of the engine's own tables is;
    the rows are typed ``Any`` here rather than narrowed at each use."""
    return frame.itertuples(index=False)
