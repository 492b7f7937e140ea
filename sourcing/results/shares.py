"""Supply by country and stage, and one concentration row per stage, in numpy.

The tables are those :func:`sourcing.results.plan.shares_of` has always returned (the same rows,
order, columns and numbers); they are computed here on integer group codes instead of grouping,
sorting and selecting DataFrames by their text columns, whose fixed cost per call was most of
a small solve's extraction. Sums within a group are pandas' own (``groupby(...).transform``, on
the codes, in the same row order), so every total is the same to the last bit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sourcing.model.frames import taken, text_array

KEY = ["mineral", "period", "stage"]


def supply_shares(offers: pd.DataFrame, quantity: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``quantity``: each offer's output, 0 where it is the solver's noise. The offers that
    supply, by (mineral, period, stage) in order and the largest share first (ties in the
    offers' order), with their share of the stage, its volume and HHI; and per stage, its
    volume, how many countries supply it, the largest share and who has it."""
    group = _group_codes(offers)
    stage_volume = _group_sum(quantity, group)
    kept = np.flatnonzero(quantity > 0)
    share = quantity[kept] / stage_volume[kept]
    hhi = _group_sum((100 * share) ** 2, group[kept])
    # sorted by mineral, period and stage position (their text in order), then share descending
    order = np.lexsort(
        (
            -share,
            offers["stage_pos"].to_numpy()[kept],
            _rank(offers["period"])[kept],
            _rank(offers["mineral"])[kept],
        )
    )
    rows, share, hhi = kept[order], share[order], hhi[order]
    price = offers["price"].to_numpy(dtype=float)[rows]
    table = taken(offers, [*KEY, "country"], rows)  # text kept as it is stored
    table.update(
        quantity=quantity[rows],
        share=share,
        value=quantity[rows] * price,
        stage_volume=stage_volume[rows],
        hhi=hhi,
    )
    shares = pd.DataFrame(table)
    sorted_group = group[rows]
    first = (
        np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]]) if len(rows) else rows
    )
    top = rows[first]
    # one row per stage: its text as str, as grouping made it
    table = {c: text_array(offers[c].to_numpy(dtype=object)[top]) for c in KEY}
    table.update(
        volume=stage_volume[top],
        countries=np.diff(np.r_[first, len(rows)]).astype(np.int64),
        top_country=text_array(offers["country"].to_numpy(dtype=object)[top]),
        max_share=share[first],
        hhi=hhi[first],
    )
    concentration = pd.DataFrame(table)
    return shares, concentration


def _group_codes(offers: pd.DataFrame) -> np.ndarray:
    codes = np.zeros(len(offers), dtype=np.int64)
    for column in KEY:
        found, uniques = pd.factorize(offers[column].to_numpy(dtype=object))
        codes = codes * (len(uniques) + 1) + found + 1
        codes, _ = pd.factorize(codes)
    return codes


def _group_sum(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """The sum of ``values`` over each row's group, by pandas' own group sum."""
    if not len(values):
        return np.zeros(0)
    return pd.Series(values).groupby(group).transform("sum").to_numpy(dtype=float)


def _rank(column: pd.Series) -> np.ndarray:
    """Each row's place in the sorted distinct values of a text column."""
    return pd.factorize(column.to_numpy(dtype=object), sort=True)[0]
