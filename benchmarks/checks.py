"""What the pre-solve rule checks cost on a ladder rung, and what they find (issue 12, item 5).

    python benchmarks/checks.py                                  # mip-100k under its model.yaml
    python benchmarks/checks.py --rung mip-10k --before /tmp/base  # and another checkout

Times ``sourcing.model.consistency.check_rules_can_hold`` (every rule's ``check`` hook) on the
indexed instance, the median of ``--repeat`` calls, in a fresh process per checkout, and prints
what it found. ``--before PATH`` runs the same in a checkout at PATH (``git archive COMMIT | tar
-x -C PATH``) in the same run, first on the path and as the working directory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

MEASURE = """
import json, statistics, sys, time
from sourcing.api import load
from sourcing.bench import ladder
from sourcing.model import consistency
from sourcing.model.index import index_instance
rung, repeat = sys.argv[1], int(sys.argv[2])
folder = ladder.ensure(rung)
instance, spec = load(folder, folder / "model.yaml")
data = index_instance(instance)
seconds = []
for _ in range(repeat):
    started = time.perf_counter()
    found = consistency.check_rules_can_hold(data, spec)
    seconds.append(time.perf_counter() - started)
print(json.dumps({"offers": len(data.offers), "ms": 1000 * statistics.median(seconds),
                  "found": [str(p) for p in found]}))
"""


def measure(rung: str, repeat: int, checkout: Path | None) -> dict:
    environment = dict(os.environ)
    if checkout is not None:
        environment["PYTHONPATH"] = str(checkout)
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, rung, str(repeat)],
        capture_output=True,
        text=True,
        check=True,
        cwd=checkout or Path.cwd(),
        env=environment,
    )
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rung", default="mip-100k")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--before", type=Path)
    options = parser.parse_args(argv)
    ways = [("before", options.before.resolve())] if options.before else []
    ways.append(("this checkout", None))
    print("| checkout | offers | check_rules_can_hold ms (median) | found |")
    print("|---|---|---|---|")
    for label, checkout in ways:
        result = measure(options.rung, options.repeat, checkout)
        found = "<br>".join(result["found"]) or "nothing"
        print(f"| {label} | {result['offers']:,} | {result['ms']:.1f} | {found} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
