"""What a trivial extension (``--extend FILE.py``) costs on top of a plain solve, side by side.

    python benchmarks/extension.py --rung lp-100k --repeat 3

Both solve the ladder rung under ``eu-crma`` with HiGHS; the extension adds one row in Pyomo,
"the first country's supply of the first mineral at most 10⁹" (never binding, so both reach the
same optimum, checked). Four runs per repeat, each in a fresh process, alternating:

    plain        ``sourcing.solve(folder, "eu-crma")``, timed after the imports
    extend       the same with the extension: Pyomo's import (about 0.8 s, paid only when an
                 extension is given), the variables-only Pyomo model, ``extend``, the
                 translation by standard repn, then the same handoff and solve
    cli-plain    ``sourcing solve folder -m eu-crma -f json -q``: wall clock of the command,
                 Python's start and every import included (what a planner waits)
    cli-extend   the same with ``--extend``

The table shows medians and the ratio of each extension run to its plain run of the same kind.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODES = ("plain", "extend", "cli-plain", "cli-extend")
TRIVIAL = """import pyomo.environ as pyo


def extend(model):
    first = next(iter(model.supply))
    chosen = [k for k in model.supply if k[0] == first[0] and k[3] == first[3]]
    model.trivial = pyo.Constraint(expr=sum(model.supply[k] for k in chosen) <= 1e9)
"""


def in_process(folder: Path, extension: Path | None) -> dict:
    import sourcing
    from sourcing.data.io import load_model, with_extensions

    start = time.perf_counter()
    model = load_model("eu-crma")
    if extension is not None:
        model = with_extensions(model, [str(extension)])
    plan = sourcing.solve(folder, model)
    total = time.perf_counter() - start
    return {
        "objective": plan.objective,
        "seconds": total,
        "build": plan.stats["seconds"]["build"],
        "rows": plan.stats["constraints"],
    }


def command(folder: Path, extension: Path | None) -> dict:
    args = [sys.executable, "-m", "sourcing.cli", "solve", str(folder), "-m", "eu-crma"]
    args += ["-f", "json", "-q"] + (["--extend", str(extension)] if extension else [])
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    total = time.perf_counter() - start
    plan = json.loads(done.stdout)
    return {
        "objective": plan["objective"],
        "seconds": total,
        "build": plan["stats"]["seconds"]["build"],
        "rows": plan["stats"]["constraints"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rung", default="lp-100k")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", choices=MODES, help=argparse.SUPPRESS)  # a child's single run
    parser.add_argument("--extension", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from sourcing.bench.ladder import ensure

    folder = ensure(args.rung)  # written once, outside the timed runs
    if args.one:
        extension = args.extension if args.one.endswith("extend") else None
        run = command if args.one.startswith("cli") else in_process
        print(json.dumps(run(folder, extension)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        extension = Path(tmp) / "trivial.py"
        extension.write_text(TRIVIAL, encoding="utf-8")
        runs: dict[str, list[dict]] = {m: [] for m in MODES}
        for r in range(args.repeat):
            for mode in MODES:  # alternate: each repeat visits every mode once
                child = subprocess.run(
                    [sys.executable, __file__, "--one", mode, "--rung", args.rung]
                    + ["--extension", str(extension)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                record = json.loads(child.stdout.strip().splitlines()[-1])
                runs[mode].append(record)
                print(f"{mode:10} #{r + 1}: {record['seconds']:.2f} s", file=sys.stderr)
    objectives = {round(run["objective"], 2) for mode in MODES for run in runs[mode]}
    assert len(objectives) == 1, f"the optimum moved: {objectives}"
    print(table(runs, args.rung))
    return 0


def table(runs: dict[str, list[dict]], rung: str) -> str:
    median = {m: statistics.median(r["seconds"] for r in runs[m]) for m in MODES}
    build = {m: statistics.median(r["build"] for r in runs[m]) for m in MODES}
    rows = {m: runs[m][0]["rows"] for m in MODES}
    base = {m: "cli-plain" if m.startswith("cli") else "plain" for m in MODES}
    lines = [
        f"{rung}: median of {len(runs['plain'])} runs per mode",
        "",
        "| run | rows | build s | total s | ÷ plain |",
        "|---|---|---|---|---|",
    ]
    for m in MODES:
        ratio = median[m] / median[base[m]]
        lines.append(f"| {m} | {rows[m]:,} | {build[m]:.2f} | {median[m]:.2f} | {ratio:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
