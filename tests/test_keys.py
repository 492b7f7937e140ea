"""Rows matched by key (sourcing.model.keys) give what a merge gives, on small tables (a dict
of keys) and large ones (factorized codes), missing values included; the engine's tables keep
their text as it was stored (sourcing.model.frames)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sourcing.model import keys
from sourcing.model.frames import TEXT, labels, taken, text_array
from sourcing.model.keys import key_codes, row_of


def _tables(rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    names = np.array(["li", "co", "ga", None], dtype=object)
    right = pd.DataFrame(
        {"mineral": text_array(list(names[:3])), "site": text_array(["a", "b", None])}
    ).merge(pd.DataFrame({"period": np.array(["2026", "2027"], dtype=object)}), how="cross")
    left = pd.DataFrame(
        {
            "mineral": text_array(list(names[rng.integers(0, 4, rows)])),
            "site": text_array(
                list(np.array(["a", "b", "c", None], dtype=object)[rng.integers(0, 4, rows)])
            ),
            "period": np.array(["2026", "2027", "2028"], dtype=object)[rng.integers(0, 3, rows)],
        }
    )
    return left, right


def _by_merge(left: pd.DataFrame, right: pd.DataFrame, on: list[str]) -> np.ndarray:
    found = left[on].merge(right[on].assign(_row=np.arange(len(right))), how="left", on=on)
    return found["_row"].fillna(-1).astype(int).to_numpy()


@pytest.mark.parametrize("rows", [0, 7, 300, 5000])  # 5000: past keys.SMALL, factorized
def test_row_of_is_a_left_merge(rows: int) -> None:
    assert keys.SMALL < 5000  # so the largest case takes the factorized path
    left, right = _tables(rows, seed=rows)
    on = ["mineral", "period", "site"]
    assert row_of(left, right, on).tolist() == _by_merge(left, right, on).tolist()
    some = np.arange(0, rows, 3)
    assert (
        row_of((left, some), right, on).tolist() == _by_merge(left.iloc[some], right, on).tolist()
    )


def test_missing_values_match_each_other_on_both_paths() -> None:
    """A merge matches NaN with NaN; so do both ways of coding keys."""
    left, right = _tables(40, seed=1)
    small = key_codes(left, right, on=["mineral", "site"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keys, "SMALL", 0)
        large = key_codes(left, right, on=["mineral", "site"])
    small_all, large_all = np.concatenate(small), np.concatenate(large)
    # the same partition of rows into keys, whatever the numbers
    assert pd.factorize(small_all)[0].tolist() == pd.factorize(large_all)[0].tolist()
    missing = left["mineral"].isna().to_numpy() & left["site"].isna().to_numpy()
    assert missing.sum() > 1
    assert len(set(small[0][missing])) == 1  # rows missing both keys share one key


def test_taken_keeps_each_column_as_stored() -> None:
    frame = pd.DataFrame(
        {
            "mineral": text_array(["li", "co", "ga"]),
            "period": pd.Series(["2026", "2027", "2026"], dtype=object),
            "quantity": [1.0, 2.0, 3.0],
        }
    )
    table = labels(frame, ["mineral", "period", "quantity"], np.array([2, 0]))
    assert table["mineral"].dtype == TEXT
    assert table["period"].dtype == object
    assert table.to_dict("records") == [
        {"mineral": "ga", "period": "2026", "quantity": 3.0},
        {"mineral": "li", "period": "2026", "quantity": 1.0},
    ]
    assert list(taken(frame, ["quantity"], np.array([1]))["quantity"]) == [2.0]
