"""``sourcing bench`` and the ladder: the index of expected optima, the checks, the generator.

The bench itself runs in CI (``sourcing bench --tier small`` in .ci/run); these tests check that
its verdicts are right: a matching optimum passes, a moved one fails with exit code 5, a bad
index names its row and column.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

import sourcing
from sourcing import bench
from sourcing.bench import ladder
from sourcing.data.io import load_instance
from sourcing.errors import InputError
from sourcing.model.index import index_instance
from tests.conftest import INSTANCES, ROOT

SOURCING = [sys.executable, "-m", "sourcing.cli"]


def test_every_index_row_names_an_instance_and_a_model_that_exist():
    entries = bench.read_index()
    assert {e.tier for e in entries} <= set(bench.TIERS)
    assert len([e for e in entries if e.tier == "small"]) >= 30
    for entry in entries:
        if entry.name.startswith("ladder/"):
            assert entry.name.removeprefix("ladder/") in ladder.RUNGS
        elif entry.name in bench.ORLIB_ON_DEMAND:
            stem, _ = bench.ORLIB_ON_DEMAND[entry.name]
            assert (INSTANCES / "orlib" / "source" / f"{stem}.txt.gz").exists()
        else:
            assert (INSTANCES / entry.name / "instance.yaml").exists(), entry.name
        model = bench.model_argument(entry.model)
        ladder_model = f"instances/ladder/{entry.name.removeprefix('ladder/')}/model.yaml"
        if entry.model == ladder_model:  # written with the rung, beside its tables
            assert ladder.RUNGS[entry.name.removeprefix("ladder/")].mip
        elif not isinstance(model, str):
            assert model.exists(), entry.model


def test_published_and_hand_derived_values_match_their_sources():
    """The index repeats numbers published elsewhere: they must agree with the tests that check
    them and with each example's expected.json."""
    entries = {(e.name, e.model): e for e in bench.read_index()}
    assert entries["dantzig-transport", "least-cost"].expected_objective == 153.675
    assert entries["orlib/cap41", "least-cost"].expected_objective == 1040444.375
    assert entries["orlib/capb-8000", "least-cost"].expected_objective == 13082516.496
    for folder in sorted((INSTANCES / "examples").iterdir()):
        if not folder.is_dir():
            continue
        expected = json.loads((folder / "expected.json").read_text())
        entry = entries[f"examples/{folder.name}", f"instances/examples/{folder.name}/model.yaml"]
        assert entry.source == "hand-derived"
        if expected["termination_condition"] == "infeasible":
            assert entry.expected_status == "infeasible"
        else:
            assert entry.expected_objective == expected["objective"]


def test_a_bad_index_names_row_and_column(tmp_path):
    index = tmp_path / "index.csv"
    index.write_text(
        "name,tier,model,expected_objective,tolerance,source\n"
        "battery-demo,small,least-cost,13655500,1e-9,recorded\n"
        "battery-demo,tiny,eu-crma,abc,1e-9,guessed\n"
        "battery-demo,small,least-cost,13655500,-1,recorded\n"
    )
    with pytest.raises(InputError) as raised:
        bench.read_index(index)
    found = {(p.row, p.field) for p in raised.value.problems}
    assert found == {
        (3, "tier"),
        (3, "expected_objective"),
        (3, "source"),
        (4, "tolerance"),
        (4, "name"),  # listed twice
    }


def test_select_by_tier_and_glob():
    entries = bench.read_index()
    small = bench.select(entries, "small")
    assert small and all(e.tier == "small" for e in small)
    orlib = bench.select(entries, "all", ["orlib/cap4*"])
    assert {e.name for e in orlib} == {"orlib/cap41", "orlib/cap41-uncap"}


@pytest.mark.parametrize(
    "objective,expected,tolerance,ok",
    [
        (100.0, 100.0, 0.0, True),
        (100.005, 100.0, 1e-4, True),  # 0.005 / 100 = 5e-5 ≤ 1e-4
        (100.02, 100.0, 1e-4, False),  # 2e-4 > 1e-4
        (0.5, 0.0, 1e-6, False),  # near zero the error is absolute: |0.5| / max(1, 0) = 0.5
        (1e-7, 0.0, 1e-6, True),
    ],
)
def test_judge_compares_relative_to_the_expected_value(objective, expected, tolerance, ok):
    run = bench.Run("x", "m", "small", 1, termination_condition="optimal")
    run.solution_status, run.objective = "optimal", objective
    run.expected_objective, run.tolerance = expected, tolerance
    bench.judge(run)
    assert run.ok is ok
    assert (run.problem == "") is ok


def test_judge_fails_a_plan_that_is_not_proven_optimal():
    run = bench.Run("x", "m", "small", 1, termination_condition="time_limit")
    run.solution_status, run.objective, run.expected_objective = "feasible", 10.0, 10.0
    bench.judge(run)
    assert not run.ok and "not solved to optimality" in run.problem


def test_uniform_is_splitmix64():
    """With seed 0 and stream 0, draw i is splitmix64's output for state i × 0x9E3779B97F4A7C15:
    the reference generator's first output from state 0 is 0xE220A8397B1DCDAF (Vigna's
    splitmix64.c), so draw 1 is that number's top 53 bits over 2**53."""
    draws = ladder.uniform(0, 2, seed=0)
    assert draws[1] == (0xE220A8397B1DCDAF >> 11) / 2**53
    again = ladder.uniform(7, 1000)
    assert (again == ladder.uniform(7, 1000)).all()
    assert 0 <= again.min() and again.max() < 1
    assert abs(again.mean() - 0.5) < 0.05


@pytest.mark.parametrize("name", ["lp-10k", "mip-10k"])
def test_a_rung_has_the_flow_variables_it_promises(tmp_path, name):
    rung = ladder.RUNGS[name]
    folder = ladder.write(name, tmp_path / name)
    data = index_instance(load_instance(folder))
    assert len(data.lanes) == rung.flow_variables == 4 * 50 * 51
    again = ladder.write(name, tmp_path / "again")
    for table in folder.glob("*.csv"):
        assert table.read_bytes() == (again / table.name).read_bytes()
    # in every mineral one country can meet the whole need: the 65% cap must bind
    plain = sourcing.solve(folder, "least-cost")
    capped = sourcing.solve(folder, "eu-crma")
    assert capped.objective > plain.objective
    assert plain.concentration["max_share"].max() > 0.65 + 1e-6
    eu = {c["country"] for c in load_instance(folder).countries if c.get("groups") == "EU"}
    third = capped.shares[~capped.shares["country"].isin(eu)]
    assert third["share"].max() <= 0.65 + 1e-6


def _run(*args, cwd=ROOT):
    return subprocess.run([*SOURCING, *args], cwd=cwd, capture_output=True, text=True)


def test_bench_command_checks_and_writes_one_record_per_run(tmp_path):
    out = tmp_path / "runs.json"
    done = _run("bench", "--instances", "examples/*", "--json", str(out), "--repeat", "2")
    assert done.returncode == 0, done.stderr
    records = json.loads(out.read_text())
    examples = [p for p in (INSTANCES / "examples").iterdir() if p.is_dir()]
    assert len(records) == 2 * len(examples)
    assert all(r["ok"] for r in records)
    assert {r["repeat"] for r in records} == {1, 2}
    first = records[0]
    for key in ("instance", "model", "variables", "constraints", "objective", "seconds"):
        assert key in first
    assert set(first["seconds"]) == {*bench.PHASES, "total"}
    assert first["peak_memory_mb"] > 10
    assert first["commit"] is None or len(first["commit"]) == 40
    assert "runs match" in done.stdout


def test_bench_exits_5_when_an_optimum_moves(tmp_path):
    index = tmp_path / "index.csv"
    with index.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "tier", "model", "expected_objective", "tolerance", "source"])
        writer.writerow(["battery-demo", "small", "eu-crma", "13809525", "1e-9", "recorded"])
        writer.writerow(["battery-demo", "small", "least-cost", "13000000", "1e-9", "recorded"])
    done = _run("bench", "--index", str(index))
    assert done.returncode == 5
    assert "MISMATCH" in done.stdout
    assert "differs from the expected 13000000.0" in done.stdout
    assert "1 of 2 runs match" in done.stdout


def test_bench_refuses_an_unknown_tier():
    done = _run("bench", "--tier", "huge")
    assert done.returncode == 2
    assert "huge" in done.stderr
