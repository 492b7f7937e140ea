"""Warm re-solves against cold solves: what a sweep (stress, frontier) saves per point.

    python benchmarks/warm.py --rung lp-100k --countries 6

For each of the largest supplier countries of the rung's plan under the EU cap, the country is
lost (its supply bounds set to 0) and the model re-solved three ways, in one process:

    cold rebuild   sourcing.solve on the instance without the country: load, index, build,
                   hand off, solve, extract (what a script looping over `sourcing solve` pays)
    cold solve     the built matrix with the country's bounds at 0, handed to a new HiGHS and
                   solved from scratch (no modelling cost, no warm start)
    warm           the same change made in the Session that solved the base plan, re-solved
                   from the base plan's basis (what `sourcing stress` does)

and the objectives of the three must agree. Printed: seconds per point (median) and the ratios.
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
    parser.add_argument("--countries", type=int, default=6)
    args = parser.parse_args(argv)

    import numpy as np

    import sourcing
    from sourcing.api import load
    from sourcing.bench.ladder import ensure
    from sourcing.model.build import build
    from sourcing.model.index import index_instance
    from sourcing.solver import SolverOptions, solve_lp
    from sourcing.solver.session import Session

    folder = ensure(args.rung)
    instance, model = load(folder, "eu-crma")
    data = index_instance(instance)
    lp, network = build(data, model)
    session = Session(lp, SolverOptions())
    base = session.solve()
    base_basis = session.basis  # every loss starts from the base plan, as `sourcing stress` does
    supplied = data.offers.assign(q=base.x[network.supply]).groupby("country")["q"].sum()
    lost = supplied.sort_values(ascending=False).index[: args.countries]
    lower, upper = lp.bounds()
    times: dict[str, list[float]] = {"cold rebuild": [], "cold solve": [], "warm": []}
    for country in lost:
        cols = network.supply[(data.offers["country"] == country).to_numpy()]

        started = time.perf_counter()
        document = instance.model_dump()
        document["supply"] = [r for r in document["supply"] if r["country"] != country]
        rebuilt = sourcing.solve(document, "eu-crma")
        times["cold rebuild"].append(time.perf_counter() - started)

        fixed = (cols, np.zeros(len(cols)))
        started = time.perf_counter()
        cold = solve_lp(lp, SolverOptions(), fix=fixed)
        times["cold solve"].append(time.perf_counter() - started)

        started = time.perf_counter()
        session.set_column_bounds(cols, upper=0.0)
        warm = session.solve(basis=base_basis)
        times["warm"].append(time.perf_counter() - started)
        session.set_column_bounds(cols, upper=upper[cols])

        agree = [rebuilt.objective, cold.objective, warm.objective]
        if None in agree or max(agree) - min(agree) > 1e-6 * max(1.0, abs(agree[0])):
            raise SystemExit(f"{country}: the three solves disagree: {agree}")
        print(f"without {country}: {warm.objective:,.2f}", file=sys.stderr)

    warm_median = statistics.median(times["warm"])
    print(f"{args.rung}, {len(lost)} countries lost one at a time (seconds per point, median)\n")
    print("| way | seconds | ÷ warm |")
    print("|---|---|---|")
    for way, values in times.items():
        median = statistics.median(values)
        print(f"| {way} | {median:.3f} | {median / warm_median:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
