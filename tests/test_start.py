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
