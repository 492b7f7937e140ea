"""Every constraint family says what it is for (network, contract, rule or cut), and duals and
explanations read that role, never a list of names.

The case that showed why (issue 11): a least-cost model, no rule at all; lithium refined by
three countries offering 30 t each, every offer with a fixed cost (a contract to sign), and 100 t
of hard demand. At most 3 × 30 = 90 t exist, so 10 t cannot be covered. The engine adds a cover
cut (the contracts signed must hold the 100 t: 30 w₁ + 30 w₂ + 30 w₃ ≥ 100) to help HiGHS; the
explanation once relaxed that cut and ended "rule contract_cover [li, refining] must be relaxed
by 10", naming a rule the model does not have. The answer is capacity: 10 t short, every offer
full.
"""

from __future__ import annotations

import sourcing
from sourcing.api import load
from sourcing.model.build import build
from sourcing.model.index import index_instance
from sourcing.model.lp import ROLES

THREE_OFFERS = {
    "name": "three-contracts",
    "stages": ["refining"],
    "minerals": [{"mineral": "li"}],
    "countries": [{"country": c} for c in ("AUS", "CHL", "CAN")],
    "supply": [
        {
            "mineral": "li",
            "stage": "refining",
            "country": c,
            "capacity": 30,
            "price": p,
            "fixed_cost": 100,
        }
        for c, p in (("AUS", 10), ("CHL", 11), ("CAN", 12))
    ],
    "demand": [{"mineral": "li", "quantity": 100}],
}


def test_the_explanation_names_capacity_not_a_rule_the_model_lacks():
    plan = sourcing.solve(THREE_OFFERS)
    assert plan.termination_condition.value == "infeasible"
    summary = plan.infeasibility["summary"]
    assert "10 t of the 100 t demanded" in summary
    assert "capacity binding in AUS (30 t), CAN (30 t), CHL (30 t)" in summary
    assert "rule" not in summary and "contract_cover" not in summary
    assert not plan.infeasibility["rules"]


def test_every_family_of_every_bundled_model_declares_a_role():
    """battery-demo under each bundled model, and a contract instance: each family's role is
    one of the four, the network's families are 'network', the rules' 'rule'."""
    for model in ("least-cost", "eu-crma", "resilient", "partner-share"):
        instance, spec = load("instances/battery-demo", model)
        lp = build(index_instance(instance), spec)[0]
        roles = {name: block.role for name, block in lp.constraints.items()}
        assert set(roles.values()) <= set(ROLES)
        assert roles["demand"] == "network" and roles["offer_output"] == "network"
        rule_families = [n for n, role in roles.items() if role == "rule"]
        assert bool(rule_families) == bool(spec.rules), (model, roles)
    instance, spec = load(THREE_OFFERS)
    lp = build(index_instance(instance), spec)[0]
    roles = {name: block.role for name, block in lp.constraints.items()}
    assert roles["contract_capacity"] == "contract" and roles["contract_cover"] == "cut"


def test_the_rules_duals_list_rules_only():
    """Canada's offer without a fixed cost and with 50 t: 30 + 30 + 50 = 110 t cover the 100 t,
    so a plan exists (AUS 30 at 10, CHL 30 at 11, CAN 40 at 12, two contracts signed). The model
    has no rule, so the rules duals are empty: the cover cut and the contract rows are no rules."""
    document = dict(THREE_OFFERS)
    document["supply"] = [r for r in THREE_OFFERS["supply"] if r["country"] != "CAN"] + [
        {"mineral": "li", "stage": "refining", "country": "CAN", "capacity": 50, "price": 12}
    ]
    plan = sourcing.solve(document)
    assert plan.objective == 30 * 10 + 30 * 11 + 40 * 12 + 2 * 100
    assert len(plan.duals["rules"]) == 0
