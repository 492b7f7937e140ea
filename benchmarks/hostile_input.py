"""The hostile inputs of issue 16 on the load path, generated and fed to the command line.

    python benchmarks/hostile_input.py                 # every case: a Markdown table
    python benchmarks/hostile_input.py --cases fifo,supply-150mb --keep /tmp/hostile

Each case is built from ``instances/battery-demo`` (or, for the size cases, a folder written
here) in a temporary folder and run as ``sourcing validate`` or ``sourcing solve`` in a fresh
process with a timeout. The table gives the exit code, wall seconds, peak resident memory and
the first problem printed. ``tests/test_hostile_input.py`` checks the same refusals, small and
fast; this script measures them at the sizes the issue reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "instances" / "battery-demo"

#: Runs the command line and reports its own peak memory on exit (ru_maxrss is per process).
WRAPPER = """\
import atexit, resource, sys
atexit.register(lambda: print(
    f"peak_kb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr))
from sourcing.cli import main
sys.argv = ["sourcing", *sys.argv[1:]]
main()
"""


def demo(root: Path) -> Path:
    folder = root / "demo"
    shutil.copytree(DEMO, folder, ignore=shutil.ignore_patterns("README.md"))
    return folder


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def as_json(root: Path, edit: Callable[[dict], str]) -> Path:
    """battery-demo as one JSON document, written as ``edit`` returns it."""
    out = root / "demo.json"
    subprocess.run([*SOURCING, "convert", str(DEMO), str(out)], check=True, capture_output=True)
    out.write_text(edit(json.loads(out.read_text(encoding="utf-8"))), encoding="utf-8")
    return out


def append_rows(path: Path, line: bytes, count: int) -> None:
    with open(path, "ab") as handle:
        for done in range(0, count, 100_000):
            handle.write(line * min(100_000, count - done))


def lanes_at_the_row_limit(root: Path) -> Path:
    """A valid instance whose transport table has 999,000 rows (1,000 countries, every pair)."""
    folder = root / "lanes"
    folder.mkdir()
    names = [f"C{i:04d}" for i in range(1000)]
    (folder / "instance.yaml").write_text("name: lanes\nstages: [mining]\n")
    (folder / "minerals.csv").write_text("mineral\nm\n")
    (folder / "countries.csv").write_text("country\n" + "\n".join(names) + "\n")
    offers = "".join(f"m,mining,{c},10,{i % 50 + 1}\n" for i, c in enumerate(names))
    (folder / "supply.csv").write_text("mineral,stage,country,capacity,price\n" + offers)
    (folder / "sites.csv").write_text("site,country\nplant,C0000\n")
    (folder / "demand.csv").write_text("mineral,site,quantity\nm,plant,100\n")
    with open(folder / "transport.csv", "w", encoding="utf-8") as handle:
        handle.write("from,to,cost\n")
        for i, a in enumerate(names):
            handle.writelines(
                f"{a},{b},{(i * j) % 97 + 1}\n" for j, b in enumerate(names) if a != b
            )
    return folder


def case_model(root: Path, text: str) -> list[str]:
    model = root / "model.yaml"
    model.write_text(text, encoding="utf-8")
    return ["validate", str(demo(root)), "--model", str(model)]


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def build_cases() -> dict[str, Callable[[Path], list[str]]]:
    def csv_underscore(root: Path) -> list[str]:
        folder = demo(root)
        replace(folder / "supply.csv", "lithium,mining,AUS,400,", "lithium,mining,AUS,1_000,")
        return ["validate", str(folder)]

    def json_true_price(root: Path) -> list[str]:
        def edit(doc: dict) -> str:
            doc["supply"][0]["price"] = True
            return json.dumps(doc, indent=1)

        return ["validate", str(as_json(root, edit))]

    def yaml_duplicate_key(root: Path) -> list[str]:
        folder = demo(root)
        with open(folder / "instance.yaml", "a", encoding="utf-8") as handle:
            handle.write("unit: kg\n")
        return ["validate", str(folder)]

    def json_duplicate_key(root: Path) -> list[str]:
        return ["validate", str(as_json(root, lambda d: json.dumps(d)[:-1] + ', "unit": "kg"}'))]

    def empty_selector(root: Path) -> list[str]:
        args = case_model(root, "rules: [{rule: max_country_share, share: 0.5, minerals: []}]\n")
        return ["solve", *args[1:]]

    def supply_150mb(root: Path) -> list[str]:
        folder = demo(root)
        append_rows(
            folder / "supply.csv", b"lithium,mining,AUS,400.00000,9000.123456789012\n", 3_100_000
        )
        return ["validate", str(folder)]

    def supply_million_duplicates(root: Path) -> list[str]:
        folder = demo(root)
        append_rows(folder / "supply.csv", b"lithium,mining,AUS,400,9000\n", 999_000)
        return ["validate", str(folder)]

    def yaml_deep(root: Path) -> list[str]:
        folder = demo(root)
        with open(folder / "instance.yaml", "a", encoding="utf-8") as handle:
            handle.write(f"x: {nested(500)}\n")
        return ["validate", str(folder)]

    def json_deep(root: Path) -> list[str]:
        return [
            "validate",
            str(as_json(root, lambda d: json.dumps(d)[:-1] + f', "x": {nested(1000)}}}')),
        ]

    def json_digits(root: Path) -> list[str]:
        def edit(doc: dict) -> str:
            del doc["transport_default"]
            return json.dumps(doc)[:-1] + ', "transport_default": ' + "9" * 5001 + "}"

        return ["validate", str(as_json(root, edit))]

    def dev_zero(root: Path) -> list[str]:
        folder = demo(root)
        (folder / "tariffs.csv").unlink()
        (folder / "tariffs.csv").symlink_to("/dev/zero")
        return ["validate", str(folder)]

    def fifo(root: Path) -> list[str]:
        folder = demo(root)
        (folder / "tariffs.csv").unlink()
        os.mkfifo(folder / "tariffs.csv")
        return ["validate", str(folder)]

    return {
        "csv-1_000": csv_underscore,
        "json-true-price": json_true_price,
        "yaml-share-true": lambda r: case_model(
            r, "rules: [{rule: max_country_share, share: true}]\n"
        ),
        "yaml-duplicate-key": yaml_duplicate_key,
        "json-duplicate-key": json_duplicate_key,
        "empty-selector": empty_selector,
        "supply-150mb": supply_150mb,
        "supply-999k-duplicates": supply_million_duplicates,
        "lanes-999k-valid": lambda r: ["validate", str(lanes_at_the_row_limit(r))],
        "yaml-deep-500": yaml_deep,
        "json-deep-1000": json_deep,
        "json-5001-digits": json_digits,
        "symlink-dev-zero": dev_zero,
        "fifo": fifo,
    }


SOURCING = [sys.executable, "-m", "sourcing.cli"]


def run(args: list[str], timeout: float) -> tuple[str, float, float | None, str]:
    """(exit code, seconds, peak MB, first line of interest on stderr or stdout)."""
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", WRAPPER, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - start, None, f"still running after {timeout:g} s"
    seconds = time.perf_counter() - start
    lines = done.stderr.splitlines()
    peak = next((int(x.split("=")[1]) / 1024 for x in lines if x.startswith("peak_kb=")), None)
    said = [x.strip() for x in lines if x.strip().startswith("- ")] or done.stdout.splitlines()
    return str(done.returncode), seconds, peak, (said[0] if said else "").removeprefix("- ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cases = build_cases()
    parser.add_argument("--cases", help=f"comma-separated, of: {', '.join(cases)}")
    parser.add_argument("--keep", type=Path, help="write the inputs here and keep them")
    parser.add_argument("--timeout", type=float, default=120.0)
    options = parser.parse_args()
    chosen = options.cases.split(",") if options.cases else list(cases)
    print("| case | command | exit | seconds | peak MB | first problem |")
    print("|---|---|---|---|---|---|")
    for name in chosen:
        with tempfile.TemporaryDirectory() as scratch:
            root = Path(options.keep or scratch) / name
            root.mkdir(parents=True, exist_ok=True)
            args = cases[name](root)
            code, seconds, peak, said = run(args, options.timeout)
            shown = f"{peak:,.0f}" if peak is not None else "-"
            print(f"| {name} | {args[0]} | {code} | {seconds:.1f} | {shown} | {said} |", flush=True)


if __name__ == "__main__":
    main()
