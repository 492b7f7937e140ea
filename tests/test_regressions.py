"""Regressions: engine bugs found while building the worked examples, kept as tests.

Both were pandas 3 behaviours the engine did not allow for (pandas 3.1 in the dev venv):

1. ``exclude`` with a ``stages`` or ``minerals`` selector crashed:
``sourcing/model/rules/exclude.py``
   does ``mask = in_countries(data, rule)`` and then ``mask &= ...``; ``in_countries`` returns
   ``Series.isin(...).to_numpy()``, which under copy-on-write is a read-only view, so the in-place
   ``&=`` raises ``ValueError: output array is read-only``.
2. A ``tariffs`` (or ``transport``) table without a ``mineral`` column crashes indexing when there
   is no lane to price: ``sourcing/model/index.py`` (``_lane_tariff``, ``_lane_transport``) adds the
   column as float NaN and merges it with the lanes' text ``mineral`` key; on an empty lanes table
   pandas refuses (``ValueError: You are trying to merge on str and float64 columns``). Without the
   table the same instance is reported infeasible, as it should be.
"""

from __future__ import annotations

import pytest

import sourcing
from tests.conftest import INSTANCES

EXCLUDE = INSTANCES / "examples" / "exclude"


def test_exclude_limited_to_one_stage():
    """China (FEOC) excluded from refining only may still mine.

    Data as in instances/examples/exclude: mining CHN 18, AUS 20; refining CHN 10, KOR 15 (60 t),
    JPN 18; demand 100 t, yield 1, free lanes. Mining: CHN, the cheapest, 100 × 18 = 1800.
    Refining without China: KOR 60 × 15 = 900, JPN 40 × 18 = 720. Total 1800 + 1620 = 3420.
    """
    model = {
        "name": "no-feoc-refining",
        "rules": [{"rule": "exclude", "groups": ["FEOC"], "stages": ["refining"]}],
    }
    plan = sourcing.solve(EXCLUDE, model)
    assert plan.objective == pytest.approx(3420)
    quantity = plan.shares.set_index(["stage", "country"])["quantity"].to_dict()
    assert quantity == pytest.approx(
        {("mining", "CHN"): 100, ("refining", "KOR"): 60, ("refining", "JPN"): 40}
    )


def test_exclude_limited_to_one_mineral():
    """The same exclusion named for the only mineral, li, is the full exclusion: 3620."""
    model = {
        "name": "no-feoc-li",
        "rules": [{"rule": "exclude", "groups": ["FEOC"], "minerals": ["li"]}],
    }
    assert sourcing.solve(EXCLUDE, model).objective == pytest.approx(3620)


NO_LANE = {
    "name": "no-lane",
    "stages": ["refining"],
    "minerals": [{"mineral": "li"}],
    "countries": [{"country": "AUS"}, {"country": "USA"}],
    "sites": [{"site": "plant", "country": "USA"}],
    "supply": [{"mineral": "li", "stage": "refining", "country": "AUS", "price": 10}],
    "demand": [{"mineral": "li", "site": "plant", "quantity": 10}],
}


def test_no_open_lane_without_tariffs_is_infeasible():
    """The reference behaviour (passes): AUS→USA is not listed and there is no transport_default,
    so nothing can reach the plant: infeasible, 10 t uncovered."""
    plan = sourcing.solve(NO_LANE)
    assert plan.termination_condition.value == "infeasible"
    assert [(u["mineral"], u["site"], u["short"]) for u in plan.infeasibility["uncovered"]] == [
        ("li", "plant", 10.0)
    ]


def test_no_open_lane_with_a_tariff_table_is_infeasible():
    """Adding a tariff row (on the closed lane) must not change that: infeasible, 10 t uncovered."""
    tariff = {"origin": "AUS", "destination": "USA", "rate": 0.1}
    plan = sourcing.solve({**NO_LANE, "tariffs": [tariff]})
    assert plan.termination_condition.value == "infeasible"
    assert [(u["mineral"], u["site"], u["short"]) for u in plan.infeasibility["uncovered"]] == [
        ("li", "plant", 10.0)
    ]


def test_demanded_mineral_without_offers_and_a_transport_table_is_infeasible():
    """Cobalt is demanded but nobody offers it; with a transport table present indexing crashes
    instead of reporting 10 t of cobalt uncovered (as it does without the table)."""
    instance = {
        **NO_LANE,
        "minerals": [{"mineral": "li"}, {"mineral": "co"}],
        "demand": [{"mineral": "co", "site": "plant", "quantity": 10}],
        "transport": [{"from": "AUS", "to": "USA", "cost": 1}],
    }
    plan = sourcing.solve(instance)
    assert plan.termination_condition.value == "infeasible"
    assert [(u["mineral"], u["site"], u["short"]) for u in plan.infeasibility["uncovered"]] == [
        ("co", "plant", 10.0)
    ]
