"""Infeasible problems are explained in a planner's words (elastic re-solve,
sourcing/results/explain.py).

One mineral `ore`, one stage, buyer site in country C. Derivations:

* capacity: A 30 + B 50 = 80 < 100 demanded: 20 cannot be covered, both capacities bind.
* rule: demand 60, A and B 100 each, no country above 40%: each at most 24, together 48: the
  cap rows must give 12 in total (no shortfall: rules are relaxed before demand is left unmet).
* exclusion: A excluded, B 50 < 60: the exclusion row must give 10.
"""

from __future__ import annotations

import pytest

import sourcing


def document(capacity: dict[str, float], demand: float) -> dict:
    return {
        "name": "explain",
        "stages": ["mining"],
        "transport_default": 1.0,
        "minerals": [{"mineral": "ore"}],
        "countries": [{"country": "A", "groups": "FEOC"}, {"country": "B"}, {"country": "C"}],
        "sites": [{"site": "plant", "country": "C"}],
        "supply": [
            {"mineral": "ore", "stage": "mining", "country": c, "capacity": q, "price": 1}
            for c, q in capacity.items()
        ],
        "demand": [{"mineral": "ore", "site": "plant", "quantity": demand}],
    }


def test_missing_capacity_names_the_shortfall_and_binding_capacities():
    plan = sourcing.solve(document({"A": 30, "B": 50}, 100))
    assert plan.termination_condition.value == "infeasible"
    why = plan.infeasibility
    assert [(u["mineral"], u["site"], u["short"]) for u in why["uncovered"]] == [
        ("ore", "plant", 20)
    ]
    assert {c["country"] for c in why["binding_capacities"]} == {"A", "B"}
    assert "20 t of the 100 t demanded at site 'plant' cannot be covered" in why["summary"]
    assert "A (30 t), B (50 t)" in why["summary"]


def test_a_rule_that_cannot_hold_is_named_with_how_much_it_must_give():
    plan = sourcing.solve(
        document({"A": 100, "B": 100}, 60), {"rules": [{"rule": "max_country_share", "share": 0.4}]}
    )
    why = plan.infeasibility
    assert why["uncovered"] == []
    assert sum(r["relax_by"] for r in why["rules"]) == pytest.approx(12)
    assert {r["rule"] for r in why["rules"]} == {"max_country_share"}


def test_an_exclusion_that_leaves_too_little_capacity():
    plan = sourcing.solve(
        document({"A": 100, "B": 50}, 60),
        {"rules": [{"rule": "exclude", "name": "no_feoc", "groups": ["FEOC"]}]},
    )
    why = plan.infeasibility
    assert [(r["rule"], r["country"], r["relax_by"]) for r in why["rules"]] == [
        ("no_feoc", "A", 10)
    ]
    assert "rule no_feoc [ore, mining, A] must be relaxed by 10" in why["summary"]
