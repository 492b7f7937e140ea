"""Reference prices in the plan: the DoD–MP Materials floor (``instances/ndpr-floor``), who pays
its top-up, and what the clawback returns. The examples ``price-floor`` and ``reference-tariff``
(``instances/examples``) derive the rules' arithmetic on tiny cases."""

from __future__ import annotations

import pytest

import sourcing
from tests.checker import check_plan
from tests.conftest import INSTANCES

NDPR = INSTANCES / "ndpr-floor"


@pytest.mark.parametrize(
    ("model", "buyer", "topup", "public"),
    [("buyer-pays", 110e6, 56e6, 0.0), ("dod-pays", 54e6, 0.0, 56e6)],
)
def test_who_pays_the_dod_mp_top_up(model, buyer, topup, public):
    """1,000 t of NdPr oxide at the market USD 54/kg against the USD 110/kg floor: a top-up of
    110 − 54 = 56 per kg, 56 × 1,000,000 kg = USD 56M a year. With buyer_share 1 the buyer pays
    it (54M + 56M = 110M, the public nothing); with buyer_share 0 the buyer pays the market's
    54M and the public (DoD) the 56M, reported in ``plan.public`` and not in the objective."""
    plan = sourcing.solve(NDPR, NDPR / f"{model}.yaml")
    assert plan.objective == pytest.approx(buyer, rel=1e-12)
    assert plan.costs["purchase"] == pytest.approx(54e6, rel=1e-12)
    assert plan.costs["floor_topup"] == pytest.approx(topup, abs=1e-6)
    assert plan.public["floor_topup"] == pytest.approx(public, abs=1e-6)
    assert plan.public["total"] == pytest.approx(public, abs=1e-6)
    # the supplier receives the floor either way: buyer and public together pay 110 per kg
    assert plan.objective + plan.public["total"] == pytest.approx(110e6, rel=1e-12)
    instance = sourcing.load_instance(NDPR)
    rules = list(sourcing.load_model(NDPR / f"{model}.yaml").rules)
    assert check_plan(instance, rules, plan).problems == []


@pytest.mark.parametrize(
    ("model", "buyer", "public"), [("buyer-pays", 138e6, 0.0), ("dod-pays", 150e6, -12e6)]
)
def test_above_the_floor_the_clawback_returns_30_percent_of_the_upside(model, buyer, public):
    """The market at USD 150/kg, above the floor: no top-up; the clawback is
    0.3 × (150 − 110) = 12 per kg, USD 12M a year, received by whoever carries the floor. The
    buyer carrying it pays 150M − 12M = 138M; with DoD carrying it the buyer pays 150M and the
    public receives 12M (a public cost of −12M)."""
    instance = sourcing.load_instance(NDPR)
    supply = [{**instance.supply[0], "price": 150}]
    dearer = instance.model_copy(update={"supply": supply})
    plan = sourcing.solve(dearer, NDPR / f"{model}.yaml")
    assert plan.objective == pytest.approx(buyer, rel=1e-12)
    assert plan.public["floor_clawback"] == pytest.approx(public, abs=1e-6)


KAZ_FLOOR = INSTANCES / "kazakhstan-reference-price"


def test_a_public_floor_for_kazakhstan_leaves_the_buyer_plan_and_costs_the_treasury_a_quarter():
    """kazakhstan-partnership under with-partner, plus a floor for Kazakhstan at reference prices
    25% above the USGS price every offer is made at (assumption, the instance's README). Paid by
    the public (buyer_share 0), the buyer's plan and cost are with-partner's (8,216,829,625.49852
    recorded in instances/index.csv); the public pays 25% of the value bought from Kazakhstan.
    Paid by the buyer (buyer_share 1), the same sum moves into the buyer's cost."""
    public = sourcing.solve(KAZ_FLOOR, KAZ_FLOOR / "floor-public.yaml")
    kazakh = public.shares[public.shares["country"] == "KAZ"]["value"].sum()
    assert public.objective == pytest.approx(8_216_829_625.49852, rel=1e-9)
    assert public.public["floor_topup"] == pytest.approx(0.25 * kazakh, rel=1e-9)
    assert public.public["floor_topup"] == pytest.approx(34_807_272.75, rel=1e-9)
    buyer = sourcing.solve(KAZ_FLOOR, KAZ_FLOOR / "floor-buyer.yaml")
    assert buyer.objective == pytest.approx(public.objective + 34_807_272.75, rel=1e-9)
    assert buyer.costs["floor_topup"] == pytest.approx(34_807_272.75, rel=1e-9)
