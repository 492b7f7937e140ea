"""MIP formulations side by side: the engine's against the textbook ones, same HiGHS, same limit.

    python benchmarks/mip.py orlib/capb-8000 --time-limit 600
    python benchmarks/mip.py ladder/mip-100k --time-limit 120 --variants weak,strong,engine

Variants (all from the engine's own build, so the data and the objective are identical):
    weak     the textbook big-M form: one linking row per supplier, q_o ≤ U_o w_o (the engine's
             ``contract_lane`` and ``contract_cover`` rows switched off)
    strong   the textbook strong form of facility location: a linking row per lane as well,
             x_l ≤ U_l w_o (``contract_cover`` off): what HiGHS is usually given
    engine   what ``sourcing solve`` hands HiGHS: lanes, cover rows, and a starting plan when the
             engine finds one (see sourcing.solve)

Each variant runs in a fresh process, one after the other, with one HiGHS thread, and reports
status, objective, bound, gap, seconds and branch-and-bound nodes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VARIANTS = ("weak", "strong", "engine")
SWITCHED_OFF = {"weak": ("contract_lane", "contract_cover"), "strong": ("contract_cover",)}


def run(name: str, model: str | None, variant: str, time_limit: float) -> dict:
    import numpy as np

    from sourcing.api import load
    from sourcing.bench import instance_folder, model_argument
    from sourcing.model.build import build
    from sourcing.model.index import index_instance
    from sourcing.solver import SolverOptions, solve_lp
    from sourcing.solver.start import solve_with_start

    folder = instance_folder(name)
    instance, spec = load(folder, model_argument(model) if model else None)
    lp, _ = build(index_instance(instance), spec)
    for family in SWITCHED_OFF.get(variant, ()):
        block = lp.constraints.get(family)
        if block is not None:  # a free row: HiGHS's presolve drops it
            block.lower[:] = -np.inf
            block.upper[:] = np.inf
    options = SolverOptions(time_limit=time_limit, threads=1)
    started = time.perf_counter()
    raw = solve_with_start(lp, options) if variant == "engine" else solve_lp(lp, options)
    seconds = time.perf_counter() - started
    return {
        "instance": name,
        "variant": variant,
        "status": raw.status.value,
        "termination": raw.termination.value,
        "objective": raw.objective,
        "bound": raw.bound,
        "gap": raw.gap,
        "seconds": seconds,
        "nodes": raw.nodes,
        "start": raw.start_objective,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance", help="a name of instances/index.csv, e.g. orlib/capb-8000")
    parser.add_argument("--model", help="model name or path (default: the instance's index row)")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    model = args.model
    if model is None:
        from sourcing.bench import read_index

        rows = [e for e in read_index() if e.name == args.instance]
        model = rows[0].model if rows else None
    if args.one:
        print(json.dumps(run(args.instance, model, args.one, args.time_limit)))
        return 0
    records = []
    for variant in args.variants.split(","):
        command = [sys.executable, __file__, args.instance, "--one", variant]
        command += ["--time-limit", str(args.time_limit)] + (["--model", model] if model else [])
        child = subprocess.run(command, capture_output=True, text=True)
        if child.returncode != 0:
            print(f"{variant}: failed\n{child.stderr[-2000:]}", file=sys.stderr)
            continue
        record = json.loads(child.stdout.strip().splitlines()[-1])
        records.append(record)
        print(json.dumps(record), file=sys.stderr)
    print(f"{args.instance}, time limit {args.time_limit:g} s, one thread\n")
    print("| variant | status | objective | bound | gap | seconds | nodes | starting plan |")
    print("|---|---|---|---|---|---|---|---|")
    for r in records:
        gap = "" if r["gap"] is None else f"{r['gap']:.2e}"
        objective = "" if r["objective"] is None else f"{r['objective']:,.3f}"
        bound = "" if r["bound"] is None else f"{r['bound']:,.3f}"
        start = "" if r["start"] is None else f"{r['start']:,.3f}"
        print(
            f"| {r['variant']} | {r['status']} | {objective} | {bound} | {gap} "
            f"| {r['seconds']:.1f} | {r['nodes']} | {start} |"
        )
    if args.json:
        args.json.write_text(json.dumps(records, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
