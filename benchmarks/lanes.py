"""Peak memory of a solve when lanes exist only within each country (issue 12, item 7).

    python benchmarks/lanes.py                       # N = 1000, 2000, 4000; a markdown table
    python benchmarks/lanes.py --countries 500 6000  # other sizes

The red-team case: N countries each mine and refine three minerals (m1, m2, m3); there is no
``transport_default`` and no ``transport`` table, so a lane exists only from a country's mine to
its own refinery, and from each refinery to the buyer's door (no ``sites``: the default site
takes delivery at the supplier's door). The allowed lanes number 3 × N (mining → refining) +
3 × N (refining → buyer) = 6N, against the 3 × N² mining × refining pairs a dense product makes.

Country ``k`` (1..N) offers 10 t of each mineral at each stage, mining at ``10 + k mod 7``,
refining at ``20 + k mod 5`` per t; demand is 5N t of each mineral (half of all capacity), so
the plan is unique in cost and the optimum is a closed form the script checks:
per mineral, the cheapest N/2 countries by mining + refining price, 10 t each.

The instance is written as a CSV folder (as a planner would hand it over) and each N is solved
by ``sourcing solve -f json`` in a fresh process that reports its own peak resident memory
(``ru_maxrss``) on exit. The script imports nothing from sourcing; ``--before PATH`` solves each
N with the checkout at PATH as well (``git archive COMMIT | tar -x -C PATH``), in the same run,
and gives the ratio of the two peaks.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MINERALS = ("m1", "m2", "m3")
STAGES = ("mining", "refining")
CAPACITY = 10.0

#: Runs the command line and reports its own peak memory on exit (ru_maxrss is per process).
RUN = (
    "import atexit, resource, sys; atexit.register(lambda: print("
    "f'peak_kb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}', file=sys.stderr));"
    "from sourcing.cli import main; sys.argv = ['sourcing'] + sys.argv[1:]; main()"
)


def prices(k: int) -> tuple[float, float]:
    """Country k's (mining, refining) price per t."""
    return 10.0 + k % 7, 20.0 + k % 5


def expected_objective(n: int) -> float:
    """Per mineral, the demand (5N t = N/2 countries × 10 t) taken from the countries whose
    mining + refining price is lowest: the sum of the N/2 smallest sums, times 10 t."""
    totals = sorted(sum(prices(k)) for k in range(1, n + 1))
    demand = 5.0 * n
    per_mineral, left = 0.0, demand
    for total in totals:
        take = min(CAPACITY, left)
        per_mineral += take * total
        left -= take
        if left <= 0:
            break
    return per_mineral * len(MINERALS)


def write_instance(folder: Path, n: int) -> None:
    """The red-team instance with ``n`` countries, as a CSV folder."""
    folder.mkdir(parents=True, exist_ok=True)
    countries = [f"C{k:05d}" for k in range(1, n + 1)]
    (folder / "instance.yaml").write_text(
        f"name: lanes-{n}\n"
        "description: every country mines and refines three minerals; lanes only within each\n"
        "stages: [mining, refining]\n"
    )

    def table(name: str, header: list[str], rows) -> None:
        with open(folder / f"{name}.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)

    table("minerals", ["mineral"], [[m] for m in MINERALS])
    table("countries", ["country"], [[c] for c in countries])
    table(
        "supply",
        ["mineral", "stage", "country", "capacity", "price"],
        (
            [m, stage, c, CAPACITY, price]
            for m in MINERALS
            for k, c in enumerate(countries, start=1)
            for stage, price in zip(STAGES, prices(k), strict=True)
        ),
    )
    table("demand", ["mineral", "quantity"], [[m, 5.0 * n] for m in MINERALS])


def run(folder: Path, checkout: Path | None = None) -> dict:
    """Solve ``folder`` in a fresh process (with the ``sourcing`` of ``checkout`` when given:
    first on the path, and the working directory, ahead of the installed one): exit code,
    seconds, peak MB, objective, lanes."""
    started = time.perf_counter()
    environment = dict(os.environ)
    if checkout is not None:
        environment["PYTHONPATH"] = str(checkout)
    done = subprocess.run(
        [sys.executable, "-c", RUN, "solve", str(folder), "-f", "json"],
        capture_output=True,
        text=True,
        cwd=checkout or folder,
        env=environment,
    )
    seconds = time.perf_counter() - started
    peak = next(
        (int(x.split("=")[1]) / 1024 for x in done.stderr.splitlines() if x.startswith("peak_kb=")),
        None,
    )
    objective, lanes = None, None
    if done.returncode == 0:
        plan = json.loads(done.stdout)
        objective = plan["objective"]
        lanes = plan["stats"].get("lanes")
    problem = next((x for x in done.stderr.splitlines() if "Error" in x), "")
    return {
        "exit": done.returncode,
        "seconds": seconds,
        "peak_mb": peak,
        "objective": objective,
        "lanes": lanes,
        "problem": problem,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--countries", type=int, nargs="+", default=[1000, 2000, 4000])
    parser.add_argument("--before", type=Path, help="another checkout to solve each N with too")
    options = parser.parse_args(argv)
    ways = [("before", options.before.resolve())] if options.before else []
    ways.append(("this checkout", None))
    print(
        "| countries | allowed lanes | checkout | lanes indexed | objective | expected | s "
        "| peak MB "
        "| peak ÷ this checkout's |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for n in options.countries:
            folder = Path(tmp) / f"lanes-{n}"
            write_instance(folder, n)
            expected = expected_objective(n)
            results = [(label, run(folder, checkout)) for label, checkout in ways]
            last_peak = results[-1][1]["peak_mb"]
            for label, result in results:
                right = result["objective"] is not None and (
                    abs(result["objective"] - expected) <= 1e-6 * expected
                )
                ok &= right
                peak = "-" if result["peak_mb"] is None else f"{result['peak_mb']:,.0f}"
                ratio = (
                    f"{result['peak_mb'] / last_peak:.2f}"
                    if result["peak_mb"] is not None and last_peak
                    else "-"
                )
                objective = "-" if result["objective"] is None else f"{result['objective']:,.2f}"
                print(
                    f"| {n:,} | {6 * n:,} | {label} | {result['lanes'] or '-'} | {objective} | "
                    f"{expected:,.2f} | {result['seconds']:.1f} | {peak} | {ratio} |",
                    flush=True,
                )
                if result["problem"]:
                    print(f"  {result['problem']}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
