"""The same instance in other units: does the time (or the answer) move?

    python benchmarks/units.py                                  # usgs-2024, resilient, t -> kg
    python benchmarks/units.py --instance instances/battery-demo --model eu-crma --money 1e6
    python benchmarks/units.py --quantity 0.001 --unit kt       # t -> kt
    python benchmarks/units.py --checkout /tmp/old              # solved by another checkout

Writes the instance with every quantity ×QUANTITY and every sum of money ×MONEY
(:func:`sourcing.data.units.change_units`: prices per unit ×MONEY/QUANTITY) to a temporary folder,
solves both the original and the rewritten one REPEAT times each, alternating, each solve in a
fresh process (``sourcing solve -f json``), and prints the median seconds of each, their ratio,
both objectives and their relative difference once the money factor is taken out. A MIP is
solved to the 1e-4 gap, so the two objectives may differ by up to that; an LP's must agree to
about 1e-9. Exit 1 when the objectives differ by more than the gap.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def solve_once(instance: Path, model: str, checkout: Path | None = None) -> tuple[float, dict]:
    """Seconds of the solve phase (from the plan's own stats) and the plan's JSON; solved by the
    sourcing of ``checkout`` (its root folder) when given, e.g. a commit before a change."""
    command = [sys.executable, "-m", "sourcing.cli", "solve", str(instance), "-m", model]
    env = dict(os.environ, PYTHONPATH=str(checkout)) if checkout else None
    started = time.perf_counter()
    done = subprocess.run(
        command + ["-f", "json", "-q"], capture_output=True, text=True, env=env, cwd=checkout
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"solve of {instance} exited {done.returncode}: {done.stderr.strip()}")
    plan = json.loads(done.stdout)
    return plan["stats"]["seconds"].get("solve", wall), plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", default=str(ROOT / "instances" / "usgs-2024"))
    parser.add_argument("--model", default="resilient")
    parser.add_argument("--quantity", type=float, default=1000.0, help="factor on quantities")
    parser.add_argument("--money", type=float, default=1.0, help="factor on sums of money")
    parser.add_argument("--unit", default="kg", help="name of the new quantity unit")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--checkout", type=Path, help="solve with the sourcing of this checkout")
    args = parser.parse_args(argv)

    from sourcing.data.convert import write_instance
    from sourcing.data.io import load_instance
    from sourcing.data.units import change_units

    original = Path(args.instance).resolve()
    instance = load_instance(original)
    changed = change_units(instance, args.quantity, args.money, unit=args.unit)
    seconds: dict[str, list[float]] = {"original": [], "changed": []}
    objective: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp) / f"{instance.name}-{args.unit}"
        write_instance(changed, folder)
        for _ in range(args.repeat):
            for label, path in (("original", original), ("changed", folder)):
                spent, plan = solve_once(path, args.model, args.checkout)
                seconds[label].append(spent)
                objective[label] = plan["objective"]
                status = plan["solution_status"]
                if status != "optimal":
                    raise SystemExit(f"{label}: solution status {status}")
    median = {label: statistics.median(times) for label, times in seconds.items()}
    back = objective["changed"] / args.money
    difference = abs(back - objective["original"]) / max(1.0, abs(objective["original"]))
    print(
        f"{instance.name} under {args.model}: quantities x{args.quantity:g} ({args.unit}), "
        f"money x{args.money:g}, {args.repeat} solves each"
    )
    for label in seconds:
        runs = ", ".join(f"{s:.2f}" for s in seconds[label])
        print(f"  {label:9} median {median[label]:7.2f} s ({runs}), objective {objective[label]!r}")
    print(f"  time ratio changed/original: {median['changed'] / median['original']:.2f}")
    print(f"  objective relative difference (money factor taken out): {difference:.3g}")
    return 0 if difference <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
