"""Figures of docs/reliability.md: malformed input, metamorphic relations, hostile files.

    python benchmarks/reliability.py                    # the default run (a few minutes)
    python benchmarks/reliability.py --cases 1000 --cli 60 --seed 7

Three parts, each printing its counts:

malformed   ``--cases`` inputs from tests/malformed.py (a seeded generator: bad numbers and
            names, broken headers and rows, missing, empty, binary and semicolon files, broken
            instance.yaml and JSON documents), each validated and solved through the Python
            API: refused with located problems, or accepted where the change leaves a valid
            instance; a crash (any other exception) or an accepted must-refuse case is counted
            as a failure and listed. ``--cli`` of them also through the command line: exit 2
            with "invalid input" and no traceback.
metamorphic on the bundled instances under their models, five relations, each compared with
            the optimum of the instance as given: every money parameter × k gives k × the
            optimum; quantities in kg (× 1000, per-unit money ÷ 1000) give the same optimum;
            country codes renamed, rows shuffled, and stages' supply rows reordered give the
            same optimum. MIPs agree within their gap (1e-4), LPs to 1e-9.
hostile     files that are not tables: a FIFO, a symlink to /dev/zero, YAML nested 500 deep,
            JSON nested 1,000 deep, a 5,001-digit number; each must be exit 2 within seconds.

Timings are printed, never asserted; the exit code is 1 when any check failed.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MONEY_PER_UNIT = {
    "supply": ["price"],
    "transport": ["cost"],
    "tariffs": ["per_unit"],
    "demand": ["penalty"],
}
MONEY_FLAT = {"supply": ["fixed_cost"]}
QUANTITIES = {"supply": ["capacity", "min_quantity"], "demand": ["quantity"]}
COUNTRY_COLUMNS = {
    "countries": ["country"],
    "supply": ["country"],
    "sites": ["country"],
    "transport": ["from", "to"],
    "tariffs": ["origin", "destination"],
}


def bundled() -> list[tuple[str, Path, object]]:
    """(label, instance, model) pairs: the README's demo under each bundled model, every
    worked example under its own model, Dantzig's problem, the real-data instances."""
    pairs: list[tuple[str, Path, object]] = []
    demo = ROOT / "instances" / "battery-demo"
    for model in ("least-cost", "eu-crma", "resilient", "partner-share"):
        pairs.append((f"battery-demo/{model}", demo, model))
    for folder in sorted((ROOT / "instances" / "examples").iterdir()):
        if (folder / "instance.yaml").is_file():
            model = folder / "model.yaml"
            pairs.append((f"examples/{folder.name}", folder, model if model.is_file() else None))
    pairs.append(("dantzig-transport", ROOT / "instances" / "dantzig-transport", None))
    pairs.append(("usgs-2024/eu-crma", ROOT / "instances" / "usgs-2024", "eu-crma"))
    return pairs


def _scale(document: dict, columns: dict[str, list[str]], factor: float) -> None:
    for table, names in columns.items():
        for row in document.get(table) or []:
            for name in names:
                if row.get(name) is not None:
                    row[name] = row[name] * factor


def money_times(document: dict, k: float) -> dict:
    out = copy.deepcopy(document)
    _scale(out, MONEY_PER_UNIT, k)
    _scale(out, MONEY_FLAT, k)
    if out.get("transport_default") is not None:
        out["transport_default"] *= k
    return out


def in_kilograms(document: dict) -> dict:
    out = copy.deepcopy(document)
    _scale(out, QUANTITIES, 1000.0)
    _scale(out, MONEY_PER_UNIT, 1 / 1000)
    if out.get("transport_default") is not None:
        out["transport_default"] /= 1000
    out["unit"] = "kg"
    return out


def renamed(document: dict, rng: random.Random) -> dict:
    out = copy.deepcopy(document)
    codes = [row["country"] for row in out["countries"]]
    fresh = [f"Q{i:03d}" for i in range(len(codes))]
    rng.shuffle(fresh)
    mapping = dict(zip(codes, fresh, strict=True))
    for table, names in COUNTRY_COLUMNS.items():
        for row in out.get(table) or []:
            for name in names:
                if row.get(name) in mapping:
                    row[name] = mapping[row[name]]
    return out


def shuffled(document: dict, rng: random.Random) -> dict:
    out = copy.deepcopy(document)
    for value in out.values():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            rng.shuffle(value)
    return out


def malformed_part(cases: int, cli: int, seed: int) -> int:
    from sourcing.api import solve, validate
    from sourcing.errors import InputError
    from tests import malformed

    rng = random.Random(seed)
    counts = {"refused": 0, "accepted": 0}
    by_kind: dict[str, int] = {}
    failures: list[str] = []
    slowest = 0.0
    with tempfile.TemporaryDirectory() as scratch:
        for number in range(cases):
            case = malformed.case(rng)
            by_kind[case.kind] = by_kind.get(case.kind, 0) + 1
            path = case.write(Path(scratch) / f"case{number}")
            start = time.perf_counter()
            try:
                validate(path)
                solve(path)
            except InputError as error:
                counts["refused"] += 1
                if not all(p.table and p.message for p in error.problems):
                    failures.append(f"unlocated problem: {case}")
            except Exception as error:  # noqa: BLE001 - a crash is what is counted here
                failures.append(f"crash {type(error).__name__}: {case}")
            else:
                counts["accepted"] += 1
                if case.must_refuse:
                    failures.append(f"accepted: {case}")
            slowest = max(slowest, time.perf_counter() - start)
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(by_kind.items()))
        print(f"malformed: {cases} inputs ({kinds})")
        print(
            f"  refused with located problems {counts['refused']}, accepted {counts['accepted']}, "
            f"failures {len(failures)}; slowest {slowest:.2f} s"
        )
        cli_failures = 0
        for number in range(cli):
            case = malformed.case(rng)
            path = case.write(Path(scratch) / f"cli{number}")
            done = subprocess.run(
                [sys.executable, "-m", "sourcing.cli", "solve", str(path)],
                capture_output=True,
                text=True,
                timeout=120,
            )
            bad = "Traceback" in done.stderr or done.returncode not in (0, 2, 3)
            bad |= case.must_refuse and done.returncode != 2
            if bad:
                cli_failures += 1
                failures.append(f"cli exit {done.returncode}: {case}")
        print(f"  through the command line: {cli} runs, {cli_failures} not exit 2 cleanly")
    for failure in failures[:30]:
        print(f"  FAIL {failure}")
    return len(failures)


def metamorphic_part(seed: int) -> int:
    from sourcing.api import solve
    from sourcing.data.convert import document_of
    from sourcing.data.io import load_instance

    rng = random.Random(seed)
    held, failures = 0, []
    for label, path, model in bundled():
        document = document_of(load_instance(path))
        base = solve(document, model)
        if not base.has_solution:
            continue
        tolerance = 1e-4 if base.stats.get("integer_variables") or base.gap else 1e-9
        k = rng.choice([1e-3, 7.0, 1e6])
        relations = {
            f"money × {k:g}": (money_times(document, k), base.objective * k),
            "kg": (in_kilograms(document), base.objective),
            "renamed": (renamed(document, rng), base.objective),
            "shuffled": (shuffled(document, rng), base.objective),
        }
        for name, (changed, expected) in relations.items():
            try:
                got = solve(changed, model).objective
            except Exception as error:  # noqa: BLE001
                failures.append(f"{label} {name}: {type(error).__name__}: {error}")
                continue
            if got is None or abs(got - expected) > tolerance * max(1.0, abs(expected)):
                failures.append(f"{label} {name}: {got} against {expected}")
            else:
                held += 1
    print(f"metamorphic: {held + len(failures)} comparisons, {held} held")
    for failure in failures:
        print(f"  FAIL {failure}")
    return len(failures)


def hostile_part() -> int:
    failures = 0
    demo = ROOT / "instances" / "examples" / "least-cost-two-stage"
    with tempfile.TemporaryDirectory() as scratch:
        cases: dict[str, Path] = {}

        def folder(name: str) -> Path:
            import shutil

            target = Path(scratch) / name
            shutil.copytree(demo, target)
            return target

        fifo = folder("fifo")
        (fifo / "supply.csv").unlink()
        os.mkfifo(fifo / "supply.csv")
        cases["supply.csv is a FIFO"] = fifo
        zero = folder("zero")
        (zero / "supply.csv").unlink()
        (zero / "supply.csv").symlink_to("/dev/zero")
        cases["supply.csv links to /dev/zero"] = zero
        deep_yaml = folder("deep-yaml")
        with open(deep_yaml / "instance.yaml", "a", encoding="utf-8") as meta:
            meta.write("notes: " + "[" * 500 + "]" * 500 + "\n")
        cases["instance.yaml nested 500 deep"] = deep_yaml
        deep_json = Path(scratch) / "deep.json"
        deep_json.write_text('{"name": ' + "[" * 1000 + "]" * 1000 + "}", encoding="utf-8")
        cases["JSON nested 1,000 deep"] = deep_json
        digits = Path(scratch) / "digits.json"
        digits.write_text('{"name": "x", "transport_default": ' + "9" * 5001 + "}", "utf-8")
        cases["a 5,001-digit number"] = digits
        for what, path in cases.items():
            start = time.perf_counter()
            try:
                done = subprocess.run(
                    [sys.executable, "-m", "sourcing.cli", "validate", str(path)],
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
                code, message = done.returncode, (done.stderr.strip().splitlines() or [""])[-1]
            except subprocess.TimeoutExpired:
                code, message = None, "no answer within 60 s"
            seconds = time.perf_counter() - start
            ok = code == 2
            failures += not ok
            print(f"hostile: {what}: exit {code} in {seconds:.1f} s {'ok' if ok else 'FAIL'}")
            print(f"    {message[:150]}")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--cli", type=int, default=30)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--parts", default="malformed,metamorphic,hostile")
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    failed = 0
    if "malformed" in parts:
        failed += malformed_part(args.cases, args.cli, args.seed)
    if "metamorphic" in parts:
        failed += metamorphic_part(args.seed)
    if "hostile" in parts:
        failed += hostile_part()
    print(f"{failed} check(s) failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
