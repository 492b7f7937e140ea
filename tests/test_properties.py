"""Properties every least-cost plan must have, on random small two-stage instances (hypothesis):

* more capacity never costs more;
* a looser country cap never costs more;
* scaling every price, transport cost and penalty by k scales the optimum by k.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sourcing

COUNTRIES = ["AAA", "BBB", "CCC", "DDD"]


@st.composite
def instances(draw):
    supply = []
    for stage in ("mining", "refining"):
        for country in COUNTRIES:
            if draw(st.booleans()) or country == "AAA":
                supply.append(
                    {
                        "mineral": "ore",
                        "stage": stage,
                        "country": country,
                        "capacity": draw(st.integers(10, 100)),
                        "price": draw(st.integers(1, 50)),
                    }
                )
    demand = draw(st.integers(1, 30))
    return {
        "name": "random",
        "stages": ["mining", "refining"],
        "transport_default": draw(st.integers(0, 9)),
        "minerals": [{"mineral": "ore"}],
        "countries": [{"country": c} for c in COUNTRIES],
        "sites": [{"site": "plant", "country": "DDD"}],
        "supply": supply,
        "yields": [
            {"mineral": "ore", "stage": "refining", "yield": draw(st.sampled_from([0.5, 0.8, 1.0]))}
        ],
        "demand": [{"mineral": "ore", "site": "plant", "quantity": demand, "penalty": 1000}],
    }


def solve(document, rules=()):
    plan = sourcing.solve(document, {"rules": list(rules)})
    assert plan.termination_condition.value == "optimal"
    return plan.objective


@settings(max_examples=30, deadline=None)
@given(instances(), st.integers(0, 40))
def test_more_capacity_never_costs_more(document, extra):
    before = solve(document)
    bigger = {
        **document,
        "supply": [{**r, "capacity": r["capacity"] + extra} for r in document["supply"]],
    }
    assert solve(bigger) <= before + 1e-6 * max(1, abs(before))


@settings(max_examples=30, deadline=None)
@given(instances(), st.floats(0.3, 0.9), st.floats(0.0, 0.1))
def test_a_looser_cap_never_costs_more(document, share, loosen):
    tight = solve(document, [{"rule": "max_country_share", "share": share}])
    loose = solve(document, [{"rule": "max_country_share", "share": min(1.0, share + loosen)}])
    assert loose <= tight + 1e-6 * max(1, abs(tight))


@settings(max_examples=30, deadline=None)
@given(instances(), st.sampled_from([0.5, 2.0, 10.0]))
def test_scaling_prices_scales_the_optimum(document, k):
    scaled = {
        **document,
        "transport_default": document["transport_default"] * k,
        "supply": [{**r, "price": r["price"] * k} for r in document["supply"]],
        "demand": [{**r, "penalty": r["penalty"] * k} for r in document["demand"]],
    }
    assert solve(scaled) == pytest.approx(k * solve(document), rel=1e-7, abs=1e-7)


PERIODS = ["2026", "2027", "2028"]


@st.composite
def periodic_instances(draw):
    """Three periods, each offer its own price per period (some offers absent in some periods,
    as under a ban), soft demand at one plant; some offers carry a fixed cost (a MIP)."""
    supply = []
    for period in PERIODS:
        for country in COUNTRIES:
            if draw(st.booleans()) or country == "AAA":
                row = {
                    "mineral": "ore",
                    "stage": "mining",
                    "country": country,
                    "capacity": draw(st.integers(5, 60)),
                    "price": draw(st.integers(1, 50)),
                    "period": period,
                }
                if draw(st.integers(0, 3)) == 0:
                    row["fixed_cost"] = draw(st.integers(1, 200))
                supply.append(row)
    return {
        "name": "random-periods",
        "stages": ["mining"],
        "periods": PERIODS,
        "transport_default": draw(st.integers(0, 9)),
        "minerals": [{"mineral": "ore"}],
        "countries": [{"country": c} for c in COUNTRIES],
        "sites": [{"site": "plant", "country": "DDD"}],
        "supply": supply,
        "demand": [
            {
                "mineral": "ore",
                "site": "plant",
                "quantity": draw(st.integers(1, 40)),
                "penalty": 1000,
                "period": period,
            }
            for period in PERIODS
        ],
    }


@settings(max_examples=30, deadline=None)
@given(
    periodic_instances(),
    st.one_of(st.none(), st.integers(0, 50)),
    st.integers(0, 30),
    st.sampled_from([[], [{"rule": "max_country_share", "share": 0.7}]]),
)
def test_adding_a_stockpile_never_raises_cost(document, capacity, holding, rules):
    """A stockpile starting empty only adds choices: stocking nothing is the plan without it
    (closing stock 0 costs no holding), so the optimum can only fall or stay, with or without a
    rule on shares and with fixed costs (whose rows bound what may go into stock). A MIP is
    solved to the relative gap 1e-4, the tolerance of the comparison. The plan with stock passes
    the independent checker (stock walked period by period from the flows)."""
    from tests.checker import check_plan

    before = solve(document, rules)
    pile = {"site": "plant", "mineral": "ore", "holding_cost": holding}
    if capacity is not None:
        pile["capacity"] = capacity
    stocked = {**document, "stockpiles": [pile]}
    plan = sourcing.solve(stocked, {"rules": rules})
    assert plan.termination_condition.value == "optimal"
    assert plan.objective <= before + 1e-4 * max(1.0, abs(before))
    instance = sourcing.load_instance(stocked)
    specs = list(sourcing.load_model({"rules": rules}).rules)
    assert check_plan(instance, specs, plan).problems == []
