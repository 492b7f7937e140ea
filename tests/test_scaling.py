"""Numbers within the documented limits solve, in any unit, to the same plan (issue 16, items 6,
13 and 18).

The engine hands HiGHS the model in units it chooses (:mod:`sourcing.solver.scaling`) and reads the
answer back in the planner's. These tests are metamorphic: the same instance with every price
×1e6, or in kilograms instead of tonnes, or at the price limit of 1e12, must give the same plan
at the cost the unit change predicts; and the index of expected optima must check every MIP
within its gap or against its proven optimum.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import sourcing
from sourcing import bench
from sourcing.data.convert import write_instance
from sourcing.data.io import load_instance, load_model
from sourcing.data.schema import LARGEST, ModelSpec
from sourcing.data.units import change_model_units, change_units
from sourcing.errors import InputError
from sourcing.model.build import build
from sourcing.model.index import index_instance
from sourcing.solver.scaling import scaled_model
from tests.checker import check_plan
from tests.conftest import DEMO, INSTANCES

SOURCING = [sys.executable, "-m", "sourcing.cli"]
EXAMPLES = INSTANCES / "examples"


def _example(name: str) -> tuple:
    return EXAMPLES / name, EXAMPLES / name / "model.yaml"


#: (instance, model): LPs and MIPs, with value shares, penalties, fixed costs, supplier counts
CASES = [
    (DEMO, "least-cost"),
    (DEMO, "eu-crma"),
    (DEMO, "partner-share"),
    (DEMO, "resilient"),
    (INSTANCES / "dantzig-transport", "least-cost"),
    _example("least-cost-two-stage"),
    _example("soft-demand"),
    _example("group-share-value-chain"),
    _example("fixed-costs"),
    _example("min-suppliers"),
    _example("top-share"),
    _example("periods"),
]
IDS = [f"{folder.name}-{getattr(model, 'stem', model)}" for folder, model in CASES]


def _solve(instance, model, quantity: float = 1.0, money: float = 1.0) -> sourcing.Plan:
    """The plan of ``instance`` in other units; a MIP to its proven optimum (rel_gap 0), so two
    unit systems are compared at the same optimum and not at two plans within the gap."""
    loaded = change_units(load_instance(instance), quantity, money)
    spec = change_model_units(load_model(model), quantity, money)
    lp, _ = build(index_instance(loaded), spec)
    return sourcing.solve(loaded, spec, rel_gap=0.0 if lp.is_mip else None)


def _flows(plan: sourcing.Plan) -> pd.Series:
    key = [c for c in ("mineral", "period", "stage", "from_country", "to_country", "site")]
    key = [c for c in key if c in plan.flows]
    frame = plan.flows.assign(site=plan.flows["site"].fillna("-"))
    return frame.set_index(key)["quantity"].sort_index()


def _assert_same_plan(plan, base, quantity: float = 1.0, money: float = 1.0) -> None:
    """``plan`` is ``base`` in other units: its cost ×money, every component too, and every flow
    ×quantity. A MIP may have several optimal plans (the same cost, other suppliers): for a MIP
    the flows are left to the independent checker."""
    assert plan.solution_status == base.solution_status == sourcing.SolutionStatus.optimal
    assert plan.objective == pytest.approx(base.objective * money, rel=1e-9)
    assert plan.costs["total"] == pytest.approx(base.costs["total"] * money, rel=1e-9)
    if plan.stats["integer_variables"]:
        return
    for component, value in base.costs.items():
        assert plan.costs[component] == pytest.approx(value * money, rel=1e-9, abs=1e-9 * money)
    flows, expected = _flows(plan), _flows(base) * quantity
    assert list(flows.index) == list(expected.index)
    np.testing.assert_allclose(flows.to_numpy(), expected.to_numpy(), rtol=1e-9)


def _assert_valid(plan, instance, model, quantity: float = 1.0, money: float = 1.0) -> None:
    """The independent checker accepts ``plan`` of ``instance`` in the changed units, with its
    tolerance changed alike."""
    loaded = change_units(load_instance(instance), quantity, money)
    spec = change_model_units(load_model(model), quantity, money)
    rules = list(spec.rules) + list(loaded.rules)
    check = check_plan(loaded, rules, plan, tol=1e-6 * max(quantity, 1.0))
    assert check.problems == []


@pytest.mark.parametrize("instance, model", CASES, ids=IDS)
def test_prices_a_million_times_higher_give_the_same_plan_at_a_million_times_the_cost(
    instance, model
):
    """Every sum of money ×1e6 (prices, transport, tariffs per unit, penalties, fixed costs):
    the same flows, every cost component ×1e6. A currency change moves no tonne."""
    plan = _solve(instance, model, money=1e6)
    _assert_same_plan(plan, _solve(instance, model), money=1e6)
    _assert_valid(plan, instance, model, money=1e6)


@pytest.mark.parametrize("instance, model", CASES, ids=IDS)
def test_kilograms_give_the_same_plan_in_kilograms(instance, model):
    """Every quantity ×1000 and every price per unit /1000 (t -> kg): the same cost, every flow
    ×1000."""
    plan = _solve(instance, model, quantity=1e3)
    _assert_same_plan(plan, _solve(instance, model), quantity=1e3)
    _assert_valid(plan, instance, model, quantity=1e3)


@pytest.mark.parametrize("quantity, money", [(1e3, 1e-3), (1e9, 1e3), (1e-3, 1e-6)], ids=str)
def test_duals_come_back_in_the_planners_units(quantity, money):
    """battery-demo under eu-crma (an LP) in kg and k$, in mg and k$, in kt and M$ (every unit
    change that makes the engine scale the costs, the quantities or both): a demand row's
    marginal cost is money per unit of quantity, so ×money/quantity; so are a cap's price (its
    rows count quantities) and a capacity's value."""
    base = _solve(DEMO, "eu-crma")
    changed = _solve(DEMO, "eu-crma", quantity=quantity, money=money)
    for table, column in (("demand", "marginal_cost"), ("capacity", "value"), ("rules", "price")):
        got = changed.duals[table][column].to_numpy()
        want = base.duals[table][column].to_numpy() * money / quantity
        assert len(got) == len(want) > 0, table
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12 * money / quantity)
    assert base.duals["demand"]["marginal_cost"].abs().max() > 1000  # not a vacuous check


# -- item 13: numbers at the documented limit ---------------------------------------------------


def _demo_at_price(price: float) -> sourcing.Instance:
    document = load_instance(DEMO).model_dump()
    for row in document["supply"]:
        row["price"] = price
    return sourcing.Instance.model_validate(document)


def _volume(instance: sourcing.Instance) -> float:
    """Tonnes bought over both stages: each mineral's demand refined, and mined through the
    refining yield (battery-demo: lithium 700 + 700, graphite 300 + 300/0.6, cobalt 180 + 180)."""
    yields = {(r["mineral"], r["stage"]): r["yield"] for r in instance.yields}
    return sum(
        r["quantity"] * (1 + 1 / yields.get((r["mineral"], "refining"), 1.0))
        for r in instance.demand
    )


@pytest.mark.parametrize("model", ["least-cost", "eu-crma", "resilient"])
def test_battery_demo_at_the_price_limit_costs_the_limit_times_the_volume_plus_the_least_transport(
    model,
):
    """Every price of battery-demo at 1e12 (the documented limit). All prices equal, so buying
    and processing cost 1e12 × the volume, whoever supplies; the rules count quantities, so the
    plan is the one that pays no tariff (25% of 1e12 per tonne dwarfs any freight) with the
    least freight (150 per border crossed). That plan is also optimal at a price of 1e6 (a
    tariff then costs at least 250,000 per tonne, a freight saving at most 300), so

        objective(1e12) = 1e12 × volume + transport of the plan at 1e6

    to the last unit of money (a resolution of 0.5 at 2.6e15). Before the scaling HiGHS
    stopped with "excessive dual values" and no plan."""
    at_limit, moderate = _demo_at_price(LARGEST), _demo_at_price(1e6)
    gap = 0.0 if model == "resilient" else None  # a MIP: its proven optimum
    plan = sourcing.solve(at_limit, model, rel_gap=gap)
    reference = sourcing.solve(moderate, model, rel_gap=gap)
    volume = _volume(at_limit)
    assert volume == 2560
    assert plan.solution_status == sourcing.SolutionStatus.optimal
    assert plan.costs["purchase"] + plan.costs["processing"] == LARGEST * volume
    assert plan.costs["tariffs"] == reference.costs["tariffs"] == 0.0
    assert plan.costs["transport"] == pytest.approx(reference.costs["transport"], abs=1e-6)
    assert plan.objective == pytest.approx(LARGEST * volume + reference.costs["transport"], abs=1)
    assert plan.duals or model == "resilient"


def test_a_tariff_nobody_pays_changes_nothing_even_at_the_limits():
    """battery-demo at prices of 1e12, freight 10 per tonne between countries, and its tariff
    rates raised from 25% and 93.5% to 100 (10,000%, the limit): the least-cost plan paid no
    tariff before, so it is the same plan, to the last unit of freight, though the largest cost
    per tonne is now 1e14. With the objective scaled to at most 1e6 instead of 1e8, freight fell
    below the solver's tolerance and this plan paid more of it than it had to."""
    cheap_freight = _demo_at_price(LARGEST).model_dump() | {"transport_default": 10.0}
    raised = copy.deepcopy(cheap_freight)
    for row in raised["tariffs"]:
        row["rate"] = 100.0
    plans = [sourcing.solve(d, "least-cost") for d in (cheap_freight, raised)]
    assert plans[0].costs["tariffs"] == plans[1].costs["tariffs"] == 0.0
    assert plans[1].costs["transport"] == plans[0].costs["transport"] > 0
    assert plans[1].objective == plans[0].objective


def test_battery_demo_at_the_price_limit_is_valid_and_solves_on_the_command_line(tmp_path):
    """The issue's reproduction: `validate` said valid, `solve` exited 1 with nothing on
    stderr. Now: valid, exit 0, a plan, nothing on stderr; and under partner-share (a value
    share: at equal prices a quantity share that graphite cannot reach from FTA countries) a
    clear infeasibility, exit 3, at 1e12 as at 1e3."""
    folder = tmp_path / "battery-demo-1e12"
    write_instance(_demo_at_price(LARGEST), folder)
    done = subprocess.run([*SOURCING, "validate", str(folder)], capture_output=True, text=True)
    assert done.returncode == 0 and "valid" in done.stdout, done.stderr
    done = subprocess.run(
        [*SOURCING, "solve", str(folder), "-m", "eu-crma", "-f", "json", "-q"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and done.stderr == ""
    plan = json.loads(done.stdout)
    assert plan["solution_status"] == "optimal"
    assert plan["objective"] == pytest.approx(LARGEST * 2560 + 204_000, abs=1)
    for price in (LARGEST, 1e3):
        infeasible = sourcing.solve(_demo_at_price(price), "partner-share")
        assert infeasible.termination_condition == sourcing.TerminationCondition.infeasible
        assert "graphite" in infeasible.infeasibility["summary"]


def test_a_solver_error_is_reported_on_stderr_never_a_silent_exit_1(monkeypatch, capsys):
    """Whatever HiGHS answers, the command says it: a solver error exits 1 (a bug to report)
    with HiGHS's own status on stderr, not with an empty stderr."""
    from sourcing import api, cli
    from sourcing.solver import RawSolution, SolutionStatus, TerminationCondition

    def failing(lp, options=None, **_):
        return RawSolution(
            TerminationCondition.error, SolutionStatus.no_solution, lp.is_mip, message="Solve error"
        )

    monkeypatch.setattr(api, "solve_with_start", failing)  # where the API hands over the LP
    monkeypatch.setattr(sys, "argv", ["sourcing", "solve", str(DEMO), "-q"])
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert done.value.code == 1
    stderr = capsys.readouterr().err
    assert "HiGHS stopped without a plan (Solve error; termination: error)" in stderr
    assert "--log" in stderr


def test_a_tariff_rate_above_100_is_refused_naming_its_row(tmp_path):
    """A rate is a fraction of the price; 1e12 was accepted (it is a "quantity") and, on prices
    of 1e12, made a 1e24 cost per tonne next to which HiGHS lost every other cost: least-cost
    came out five times its optimum. Rates are now at most 100 (10,000%)."""
    document = load_instance(DEMO).model_dump()
    document["tariffs"][1]["rate"] = 1e12
    path = tmp_path / "rate.json"
    path.write_text(json.dumps(document))
    done = subprocess.run([*SOURCING, "validate", str(path)], capture_output=True, text=True)
    assert done.returncode == 2
    assert "tariffs, row 2, field 'rate': must be at most 100" in done.stderr


def _chain(yields: list[float], demand: float) -> dict:
    """One mineral mined, refined and made into cathode in four countries, with the given
    yields of refining and cathode, and a demand at a US plant."""
    stages = ["mining", "refining", "cathode"]
    countries = {"AUS": "FTA", "CHL": "FTA", "CAN": "FTA", "USA": "US"}
    prices = {"mining": 40, "refining": 100, "cathode": 300}
    return {
        "name": "chain",
        "stages": stages,
        "transport_default": 15,
        "minerals": [{"mineral": "li"}],
        "countries": [{"country": c, "groups": g} for c, g in countries.items()],
        "sites": [{"site": "plant", "country": "USA"}],
        "supply": [
            {"mineral": "li", "stage": s, "country": c, "price": prices[s] + 5 * k}
            for s in stages
            for k, c in enumerate(countries)
        ],
        "yields": [
            {"mineral": "li", "stage": s, "yield": y}
            for s, y in zip(stages[1:], yields, strict=True)
        ],
        "demand": [{"mineral": "li", "site": "plant", "quantity": demand}],
    }


#: at most 50% per country and stage, at least two countries of 10% each (binaries), the top
#: two at most 80%: the rules of the bundled resilient model but its exclusion of FEOC countries
DIVERSE = {
    "name": "diverse",
    "rules": [
        {"rule": "max_country_share", "share": 0.5},
        {"rule": "min_suppliers", "count": 2, "min_share": 0.1},
        {"rule": "top_share", "k": 2, "share": 0.8},
    ],
}


@pytest.mark.parametrize("yields", [[1e-6, 1e-6], [1e6, 1e6], [1e-6, 1e6]], ids=str)
def test_a_chain_of_extreme_yields_solves_at_any_demand(yields):
    """Yields at the ends of their range, chained: mining needs 1e12 (or 1e-12) times the
    demand. Under caps, supplier counts and a top-two share (a MIP) the optimum per tonne is the
    same from 1e-6 to 1e6 t of demand; with one scale for the model the cap rows of the small
    stage sat at the solver's tolerance, and eu-crma stopped with a solver error or resilient
    called such chains infeasible."""
    costs = []
    for demand in (1e-6, 1.0, 1e6):
        plan = sourcing.solve(_chain(yields, demand), DIVERSE, rel_gap=0.0)
        assert plan.solution_status == sourcing.SolutionStatus.optimal, plan.infeasibility
        costs.append(plan.objective / demand)
    assert costs == pytest.approx([costs[1]] * 3, rel=1e-9)


def test_yields_multiplying_beyond_1e24_are_refused_naming_the_row(tmp_path):
    """Six stages behind five yields of 1e-6: the first stage would need 1e30 times the demand.
    Such a need overflowed to infinity on longer chains, and HiGHS never returned; validate now
    refuses the yield at which the product leaves [1e-24, 1e24] (the fifth: 1e-30)."""
    document = _chain([1e-6, 1e-6], 1.0)
    extra = ["precursor", "cell", "pack"]
    document["stages"] += extra
    document["supply"] += [
        {"mineral": "li", "stage": s, "country": "USA", "price": 500} for s in extra
    ]
    document["yields"] += [{"mineral": "li", "stage": s, "yield": 1e-6} for s in extra]
    with pytest.raises(InputError) as raised:
        load_instance(document)
    (problem,) = raised.value.problems
    assert (problem.table, problem.row, problem.field) == ("yields", 5, "yield")
    assert "multiply to 1e-30 up to stage 'pack'" in problem.message
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(document))
    done = subprocess.run([*SOURCING, "validate", str(path)], capture_output=True, text=True)
    assert done.returncode == 2 and "yields, row 5, field 'yield'" in done.stderr


@pytest.mark.parametrize("factor", [1e-12, 1e9])
def test_the_demo_at_1e_minus_12_or_1e9_tonnes_is_the_demo_plan_scaled(factor):
    """Every quantity and every sum of money of battery-demo ×1e-12 (the demo counted in
    teratonnes and tera-dollars) or ×1e9 (in milligrams and nano-dollars: capacities up to
    1e12, the limit), prices per unit unchanged: the same flows scaled, every cost scaled, the
    same shares, nothing unmet. Before, flows below 1e-7 were dropped from the plan as noise:
    at ×1e-12 it listed no flow and no share at all."""
    base = _solve(DEMO, "eu-crma")
    plan = _solve(DEMO, "eu-crma", quantity=factor, money=factor)
    _assert_same_plan(plan, base, quantity=factor, money=factor)
    assert len(plan.flows) == len(base.flows) > 0
    np.testing.assert_allclose(plan.shares["share"], base.shares["share"], rtol=1e-9)
    assert plan.shortfall.empty


def test_a_small_mineral_next_to_a_huge_one_is_sourced_as_if_alone():
    """Cobalt at 180 t next to lithium at 7e11 t (a spread of 4e9): cobalt's plan is its plan
    alone. With one scale for the whole model, cobalt's tonnes would sit at the solver's
    tolerance of lithium's."""
    document = load_instance(DEMO).model_dump()
    for row in document["supply"] + document["demand"]:
        if row["mineral"] == "lithium":
            for key in ("capacity", "quantity"):
                if row.get(key) is not None:
                    row[key] *= 1e9
    together = sourcing.solve(sourcing.Instance.model_validate(document), "eu-crma")
    alone = sourcing.solve(DEMO, "eu-crma")
    cobalt = _flows(together).loc["cobalt"]
    np.testing.assert_allclose(cobalt.to_numpy(), _flows(alone).loc["cobalt"].to_numpy())


# -- item 18: units irrelevant to the solver ----------------------------------------------------


def test_usgs_in_kilograms_hands_highs_the_same_numbers_as_in_tonnes():
    """usgs-2024 under resilient (a MIP of 737 binaries) in kg took 9.4 s against 0.9 s in t:
    the solver saw every quantity ×1000 and stopped elsewhere within the gap. Now each variable
    is handed over in units of its own size, by a power of ten, so HiGHS receives the same costs,
    bounds and matrix (to the rounding of the decimal input) and follows the same path; the
    optima agree to the unit change. (benchmarks/units.py measures the times.)"""
    tonnes = load_instance(INSTANCES / "usgs-2024")
    kilograms = change_units(tonnes, 1e3)
    spec = load_model("resilient")
    handed = [scaled_model(build(index_instance(i), spec)[0]) for i in (tonnes, kilograms)]
    for name in ("cost", "lower", "upper", "row_lower", "row_upper", "values"):
        np.testing.assert_allclose(
            getattr(handed[1], name), getattr(handed[0], name), rtol=1e-12, err_msg=name
        )
    np.testing.assert_array_equal(handed[1].index, handed[0].index)
    assert not handed[0].scaling.is_identity  # usgs's sizes run past 1e6 t: it is scaled
    plans = [sourcing.solve(i, spec) for i in (tonnes, kilograms)]
    assert plans[1].objective == pytest.approx(plans[0].objective, rel=1e-12)


def test_an_ordinary_instance_is_handed_over_unchanged():
    """battery-demo's quantities and costs lie within [1, 1e6]: HiGHS receives exactly the
    numbers of the model, so every recorded optimum and plan stays what it was."""
    for model in ("eu-crma", "resilient"):
        lp, _ = build(index_instance(load_instance(DEMO)), load_model(model))
        handed = scaled_model(lp)
        assert handed.scaling.is_identity
        assert (handed.cost == lp.cost_vector()).all()


# -- item 6: MIP rows of the index -------------------------------------------------------------


def test_every_mip_row_of_the_index_is_checked_within_the_gap_or_against_its_proven_optimum():
    """instances/index.csv: a MIP is solved to a relative gap of 1e-4, so any plan within 1e-4 of
    the optimum is right; a MIP row with a tighter tolerance must record the optimum proven at
    rel-gap 0, be solved at rel_gap 0, and say so in its notes. ladder/lp-10k under resilient
    was recorded at 631,614.13094 with 1e-9, where the optimum is 631,586.50757."""
    assert bench.unproven_mip_rows(bench.read_index()) == []


def test_a_mip_row_with_an_lp_tolerance_is_named(tmp_path):
    """The check itself: lp-10k under resilient with tolerance 1e-9 at the default gap is named
    by row and column; with rel_gap 0 and the note it passes; an LP row never needs either."""
    index = tmp_path / "index.csv"
    index.write_text(
        "name,tier,model,expected_objective,tolerance,source,rel_gap,notes\n"
        "ladder/lp-10k,small,resilient,631614.13094,1e-9,recorded,,\n"
        "ladder/lp-10k,small,eu-crma,590650.40627,1e-9,recorded,,\n"
        f"battery-demo,small,resilient,15322500,1e-9,recorded,0,{bench.PROVEN}\n"
    )
    (problem,) = bench.unproven_mip_rows(bench.read_index(index), index)
    assert (problem.row, problem.field) == (2, "tolerance")
    assert "is a MIP" in problem.message


def test_is_mip_agrees_with_the_built_model_on_the_small_tier():
    """bench.is_mip tells a MIP from its data (rules counting suppliers, fixed costs, minimum
    quantities; the ladder and OR-Library generators) without building it, so the index check
    stays fast on the large tier; on the small tier it must agree with the model built."""
    for entry in bench.select(bench.read_index(), "small"):
        instance, spec = sourcing.load(
            bench.instance_folder(entry.name), bench.model_argument(entry.model)
        )
        lp, _ = build(index_instance(instance), spec)
        assert bench.is_mip(entry) == lp.is_mip, (entry.name, entry.model)


def test_lp_10k_under_resilient_is_recorded_at_its_proven_optimum():
    """The issue's example: solved at rel_gap 0 the engine proves 631,586.50757, which the index
    now records (the 631,614.13094 recorded before was a plan within the 1e-4 gap)."""
    (entry,) = [
        e for e in bench.read_index() if (e.name, e.model) == ("ladder/lp-10k", "resilient")
    ]
    assert entry.rel_gap == 0 and bench.PROVEN in entry.notes
    run = bench.run_entry(entry)
    assert run.ok, run.problem
    assert run.objective == pytest.approx(631_586.50757, rel=1e-9)


def test_an_index_rel_gap_of_one_or_more_is_refused(tmp_path):
    index = tmp_path / "index.csv"
    index.write_text(
        "name,tier,model,expected_objective,tolerance,source,rel_gap\n"
        "battery-demo,small,resilient,15322500,1e-9,recorded,1\n"
    )
    with pytest.raises(InputError) as raised:
        bench.read_index(index)
    assert [(p.row, p.field) for p in raised.value.problems] == [(2, "rel_gap")]


def test_change_units_keeps_ratios_and_names():
    """The unit change itself: yields, tariff rates and rules are ratios and stay; a model's
    risk weight is money per unit."""
    instance = load_instance(DEMO)
    changed = change_units(instance, 1e3, 1e-3, unit="kg", currency="kUSD")
    assert (changed.unit, changed.currency) == ("kg", "kUSD")
    assert changed.yields == instance.yields and changed.tariffs == instance.tariffs
    assert changed.supply[0]["price"] == pytest.approx(instance.supply[0]["price"] * 1e-6)
    assert changed.demand[0]["quantity"] == instance.demand[0]["quantity"] * 1e3
    risky = ModelSpec.model_validate({"objective": {"type": "cost_and_risk", "risk_weight": 5}})
    assert change_model_units(risky, 1e3, 1e-3).objective.risk_weight == pytest.approx(5e-6)
    assert change_model_units(load_model("eu-crma"), 1e3) == load_model("eu-crma")
