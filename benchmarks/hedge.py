"""The hedge's extensive form against solving its scenarios one by one.

    python benchmarks/hedge.py --rung lp-100k --scenarios 3

On a rung of the ladder under eu-crma, the largest supplier countries of the base plan are lost
one per scenario (capacity cut 100%, inline scenarios, probability 0.1 each; the base takes the
rest). Timed in one process, alternating, REPEAT times each (median):

    separate    sourcing.solve of the base and of each scenario: K + 1 plans, what a planner
                looping over `sourcing solve --scenario` pays (no reservations, no coupling)
    extensive   the hedge's one program: the K + 1 scenario programs built, stacked with the
                reservations (sourcing.analysis.extensive) and solved by HiGHS in one solve
    hedge       `sourcing hedge` whole: the extensive form, then each scenario alone with
                perfect foresight (EVPI), then the base-only reservations evaluated (VSS)

Printed: the sizes of one scenario's program and of the extensive form, seconds of each way
and their ratios to ``separate``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rung", default="lp-100k")
    parser.add_argument("--model", default="eu-crma")
    parser.add_argument("--scenarios", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)

    import sourcing
    from sourcing.analysis.common import build_model
    from sourcing.analysis.extensive import ScenarioProgram, extensive_form
    from sourcing.analysis.hedge import hedge
    from sourcing.api import load
    from sourcing.bench.ladder import ensure
    from sourcing.scenarios import apply_scenarios
    from sourcing.solver import SolverOptions, solve_lp

    folder = ensure(args.rung)
    base_plan = sourcing.solve(folder, args.model)
    value = base_plan.shares.groupby("country")["value"].sum().sort_values(ascending=False)
    lost = list(value.index[: args.scenarios])
    scenarios = [
        {"name": f"lose-{c}", "changes": [{"change": "capacity", "countries": [c], "cut": 1.0}]}
        for c in lost
    ]
    spec = {
        "reservation_fee": 0.1,
        "spot_premium": 0.5,
        "scenarios": [{"scenario": s, "probability": 0.1} for s in scenarios],
    }
    base_probability = 1 - 0.1 * len(scenarios)

    def separate() -> float:
        return sum(
            sourcing.solve(folder, args.model, scenario=s).objective or 0.0
            for s in [None, *scenarios]
        )

    def extensive() -> float:
        loaded, model = load(folder, args.model)
        programs = []
        for name, scenario, p in [("base", None, base_probability)] + [
            (s["name"], s, 0.1) for s in scenarios
        ]:
            changed, warnings = apply_scenarios(loaded, scenario)
            built = build_model(changed, model, warnings)
            programs.append(ScenarioProgram(name, p, built.data, built.lp, built.network))
        form = extensive_form(programs[0].data, programs, 0.1, 0.5)
        sizes["extensive"] = (form.lp.n_vars, form.lp.n_rows, form.lp.n_nonzeros)
        one = programs[0].lp
        sizes["one scenario"] = (one.n_vars, one.n_rows, one.n_nonzeros)
        raw = solve_lp(form.lp, SolverOptions())
        return raw.objective or 0.0

    def whole() -> float:
        return hedge(folder, args.model, hedge=spec).objective

    sizes: dict[str, tuple[int, int, int]] = {}
    ways = {"separate": separate, "extensive": extensive, "hedge": whole}
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.repeat):
        for name, way in ways.items():
            started = time.perf_counter()
            way()
            times[name].append(time.perf_counter() - started)
    print(f"{args.rung} under {args.model}: losing {', '.join(lost)} (p = 0.1 each)")
    for name, (cols, rows, nonzeros) in sizes.items():
        print(f"  {name}: {cols:,} columns, {rows:,} rows, {nonzeros:,} nonzeros")
    reference = statistics.median(times["separate"])
    print("| way | seconds (median) | ÷ separate |")
    print("|---|---|---|")
    for name, measured in times.items():
        median = statistics.median(measured)
        print(f"| {name} | {median:.2f} | {median / reference:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
