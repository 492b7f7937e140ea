"""The same ladder LP built four ways, each in a fresh process, timed per phase, side by side.

    python benchmarks/paths.py --rung lp-100k --repeat 3
    python benchmarks/paths.py --rung lp-1m --paths engine,floor --repeat 1 --json runs.json

Paths (all solve the ladder rung under the EU 65% cap, exempting EU members, with HiGHS):
    engine  ``sourcing.solve`` end to end: load and validate the CSV folder, index, check, build,
            hand off, solve, extract the plan (DataFrames, shares, duals). What a planner pays.
    whole   the engine with ``blocks=False`` (``--whole``): the program as one matrix, as the
            engine solved it before it split independent blocks (issue 12)
    floor   HiGHS alone: the engine's own matrix (saved as numpy arrays beforehand) read from
            disk, passed straight to highspy, solved, the solution read back: the physical
            limit, which issue 4 measures the engine against.
    floor-nopresolve  the same with HiGHS's presolve off, as the engine solves an LP block:
            what the split and the threads gain beyond that option
    numpy   a few lines of numpy written here that build the same LP from the generator's
            in-memory tables, with no engine code: the cost of a hand-written model, and an
            independent check of the engine's formulation (the objectives must agree).
    pyomo   ``sourcing.build_pyomo`` (the same blocks as a Pyomo model) solved through Pyomo's
            appsi HiGHS interface: the extension path.
    linopy  the same formulation in linopy (if installed: ``pip install -e ".[bench]"``),
            handed to HiGHS directly.

Every path reports seconds for build (everything before the handoff, including loading),
handoff, solve, extract (reading the solution back and whatever the path makes of it) and total,
its objective and its peak resident memory. Imports are not timed (Pyomo's takes about a second).
Runs alternate between paths (HiGHS varies by ±15% run to run on a shared machine), and the table
shows medians and ratios to the floor measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PATHS = ("engine", "whole", "floor", "floor-nopresolve", "numpy", "pyomo", "linopy")
CAP = 0.65


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------------------------------------
# the floor: numpy CSR straight into highspy
# ---------------------------------------------------------------------------------------------
def matrix_file(rung: str) -> Path:
    return ROOT / "instances" / "ladder" / rung / "matrix.npz"  # no engine import in the floor


def write_matrix(rung: str) -> Path:
    """The engine's LP of the rung as numpy arrays in one file: the floor's input (written once,
    outside every timed run)."""
    import numpy as np

    from sourcing.api import load
    from sourcing.bench.ladder import ensure
    from sourcing.model.build import build
    from sourcing.model.index import index_instance

    path = matrix_file(rung)
    if path.exists():
        return path
    instance, model = load(ensure(rung), "eu-crma")
    lp, _ = build(index_instance(instance), model)
    starts, index, values = lp.csr()
    lower, upper = lp.bounds()
    row_lower, row_upper = lp.row_bounds()
    np.savez(
        path,
        cost=lp.cost_vector(),
        lower=lower,
        upper=upper,
        row_lower=row_lower,
        row_upper=row_upper,
        starts=starts.astype(np.int32),
        index=index.astype(np.int32),
        values=values,
    )
    return path


def run_floor(rung: str, presolve: str | None = None) -> dict:
    """HiGHS alone: the engine's own matrix, read from a numpy file, passed straight to highspy,
    solved, and the solution read back. Nothing of the engine runs in this process. ``presolve``:
    HiGHS's option of that name, if not its default."""
    import numpy as np

    path = matrix_file(rung)
    start = time.perf_counter()
    with np.load(path) as arrays:
        m = {name: arrays[name] for name in arrays.files}
    read = time.perf_counter()
    matrix = (m["starts"], m["index"], m["values"])
    bounds = (m["lower"], m["upper"], m["row_lower"], m["row_upper"])
    return highs_alone(m["cost"], bounds, matrix, start, read, presolve)


def run_floor_without_presolve(rung: str) -> dict:
    """HiGHS alone as ``floor``, with its presolve off, as the engine solves an LP block."""
    return run_floor(rung, presolve="off")


def highs_alone(
    cost, bounds, matrix, start: float, built: float, presolve: str | None = None
) -> dict:
    """Hand an LP in arrays (CSR ``matrix`` = starts, column indices, values) straight to
    highspy, solve, read the solution and duals back; seconds per phase since ``start``."""
    import highspy
    import numpy as np

    lower, upper, row_lower, row_upper = bounds
    starts, index, values = matrix
    n_cols, n_rows = len(cost), len(row_lower)
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    if presolve is not None:
        highs.setOptionValue("presolve", presolve)
    highs.passModel(
        n_cols,
        n_rows,
        len(values),
        int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        cost,
        lower,
        upper,
        row_lower,
        row_upper,
        np.asarray(starts[:-1], dtype=np.int32),
        np.asarray(index, dtype=np.int32),
        values,
        np.zeros(n_cols, dtype=np.int32),  # an LP still needs a full-length integrality array
    )
    handoff = time.perf_counter()
    highs.run()
    solved = time.perf_counter()
    solution = highs.getSolution()
    x, duals = np.asarray(solution.col_value), np.asarray(solution.row_dual)
    objective = highs.getInfo().objective_function_value
    done = time.perf_counter()
    assert len(x) == n_cols and len(duals) == n_rows
    return {
        "status": highs.modelStatusToString(highs.getModelStatus()),
        "objective": objective,
        "variables": n_cols,
        "constraints": n_rows,
        "seconds": {
            "build": built - start,
            "handoff": handoff - built,
            "solve": solved - handoff,
            "extract": done - solved,
            "total": done - start,
        },
    }


def run_numpy(rung: str) -> dict:
    """Build the rung's LP with numpy (the engine's formulation, variable for variable) and solve.

    Variables: supply q_o (mine and refinery offers), flow x_l (mine→refinery, refinery→plant),
    stage volume V_ms. Rows: q_o − Σ_out x = 0; q_r − y Σ_in x = 0; V_ms − Σ q = 0;
    Σ_deliveries x = d; q_o − 0.65 V_ms ≤ 0 for offers of non-EU countries.
    """
    import numpy as np

    from sourcing.bench.ladder import generate

    tables, _ = generate(rung)
    start = time.perf_counter()
    supply, countries = tables["supply"], tables["countries"]
    transport = tables["transport"]
    minerals = tables["minerals"]["mineral"].to_numpy()
    n_min, n_cty = len(minerals), len(countries)
    y = float(tables["yields"]["yield"].iloc[0])
    demand = tables["demand"]["quantity"].to_numpy(dtype=float)
    # supply rows are mineral-major: mining block then refining block, countries in order
    mine = supply[supply["stage"] == "mining"]
    refine = supply[supply["stage"] == "refining"]
    n_off = 2 * n_min * n_cty
    cap = np.concatenate([mine["capacity"].to_numpy(float), refine["capacity"].to_numpy(float)])
    price = np.concatenate([mine["price"].to_numpy(float), refine["price"].to_numpy(float)])
    # transport cost between countries i → j (0 at home)
    dist = np.zeros((n_cty, n_cty))
    code = {c: i for i, c in enumerate(countries["country"])}
    dist[transport["from"].map(code).to_numpy(), transport["to"].map(code).to_numpy()] = transport[
        "cost"
    ].to_numpy(float)

    # columns: supply [0, n_off), mine→refinery flows, refinery→plant flows, volumes
    m_idx, i_idx, j_idx = np.meshgrid(
        np.arange(n_min), np.arange(n_cty), np.arange(n_cty), indexing="ij"
    )
    m_idx, i_idx, j_idx = m_idx.ravel(), i_idx.ravel(), j_idx.ravel()
    n_upstream = len(m_idx)
    mine_offer = m_idx * n_cty + i_idx  # offer ids of mines
    refinery_offer = n_min * n_cty + m_idx * n_cty + j_idx
    up0 = n_off
    down0 = up0 + n_upstream
    n_down = n_min * n_cty
    vol0 = down0 + n_down
    n_cols = vol0 + 2 * n_min
    plant = code[tables["sites"]["country"].iloc[0]]
    ref_m, ref_j = np.repeat(np.arange(n_min), n_cty), np.tile(np.arange(n_cty), n_min)

    cost = np.concatenate([price, dist[i_idx, j_idx], dist[ref_j, plant], np.zeros(2 * n_min)])
    lower = np.zeros(n_cols)
    upper = np.full(n_cols, np.inf)
    upper[:n_off] = cap

    # rows: output (n_off), input (refinery offers), volume (2 n_min), demand (n_min), caps
    eu = countries["groups"].fillna("").to_numpy() == "EU"
    offer_country = np.tile(np.arange(n_cty), 2 * n_min)
    capped = np.flatnonzero(~eu[offer_country])
    r_out, r_in = 0, n_off
    r_vol = r_in + n_min * n_cty
    r_dem = r_vol + 2 * n_min
    r_cap = r_dem + n_min
    n_rows = r_cap + len(capped)
    ups = np.arange(up0, down0)
    downs = np.arange(down0, vol0)
    offer_stage_volume = vol0 + np.concatenate(
        [2 * np.repeat(np.arange(n_min), n_cty), 2 * np.repeat(np.arange(n_min), n_cty) + 1]
    )
    rows = np.concatenate(
        [
            r_out + np.arange(n_off),  # q_o
            r_out + mine_offer,  # − x(mine → refinery) leaving mines
            r_out + n_min * n_cty + ref_m * n_cty + ref_j,  # − x(refinery → plant)
            r_in + np.arange(n_min * n_cty),  # q_r
            r_in + refinery_offer - n_min * n_cty,  # − y x(in)
            r_vol + np.arange(2 * n_min),  # V
            offer_stage_volume - vol0 + r_vol,  # − q_o
            r_dem + ref_m,  # deliveries
            r_cap + np.arange(len(capped)),  # q_o
            r_cap + np.arange(len(capped)),  # − 0.65 V
        ]
    )
    cols = np.concatenate(
        [
            np.arange(n_off),
            ups,
            downs,
            np.arange(n_min * n_cty, n_off),
            ups,
            vol0 + np.arange(2 * n_min),
            np.arange(n_off),
            downs,
            capped,
            offer_stage_volume[capped],
        ]
    )
    vals = np.concatenate(
        [
            np.ones(n_off),
            -np.ones(n_upstream),
            -np.ones(n_down),
            np.ones(n_min * n_cty),
            np.full(n_upstream, -y),
            np.ones(2 * n_min),
            -np.ones(n_off),
            np.ones(n_down),
            np.ones(len(capped)),
            np.full(len(capped), -CAP),
        ]
    )
    row_lower = np.concatenate([np.zeros(r_dem), demand, np.full(len(capped), -np.inf)])
    row_upper = np.concatenate([np.zeros(r_dem), demand, np.zeros(len(capped))])
    order = np.lexsort((cols, rows))  # CSR: by row, then column
    rows, cols, vals = rows[order], cols[order], vals[order]
    starts = np.searchsorted(rows, np.arange(n_rows + 1)).astype(np.int32)
    build = time.perf_counter()
    bounds = (lower, upper, row_lower, row_upper)
    return highs_alone(cost, bounds, (starts, cols, vals), start, build)


# ---------------------------------------------------------------------------------------------
# the engine, its Pyomo model, linopy
# ---------------------------------------------------------------------------------------------
def run_engine(rung: str, blocks: bool | None = None) -> dict:
    import sourcing
    from sourcing.bench.ladder import ensure

    folder = ensure(rung)
    start = time.perf_counter()
    plan = sourcing.solve(folder, "eu-crma", blocks=blocks)
    total = time.perf_counter() - start
    s = plan.stats["seconds"]
    build = sum(s.get(k, 0.0) for k in ("load", "index", "check", "build"))
    return {
        "status": plan.termination_condition.value,
        "objective": plan.objective,
        "variables": plan.stats["variables"],
        "constraints": plan.stats["constraints"],
        "seconds": {
            "build": build,
            "handoff": s["handoff"],
            "solve": s["solve"],
            "extract": s.get("extract", 0.0) + s.get("duals", 0.0),
            "total": total,
            **{f"engine_{k}": v for k, v in s.items()},
        },
    }


def run_pyomo(rung: str) -> dict:
    import gc

    import sourcing
    from sourcing.bench.ladder import ensure
    from sourcing.model.pyomo_model import solve_pyomo

    folder = ensure(rung)
    start = time.perf_counter()
    gc.disable()  # PERFORMANCE.md: Pyomo builds millions of objects; the collector only slows it
    model = sourcing.build_pyomo(folder, "eu-crma")
    gc.enable()
    build = time.perf_counter()
    objective = solve_pyomo(model)  # appsi: handoff, solve and loading the solution back
    solved = time.perf_counter()
    return {
        "status": "optimal",  # solve_pyomo raises otherwise
        "objective": objective,
        "variables": model.nvariables(),
        "constraints": model.nconstraints(),
        "seconds": {
            "build": build - start,
            "handoff": float("nan"),
            "solve": solved - build,
            "extract": float("nan"),
            "total": solved - start,
        },
    }


def run_linopy(rung: str) -> dict:
    import linopy
    import numpy as np
    import xarray as xr

    from sourcing.bench.ladder import generate

    tables, _ = generate(rung)
    start = time.perf_counter()
    supply, countries, transport = tables["supply"], tables["countries"], tables["transport"]
    minerals = tables["minerals"]["mineral"].to_numpy()
    names = countries["country"].to_numpy()
    n_min, n_cty = len(minerals), len(names)
    y = float(tables["yields"]["yield"].iloc[0])
    code = {c: i for i, c in enumerate(names)}
    dist = np.zeros((n_cty, n_cty))
    dist[transport["from"].map(code), transport["to"].map(code)] = transport["cost"]
    plant = code[tables["sites"]["country"].iloc[0]]
    demand = float(tables["demand"]["quantity"].iloc[0])

    def grid(stage: str, column: str) -> xr.DataArray:
        values = supply.loc[supply["stage"] == stage, column].to_numpy(float).reshape(n_min, n_cty)
        return xr.DataArray(values, coords={"mineral": minerals, "country": names})

    c = {"mineral": minerals, "country": names}
    m = linopy.Model()
    mine = m.add_variables(lower=0, upper=grid("mining", "capacity"), coords=c, name="mine")
    refine = m.add_variables(lower=0, upper=grid("refining", "capacity"), coords=c, name="refine")
    flow = m.add_variables(
        lower=0,
        coords={"mineral": minerals, "country": names, "to": names},
        name="flow",
    )
    deliver = m.add_variables(lower=0, coords=c, name="deliver")
    to_dim = xr.DataArray(dist, coords={"country": names, "to": names})
    home = xr.DataArray(dist[:, plant], coords={"country": names})
    m.add_constraints(mine - flow.sum("to") == 0, name="mine_output")
    m.add_constraints(refine - y * flow.sum("country").rename({"to": "country"}) == 0, name="input")
    m.add_constraints(refine - deliver == 0, name="refine_output")
    m.add_constraints(deliver.sum("country") == demand, name="demand")
    capped = xr.DataArray(
        countries["groups"].fillna("").to_numpy() != "EU", coords={"country": names}
    )
    m.add_constraints(
        mine - CAP * mine.sum("country") <= 0,
        name="cap_mining",
        mask=capped.broadcast_like(grid("mining", "price")),
    )
    m.add_constraints(
        refine - CAP * refine.sum("country") <= 0,
        name="cap_refining",
        mask=capped.broadcast_like(grid("refining", "price")),
    )
    m.add_objective(
        (grid("mining", "price") * mine).sum()
        + (grid("refining", "price") * refine).sum()
        + (to_dim * flow).sum()
        + (home * deliver).sum()
    )
    build = time.perf_counter()
    status, condition = m.solve("highs", io_api="direct", output_flag=False)
    solved = time.perf_counter()
    return {
        "status": condition,
        "objective": float(m.objective.value),
        "variables": int(m.nvars),
        "constraints": int(m.ncons),
        "seconds": {
            "build": build - start,
            "handoff": float("nan"),
            "solve": solved - build,
            "extract": float("nan"),
            "total": solved - start,
        },
    }


def run_whole(rung: str) -> dict:
    """The engine handing HiGHS the program as one matrix (``--whole``), as before issue 12."""
    return run_engine(rung, blocks=False)


RUNNERS = {
    "engine": run_engine,
    "whole": run_whole,
    "floor": run_floor,
    "floor-nopresolve": run_floor_without_presolve,
    "numpy": run_numpy,
    "pyomo": run_pyomo,
    "linopy": run_linopy,
}


def one(path: str, rung: str) -> dict:
    record = RUNNERS[path](rung)
    record.update(path=path, rung=rung, peak_memory_mb=_peak_mb())
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rung", default="lp-100k")
    parser.add_argument("--paths", default="engine,floor,numpy,pyomo,linopy")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write every run here")
    parser.add_argument("--one", choices=PATHS, help=argparse.SUPPRESS)  # a child's single run
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, args.rung)))
        return 0

    from sourcing.bench.ladder import ensure

    ensure(args.rung)  # written once, outside the timed runs
    write_matrix(args.rung)
    paths = [p for p in args.paths.split(",") if p]
    runs: list[dict] = []
    for r in range(args.repeat):
        for path in paths:  # alternate: each repeat visits every path once
            child = subprocess.run(
                [sys.executable, __file__, "--one", path, "--rung", args.rung],
                capture_output=True,
                text=True,
            )
            if child.returncode != 0:
                print(f"{path}: failed\n{child.stderr[-2000:]}", file=sys.stderr)
                continue
            record = json.loads(child.stdout.strip().splitlines()[-1])
            record["repeat"] = r + 1
            runs.append(record)
            print(
                f"{path:7} #{r + 1}: {record['seconds']['total']:.2f} s, "
                f"{record['peak_memory_mb']:.0f} MB, objective {record['objective']}",
                file=sys.stderr,
            )
    print(table(runs, args.rung))
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2) + "\n")
    return 0


def table(runs: list[dict], rung: str) -> str:
    """A markdown table of medians per path, with ratios to the floor."""
    by_path: dict[str, list[dict]] = {}
    for run in runs:
        by_path.setdefault(run["path"], []).append(run)

    def median(path: str, key: str) -> float:
        values = [r["seconds"][key] for r in by_path[path]]
        values = [v for v in values if v == v]  # NaN: the path does not report the phase
        return statistics.median(values) if values else float("nan")

    floor_total = median("floor", "total") if "floor" in by_path else float("nan")
    floor_memory = (
        statistics.median(r["peak_memory_mb"] for r in by_path["floor"])
        if "floor" in by_path
        else float("nan")
    )
    first = runs[0] if runs else {}
    lines = [
        f"rung {rung}: {first.get('variables', 0):,} variables (engine's count may differ), "
        f"medians of {max(len(v) for v in by_path.values()) if by_path else 0} run(s)",
        "",
        "| path | build s | handoff s | solve s | extract s | total s | total ÷ floor "
        "| peak MB | memory ÷ floor | objective |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for path, group in by_path.items():
        memory = statistics.median(r["peak_memory_mb"] for r in group)
        cells = [f"{median(path, k):.2f}" for k in ("build", "handoff", "solve", "extract")]
        total = median(path, "total")
        lines.append(
            f"| {path} | {' | '.join(cells)} | {total:.2f} | {total / floor_total:.2f} "
            f"| {memory:,.0f} | {memory / floor_memory:.2f} | {group[0]['objective']:.6f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
