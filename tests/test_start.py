"""The starting plan handed to HiGHS for a MIP (sourcing.solver.start), worked on small cases.

A start may only speed the proof up: it must be a real plan (its cost at least the optimum,
binaries exactly 0 or 1) and the optimum found with it must equal the optimum without it.
"""

from __future__ import annotations

import numpy as np
import pytest

from sourcing.api import load
from sourcing.model.build import build
from sourcing.model.index import index_instance
from sourcing.solver import SolutionStatus, SolverOptions, solve_lp
from sourcing.solver.start import solve_with_start, starting_plan
from tests.conftest import INSTANCES
from tests.test_contracts import market


def built(instance, model=None):
    loaded, spec = load(instance, model)
    lp, _ = build(index_instance(loaded), spec)
    return lp


def test_rounding_up_the_relaxation_gives_the_optimum_of_the_three_supplier_market():
    """LP relaxation: w_o = q_o / 40, so each tonne costs 10 + 100/40 = 12.5 and the relaxation
    is 1,250 (two and a half contracts' worth). Rounding every touched contract up signs all
    three, and the flows left cost 1,000: the start is 1,300, the optimum itself."""
    lp = built(market())
    relaxed = solve_lp(lp, relax_integrality=True)
    assert relaxed.objective == pytest.approx(1250)
    start = starting_plan(lp, SolverOptions())
    assert start is not None and start.objective == pytest.approx(1300)
    binaries = start.x[np.flatnonzero(lp.integrality())]
    assert set(binaries.tolist()) == {1.0}


@pytest.mark.parametrize("example", ["fixed-costs", "min-suppliers", "max-suppliers"], ids=str)
def test_a_start_never_changes_the_optimum(example):
    folder = INSTANCES / "examples" / example
    lp = built(folder, folder / "model.yaml")
    without = solve_lp(lp, SolverOptions())
    with_start = solve_with_start(lp, SolverOptions())
    assert with_start.status is SolutionStatus.optimal
    assert with_start.objective == pytest.approx(without.objective, rel=1e-9)
    if with_start.start_objective is not None:
        assert with_start.start_objective >= without.objective - 1e-6


def test_a_contract_start_on_the_ladder_is_a_plan_at_or_above_the_optimum():
    """mip-10k under least-cost: one binary per mine contract. The rounded relaxation signs
    every contract the LP touches: a real plan, at or above the proven optimum (within the 1e-4
    gap at which HiGHS calls a plan optimal)."""
    from sourcing.bench import ladder

    lp = built(ladder.ensure("mip-10k"), "least-cost")
    start = starting_plan(lp, SolverOptions())
    assert start is not None
    proven = solve_with_start(lp, SolverOptions())
    assert proven.status is SolutionStatus.optimal
    assert proven.start_objective == pytest.approx(start.objective)
    assert start.objective >= proven.objective * (1 - 1e-4)


def test_repair_switches_on_the_most_promising_binaries_of_a_broken_count():
    """A count row w1 + w2 + w3 ≥ 2 after a rounding that kept only w3: the repair switches on
    w2 (w̄ = 0.7) before w1 (w̄ = 0.2), and stops once the row holds."""
    from sourcing.solver.start import _repair

    fractional = np.array([0.2, 0.7, 1.0])
    integer = np.array([10, 11, 12])
    rows = [(2.0, np.array([10, 11, 12]), np.ones(3))]
    repaired = _repair(np.array([0.0, 0.0, 1.0]), fractional, integer, rows)
    assert repaired.tolist() == [0.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "name,published", [("cap41-uncap", 932615.75), ("cap41", 1040444.375)], ids=str
)
def test_a_start_that_meets_the_relaxation_is_the_proven_optimum(name, published):
    """OR-Library cap41: with the lane linking rows (and, capacitated, the cover row) the LP
    relaxation is integral here, so the rounded start costs exactly the relaxation's bound: it is
    the published optimum (Beasley 1988), proven without branch and bound."""
    lp = built(INSTANCES / "orlib" / name)
    raw = solve_with_start(lp, SolverOptions())
    assert raw.status is SolutionStatus.optimal
    assert raw.objective == pytest.approx(published, rel=1e-9)
    assert raw.bound == pytest.approx(published, rel=1e-9) and raw.gap <= 1e-4
    assert "relaxation's bound" in raw.message
    binaries = raw.x[np.flatnonzero(lp.integrality())]
    assert set(np.unique(binaries)) <= {0.0, 1.0}


def thin_supplier_market() -> dict:
    """One stage, 100 t hard; A (100 t at 10), B (100 t at 11), C (4 t at 1), D (50 t at 30);
    at least three suppliers of 5% (5 t) each."""
    offers = (("A", 100, 10), ("B", 100, 11), ("C", 4, 1), ("D", 50, 30))
    return {
        "name": "thin-supplier",
        "stages": ["refining"],
        "minerals": [{"mineral": "li"}],
        "countries": [{"country": c} for c, _, _ in offers],
        "supply": [
            {"mineral": "li", "stage": "refining", "country": c, "capacity": q, "price": p}
            for c, q, p in offers
        ],
        "demand": [{"mineral": "li", "quantity": 100}],
    }


THREE_OF_FIVE = {"rules": [{"rule": "min_suppliers", "count": 3, "min_share": 0.05}]}


def test_a_supplier_whose_capacity_cannot_reach_the_share_is_never_switched_on():
    """The share row of C, q_C − 0.05 V − 5 z_C ≥ −5 with V = 100, needs q_C ≥ 5 when z_C = 1:
    C's 4 t cannot, so z_C cannot be on (cap_C = 4 < μ V̄ = 5); A, B and D can. The relaxation
    takes C's cheap 4 t and counts it as z̄_C = 4/5 = 0.8, with z̄_D = 0.2 from D's 1 t: every
    plain rounding that counts C (up, nearest, and down repaired by largest z̄) is infeasible.
    Left off, C still sells its 4 t, and the repair counts D: A 86 t, B 5 t, C 4 t, D 5 t,
    860 + 55 + 4 + 150 = 1,069, the optimum (three suppliers of 5 t must be A, B and D)."""
    from sourcing.solver.start import _can_be_on

    lp = built(thin_supplier_market(), THREE_OF_FIVE)
    relaxed = solve_lp(lp, relax_integrality=True)
    used = lp.variables["min_suppliers:used"].ids
    assert relaxed.x[used] == pytest.approx([1.0, 1.0, 0.8, 0.2])
    assert _can_be_on(lp, relaxed.x)[used].tolist() == [True, True, False, True]
    start = starting_plan(lp, SolverOptions())
    assert start is not None and start.objective == pytest.approx(1069)
    assert start.x[used].tolist() == [1.0, 1.0, 0.0, 1.0]
    assert solve_lp(lp, SolverOptions()).objective == pytest.approx(1069)


def test_a_count_cap_does_not_stop_its_binaries_from_being_on():
    """max_suppliers' count row Σ z ≤ k tightens with each z switched on, but the other binaries
    of the row are taken at their bound (0), not at their relaxed values: with at most 2
    suppliers over A..D every switch can still be on."""
    from sourcing.solver.start import _can_be_on

    lp = built(thin_supplier_market(), {"rules": [{"rule": "max_suppliers", "count": 2}]})
    relaxed = solve_lp(lp, relax_integrality=True)
    used = lp.variables["max_suppliers:used"].ids
    assert _can_be_on(lp, relaxed.x)[used].all()


def test_a_counted_supplier_gets_its_contract_signed():
    """With a fixed cost of 100 on every offer, each offer o has a contract w_o and the row
    contract_capacity[o]: q_o − U_o w_o ≤ 0. Counting o (z_o = 1) asks q_o ≥ 5 t, which w_o = 0
    holds at 0: switching z_o on needs w_o on, offer by offer, and nothing else."""
    from sourcing.solver.start import _needs

    market = thin_supplier_market()
    for offer in market["supply"]:
        offer["fixed_cost"] = 100
    lp = built(market, THREE_OF_FIVE)
    integer = np.flatnonzero(lp.integrality())
    needs, needed = _needs(lp, integer)
    used = lp.variables["min_suppliers:used"].ids
    contract = lp.variables["contract"].ids
    assert sorted(zip(integer[needs].tolist(), integer[needed].tolist(), strict=True)) == list(
        zip(used.tolist(), contract.tolist(), strict=True)
    )
