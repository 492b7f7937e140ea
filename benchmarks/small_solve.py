"""The engine's fixed cost on small instances: per-phase medians of ``sourcing.solve`` in one
process, after warm-up, and optionally a cProfile of the same solves.

    python benchmarks/small_solve.py                        # both cases, 200 solves each
    python benchmarks/small_solve.py --before /tmp/base     # and another checkout, same run
    python benchmarks/small_solve.py --repeat 50 --profile 25

Cases (what the service's latency benchmark posts, solved in-process, as a warm worker does):
    two-plants   the 4-supplier gallium case (tests.test_scenarios.two_plants) as a JSON
                 document under the default model (what ``service_load.py latency`` posts)
    demo         the battery demo as a JSON document under eu-crma (what ``service_load.py
                 concurrent`` posts)
and, for each, the plan's JSON (``Plan.to_json``, what a worker sends back) in ``to_json``.

Each case is solved from the same document each time (a dict, as the service receives it), so
loading and validating the document is counted. Each checkout runs in a child process of its
own (``--before PATH``: a checkout of another commit, e.g. ``git worktree add --detach
/tmp/base COMMIT``; this script imports the engine and the test helpers from it), the two
alternately case by case, and the last columns give this checkout's wall time and the ratio.
Timings are printed, never asserted; every solve's objective is checked against the first.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("load", "index", "check", "build", "handoff", "solve", "extract")
COLUMNS = (*PHASES, "wall", "to_json")
CASES = ("two-plants", "demo")


def cases() -> dict[str, tuple[dict[str, Any], str | None]]:
    import sourcing
    from tests.conftest import DEMO
    from tests.test_scenarios import two_plants

    demo = sourcing.load_instance(DEMO).model_dump(mode="json", exclude_none=True)
    return {"two-plants": (two_plants(), None), "demo": (demo, "eu-crma")}


def measure(name: str, repeat: int) -> dict[str, float]:
    """Median milliseconds per phase of ``repeat`` solves of one case, after five unmeasured."""
    import sourcing

    document, model = cases()[name]
    times: dict[str, list[float]] = {c: [] for c in COLUMNS}
    objective = None
    for i in range(repeat + 5):
        began = time.perf_counter()
        plan = sourcing.solve(document, model)
        wall = time.perf_counter() - began
        began = time.perf_counter()
        plan.to_json(indent=None)
        to_json = time.perf_counter() - began
        if objective is None:
            objective = plan.objective
        elif plan.objective != objective:
            raise SystemExit(f"{name}: objective moved: {plan.objective} != {objective}")
        if i >= 5:
            for phase in PHASES:
                times[phase].append(plan.stats["seconds"].get(phase, 0.0))
            times["wall"].append(wall)
            times["to_json"].append(to_json)
    return {c: statistics.median(v) * 1000 for c, v in times.items()}


def in_child(checkout: Path, name: str, repeat: int) -> dict[str, float]:
    """:func:`measure` in a fresh process importing ``checkout``'s engine."""
    command = [sys.executable, __file__, "--child", name, "--repeat", str(repeat)]
    command += ["--root", str(checkout)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def profile(names: list[str], count: int, top: int) -> None:
    import sourcing

    chosen = cases()
    for name in names:
        document, model = chosen[name]
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(count):
            sourcing.solve(document, model)
        profiler.disable()
        print(f"\n== profile of {count} solves of {name}")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="timed solves per case")
    parser.add_argument("--before", type=Path, help="another checkout, measured in the same run")
    parser.add_argument("--profile", type=int, default=0, help="also profile N solves per case")
    parser.add_argument("--top", type=int, default=40, help="profile: rows to print")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)  # one case, JSON out
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.root.resolve()))  # the engine and the test helpers measured
    if args.child:
        print(json.dumps(measure(args.child, args.repeat)))
        return 0
    names = [n for n in args.cases.split(",") if n]
    ways = [("before", args.before.resolve())] if args.before else []
    ways.append(("this", ROOT))
    print(f"median ms per phase, {args.repeat} solves after 5 unmeasured, each case and checkout")
    print("in a process of its own")
    print("| case | checkout | " + " | ".join(COLUMNS) + " | wall ÷ this |")
    print("|---|---|" + "---|" * (len(COLUMNS) + 1))
    for name in names:
        measured = [(label, in_child(path, name, args.repeat)) for label, path in ways]
        this = measured[-1][1]["wall"]
        for label, row in measured:
            cells = " | ".join(f"{row[c]:.1f}" for c in COLUMNS)
            print(f"| {name} | {label} | {cells} | {row['wall'] / this:.2f} |", flush=True)
    if args.profile:
        profile(names, args.profile, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
