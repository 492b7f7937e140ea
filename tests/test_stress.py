"""N-1 stress: lose each of the largest supplier countries in turn, re-solving one built model.

The worked example ``ore(penalty)``: one stage, 100 t for a buyer at the supplier's door:

    A 10/t, capacity 60     B 12/t, capacity 50     C 15/t, capacity 45

Base plan: A 60 + B 40 = 600 + 480 = 1080. Suppliers by value: A (600), B (480); C is unused.

* Lose A: B 50 + C 45 = 95 t < 100. Hard demand: infeasible, 5 t unmet. With a penalty of
  100/t: 600 + 675 + 5 × 100 = 1775, extra 695, 5 t unmet.
* Lose B: A 60 + C 40 = 600 + 600 = 1200, extra 120 (11.1%).

Ranked worst first: A (5 t unmet), then B.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings

import sourcing
from sourcing.analysis import NoBasePlan, stress
from sourcing.errors import InputError
from sourcing.solver import solve_lp
from sourcing.solver.session import Session
from tests.conftest import DEMO, INSTANCES
from tests.test_properties import instances


def ore(penalty: float | None = None) -> dict:
    demand = {"mineral": "ore", "quantity": 100}
    if penalty is not None:
        demand["penalty"] = penalty
    return {
        "name": "ore",
        "stages": ["mining"],
        "minerals": [{"mineral": "ore"}],
        "countries": [{"country": c} for c in ("A", "B", "C")],
        "supply": [
            {"mineral": "ore", "stage": "mining", "country": c, "price": p, "capacity": q}
            for c, p, q in (("A", 10, 60), ("B", 12, 50), ("C", 15, 45))
        ],
        "demand": [demand],
    }


def test_hard_demand_losing_a_leaves_5_t_unmet_losing_b_costs_120():
    table = stress(ore(), top=3)
    assert table.attrs["base_cost"] == pytest.approx(1080)
    assert table["country"].tolist() == ["A", "B"]  # C supplies nothing: nothing to lose
    a, b = table.iloc[0], table.iloc[1]
    assert a["status"] == "infeasible" and np.isnan(a["cost"]) and np.isnan(a["extra_cost"])
    assert a["unmet_demand"] == pytest.approx(5)
    assert a["unmet"] == "ore 5"
    assert b["status"] == "optimal"
    assert b["cost"] == pytest.approx(1200)
    assert b["extra_cost"] == pytest.approx(120)
    assert b["extra_cost_pct"] == pytest.approx(120 / 1080)
    assert b["unmet_demand"] == 0
    assert table["rank"].tolist() == [1, 2]
    assert table["value"].tolist() == pytest.approx([600, 480])
    assert table.attrs["resolves"] == 2  # the model was built and solved cold once


def test_soft_demand_losing_a_pays_the_penalty():
    table = stress(ore(penalty=100), top=2)
    a, b = table.iloc[0], table.iloc[1]
    assert (a["country"], a["status"]) == ("A", "optimal")
    assert a["cost"] == pytest.approx(1775)
    assert a["extra_cost"] == pytest.approx(695)
    assert a["unmet_demand"] == pytest.approx(5)
    assert (b["country"], b["extra_cost"]) == ("B", pytest.approx(120))


def two_minerals() -> dict:
    """x: A 10/t (capacity 60), B 12/t; y: A 5/t, B 8/t; demand x 100, y 50.
    Base: x A 60 + B 40 = 1080, y A 50 = 250: 1330."""
    offers = [("x", "A", 10, 60), ("x", "B", 12, None), ("y", "A", 5, None), ("y", "B", 8, None)]
    return {
        "name": "two-minerals",
        "stages": ["mining"],
        "minerals": [{"mineral": "x"}, {"mineral": "y"}],
        "countries": [{"country": "A"}, {"country": "B"}],
        "supply": [
            {"mineral": m, "stage": "mining", "country": c, "price": p}
            | ({"capacity": q} if q else {})
            for m, c, p, q in offers
        ],
        "demand": [{"mineral": "x", "quantity": 100}, {"mineral": "y", "quantity": 50}],
    }


def test_by_mineral_loses_a_country_for_one_mineral_only():
    """Lose B for x: A's 60 t leave 40 t of x unmet. Lose A for y: y from B, 50 × 3 = 150 more.
    Lose A for x: x from B, 60 × 2 = 120 more. (B for y was never used.)"""
    table = stress(two_minerals(), top=2, by="mineral")
    rows = [(r.mineral, r.country, r.status) for r in table.itertuples()]
    assert rows == [("x", "B", "infeasible"), ("y", "A", "optimal"), ("x", "A", "optimal")]
    assert table["unmet_demand"].tolist() == pytest.approx([40, 0, 0])
    assert table["extra_cost"].tolist()[1:] == pytest.approx([150, 120])
    assert table["value_share"].tolist() == pytest.approx([480 / 1080, 1.0, 600 / 1080])


def test_overall_loses_a_country_for_every_mineral():
    """Lose B: 40 t of x unmet. Lose A: x and y from B: 1200 + 400 = 1600, 270 more."""
    table = stress(two_minerals(), top=5, by="overall")
    assert table["country"].tolist() == ["B", "A"]
    assert table["unmet"].tolist() == ["x 40", ""]
    assert table["extra_cost"].iloc[1] == pytest.approx(270)


def test_a_mip_re_solve_keeps_the_built_model():
    """instances/examples/fixed-costs (README): USA alone, 1690. Without USA the best plan is
    AUS 50 + CAN 50 with both fees: 1700, 10 more."""
    folder = INSTANCES / "examples" / "fixed-costs"
    table = stress(folder, folder / "model.yaml", top=3)
    assert table["country"].tolist() == ["USA"]
    assert table["cost"].iloc[0] == pytest.approx(1700)
    assert table["extra_cost"].iloc[0] == pytest.approx(10)


def lose(document: dict, country: str) -> dict:
    supply = [{**r, "capacity": 0} if r["country"] == country else r for r in document["supply"]]
    return {**document, "supply": supply}


@settings(max_examples=20, deadline=None)
@given(instances())
def test_warm_re_solves_equal_cold_solves_and_losing_a_country_never_lowers_cost(document):
    table = stress(document, top=4)
    base = sourcing.solve(document).objective
    assert table.attrs["base_cost"] == pytest.approx(base, rel=1e-9)
    for row in table.itertuples():
        cold = sourcing.solve(lose(document, row.country))
        assert row.cost == pytest.approx(cold.objective, rel=1e-7, abs=1e-6)
        assert row.extra_cost >= -1e-6 * max(1.0, base)
        assert row.unmet_demand == pytest.approx(
            cold.shortfall["shortfall"].sum() if len(cold.shortfall) else 0
        )


def test_session_changes_bounds_coefficients_and_row_bounds_like_a_fresh_build():
    """The same changes made in a session and in a freshly built model give the same optimum
    (battery-demo under eu-crma: lose China's refining; cap at 50%; 20% more cobalt demand)."""
    from sourcing.api import load
    from sourcing.model.build import build
    from sourcing.model.index import index_instance

    instance, model = load(DEMO, "eu-crma")
    data = index_instance(instance)
    lp, network = build(data, model)
    session = Session(lp)
    assert session.solve().objective == pytest.approx(13_809_525)

    china = np.flatnonzero(
        (data.offers["country"] == "CHN").to_numpy()
        & (data.offers["stage"] == "refining").to_numpy()
    )
    cap = lp.constraints["crma_single_country_cap"]
    volume = lp.variables["stage_volume"]
    on_volume = cap.cols >= volume.start
    on_volume &= cap.cols < volume.start + len(volume.index)
    demand = lp.constraints["demand"]
    cobalt = demand.ids[(demand.index["mineral"] == "cobalt").to_numpy()]

    session.set_column_bounds(network.supply[china], upper=0.0)
    session.set_coefficients(cap.rows[on_volume], cap.cols[on_volume], -0.5)
    more = 1.2 * demand.lower[(demand.index["mineral"] == "cobalt").to_numpy()]
    session.set_row_bounds(cobalt, lower=more, upper=more)
    warm = session.solve(basis=session.basis)

    lp.variables["supply"].upper[china] = 0.0
    cap.vals[on_volume] = -0.5
    demand.lower[(demand.index["mineral"] == "cobalt").to_numpy()] = more
    demand.upper[(demand.index["mineral"] == "cobalt").to_numpy()] = more
    cold = solve_lp(lp)
    assert warm.termination.value == cold.termination.value == "optimal"
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    assert warm.objective > 13_809_525


def test_no_base_plan_is_an_error_that_says_why():
    short = {**ore(), "demand": [{"mineral": "ore", "quantity": 500}]}
    with pytest.raises(NoBasePlan, match="no base plan to stress \\(infeasible\\)"):
        stress(short)
    with pytest.raises(InputError, match="'by'"):
        stress(ore(), by="country")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sourcing.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_stress(tmp_path):
    path = tmp_path / "ore.json"
    path.write_text(json.dumps(ore()))
    done = run("stress", str(path), "--top", "2", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["base_cost"] == pytest.approx(1080)
    assert [(r["country"], r["status"]) for r in result["rows"]] == [
        ("A", "infeasible"),
        ("B", "optimal"),
    ]
    assert result["rows"][0]["cost"] is None
    done = run("stress", str(DEMO), "--model", "eu-crma", "--top", "3", "--by", "mineral")
    assert done.returncode == 0, done.stderr
    assert "N-1 stress (mineral)" in done.stdout and "CHN" in done.stdout
    short = tmp_path / "short.json"
    short.write_text(json.dumps({**ore(), "demand": [{"mineral": "ore", "quantity": 500}]}))
    done = run("stress", str(short))
    assert done.returncode == 3
    assert "no base plan to stress" in done.stderr and "Traceback" not in done.stderr
