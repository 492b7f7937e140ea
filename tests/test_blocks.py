"""Independent blocks (issue 12): the program split where no row couples two parts, solved
part by part, gives the whole's optimum.

Why it is exact: with no shared row, the constraint matrix is block diagonal, the objective a
sum over blocks, so min Σ_b c_b·x_b subject to A_b x_b within bounds is Σ_b of each block's
minimum; a block's duals price its own rows only. An infeasible block makes the whole
infeasible.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sourcing
from sourcing.api import load
from sourcing.model.build import build
from sourcing.model.index import index_instance
from sourcing.solver import SolverOptions, solve_lp
from sourcing.solver.blocks import find_blocks
from sourcing.solver.executor import LocalProcesses
from sourcing.solver.split import solve_in_blocks
from tests.conftest import ROOT

LP_CASES = [
    ("dantzig-transport", None),
    ("battery-demo", "eu-crma"),
    ("battery-demo", "partner-share"),
    ("usgs-2024", "eu-crma"),
    ("kazakhstan-partnership", "eu-crma"),
]


def program(instance: str | Path, model: str | None):
    loaded, spec = load(
        instance if isinstance(instance, Path) else ROOT / "instances" / instance, model
    )
    data = index_instance(loaded)
    lp, _ = build(data, spec)
    return lp


@pytest.mark.parametrize(("instance", "model"), LP_CASES)
def test_block_by_block_costs_what_the_whole_matrix_costs(instance, model):
    """Every bundled LP: the sum of the blocks' optima is HiGHS's optimum of the whole matrix
    (to HiGHS's tolerance, 1e-9 relative), and every demand row is met as in the whole."""
    lp = program(instance, model)
    whole = solve_lp(lp, SolverOptions())
    split = solve_in_blocks(lp, SolverOptions())
    assert split.termination == whole.termination == "optimal"
    assert split.objective == pytest.approx(whole.objective, rel=1e-9)
    assert split.blocks is not None and len(split.blocks) == len(find_blocks(lp))


def test_usgs_2024_separates_into_one_block_per_mineral():
    """usgs-2024 has 36 minerals and no period: 36 blocks, each labelled by its mineral."""
    lp = program("usgs-2024", "eu-crma")
    blocks = find_blocks(lp)
    minerals = pd.read_csv(ROOT / "instances" / "usgs-2024" / "minerals.csv")["mineral"]
    assert sorted(b.label for b in blocks) == sorted(minerals.astype(str))
    covered = np.sort(np.concatenate([b.cols for b in blocks]))
    assert (covered == np.arange(lp.n_vars)).all()  # every column in exactly one block
    rows = np.sort(np.concatenate([b.rows for b in blocks]))
    assert (rows == np.arange(lp.n_rows)).all()


def test_a_row_coupling_two_minerals_keeps_them_in_one_block():
    """Add one row "lithium supply + cobalt supply ≤ 1e9" to battery-demo's program: lithium and
    cobalt become one block, found from the matrix, not from the instance's minerals."""
    lp = program("battery-demo", "eu-crma")
    before = {b.label for b in find_blocks(lp)}
    supply = lp.variables["supply"]
    minerals = supply.index["mineral"].astype(str)
    li = supply.start + int(np.flatnonzero(minerals == "lithium")[0])
    co = supply.start + int(np.flatnonzero(minerals == "cobalt")[0])
    lp.add_constraints(
        "coupling",
        pd.DataFrame({"what": ["li+co"]}),
        rows=np.array([0, 0]),
        cols=np.array([li, co]),
        vals=1.0,
        upper=1e9,
        role="rule",
    )
    after = {b.label for b in find_blocks(lp)}
    assert "cobalt, lithium" in after
    assert "lithium" in before and "cobalt" in before
    assert len(after) == len(before) - 1


def test_a_demand_nothing_can_reach_makes_the_split_solve_infeasible():
    """Dantzig's transport problem plus a market in a country no lane reaches (and no
    transport_default): that market's demand row holds no variable. HiGHS calls a program
    without columns 'empty' and empty 'optimal'; the block
    path must not: the whole is infeasible, as the whole-matrix solve says."""
    demo = sourcing.load_instance(ROOT / "instances" / "dantzig-transport")
    document = demo.model_dump()
    # a market the suppliers cannot reach: a new site in a country with no lane and no default
    document["sites"] = list(document["sites"]) + [
        {**dict(document["sites"][0]), "site": "nowhere", "country": "nowhere-land"}
    ]
    document["countries"] = list(document["countries"]) + [{"country": "nowhere-land"}]
    demand = dict(document["demand"][0])
    demand.update({"site": "nowhere", "quantity": 10})
    document["demand"] = list(document["demand"]) + [demand]
    document["transport_default"] = None
    lp = program_from_document(document)
    whole = solve_lp(lp, SolverOptions())
    split = solve_in_blocks(lp, SolverOptions())
    assert whole.termination == "infeasible"
    assert split.termination == "infeasible"
    assert any(b["status"] == "infeasible" for b in split.blocks or [])


def program_from_document(document: dict):
    loaded, spec = load(document, None)
    lp, _ = build(index_instance(loaded), spec)
    return lp


def test_worker_processes_give_the_same_answer_as_this_process():
    """The executor seam: two spawned workers solve usgs-2024's blocks; the merged plan is the
    in-process one, value for value."""
    lp = program("usgs-2024", "eu-crma")
    here = solve_in_blocks(lp, SolverOptions())
    pool = LocalProcesses(2)
    there = solve_in_blocks(lp, SolverOptions(), executor=pool)
    assert there.objective == here.objective
    assert there.x is not None and here.x is not None
    assert np.array_equal(there.x, here.x)


def test_blocks_on_threads_give_the_same_answer_as_one_after_another():
    """The default executor: usgs-2024's blocks solved two at a time on threads of this process
    (HiGHS runs without Python's lock) give the plan solved one block after another, value for
    value: each block is the same program handed to its own HiGHS instance either way."""
    lp = program("usgs-2024", "eu-crma")
    in_turn = solve_in_blocks(lp, SolverOptions(), jobs=1)
    side_by_side = solve_in_blocks(lp, SolverOptions(), jobs=2)
    assert side_by_side.objective == in_turn.objective
    assert side_by_side.x is not None and in_turn.x is not None
    assert np.array_equal(side_by_side.x, in_turn.x)
    assert side_by_side.row_dual is not None and in_turn.row_dual is not None
    assert np.array_equal(side_by_side.row_dual, in_turn.row_dual)


def test_every_executor_maps_in_order_and_reports_each_task_done():
    """The executor seam's two calls, on threads as in turn: results come back in the tasks'
    order whatever order they finish in, and ``done`` is called once per task."""
    import time as clock

    from sourcing.solver.executor import InProcess, Threads

    def slow_first(shared: int, task: int) -> int:
        clock.sleep(0.05 if task == 0 else 0.0)
        return shared * task

    for executor in (InProcess(), Threads(2)):
        finished: list[None] = []
        done = finished.append
        results = executor.map_shared(slow_first, 10, [0, 1, 2, 3], lambda done=done: done(None))
        assert results == [0, 10, 20, 30]
        assert len(finished) == 4
        assert executor.map(abs, [-1, -2, 3]) == [1, 2, 3]


def test_standard_output_survives_blocks_built_on_threads(capfd, monkeypatch):
    """HiGHS prints a banner on its first construction, which the adapter sends to /dev/null by
    swapping the process's stdout for a moment. Two threads swapping at once could leave stdout
    on /dev/null for good (one restoring the other's swap): the swap is guarded, so after
    usgs-2024's blocks were handed to HiGHS on two threads, as if for the first time, a line
    written to stdout still arrives."""
    from sourcing.solver import highs

    monkeypatch.setattr(highs, "_banner_printed", False)
    lp = program("usgs-2024", "eu-crma")
    solve_in_blocks(lp, SolverOptions(), jobs=2)
    os.write(1, b"still here\n")
    assert "still here" in capfd.readouterr().out


def test_columns_named_by_runs_or_label_by_label_get_the_same_pairs():
    """Each column's (mineral, period) is found from where its family's runs start (ga 2027 ×2,
    ge 2027, ge 2028, then ga 2027 again: four runs, three pairs), or label by label when the
    labels cannot be compared (a missing one): either way ga 2027 is one pair, named once."""
    from sourcing.solver.blocks import _numbered, _run_starts

    mineral = np.array(["ga", "ga", "ge", "ge", "ga"], dtype=object)
    period = np.array(["2027", "2027", "2027", "2028", "2027"], dtype=object)
    starts = _run_starts(mineral, period)
    assert starts is not None and starts.tolist() == [0, 2, 3, 4]
    pairs: dict[tuple[str, str], int] = {}
    assert _numbered(mineral, period, pairs).tolist() == [0, 0, 1, 2, 0]
    assert list(pairs) == [("ga", "2027"), ("ge", "2027"), ("ge", "2028")]
    assert _run_starts(np.array(["ga", pd.NA], dtype=object), None) is None


def test_the_command_line_reports_the_blocks():
    """`sourcing solve --blocks -f json`: the plan's stats list each block; the cost is the
    whole's."""
    plan = sourcing.solve(ROOT / "instances" / "battery-demo", "eu-crma", blocks=True)
    whole = sourcing.solve(ROOT / "instances" / "battery-demo", "eu-crma")
    assert plan.objective == pytest.approx(whole.objective, rel=1e-9)
    labels = sorted(b["label"] for b in plan.stats["blocks"])
    assert labels == sorted({str(m) for m in whole.flows["mineral"]})


def test_an_infeasible_mineral_leaves_the_others_their_plans(tmp_path):
    """battery-demo under eu-crma with cobalt demand raised to 1,000,000 t (far beyond every
    cobalt offer's capacity) and no penalty: cobalt's block is infeasible, so the instance is
    (exit 3). Block by block, lithium and graphite keep their plans, marked partial: their flows
    are there, cobalt's are not, and what they cost is what the same two blocks cost in the
    ordinary instance, where cobalt's demand can be met (no row links the minerals, so cobalt's
    demand cannot change their plans)."""
    document = sourcing.load_instance(ROOT / "instances" / "battery-demo").model_dump()
    for row in document["demand"]:
        if row["mineral"] == "cobalt":
            row["quantity"] = 1_000_000
    plan = sourcing.solve(document, "eu-crma", blocks=True)
    assert plan.termination_condition == "infeasible"
    assert plan.solution_status == "no_solution" and plan.objective is None
    marked = plan.infeasibility["partial_plan"]
    assert [b["label"] for b in marked["blocks_without"]] == ["cobalt"]
    assert sorted(marked["blocks_with_a_plan"]) == ["graphite", "lithium"]
    assert set(plan.flows["mineral"]) == {"lithium", "graphite"}
    assert set(plan.shares["mineral"]) == {"lithium", "graphite"}

    ordinary = sourcing.solve(ROOT / "instances" / "battery-demo", "eu-crma", blocks=True)
    cost_of = {b["label"]: b["objective"] for b in ordinary.stats["blocks"]}
    assert marked["cost"] == pytest.approx(cost_of["lithium"] + cost_of["graphite"], rel=1e-9)
    assert plan.costs["total"] == pytest.approx(marked["cost"], rel=1e-9)
    assert not (plan.duals["demand"]["mineral"] == "cobalt").any()
    # the explanation names cobalt, the block that must give
    assert "cobalt" in json.dumps(plan.infeasibility["summary"])


def test_the_partial_plan_and_exit_code_3_on_the_command_line(tmp_path):
    """The same instance through `sourcing solve --blocks -f json`: exit 3 stays, and the JSON
    carries the partial plan."""
    document = sourcing.load_instance(ROOT / "instances" / "battery-demo").model_dump()
    for row in document["demand"]:
        if row["mineral"] == "cobalt":
            row["quantity"] = 1_000_000
    path = tmp_path / "short-of-cobalt.json"
    path.write_text(json.dumps(document))
    done = subprocess.run(
        [sys.executable, "-m", "sourcing.cli", "solve", str(path), "-m", "eu-crma", "--blocks"]
        + ["-f", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr
    answer = json.loads(done.stdout)
    assert answer["infeasibility"]["partial_plan"]["blocks_without"][0]["label"] == "cobalt"
    assert {f["mineral"] for f in answer["flows"]} == {"lithium", "graphite"}


def test_a_block_proved_infeasible_before_solving_is_not_searched():
    """battery-demo with "at least 2 cobalt refiners of at least 50%" (eu-crma's rules dropped):
    cobalt's hard demand is 180 t, so a counted refiner needs 90 t of capacity, and only CHN
    (1,000 t) has it (FIN 80, BEL 60, CAN 60, JPN 60). The pre-solve check proves cobalt has no
    plan; block by block, cobalt's block is not searched, the elastic re-solve is skipped (the
    proof is the explanation), and lithium and graphite keep their plans. Solved whole, the
    same instance is infeasible too, and the elastic re-solve runs."""
    model = {
        "name": "two-cobalt-refiners",
        "rules": [
            {
                "rule": "min_suppliers",
                "minerals": ["cobalt"],
                "stages": ["refining"],
                "count": 2,
                "min_share": 0.5,
            }
        ],
    }
    plan = sourcing.solve(ROOT / "instances" / "battery-demo", model, blocks=True)
    assert plan.termination_condition == "infeasible"
    [cobalt] = [b for b in plan.stats["blocks"] if b["label"] == "cobalt"]
    assert cobalt["status"] == "infeasible" and cobalt["proved_before_solving"]
    why = plan.infeasibility
    assert "only CHN (1,000 t) can" in why["summary"]
    assert "elastic re-solve was skipped" in why["summary"]
    assert set(plan.flows["mineral"]) == {"lithium", "graphite"}

    whole = sourcing.solve(ROOT / "instances" / "battery-demo", model, blocks=False)
    assert whole.termination_condition == "infeasible"
    assert "elastic re-solve was skipped" not in whole.infeasibility["summary"]
    assert whole.infeasibility["rules"]  # the slacks name the rule rows that must give


def test_a_block_session_re_solves_only_the_blocks_a_change_touches():
    """usgs-2024 under eu-crma, kept block by block: losing every offer of one country in one
    mineral re-solves that mineral's block alone (35 of 36 answers are reused), and the cost is
    the whole session's to HiGHS's tolerance; restoring the bounds gives the base cost back."""
    from sourcing.solver.block_session import BlockSession
    from sourcing.solver.session import Session

    lp = program("usgs-2024", "eu-crma")
    blocks = find_blocks(lp)
    kept, whole = BlockSession(lp, SolverOptions(), blocks), Session(lp, SolverOptions())
    base, base_whole = kept.solve(), whole.solve()
    assert base.objective == pytest.approx(base_whole.objective, rel=1e-9)
    assert kept.block_solves == len(blocks) == 36

    supply = lp.variables["supply"]
    positive = np.flatnonzero(base.x[supply.ids] > 1e-6)
    first = supply.index.iloc[positive[0]]
    lost = supply.ids[
        (supply.index["mineral"] == first["mineral"]).to_numpy()
        & (supply.index["country"] == first["country"]).to_numpy()
    ]
    for session in (kept, whole):
        session.set_column_bounds(lost, upper=0.0)
    cut, cut_whole = kept.solve(basis=kept.basis), whole.solve()
    assert kept.block_solves == 37  # one block more, not 36
    assert cut.objective == pytest.approx(cut_whole.objective, rel=1e-9)
    assert cut.objective > base.objective

    kept.set_column_bounds(lost, upper=kept.built_upper[lost])
    assert kept.solve().objective == pytest.approx(base.objective, rel=1e-9)


def test_stress_and_frontier_block_by_block_agree_with_the_whole(monkeypatch):
    """The analyses on usgs-2024 under eu-crma with block sessions (forced here by lowering the
    size rule to 0) give the whole session's table: same losses, same costs; same frontier."""
    from sourcing.analysis import frontier, stress
    from sourcing.solver import block_session

    usgs = ROOT / "instances" / "usgs-2024"
    whole_stress = stress(usgs, "eu-crma", top=4)
    whole_frontier = frontier(usgs, "eu-crma", start=1.0, stop=0.5, points=3)
    monkeypatch.setattr(block_session, "SPLIT_FROM", 0)
    split_stress = stress(usgs, "eu-crma", top=4)
    split_frontier = frontier(usgs, "eu-crma", start=1.0, stop=0.5, points=3)
    assert list(split_stress["country"]) == list(whole_stress["country"])
    np.testing.assert_allclose(split_stress["cost"], whole_stress["cost"], rtol=1e-9)
    np.testing.assert_allclose(split_frontier["cost"], whole_frontier["cost"], rtol=1e-9)
    np.testing.assert_allclose(
        split_frontier["shadow_price"], whole_frontier["shadow_price"], rtol=1e-6, atol=1e-6
    )


def certificate_gap(lp, raw) -> tuple[float, float, float]:
    """How far (x, y) from ``raw`` is from proving itself optimal for the *whole* program.

    For min cᵀx subject to L ≤ Ax ≤ U, l ≤ x ≤ u, the row duals y and reduced costs
    d = c − Aᵀy (HiGHS's signs: positive at an active lower bound, negative at an upper) give
    the dual bound Σ_i y_i·(L_i if y_i > 0 else U_i) + Σ_j d_j·(l_j if d_j > 0 else u_j), which
    equals cᵀx exactly when x is optimal and (y, d) are optimal duals. Returned: the relative
    gap between the two, the largest primal violation of a row, and the largest dual
    infeasibility (a dual of a sign whose bound is infinite)."""
    starts, index, values = lp.csr()
    rows = np.repeat(np.arange(lp.n_rows), np.diff(starts))
    activity = np.bincount(rows, weights=values * raw.x[index], minlength=lp.n_rows)
    row_lower, row_upper = lp.row_bounds()
    lower, upper = lp.bounds()
    violation = max(
        float(np.max(row_lower - activity, initial=0.0)),
        float(np.max(activity - row_upper, initial=0.0)),
    )
    c = lp.cost_vector()
    y = raw.row_dual
    d = c - np.bincount(index, weights=values * y[rows], minlength=lp.n_vars)
    tiny = 1e-9 * max(1.0, float(np.abs(c).max()))
    y_side = np.where(y > tiny, row_lower, np.where(y < -tiny, row_upper, 0.0))
    d_side = np.where(d > tiny, lower, np.where(d < -tiny, upper, 0.0))
    infeasible = float(
        np.max(np.abs(y)[~np.isfinite(y_side)], initial=0.0)
        + np.max(np.abs(d)[~np.isfinite(d_side)], initial=0.0)
    )
    y_side, d_side = np.nan_to_num(y_side), np.nan_to_num(d_side)
    dual_bound = float(y @ y_side + d @ d_side)
    primal = float(c @ raw.x)
    return abs(primal - dual_bound) / max(1.0, abs(primal)), violation, infeasible


@pytest.mark.parametrize(("instance", "model"), LP_CASES)
def test_the_merged_plan_and_duals_prove_themselves_optimal_for_the_whole(instance, model):
    """Agreement that degeneracy cannot fool: a degenerate LP has many optimal plans and many
    optimal dual solutions (usgs-2024's duals differ from the whole solve's where a price is
    not unique; battery-demo under partner-share lands on another plan of the same cost), so
    comparing vectors would test luck. Instead, the merged x and y must certify each other for
    the whole program: x meets every row, the duals have the signs their bounds allow, and
    strong duality holds (cᵀx equals the dual bound to 1e-9). Where the optimum is unique, the
    whole solve's plan and duals are the same vectors (checked too, on the cases that have one:
    Dantzig's, battery-demo under eu-crma)."""
    lp = program(instance, model)
    split = solve_in_blocks(lp, SolverOptions())
    gap, violation, infeasible = certificate_gap(lp, split)
    assert gap < 1e-9 and violation < 1e-6 and infeasible < 1e-6
    whole = solve_lp(lp, SolverOptions())
    assert certificate_gap(lp, whole)[0] < 1e-9  # the check itself holds for the whole solve
    if (instance, model) in (("dantzig-transport", None), ("battery-demo", "eu-crma")):
        np.testing.assert_allclose(split.x, whole.x, rtol=1e-7, atol=1e-6)
        np.testing.assert_allclose(split.row_dual, whole.row_dual, rtol=1e-7, atol=1e-6)


def test_a_program_without_variables_is_infeasible_when_a_row_asks_for_more_than_0():
    """One demand row of 5 t and no variable at all (nothing can supply it). HiGHS calls a
    model without columns "empty" and empty "optimal"; the adapter and the session must say
    infeasible instead. With the row asking 0, the empty plan is optimal at cost 0."""
    from sourcing.model.lp import LinearProgram
    from sourcing.solver.session import Session

    for asks, expected in ((5.0, "infeasible"), (0.0, "optimal")):
        lp = LinearProgram()
        lp.add_constraints(
            "demand",
            pd.DataFrame({"site": ["plant"]}),
            rows=np.zeros(0, dtype=np.int64),
            cols=np.zeros(0, dtype=np.int64),
            vals=np.zeros(0),
            lower=asks,
            role="network",
        )
        assert solve_lp(lp, SolverOptions()).termination == expected
        assert Session(lp, SolverOptions()).solve().termination == expected


@pytest.mark.parametrize("model", ["least-cost", "eu-crma"])
def test_a_generated_market_block_by_block_certifies_the_whole_optimum(model):
    """The ladder's lp-10k (seeded: a two-stage market, written on demand): one block per mineral
    of its minerals.csv; the merged plan costs the whole's optimum (its recorded value in
    instances/index.csv is checked by `sourcing bench`), and certifies itself (strong duality)."""
    from sourcing.bench.ladder import ensure

    folder = ensure("lp-10k")
    lp = program(folder, model)
    split = solve_in_blocks(lp, SolverOptions())
    whole = solve_lp(lp, SolverOptions())
    minerals = pd.read_csv(folder / "minerals.csv")["mineral"]
    assert split.blocks is not None and len(split.blocks) == len(minerals) > 1
    assert split.objective == pytest.approx(whole.objective, rel=1e-9)
    gap, violation, infeasible = certificate_gap(lp, split)
    assert gap < 1e-9 and violation < 1e-6 and infeasible < 1e-6


def test_every_small_benchmark_keeps_its_recorded_optimum_block_by_block():
    """`sourcing bench --blocks`: each of the small tier's instances in instances/index.csv
    (published optima such as Dantzig's 153.675 and OR-Library's cap41 1,040,444.375, the
    hand-derived examples, the real-data instances) solved block by block whatever its size,
    each in its own process, meets its recorded optimum or its recorded infeasibility (exit 0;
    5 if any differs). Run as a planner runs it: the benchmark forks a child per instance, which
    must start from a process that has not used HiGHS (this test process has)."""
    done = subprocess.run(
        [sys.executable, "-m", "sourcing.cli", "bench", "--tier", "small", "--blocks", "--quiet"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    matched = re.search(r"(\d+) of (\d+) runs match their expected result", done.stdout)
    assert matched is not None and matched[1] == matched[2] and int(matched[2]) >= 50
