"""Every example plan passes an independent check (``tests/checker.py``), and the check is not
vacuous: it rejects plans that break a rule, the yields, a capacity or the cost.

The checker recomputes feasibility and cost from ``plan.flows`` and the instance's own tables,
without the engine's model builder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import sourcing
from tests.checker import check_plan
from tests.conftest import INSTANCES

EXAMPLES = INSTANCES / "examples"


def _expected(folder: Path) -> dict:
    return json.loads((folder / "expected.json").read_text(encoding="utf-8"))


SOLVED = sorted(
    p.name
    for p in EXAMPLES.iterdir()
    if p.is_dir() and _expected(p)["termination_condition"] == "optimal"
)
#: rules that set a price (their money), not a limit a plan can break
PRICE_RULES = {"price_floor", "reference_tariff"}
WITH_RULES = [
    c
    for c in SOLVED
    if {r.rule for r in sourcing.load_model(EXAMPLES / c / "model.yaml").rules} - PRICE_RULES
]
PRICED = [
    c
    for c in SOLVED
    if (rules := {r.rule for r in sourcing.load_model(EXAMPLES / c / "model.yaml").rules})
    and rules <= PRICE_RULES
]


def _case(case: str) -> tuple[sourcing.Instance, list, sourcing.Plan, float]:
    folder = EXAMPLES / case
    instance = sourcing.load_instance(folder)
    model = sourcing.load_model(folder / "model.yaml")
    plan = sourcing.solve(folder, folder / "model.yaml")
    return (
        instance,
        list(model.rules) + list(instance.rules),
        plan,
        getattr(model.objective, "risk_weight", 0.0),
    )


@pytest.mark.parametrize("case", SOLVED)
def test_plan_passes_independent_check(case: str):
    instance, rules, plan, risk_weight = _case(case)
    check = check_plan(instance, rules, plan, risk_weight=risk_weight)
    assert check.problems == []
    assert check.costs["total"] == pytest.approx(_expected(EXAMPLES / case)["objective"], rel=1e-6)


@pytest.mark.parametrize("case", WITH_RULES)
def test_checker_rejects_the_unconstrained_plan(case: str):
    """Solved without its rules, each rule case breaks its rule, and the checker says which."""
    folder = EXAMPLES / case
    instance = sourcing.load_instance(folder)
    model = sourcing.load_model(folder / "model.yaml")
    free = sourcing.solve(folder, model.model_copy(update={"rules": []}))
    assert check_plan(instance, [], free).problems == []  # a valid plan without the rules
    problems = check_plan(instance, list(model.rules), free).problems
    names = {rule.name or rule.rule for rule in model.rules}
    assert problems and all(p.split()[0].rstrip(":") in names for p in problems), problems


@pytest.mark.parametrize("case", PRICED)
def test_checker_prices_the_plan_solved_without_its_price_rules(case: str):
    """A price rule (a floor, a reference tariff) limits nothing a plan can break: solved
    without it, each price case keeps its plan (the README says why), but its cost then lacks the
    rule's money, and the checker, recomputing it, finds the README's optimum, not the plan's."""
    folder = EXAMPLES / case
    instance = sourcing.load_instance(folder)
    model = sourcing.load_model(folder / "model.yaml")
    free = sourcing.solve(folder, model.model_copy(update={"rules": []}))
    check = check_plan(instance, list(model.rules), free)
    assert check.costs["total"] == pytest.approx(_expected(folder)["objective"], rel=1e-6)
    assert any(p.startswith("total cost: recomputed") for p in check.problems), check.problems


def _tampered(case: str, edit) -> list[str]:
    instance, rules, plan, _ = _case(case)
    plan.flows = edit(plan.flows.copy())
    return check_plan(instance, rules, plan).problems


def test_checker_catches_broken_conservation():
    """Ten tonnes of Chilean ore vanish between the mine and the refinery."""

    def edit(flows: pd.DataFrame) -> pd.DataFrame:
        chile = (flows["stage"] == "mining") & (flows["from_country"] == "CHL")
        flows.loc[chile, "quantity"] -= 10
        return flows

    problems = _tampered("least-cost-two-stage", edit)
    assert any("yield 0.5" in p for p in problems), problems
    assert any("total cost" in p for p in problems), problems


def test_checker_catches_a_capacity_breach_and_a_closed_lane():
    """Chile mines 60 t (capacity 50) and ships 10 t straight to the plant (no such lane)."""

    def edit(flows: pd.DataFrame) -> pd.DataFrame:
        extra = flows[(flows["stage"] == "mining") & (flows["from_country"] == "CHL")].copy()
        extra["to_country"] = "AUS"
        extra["quantity"] = 10.0
        return pd.concat([flows, extra], ignore_index=True)

    problems = _tampered("least-cost-two-stage", edit)
    assert any("above its capacity 50" in p for p in problems), problems
    assert any("lane is closed" in p for p in problems), problems


def test_checker_catches_an_excluded_supplier():
    """Korea's refining is relabelled as Chinese: the FEOC exclusion is broken."""

    def edit(flows: pd.DataFrame) -> pd.DataFrame:
        flows.loc[
            (flows["stage"] == "refining") & (flows["from_country"] == "KOR"), "from_country"
        ] = "CHN"
        return flows

    problems = _tampered("exclude", edit)
    assert any(p.startswith("exclude: CHN supplies 60") for p in problems), problems


def test_checker_catches_a_wrong_objective():
    instance, rules, plan, _ = _case("fixed-costs")
    plan.objective += 1.0
    problems = check_plan(instance, rules, plan).problems
    assert problems == [f"total cost: recomputed 1690.000000, the plan says {plan.objective}"]


def test_checker_catches_unreported_shortfall():
    """Half the Australian delivery disappears but the plan's shortfall still says 50 t."""

    def edit(flows: pd.DataFrame) -> pd.DataFrame:
        flows["quantity"] = flows["quantity"] / 2
        return flows

    problems = _tampered("soft-demand", edit)
    assert any("short 75, the plan reports 50" in p for p in problems), problems


def test_checker_catches_stock_drawn_that_was_never_built():
    """stockpile-ban with China's 2026 delivery cut from 180 t to its 100 t of demand: nothing
    goes into stock in 2026 (closing 0, not the plan's 80), so the 80 t drawn in 2027 leave a
    closing stock of 0 + 20 − 100 = −80 < 0; and the purchase no longer adds up to the cost."""

    def edit(flows: pd.DataFrame) -> pd.DataFrame:
        flows.loc[flows["from_country"] == "CHN", "quantity"] = 100.0
        return flows

    problems = _tampered("stockpile-ban", edit)
    assert any("stock of ga at buyer in 2026: closing 0" in p for p in problems), problems
    assert any("in 2027: closing -80 < 0" in p for p in problems), problems
