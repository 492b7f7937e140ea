"""The bundled models on the bundled demo instance: each rule visibly holds in the plan.

Objectives are regression records (``instances/battery-demo/README.md``); the rules themselves are
re-checked from the plan's shares here, and from the flows by ``tests/checker.py``.
"""

from __future__ import annotations

import pytest

import sourcing
from tests.conftest import DEMO

RECORDED = {
    "least-cost": 13_655_500.0,
    "eu-crma": 13_809_525.0,
    "partner-share": 15_629_490.566037735,
    "resilient": 15_322_500.0,
}


@pytest.mark.parametrize("model", sorted(RECORDED))
def test_bundled_model_on_the_demo(model):
    plan = sourcing.solve(DEMO, model)
    assert plan.termination_condition.value == "optimal"
    assert plan.objective == pytest.approx(RECORDED[model], rel=1e-9)
    assert plan.costs["total"] == pytest.approx(plan.objective, rel=1e-9)


def test_every_rule_costs_something_over_least_cost():
    base = RECORDED["least-cost"]
    assert all(cost >= base for cost in RECORDED.values())


def test_eu_crma_caps_every_third_country_at_65_percent():
    shares = sourcing.solve(DEMO, "eu-crma").shares
    third = shares[shares["country"] != "DEU"]  # Germany is the only EU supplier here
    assert third["share"].max() == pytest.approx(0.65, abs=1e-9)  # it binds
    assert (third["share"] <= 0.65 + 1e-9).all()


def test_partner_share_takes_70_percent_of_value_from_us_and_fta():
    plan = sourcing.solve(DEMO, "partner-share")
    partners = {"USA", "CAN", "AUS", "CHL", "KOR", "JPN"}
    for mineral, rows in plan.shares.groupby("mineral"):
        value = rows["value"].sum()
        assert rows.loc[rows["country"].isin(partners), "value"].sum() >= 0.70 * value - 1e-6, (
            mineral
        )
    assert "CHN" not in set(plan.shares["country"])


def test_resilient_diversifies_every_stage():
    plan = sourcing.solve(DEMO, "resilient")
    assert "CHN" not in set(plan.shares["country"])
    for _, rows in plan.shares.groupby(["mineral", "stage"]):
        assert rows["share"].max() <= 0.5 + 1e-9
        assert (rows["share"] >= 0.10 - 1e-9).sum() >= 2
        assert rows["share"].nlargest(2).sum() <= 0.8 + 1e-9
    assert plan.duals["basis"].startswith("LP with the MIP's binary choices fixed")


def test_cost_and_risk_objective_moves_supply_to_lower_risk():
    least = sourcing.solve(DEMO, "least-cost")
    risky = sourcing.solve(DEMO, {"objective": {"type": "cost_and_risk", "risk_weight": 20000}})

    def risk_exposure(plan):
        risk = {r["country"]: r.get("risk", 0) for r in sourcing.load_instance(DEMO).countries}
        return float((plan.shares["quantity"] * plan.shares["country"].map(risk)).sum())

    assert risk_exposure(risky) < risk_exposure(least)
    assert risky.costs["risk"] > 0
    assert risky.objective == pytest.approx(sum(v for k, v in risky.costs.items() if k != "total"))


def test_an_instances_own_rules_apply_after_the_models():
    """A contract term carried by the data (instance.yaml `rules`) binds like a model rule: the
    demo with the CRMA cap written into the instance costs what eu-crma costs."""
    document = sourcing.load_instance(DEMO).model_dump()
    document["rules"] = [{"rule": "max_country_share", "share": 0.65, "exempt": ["EU"]}]
    plan = sourcing.solve(document, "least-cost")
    assert plan.rules == ["max_country_share"]
    assert plan.objective == pytest.approx(RECORDED["eu-crma"], rel=1e-9)
