"""Issue 12's figures: the engine block by block against the whole matrix, each run in a fresh
process, alternating, on one machine in one run (report ratios, never absolute times).

    python benchmarks/blocks.py                       # every case below, once each
    python benchmarks/blocks.py --cases lp-1m --repeat 3

Cases (the ladder rungs are written on demand by sourcing.bench.ladder):
    lp-100k, lp-1m, lp-3m   `sourcing solve RUNG -m eu-crma` with --whole, --jobs 1, --jobs 2
                            (``--variants whole,blocks-1,blocks-2`` picks among them)
    mip-100k                the rung under its diversified model.yaml (infeasible: m05), same
    mip-100k-no-m05         the same without mineral m05 (its rows dropped), same

Each line: case, variant, wall seconds, peak resident MB (of the child), status, objective.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VARIANTS = {
    "whole": ["--whole"],
    "blocks-1": ["--blocks", "--jobs", "1"],
    "blocks-2": ["--blocks", "--jobs", "2"],
}


def without_m05(folder: Path, out: Path) -> Path:
    """The rung's CSVs without the rows of mineral m05."""
    out.mkdir(parents=True, exist_ok=True)
    for source in folder.iterdir():
        target = out / source.name
        if source.suffix != ".csv":
            target.write_bytes(source.read_bytes())
            continue
        with source.open(newline="") as f:
            rows = list(csv.reader(f))
        head = rows[0]
        if "mineral" in head:
            i = head.index("mineral")
            rows = [head] + [r for r in rows[1:] if r[i] != "m05"]
        with target.open("w", newline="") as f:
            csv.writer(f).writerows(rows)
    return out


def child(command: list[str]) -> dict:
    """Run one command in a fresh process under /usr/bin/time: its wall time, its peak
    resident memory, its JSON answer."""
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True, cwd=ROOT
    )
    seconds = time.perf_counter() - started
    peak_kb = int(done.stderr.strip().splitlines()[-1])
    record = {"seconds": seconds, "peak_mb": peak_kb / 1024, "exit": done.returncode}
    try:
        answer = json.loads(done.stdout)
        record |= {
            "status": answer.get("termination_condition"),
            "objective": answer.get("objective"),
        }
    except json.JSONDecodeError:
        record |= {"status": f"exit {done.returncode}", "objective": None}
    return record


def cases(names: list[str], scratch: Path) -> list[tuple[str, str, list[str]]]:
    from sourcing.bench.ladder import ensure

    sourcing = [sys.executable, "-m", "sourcing.cli"]
    found = []
    for name in names:
        if name.startswith("lp-"):
            folder = str(ensure(name))
            for variant, flags in VARIANTS.items():
                found.append(
                    (
                        name,
                        variant,
                        [*sourcing, "solve", folder, "-m", "eu-crma", "-f", "json", *flags],
                    )
                )
        elif name.startswith("mip-100k"):
            folder = ensure("mip-100k")
            if name.endswith("no-m05"):
                folder = without_m05(folder, scratch / "mip-100k-no-m05")
            model = str(folder / "model.yaml")
            for variant, flags in VARIANTS.items():
                command = [
                    *sourcing,
                    "solve",
                    str(folder),
                    "-m",
                    model,
                    "-f",
                    "json",
                    "--time-limit",
                    "300",
                    *flags,
                ]
                found.append((name, variant, command))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", default="lp-100k,lp-1m,mip-100k,mip-100k-no-m05")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--variants", default=",".join(VARIANTS), help="whole,blocks-1,blocks-2")
    args = parser.parse_args()
    wanted = set(args.variants.split(","))
    with tempfile.TemporaryDirectory() as scratch:
        runs = cases(args.cases.split(","), Path(scratch))
        for r in range(args.repeat):
            for name, variant, command in runs:
                if variant not in wanted:
                    continue
                record = child(command)
                print(
                    f"{name:18} {variant:9} #{r + 1}  {record['seconds']:7.2f} s  "
                    f"{record['peak_mb']:7.0f} MB  {record['status']}  {record['objective']}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
