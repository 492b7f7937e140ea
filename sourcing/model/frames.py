"""The engine's own tables hold text as pandas' ``str`` dtype stored in Python objects.

Decision (issue 18, small solves): pandas 3 with pyarrow installed stores every text column it
infers as pyarrow-backed ``str``. The engine's tables are small and are taken, merged, grouped
and compared many times per solve; on a table of a few dozen rows each of those calls pays
pyarrow's fixed cost (conversions to and from Arrow arrays), which made about a third of a small
solve. The tables the engine builds therefore hold their text as
``pd.StringDtype("python", na_value=np.nan)``: the same ``str`` dtype (missing values are NaN,
the same methods, the same results), stored as Python strings. Setting pandas' global
``mode.string_storage`` option would do the same for every frame of the process, the caller's
too; this touches only the engine's own tables. Measured with ``benchmarks/small_solve.py``
(docs/service.md, "Latency of small solves").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

#: The ``str`` dtype of the engine's tables: NaN for missing, stored as Python strings.
TEXT = pd.StringDtype("python", na_value=np.nan)


def with_python_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every ``str`` column stored as Python strings (:data:`TEXT`), and its
    column labels as Python strings too, in place."""
    frame.columns = frame.columns.astype(object)
    for column, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.StringDtype) and dtype != TEXT:
            frame[column] = frame[column].astype(TEXT)
    return frame


def records_frame(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """A table of one input table's rows, its text as :data:`TEXT`."""
    return with_python_text(pd.DataFrame.from_records(records))


def text_array(values: pd.Series | list | np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Text values as an array of :data:`TEXT`."""
    # pandas-stubs types neither a Series nor a python-stored StringDtype here; pandas takes both
    return pd.array(values, dtype=TEXT)  # type: ignore[arg-type]


def taken(frame: pd.DataFrame, columns: list[str], rows: np.ndarray) -> dict[str, Any]:
    """The ``columns`` of ``frame`` at positions ``rows``, each as it is stored (Python text
    stays Python text, ``str`` stays ``str``), ready to build a new table in one call: selecting
    and copying a table of a few dozen rows costs a hundred times the arrays it holds."""
    out: dict[str, Any] = {}
    for column in columns:
        values = frame[column]
        if values.dtype == object:
            out[column] = pd.Series(values.to_numpy()[rows], dtype=object)
        elif isinstance(values.dtype, pd.StringDtype):
            out[column] = values.array.take(rows)
        else:
            out[column] = values.to_numpy()[rows]
    return out


def labels(frame: pd.DataFrame, columns: list[str], rows: np.ndarray | None = None) -> pd.DataFrame:
    """A new table of ``frame``'s ``columns`` (at positions ``rows``, or all): what
    ``frame.loc[rows, columns].reset_index(drop=True)`` gives, built from the arrays at once."""
    return pd.DataFrame(taken(frame, columns, np.arange(len(frame)) if rows is None else rows))


def sorted_frame(columns: dict, by: list[str]) -> pd.DataFrame:
    """A table of ``columns`` sorted by ``by`` (text in order, numbers by value; stable), as
    ``sort_values`` sorts it, without building the table twice."""
    keys = [
        pd.factorize(np.asarray(columns[c], dtype=object), sort=True)[0]
        if not np.issubdtype(np.asarray(columns[c]).dtype, np.number)
        else np.asarray(columns[c])
        for c in by
    ]
    order = np.lexsort(keys[::-1]) if keys and len(keys[0]) else np.zeros(0, dtype=np.int64)
    return pd.DataFrame({c: kept_as_stored(v[order]) for c, v in columns.items()})


def kept_as_stored(values: Any) -> Any:
    """Python text stays Python text (a table infers ``str`` from an object array)."""
    if isinstance(values, np.ndarray) and values.dtype == object:
        return pd.Series(values, dtype=object)
    return values
