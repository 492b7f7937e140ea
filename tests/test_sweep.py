"""sourcing sweep: each mineral's largest suppliers cut by each fraction, one row per scenario.

The worked example is stress's ``ore(penalty=100)``: one stage, 100 t for a buyer at the
supplier's door, unmet demand at 100/t:

    A 10/t, capacity 60     B 12/t, capacity 50     C 15/t, capacity 45

Base plan: A 60 + B 40 = 1080; by value A (600) then B (480). ``--disrupt top:2 --cuts 0.5,1``:

    A cut 0.5  A 30 + B 50 + C 20 = 300 + 600 + 300 = 1200          extra 120, largest B 50%
    A cut 1    B 50 + C 45 + 5 unmet = 600 + 675 + 500 = 1775      extra 695, shortfall 5,
                                                                    largest B 50/95
    B cut 0.5  A 60 + B 25 + C 15 = 600 + 300 + 225 = 1125          extra 45, largest A 60%
    B cut 1    A 60 + C 40 = 600 + 600 = 1200                       extra 120, largest A 60%
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sourcing
from sourcing.analysis.sweep import parse_cuts, parse_disrupt, sweep
from sourcing.errors import InputError
from sourcing.solver.executor import InProcess, LocalProcesses
from tests.conftest import DEMO, ROOT
from tests.test_stress import ore

BIN = Path(sys.executable).parent


def test_ore_sweep_matches_the_hand_derivation():
    """The four cuts of the module doc, after the base row, in order: A's then B's."""
    table = sweep(ore(penalty=100), disrupt=2, cuts=[0.5, 1.0])
    assert table["scenario"].tolist() == [
        "base",
        "ore/A/cut 0.5",
        "ore/A/cut 1",
        "ore/B/cut 0.5",
        "ore/B/cut 1",
    ]
    assert table["status"].eq("optimal").all()
    assert table["objective"].tolist() == pytest.approx([1080, 1200, 1775, 1125, 1200])
    assert table["extra_cost"].tolist() == pytest.approx([0, 120, 695, 45, 120])
    assert table["shortfall"].tolist() == pytest.approx([0, 0, 5, 0, 0])
    assert table["largest_share_after"].tolist() == pytest.approx([0.6, 0.5, 50 / 95, 0.6, 0.6])
    assert table["base_value"].tolist()[1:] == pytest.approx([600, 600, 480, 480])
    assert table.attrs["base_cost"] == pytest.approx(1080)
    assert table.attrs["scenarios"] == 4 and table.attrs["failed"] == 0


def test_hard_demand_losing_a_is_an_infeasible_row_not_a_crash():
    """Without the penalty, A cut 1 leaves 95 t for 100 t of demand: no plan; the other rows
    are as in the module doc (A cut 0.5 still covers it: 30 + 50 + 20)."""
    table = sweep(ore(), disrupt=1, cuts=[0.5, 1.0])
    assert table["status"].tolist() == ["optimal", "optimal", "infeasible"]
    assert table["objective"].tolist()[:2] == pytest.approx([1080, 1200])
    assert np.isnan(table["objective"].iloc[2]) and np.isnan(table["extra_cost"].iloc[2])


def capacity_cut(mineral: str, country: str, cut: float) -> dict:
    return {
        "name": f"{mineral}-{country}-{cut}",
        "changes": [
            {"change": "capacity", "minerals": [mineral], "countries": [country], "cut": cut}
        ],
    }


def test_battery_demo_each_row_equals_a_plain_solve_with_that_cut():
    """battery-demo, top:2, cuts 0.5 and 1: (cobalt COD, CHN; graphite CHN alone, which mines
    and refines it all in the least-cost plan; lithium CHL, AUS) × 2 cuts = 10 rows, each
    re-solved warm as a bound; each equals `sourcing.solve` with the same cut as a scenario
    (a rebuild from the changed data): objective, largest share at the mineral's stages, and
    shortfall. By hand, cobalt (180 t of demand) mined in COD at
    20,000/t: cut by half COD still has 500 t (no change); closed, the 180 t come from IDN at
    21,000/t: +180,000."""
    table = sweep(DEMO, disrupt=2, cuts=[0.5, 1.0])
    cuts = table.iloc[1:]
    assert len(cuts) == 10
    assert cuts["country"].tolist()[::2] == ["COD", "CHN", "CHN", "CHL", "AUS"]
    for row in cuts.itertuples():
        plan = sourcing.solve(DEMO, scenario=capacity_cut(row.mineral, row.country, row.cut))
        assert row.status == "optimal"
        assert row.objective == pytest.approx(plan.objective, rel=1e-9), row.scenario
        stages = plan.concentration[plan.concentration["mineral"] == row.mineral]
        assert row.largest_share_after == pytest.approx(stages["max_share"].max(), rel=1e-9)
        shortfall = plan.shortfall["shortfall"].sum() if len(plan.shortfall) else 0.0
        assert row.shortfall == pytest.approx(shortfall, abs=1e-9)
    cobalt = cuts.set_index("scenario").loc[["cobalt/COD/cut 0.5", "cobalt/COD/cut 1"]]
    assert cobalt["extra_cost"].tolist() == pytest.approx([0, 180_000])


def test_a_failed_library_scenario_is_a_row_with_its_error():
    """A scenario the library lacks is a row with status 'error' and the message; a library
    scenario that exists is solved as `sourcing.solve --scenario` would (cn-graphite-2023 cuts
    China's graphite by 30%: battery-demo's China has 1000 t, so nothing changes)."""
    table = sweep(DEMO, scenarios=["cn-graphite-2023", "no-such-scenario"])
    assert table["scenario"].tolist() == ["base", "cn-graphite-2023", "no-such-scenario"]
    good, bad = table.iloc[1], table.iloc[2]
    plan = sourcing.solve(DEMO, scenario="cn-graphite-2023")
    assert good["status"] == "optimal"
    assert good["objective"] == pytest.approx(plan.objective, rel=1e-9)
    assert bad["status"] == "error" and "no-such-scenario" in bad["error"]
    assert np.isnan(bad["objective"])
    assert table.attrs["failed"] == 1


def test_grid_options_are_checked():
    assert parse_disrupt("top:5") == 5
    assert parse_cuts("0.5,1.0") == [0.5, 1.0]
    for wrong in ("top:0", "top", "5", "bottom:2"):
        with pytest.raises(InputError, match="disrupt"):
            parse_disrupt(wrong)
    for wrong in ("0", "1.5", "nan", "half"):
        with pytest.raises(InputError, match="cuts"):
            parse_cuts(wrong)
    with pytest.raises(InputError, match="nothing to sweep"):
        sweep(DEMO)


def where(shared: object, task: int) -> tuple[int, int, int]:
    """A task that says which worker ran it and which copy of ``shared`` it saw."""
    return os.getpid(), id(shared), task


def test_local_workers_receive_the_shared_program_once_each():
    """Eight tasks on two worker processes: every task a worker runs sees the same object
    (read once from the file, kept by content hash), and results come back in task order."""
    found = LocalProcesses(2).map_shared(where, {"program": list(range(1000))}, list(range(8)))
    assert [task for _, _, task in found] == list(range(8))
    copies: dict[int, set[int]] = {}
    for pid, copy, _ in found:
        copies.setdefault(pid, set()).add(copy)
    assert all(len(seen) == 1 for seen in copies.values())
    assert InProcess().map_shared(where, "x", [1, 2])[1][2] == 2


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sourcing.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "SOURCING_DASK_SCHEDULER": ""},
    )


def test_cli_writes_parquet_or_csv_by_suffix_and_refuses_others(tmp_path):
    """The same table either way; a bad --disrupt or suffix is invalid input (exit 2)."""
    done = cli(
        "sweep", str(DEMO), "--disrupt", "top:1", "--cuts", "1", "--jobs", "1",
        "--out", str(tmp_path / "t.parquet"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "4 rows: the base and 3 scenarios" in done.stdout
    assert cli(
        "sweep", str(DEMO), "--disrupt", "top:1", "--cuts", "1", "--jobs", "1",
        "--out", str(tmp_path / "t.csv"),
    ).returncode == 0  # fmt: skip
    parquet = pd.read_parquet(tmp_path / "t.parquet")
    csv = pd.read_csv(tmp_path / "t.csv", keep_default_na=False, na_values=[""])
    assert parquet["objective"].tolist() == pytest.approx(csv["objective"].tolist(), rel=1e-12)
    assert parquet["scenario"].tolist() == csv["scenario"].tolist()
    bad = cli("sweep", str(DEMO), "--disrupt", "top:x", "--cuts", "1", "--out", "t.csv")
    assert bad.returncode == 2 and "disrupt" in bad.stderr and "Traceback" not in bad.stderr
    bad = cli("sweep", str(DEMO), "--disrupt", "top:1", "--cuts", "1", "--out", "t.txt")
    assert bad.returncode == 2 and "parquet or .csv" in bad.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A real Dask scheduler and two single-threaded workers, processes on loopback."""
    from distributed import Client

    tmp_path = tmp_path_factory.mktemp("cluster")
    address = f"tcp://127.0.0.1:{free_port()}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    started = [
        subprocess.Popen(
            [
                BIN / "dask",
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                address.rsplit(":")[-1],
                "--no-dashboard",
            ],
            cwd=tmp_path,
            **quiet,
        )  # fmt: skip
    ]
    try:
        for n in range(2):
            started.append(
                subprocess.Popen(
                    [
                        BIN / "dask",
                        "worker",
                        address,
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--local-directory",
                        str(tmp_path / f"w{n}"),
                    ],
                    cwd=ROOT,
                    **quiet,
                )  # fmt: skip
            )
        deadline = time.monotonic() + 60
        while True:  # the scheduler may not listen yet
            try:
                with Client(address, timeout=5) as client:
                    client.wait_for_workers(2, timeout=max(1.0, deadline - time.monotonic()))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        for process in reversed(started):
            process.terminate()
        for process in reversed(started):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def test_a_real_dask_cluster_gives_the_local_table(cluster, tmp_path):
    """battery-demo, top:2, cuts 0.5 and 1, plus a library scenario and a missing one, on a
    scheduler and two workers (--scheduler), equals the same sweep in local worker processes."""
    grid = ["--disrupt", "top:2", "--cuts", "0.5,1.0", "-s", "cn-graphite-2023", "-s", "nope"]
    local = cli("sweep", str(DEMO), *grid, "--jobs", "2", "--out", str(tmp_path / "local.csv"))
    assert local.returncode == 0, local.stderr
    remote = cli(
        "sweep", str(DEMO), *grid, "--scheduler", cluster, "--out", str(tmp_path / "dask.csv")
    )
    assert remote.returncode == 0, remote.stderr
    assert "13 rows: the base and 12 scenarios, 1 failed" in remote.stdout
    mine = pd.read_csv(tmp_path / "local.csv", keep_default_na=False, na_values=[""])
    theirs = pd.read_csv(tmp_path / "dask.csv", keep_default_na=False, na_values=[""])
    pd.testing.assert_frame_equal(mine, theirs, rtol=1e-9)
    assert (theirs["status"] == "error").sum() == 1


def test_an_unreachable_scheduler_is_a_clear_error():
    done = cli(
        "sweep", str(DEMO), "--disrupt", "top:1", "--cuts", "1",
        "--scheduler", f"tcp://127.0.0.1:{free_port()}", "--out", "never.csv",
    )  # fmt: skip
    assert done.returncode == 2
    assert "no Dask scheduler answers at tcp://127.0.0.1:" in done.stderr
    assert "Traceback" not in done.stderr


def test_usgs_sweep_rows_agree_with_the_plans_tables_where_demand_goes_unmet():
    """usgs-2024 (36 minerals, soft demand): the sweep's numpy shortfall and shares equal the
    plan's tables (shortfall_of, shares_of) for a sample of cuts, among them the worst ones
    by shortfall, so a fast path cannot drift from the plan."""
    usgs = ROOT / "instances" / "usgs-2024"
    table = sweep(usgs, disrupt=2, cuts=[1.0]).iloc[1:]
    sample = pd.concat([table.nlargest(2, "shortfall"), table.iloc[::12]])
    for row in sample.itertuples():
        plan = sourcing.solve(usgs, scenario=capacity_cut(row.mineral, row.country, row.cut))
        assert row.objective == pytest.approx(plan.objective, rel=1e-9), row.scenario
        stages = plan.concentration[plan.concentration["mineral"] == row.mineral]
        assert row.largest_share_after == pytest.approx(stages["max_share"].max(), rel=1e-9)
        shortfall = plan.shortfall["shortfall"].sum() if len(plan.shortfall) else 0.0
        assert row.shortfall == pytest.approx(shortfall, rel=1e-9, abs=1e-9)


def test_the_service_hands_sweep_jobs_to_the_cluster_of_its_setting(cluster, tmp_path):
    """`sourcing serve` with SOURCING_DASK_SCHEDULER set: POST /v1/jobs with analysis
    {"type": "sweep"} on the ore instance runs on the cluster, and /plan holds the module doc's
    rows (1080, then 1200, 1775, 1125, 1200); a grid the command line refuses is 422."""
    from tests.test_service import Server, finished, wait_for

    server = Server(tmp_path, workers=1, env={"SOURCING_DASK_SCHEDULER": cluster}).start()
    try:
        with server.client() as api:
            sweep_job = {"type": "sweep", "disrupt": 2, "cuts": [0.5, 1]}
            job = api.post("/v1/jobs", json={"instance": ore(penalty=100), "analysis": sweep_job})
            assert job.status_code == 202, job.text
            done = wait_for(api, job.json()["id"], finished)
            assert done["status"] == "succeeded", done
            result = api.get(f"/v1/jobs/{done['id']}/plan").json()
            rows = result["rows"]
            assert [r["objective"] for r in rows] == pytest.approx([1080, 1200, 1775, 1125, 1200])
            assert [r["shortfall"] for r in rows] == pytest.approx([0, 0, 5, 0, 0])
            assert result["scenarios"] == 4 and result["failed"] == 0
            bad = {"type": "sweep", "disrupt": 2, "cuts": [1.5]}
            refused = api.post("/v1/jobs", json={"instance": ore(), "analysis": bad})
            assert refused.status_code == 422
            assert refused.json()["problems"][0]["field"] == "cuts"
    finally:
        server.stop()
    # the same service told of a scheduler that is not there: the job says so (it did not
    # quietly solve in its own process)
    nowhere = f"tcp://127.0.0.1:{free_port()}"
    (tmp_path / "b").mkdir()
    server = Server(tmp_path / "b", workers=1, env={"SOURCING_DASK_SCHEDULER": nowhere}).start()
    try:
        with server.client() as api:
            job = api.post("/v1/jobs", json={"instance": ore(penalty=100), "analysis": sweep_job})
            done = wait_for(api, job.json()["id"], finished)
            assert done["status"] == "failed"
            assert f"no Dask scheduler answers at {nowhere}" in json.dumps(done)
    finally:
        server.stop()
