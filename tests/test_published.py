"""Published optima: Dantzig's transportation problem and OR-Library capacitated warehouse location.

Dantzig (1963), *Linear Programming and Extensions*, ch. 3, as in the GAMS model library
(`trnsport`): optimal cost 153.675 (thousand USD) and demand marginals 0.225 (New York),
0.153 (Chicago), 0.126 (Topeka). The shipment plan has alternative optima (Seattle and San Diego
are equally far from New York), so only the cost and the prices are asserted.

OR-Library (Beasley 1988, files capopt/uncapopt): cap41 1040444.375 with capacities and
932615.75 without; cap91 796648.438 (capacities do not bind, so both agree). These go through the
MIP path: one binary per warehouse with the strong per-lane linking rows.
"""

from __future__ import annotations

import pytest

import sourcing
from tests.conftest import INSTANCES

ORLIB = INSTANCES / "orlib"


def test_dantzig_transport_cost_and_prices():
    plan = sourcing.solve(INSTANCES / "dantzig-transport")
    assert plan.termination_condition.value == "optimal"
    assert plan.objective == pytest.approx(153.675, rel=1e-9)
    marginal = plan.duals["demand"].set_index("site")["marginal_cost"]
    assert marginal["new-york"] == pytest.approx(0.225)
    assert marginal["chicago"] == pytest.approx(0.153)
    assert marginal["topeka"] == pytest.approx(0.126)
    shipped = plan.flows.groupby("site")["quantity"].sum()
    assert shipped.to_dict() == pytest.approx({"new-york": 325, "chicago": 300, "topeka": 275})


@pytest.mark.parametrize(
    "name,published",
    [
        ("cap41", 1040444.375),
        ("cap41-uncap", 932615.75),
        ("cap91", 796648.438),
        ("cap91-uncap", 796648.4375),
        # Beasley's capopt values (computed here with scipy's milp on the same CSVs as a check,
        # see instances/orlib/README.md)
        ("cap61", 932615.75),
        ("cap62", 977799.4),
        ("cap63", 1014062.05),
        ("cap64", 1045650.25),
        ("cap82", 910889.5625),
        ("cap124", 946051.325),
        ("cap131", 793439.5625),
        ("cap133", 893076.7125),
    ],
)
def test_orlib_published_optimum(name, published):
    plan = sourcing.solve(ORLIB / name)
    assert plan.termination_condition.value == "optimal"
    assert plan.solution_status.value == "optimal"
    assert plan.objective == pytest.approx(published, rel=1e-8)
    assert plan.gap == pytest.approx(0.0, abs=1e-4)
    assert plan.costs["fixed"] + plan.costs["transport"] == pytest.approx(plan.objective, rel=1e-12)


def test_a_plan_within_a_loose_gap_is_feasible_not_optimal():
    """With --rel-gap 0.5 HiGHS stops at the first plan within 50% of its bound (cap124: about
    4% above the 946051.325 optimum): the plan says 'feasible' and reports bound and gap."""
    plan = sourcing.solve(ORLIB / "cap124", rel_gap=0.5, threads=1)
    assert plan.termination_condition.value == "optimal"  # the stopping criterion was met
    assert plan.solution_status.value == "feasible"  # but the plan is not proven optimal
    assert 0 < plan.gap <= 0.5
    assert plan.bound <= 946051.325 + 1e-6 <= plan.objective
