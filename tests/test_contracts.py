"""The contract rows of a MIP, worked by hand on a three-supplier market.

Three countries each offer up to 40 t of lithium at a price of 10 with a fixed cost of 100; the
buyer needs 100 t. At least three contracts are needed (2 × 40 = 80 < 100), so the optimum signs
all three: 3 × 100 fixed + 100 × 10 = 1,300. The LP relaxation alone could sign 100/40 = 2.5
contracts' worth; the cover row Σ 40 w_o ≥ 100 is what lets the solver round that up to 3.
"""

from __future__ import annotations

import numpy as np
import pytest

import sourcing
from sourcing.api import load
from sourcing.model.build import build
from sourcing.model.index import index_instance


def market(penalty: float | None = None, free_capacity: float | None = None) -> dict:
    supply = [
        {"mineral": "li", "stage": "refining", "country": c, "capacity": 40, "price": 10,
         "fixed_cost": 100}
        for c in ("AUS", "CHL", "ARG")
    ]  # fmt: skip
    if free_capacity is not None:  # an offer with no fixed cost: no binary
        supply.append(
            {"mineral": "li", "stage": "refining", "country": "USA",
             "capacity": free_capacity, "price": 50}
        )  # fmt: skip
    demand = {"mineral": "li", "quantity": 100}
    if penalty is not None:
        demand["penalty"] = penalty
    return {
        "name": "three-suppliers",
        "stages": ["refining"],
        "minerals": [{"mineral": "li"}],
        "countries": [{"country": c} for c in ("AUS", "CHL", "ARG", "USA")],
        "supply": supply,
        "demand": [demand],
    }


def cover_rows(document: dict):
    instance, model = load(document)
    lp, _ = build(index_instance(instance), model)
    return lp.constraints.get("contract_cover")


def test_cover_row_asks_for_enough_contracts_to_hold_the_demand():
    cover = cover_rows(market())
    assert cover is not None and len(cover.index) == 1
    assert sorted(cover.vals) == [40, 40, 40]
    assert cover.lower.tolist() == [100]
    plan = sourcing.solve(market())
    assert plan.objective == pytest.approx(1300)
    assert plan.costs["fixed"] == pytest.approx(300)


def test_cover_row_counts_offers_without_contract_at_their_capacity():
    """A 30 t offer without a fixed cost holds 30 t whatever is signed: the contracts must cover
    the other 70 t (Σ 40 w ≥ 70, so two contracts). Optimum: buy the cheap 80 t from two
    contracts (200 + 800) and 20 t at 50 (1,000): 2,000, against three contracts and no
    expensive tonnes (300 + 1,000 = 1,300): the three contracts win."""
    cover = cover_rows(market(free_capacity=30))
    assert cover.lower.tolist() == [70]
    plan = sourcing.solve(market(free_capacity=30))
    assert plan.objective == pytest.approx(1300)


def test_no_cover_row_when_the_demand_may_go_unmet():
    """With a shortfall penalty the stage need not reach 100 t, so the row would cut off
    plans: it is left out. Penalty 20 per t unmet: two contracts (200 + 800) and 20 t short
    (400) cost 1,400, more than three contracts (1,300), which stays optimal."""
    assert cover_rows(market(penalty=20)) is None
    plan = sourcing.solve(market(penalty=20))
    assert plan.objective == pytest.approx(1300)


def test_no_cover_row_when_free_offers_hold_the_demand():
    cover = cover_rows(market(free_capacity=100))
    assert cover is None
    assert np.isclose(sourcing.solve(market(free_capacity=100)).objective, 1300)
