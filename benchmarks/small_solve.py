"""The engine's fixed cost on small instances: per-phase medians of ``sourcing.solve`` in one
process, after warm-up, and optionally a cProfile of the same solves.

    python benchmarks/small_solve.py                       # both cases, 200 solves each
    python benchmarks/small_solve.py --repeat 50 --profile 25

Cases (what the service's latency benchmark posts, solved in-process, as the warm worker does):
    two-plants   the 4-supplier gallium case (tests.test_scenarios.two_plants) as a JSON
                 document under the default model (what ``service_load.py latency`` posts)
    demo         the battery demo as a JSON document under eu-crma (what ``service_load.py
                 concurrent`` posts)

Each case is solved from the same document each time (a dict, as the service receives it), so
loading and validating the document is counted. Timings are printed, never asserted; the
objective of every solve is checked against the first one.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test helpers build the inputs
from tests.conftest import DEMO  # noqa: E402 - importable once ROOT is on the path
from tests.test_scenarios import two_plants  # noqa: E402

PHASES = ("load", "index", "check", "build", "handoff", "solve", "extract")


def cases() -> dict[str, tuple[dict[str, Any], str | None]]:
    import sourcing

    demo = sourcing.load_instance(DEMO).model_dump(mode="json", exclude_none=True)
    return {"two-plants": (two_plants(), None), "demo": (demo, "eu-crma")}


def run(document: dict[str, Any], model: str | None, repeat: int) -> dict[str, list[float]]:
    import sourcing

    times: dict[str, list[float]] = {p: [] for p in (*PHASES, "wall")}
    objective = None
    for i in range(repeat + 5):  # five warm-up solves, not counted
        began = time.perf_counter()
        plan = sourcing.solve(document, model)
        wall = time.perf_counter() - began
        if objective is None:
            objective = plan.objective
        elif plan.objective != objective:
            raise SystemExit(f"objective moved: {plan.objective} != {objective}")
        if i < 5:
            continue
        for phase in PHASES:
            times[phase].append(plan.stats["seconds"].get(phase, 0.0))
        times["wall"].append(wall)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="timed solves per case")
    parser.add_argument("--profile", type=int, default=0, help="also profile N solves per case")
    parser.add_argument("--top", type=int, default=40, help="profile: rows to print")
    parser.add_argument("--cases", default="two-plants,demo", help="comma-separated")
    args = parser.parse_args(argv)
    chosen = cases()
    names = [n for n in args.cases.split(",") if n]
    print("median ms per phase (" + str(args.repeat) + " solves after 5 warm-up)")
    print(f"{'case':<12}" + "".join(f"{p:>9}" for p in (*PHASES, "wall")))
    for name in names:
        document, model = chosen[name]
        times = run(document, model, args.repeat)
        row = "".join(f"{statistics.median(times[p]) * 1000:>9.1f}" for p in (*PHASES, "wall"))
        print(f"{name:<12}{row}", flush=True)
    if args.profile:
        import sourcing

        for name in names:
            document, model = chosen[name]
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.profile):
                sourcing.solve(document, model)
            profiler.disable()
            print(f"\n== profile of {args.profile} solves of {name}")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
