"""The cost-of-security frontier: a share rule tightened point by point on one built model.

The worked example ``THREE``: one stage, 100 t for a buyer at the supplier's door, three
unlimited suppliers A (10/t), B (20/t), C (30/t). With every country capped at a share σ:

* σ ≥ 1/2: A takes σ·100, B the rest (its share 1 − σ ≤ σ): cost(σ) = 100 (20 − 10σ);
  HHI = 10⁴ (σ² + (1 − σ)²); loosening by one point saves 100 × 10 / 100 = 10.
* 1/3 ≤ σ < 1/2: A and B take σ·100 each, C the rest: cost(σ) = 100 (30 − 30σ);
  HHI = 10⁴ (2σ² + (1 − 2σ)²); one point saves 30.
* σ < 1/3: three countries cannot cover 100%: infeasible.

Breakpoints at σ = 1/2 (the slope goes from 10 to 30 per point) and σ = 1/3 (infeasible below).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sourcing
from sourcing.analysis import frontier
from sourcing.errors import InputError
from tests.conftest import DEMO, INSTANCES
from tests.test_properties import instances

THREE = {
    "name": "three-suppliers",
    "stages": ["mining"],
    "minerals": [{"mineral": "ore"}],
    "countries": [{"country": c} for c in ("A", "B", "C")],
    "supply": [
        {"mineral": "ore", "stage": "mining", "country": c, "price": p}
        for c, p in (("A", 10), ("B", 20), ("C", 30))
    ],
    "demand": [{"mineral": "ore", "quantity": 100}],
}


def expected(share: float) -> tuple[float, float, float] | None:
    """(cost, HHI, shadow price per point) from the derivation above; None if infeasible."""
    if share >= 0.5:
        return 100 * (20 - 10 * share), 1e4 * (share**2 + (1 - share) ** 2), 10.0
    if share >= 1 / 3:
        return 100 * (30 - 30 * share), 1e4 * (2 * share**2 + (1 - 2 * share) ** 2), 30.0
    return None


def test_the_frontier_follows_the_hand_derived_curve():
    table = frontier(THREE, start=0.95, stop=0.25, points=8)
    assert table["share"].tolist() == pytest.approx(
        [0.95, 0.85, 0.75, 0.65, 0.55, 0.45, 0.35, 0.25]
    )
    for row in table.itertuples():
        want = expected(row.share)
        if want is None:
            assert row.status == "infeasible" and np.isnan(row.cost)
            continue
        cost, hhi, price = want
        assert row.status == "optimal"
        assert row.cost == pytest.approx(cost)
        assert row.hhi == pytest.approx(hhi) and row.hhi_mean == pytest.approx(hhi)
        assert row.max_share == pytest.approx(row.share)
        assert row.shadow_price == pytest.approx(price)
        assert row.change == pytest.approx(cost - 1050)
    assert table["cost"].tolist()[:7] == pytest.approx([1050, 1150, 1250, 1350, 1450, 1650, 1950])
    assert table.attrs["rule"] == "max_country_share"
    assert table.attrs["resolves"] == 7  # one build, one cold solve, seven warm re-solves


def test_the_breakpoint_at_one_half():
    """Both pieces give 1500 at σ = 1/2; the slope between grid points changes from 10 to 30 per
    point on either side of it."""
    table = frontier(THREE, start=0.6, stop=0.4, points=5)
    assert table["cost"].tolist() == pytest.approx([1400, 1450, 1500, 1650, 1800])
    slopes = np.diff(table["cost"]) / 5  # each step tightens the cap by 5 points
    assert slopes.tolist() == pytest.approx([10, 10, 30, 30])


def test_a_named_rule_of_a_model_is_swept():
    """eu-crma's crma_single_country_cap on battery-demo: at 100% nothing binds (the least-cost
    plan, 13,655,500) and at 65% it is the published eu-crma plan (13,809,525, README)."""
    table = frontier(
        DEMO, "eu-crma", rule="crma_single_country_cap", start=1.0, stop=0.65, points=8
    )
    assert table["cost"].iloc[0] == pytest.approx(13_655_500)
    assert table["cost"].iloc[-1] == pytest.approx(13_809_525)
    assert table.attrs["rule"] == "crma_single_country_cap"


def test_top_share_is_swept_too():
    """instances/examples/top-share: two largest shares ≤ 100% costs 1000 (China alone); at
    80% it is 1120 (derived in its README)."""
    folder = INSTANCES / "examples" / "top-share"
    table = frontier(folder, folder / "model.yaml", rule="top_share", start=1.0, stop=0.8, points=2)
    assert table["cost"].tolist() == pytest.approx([1000, 1120])


def test_a_mip_frontier_prices_the_lp_with_its_choices_fixed():
    """instances/examples/fixed-costs (fees make it a MIP; README): USA alone costs 1690. Capped
    at 80% or 60%, USA alone is out; the best pair is AUS 50 + CAN 50 (CAN takes at least 50):
    1700, where the cap does not bind (shadow price 0). At 40%, CAN's minimum of 50 breaks the
    cap, and AUS 40 + USA 40 cover only 80 t: infeasible."""
    folder = INSTANCES / "examples" / "fixed-costs"
    table = frontier(folder, folder / "model.yaml", start=1.0, stop=0.4, points=4)
    assert table["status"].tolist() == ["optimal", "optimal", "optimal", "infeasible"]
    assert table["cost"].tolist()[:3] == pytest.approx([1690, 1700, 1700])
    assert table["shadow_price"].tolist()[1:3] == pytest.approx([0, 0])


@settings(max_examples=15, deadline=None)
@given(instances(), st.sampled_from([(1.0, 0.3, 5), (0.9, 0.5, 3), (0.6, 0.25, 4)]))
def test_warm_started_points_equal_cold_solves_and_tightening_never_lowers_cost(document, sweep):
    start, stop, points = sweep
    table = frontier(document, start=start, stop=stop, points=points)
    for row in table.itertuples():
        cold = sourcing.solve(
            document, {"rules": [{"rule": "max_country_share", "share": row.share}]}
        )
        if cold.has_solution:
            assert row.cost == pytest.approx(cold.objective, rel=1e-7, abs=1e-6)
        else:
            assert row.status == "infeasible" and np.isnan(row.cost)
    costs = table["cost"].to_numpy()
    feasible = ~np.isnan(costs)
    assert np.all(np.diff(costs[feasible]) >= -1e-6 * np.maximum(1, costs[feasible][1:]))
    assert not np.any(feasible[1:] & ~feasible[:-1])  # once infeasible, tighter stays infeasible


def test_bad_requests_are_input_errors():
    with pytest.raises(InputError, match="'from': must be a share between 0 and 1, got 1.5"):
        frontier(THREE, start=1.5)
    with pytest.raises(InputError, match="'points': must be at least 2"):
        frontier(THREE, points=1)
    with pytest.raises(InputError, match="not group_share"):
        frontier(DEMO, "partner-share", rule="partner_value_share")
    with pytest.raises(InputError, match="no rule 'nothing' in model 'eu-crma'"):
        frontier(DEMO, "eu-crma", rule="nothing")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sourcing.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_frontier(tmp_path):
    import json

    path = tmp_path / "three.json"
    path.write_text(json.dumps(THREE))
    done = run("frontier", str(path), "--from", "0.95", "--to", "0.25", "--points", "8")
    assert done.returncode == 0, done.stderr
    assert "infeasible" in done.stdout and "1,950.00" in done.stdout
    done = run("frontier", str(path), "--from", "0.5", "--to", "0.4", "--points", "2", "-f", "csv")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0] == "share,status,cost,change,change_pct,max_share,hhi,hhi_mean,shadow_price"
    assert lines[2].startswith("0.4,optimal,1800.0,300.0,0.2,0.4,")
    done = run("frontier", str(path), "--from", "0.3", "--to", "0.2", "--points", "2")
    assert done.returncode == 3  # no point has a plan
    done = run("frontier", str(path), "--rule", "group_share")
    assert done.returncode == 2 and "invalid input" in done.stderr
