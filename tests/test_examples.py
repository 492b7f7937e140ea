"""The worked examples: tiny instances where one rule binds, solved by hand.

Each folder of ``instances/examples/`` holds an instance, the ``model.yaml`` applied to it, a
``README.md`` deriving the optimum by hand (the unconstrained plan first, then why the rule binds
and what the cheapest adjustment is) and ``expected.json`` with the hand-derived answer:

    objective               the optimal total cost (null when infeasible)
    termination_condition   "optimal" or "infeasible"
    supply                  every (mineral, [period,] stage, country) with a positive quantity;
                            the examples are designed so that these quantities are unique
    costs                   (optional) the cost by component, as in ``plan.costs``
    public                  (optional) money that is not the buyer's, as in ``plan.public``
    shortfall               (optional) demand left unmet, per mineral and site
    uncovered               (infeasible cases) what cannot be covered, per mineral and site
    unconstrained_objective (rule cases) the optimum without the model's rules: the rule binds
    stock                   (stockpile cases) the stock table, per site, mineral and period
    without_stockpiles_objective  (stockpile cases) the optimum without ``stockpiles.csv`` (null:
                            infeasible, a hard cover needs a stockpile)

Every case is its own test id: ``test_example[max-country-share]``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

import sourcing
from tests.conftest import INSTANCES

EXAMPLES = INSTANCES / "examples"
CASES = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())
ABS_TOL = 1e-6
REL_TOL = 1e-6


def folder(case: str) -> Path:
    return EXAMPLES / case


def expected(case: str) -> dict[str, Any]:
    return json.loads((folder(case) / "expected.json").read_text(encoding="utf-8"))


def ends(case: str, termination: str) -> bool:
    return expected(case)["termination_condition"] == termination


@functools.cache
def solved(case: str) -> sourcing.Plan:
    """The engine's plan for a case under its own model (solved once per session)."""
    return sourcing.solve(folder(case), folder(case) / "model.yaml")


def supplied(plan: sourcing.Plan) -> dict[tuple[str, str, str, str], float]:
    """(mineral, period, stage, country) -> quantity, from ``plan.shares`` ('' when no periods)."""
    shares = plan.shares
    periods = shares["period"] if "period" in shares else [""] * len(shares)
    return {
        (m, str(t), s, c): float(q)
        for m, t, s, c, q in zip(
            shares["mineral"],
            periods,
            shares["stage"],
            shares["country"],
            shares["quantity"],
            strict=True,
        )
    }


def by_key(rows: list[dict[str, Any]], key: tuple[str, ...], value: str) -> dict[tuple, float]:
    return {tuple(str(r.get(k, "")) for k in key): float(r[value]) for r in rows}


def test_every_example_is_complete():
    """Each case has its data, its model, its derivation and its answer."""
    assert len(CASES) >= 13
    for case in CASES:
        for name in ("instance.yaml", "model.yaml", "README.md", "expected.json"):
            assert (folder(case) / name).is_file(), f"{case}/{name} is missing"


@pytest.mark.parametrize("case", CASES)
def test_example(case: str):
    """The engine finds the plan derived by hand in the case's README."""
    want = expected(case)
    plan = solved(case)

    assert plan.termination_condition.value == want["termination_condition"]

    if want["objective"] is None:
        assert plan.objective is None
    else:
        assert plan.objective == pytest.approx(want["objective"], rel=REL_TOL)

    # who supplies how much at each stage: exactly the countries listed, nobody else
    want_supply = by_key(want["supply"], ("mineral", "period", "stage", "country"), "quantity")
    got_supply = supplied(plan) if plan.has_solution else {}
    assert set(got_supply) == set(want_supply), "a different set of suppliers"
    for key, quantity in want_supply.items():
        assert got_supply[key] == pytest.approx(quantity, abs=ABS_TOL), key


@pytest.mark.parametrize("case", [c for c in CASES if "costs" in expected(c)])
def test_cost_breakdown(case: str):
    """Each cost component adds up as in the README's arithmetic."""
    plan = solved(case)
    for component, amount in expected(case)["costs"].items():
        assert plan.costs[component] == pytest.approx(amount, rel=REL_TOL, abs=ABS_TOL), component


@pytest.mark.parametrize("case", [c for c in CASES if ends(c, "optimal")])
def test_shortfall(case: str):
    """Demand is met in full, except where a penalty makes leaving it unmet cheaper."""
    plan = solved(case)
    want = by_key(expected(case).get("shortfall", []), ("mineral", "period", "site"), "quantity")
    rows = plan.shortfall.to_dict("records")
    got = by_key(rows, ("mineral", "period", "site"), "shortfall")
    assert set(got) == set(want)
    for key, quantity in want.items():
        assert got[key] == pytest.approx(quantity, abs=ABS_TOL), key


@pytest.mark.parametrize("case", [c for c in CASES if ends(c, "infeasible")])
def test_uncovered(case: str):
    """An infeasible case explains, per mineral and site, how much demand cannot be covered."""
    plan = solved(case)
    assert not plan.has_solution
    assert plan.infeasibility is not None
    want = by_key(expected(case)["uncovered"], ("mineral", "site"), "quantity")
    got = by_key(plan.infeasibility["uncovered"], ("mineral", "site"), "short")
    assert set(got) == set(want)
    for key, quantity in want.items():
        assert got[key] == pytest.approx(quantity, abs=ABS_TOL), key


@pytest.mark.parametrize("case", [c for c in CASES if "unconstrained_objective" in expected(c)])
def test_rule_binds(case: str):
    """Without the model's rules the plan is the README's unconstrained one, strictly cheaper."""
    model = sourcing.load_model(folder(case) / "model.yaml")
    free = sourcing.solve(folder(case), model.model_copy(update={"rules": []}))
    want = expected(case)
    assert free.objective == pytest.approx(want["unconstrained_objective"], rel=REL_TOL)
    assert free.objective < want["objective"] - 1e-6


@pytest.mark.parametrize("case", [c for c in CASES if "public" in expected(c)])
def test_public_money(case: str):
    """Money that is not the buyer's (floor top-ups and clawbacks paid or received by the public,
    reference tariffs collected) is as the README derives it, and stays out of the objective."""
    plan = solved(case)
    want = expected(case)["public"]
    assert set(plan.public) == set(want)
    for component, amount in want.items():
        assert plan.public[component] == pytest.approx(amount, rel=REL_TOL, abs=ABS_TOL), component
    assert plan.objective == pytest.approx(plan.costs["total"], rel=REL_TOL)


@pytest.mark.parametrize("case", [c for c in CASES if "stock" in expected(c)])
def test_stock(case: str):
    """The stock table is the README's: opening, in, out and closing per period; and without
    the stockpiles the optimum is the README's dearer one (the stock is worth buying)."""
    plan = solved(case)
    want = expected(case)
    key = ("site", "mineral", "period")
    got = {tuple(str(r[k]) for k in key): r for r in plan.stock.to_dict("records")}
    assert set(got) == {tuple(str(r[k]) for k in key) for r in want["stock"]}
    for row in want["stock"]:
        mine = got[tuple(str(row[k]) for k in key)]
        for column in ("opening", "in", "out", "closing"):
            assert mine[column] == pytest.approx(row[column], abs=ABS_TOL), (row, column)
    bare = sourcing.load_instance(folder(case)).model_copy(update={"stockpiles": []})
    free = sourcing.solve(bare, folder(case) / "model.yaml")
    if want["without_stockpiles_objective"] is None:  # a hard cover needs a stockpile
        assert free.termination_condition.value == "infeasible"
        return
    assert free.objective == pytest.approx(want["without_stockpiles_objective"], rel=REL_TOL)
    assert plan.objective < free.objective


# -- a few cases told as worked examples -------------------------------------------------------


def test_yield_doubles_the_ore():
    """least-cost-two-stage: 40 t refined at yield 0.5 take 80 t of ore, Chile's 50 t first."""
    plan = solved("least-cost-two-stage")
    mining = plan.shares[plan.shares["stage"] == "mining"].set_index("country")["quantity"]
    assert mining.sum() == pytest.approx(40 / 0.5)
    assert mining["CHL"] == pytest.approx(50)  # cheapest landed ore, at capacity
    # 25 t refined by the route CHL→USA at 200/t, 15 t by AUS→USA at 210/t
    assert plan.objective == pytest.approx(25 * 200 + 15 * 210)


def test_exemption_lifts_the_cap():
    """max-country-share vs -exempt: exempting the EU lets Finland keep all the mining."""
    capped, exempt = solved("max-country-share"), solved("max-country-share-exempt")
    assert supplied(capped)[("co", "", "mining", "FIN")] == pytest.approx(65)
    assert supplied(exempt)[("co", "", "mining", "FIN")] == pytest.approx(100)
    # the 35 t FIN gets back cost 20 instead of AUS's 30
    assert capped.objective - exempt.objective == pytest.approx(35 * (30 - 20))


def test_value_share_is_exactly_sixty_percent():
    """group-share-value-chain: FTA value 2400 of 4000 at the optimum (the rule is tight)."""
    shares = solved("group-share-value-chain").shares
    fta = shares[shares["country"].isin(["AUS", "USA"])]["value"].sum()
    assert fta == pytest.approx(2400)
    assert fta / shares["value"].sum() == pytest.approx(0.6)


def test_tariff_keeps_china_out():
    """soft-demand: CHN lands at 30 + 10 + (0.25 × 30 + 5) = 52.5 > penalty 50, so 50 t go short."""
    plan = solved("soft-demand")
    assert set(plan.shares["country"]) == {"AUS"}
    assert plan.shortfall["shortfall"].sum() == pytest.approx(50)
    assert plan.costs["shortfall"] == pytest.approx(50 * 50)
