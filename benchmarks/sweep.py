"""Issue 15's figures: `sourcing sweep` against one `sourcing solve` per scenario, and a sweep at
USGS scale locally and on a two-worker Dask cluster, in one run on one machine (report ratios).

    python benchmarks/sweep.py                 # every figure below
    python benchmarks/sweep.py --sample 5      # fewer fresh-process solves to extrapolate from

1. `sourcing sweep instances/usgs-2024 --disrupt top:5 --cuts 0.5,1.0` (276 scenarios), with
   --jobs 1 and --jobs 2, each in a fresh process: wall seconds.
2. One `sourcing solve usgs-2024 --scenario CUT.yaml` per scenario, in a fresh process each: a
   sample of SAMPLE scenarios spread over the grid is timed, and the mean × 276 is the
   extrapolated total (said so in the output). Each sampled objective is checked against the
   sweep's row for the same scenario (relative difference ≤ 1e-9), so the speed is not bought
   with a wrong number.
3. `--cuts 0.1,0.2,...,1.0` (1,380 scenarios): wall seconds and scenarios per second with
   --jobs 2 and on a scheduler and two single-threaded workers (`dask scheduler`,
   `dask worker`, processes on loopback) started here and stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
USGS = ROOT / "instances" / "usgs-2024"


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return time.perf_counter() - started


def sweep(out: Path, cuts: str, *extra: str) -> tuple[float, pd.DataFrame]:
    command = [str(BIN / "sourcing"), "sweep", str(USGS), "--disrupt", "top:5"]
    seconds = timed([*command, "--cuts", cuts, *extra, "--quiet", "--out", str(out)])
    return seconds, pd.read_parquet(out)


def solve_once(row: pd.Series, folder: Path) -> tuple[float, float]:
    """One fresh `sourcing solve` with the row's cut as a scenario file: seconds, objective."""
    path = folder / f"cut-{row.name}.yaml"
    path.write_text(
        f"name: cut-{row.name}\nchanges:\n  - change: capacity\n    minerals: [{row.mineral}]\n"
        f"    countries: [{row.country}]\n    cut: {row.cut}\n",
        encoding="utf-8",
    )
    command = [str(BIN / "sourcing"), "solve", str(USGS), "--scenario", str(path)]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "--format", "json"], capture_output=True, text=True, cwd=ROOT, timeout=600
    )
    seconds = time.perf_counter() - started
    return seconds, float(json.loads(done.stdout)["objective"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cluster(folder: Path) -> tuple[str, list[subprocess.Popen]]:
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port)]
    started = [subprocess.Popen([*scheduler, "--no-dashboard"], cwd=folder, **quiet)]
    for n in range(2):
        worker = [str(BIN / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1"]
        local = ["--no-dashboard", "--local-directory", str(folder / f"w{n}")]
        started.append(subprocess.Popen([*worker, *local], cwd=ROOT, **quiet))
    deadline = time.monotonic() + 60
    while True:
        try:
            with Client(address, timeout=5) as client:
                client.wait_for_workers(2, timeout=60)
            return address, started
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        one, table = sweep(folder / "one.parquet", "0.5,1.0", "--jobs", "1")
        two, _ = sweep(folder / "two.parquet", "0.5,1.0", "--jobs", "2")
        grid = table.iloc[1:]
        n = len(grid)
        print(f"sweep usgs-2024 top:5 cuts 0.5,1.0: {n} scenarios")
        print(f"  sweep --jobs 1      {one:8.2f} s")
        print(f"  sweep --jobs 2      {two:8.2f} s")
        sample = grid.iloc[
            [round(i * (n - 1) / max(1, args.sample - 1)) for i in range(args.sample)]
        ]
        seconds = []
        for _, row in sample.iterrows():
            took, objective = solve_once(row, folder)
            seconds.append(took)
            if abs(objective - row.objective) > 1e-9 * max(1.0, abs(objective)):
                raise SystemExit(f"{row.scenario}: solve {objective!r} != sweep {row.objective!r}")
        each = sum(seconds) / len(seconds)
        print(
            f"  one solve each      {each * n:8.2f} s  (extrapolated: mean {each:.2f} s of "
            f"{len(seconds)} fresh-process solves × {n}; objectives equal the sweep's)"
        )
        print(f"  speed-up            {each * n / min(one, two):8.1f} ×  (best sweep)")
        cuts = ",".join(f"{c / 10:g}" for c in range(1, 11))
        local, big = sweep(folder / "big.parquet", cuts, "--jobs", "2")
        address, started = cluster(folder)
        try:
            remote, on_dask = sweep(folder / "dask.parquet", cuts, "--scheduler", address)
        finally:
            for process in reversed(started):
                process.terminate()
            for process in reversed(started):
                process.wait(timeout=30)
        pd.testing.assert_frame_equal(big, on_dask, rtol=1e-9)
        m = len(big) - 1
        print(f"sweep usgs-2024 top:5 cuts {cuts}: {m} scenarios (tables equal)")
        print(f"  --jobs 2            {local:8.2f} s  {m / local:8.1f} scenarios/s")
        print(f"  dask, 2 workers     {remote:8.2f} s  {m / remote:8.1f} scenarios/s")


if __name__ == "__main__":
    main()
