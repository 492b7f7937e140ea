"""Numbers at and beyond the documented limits, through the command line as a planner meets it.

    python benchmarks/limits.py                 # a markdown table on stdout
    python benchmarks/limits.py --models eu-crma resilient

Each corner is a small instance (a two-stage lithium market of six countries, or battery-demo)
with some numbers pushed to the limits of sourcing/data/schema.py (quantities, prices and costs up
to 1e12, yields 1e-6..1e6, tariff rates up to 100, yields multiplying to 1e-24..1e24 along a chain)
or past them. For each, `sourcing validate` and `sourcing solve -f json` run in fresh processes;
the table gives validate's exit code, and per model solve's exit code, termination and objective,
and the first line on stderr when there is one. No exit 1, no empty stderr on a failure: an input
past a limit is exit 2 naming its table, row and field; an infeasible one exit 3.

The script imports nothing from sourcing, so the same corners can be run against another
checkout: PYTHONPATH=/path/to/checkout python benchmarks/limits.py.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNTRIES = {"AUS": "FTA", "CHL": "FTA", "CHN": "FEOC", "CAN": "FTA", "USA": "US", "DEU": "EU"}
OFFERS = [  # stage, country, capacity, price
    ("mining", "AUS", 60, 40),
    ("mining", "CHL", 50, 30),
    ("mining", "CHN", 100, 20),
    ("mining", "DEU", 50, 45),
    ("refining", "DEU", 30, 110),
    ("refining", "USA", 30, 100),
    ("refining", "CAN", 30, 90),
    ("refining", "CHN", 40, 50),
]


def market() -> dict:
    """40 t of lithium refined (yield 0.5) for a US plant; China tariffed 25% into the US."""
    return {
        "name": "corner",
        "stages": ["mining", "refining"],
        "transport_default": 15,
        "minerals": [{"mineral": "li"}],
        "countries": [{"country": c, "groups": g} for c, g in COUNTRIES.items()],
        "sites": [{"site": "plant", "country": "USA"}],
        "supply": [
            {"mineral": "li", "stage": s, "country": c, "capacity": cap, "price": p}
            for s, c, cap, p in OFFERS
        ],
        "tariffs": [{"origin": "CHN", "destination": "USA", "rate": 0.25}],
        "yields": [{"mineral": "li", "stage": "refining", "yield": 0.5}],
        "demand": [{"mineral": "li", "site": "plant", "quantity": 40}],
    }


def _set(table: str, **values) -> Callable[[dict], None]:
    def change(document: dict) -> None:
        for row in document[table]:
            row.update(values)

    return change


def _uncapped(document: dict) -> None:
    for row in document["supply"]:
        row.pop("capacity", None)


def _scale_quantities(factor: float) -> Callable[[dict], None]:
    def change(document: dict) -> None:
        for row in document["supply"]:
            row["capacity"] *= factor
        document["demand"][0]["quantity"] *= factor

    return change


def _chain(*yields: float) -> Callable[[dict], None]:
    """More stages after refining, each at its yield (every country offers each at 300)."""

    def change(document: dict) -> None:
        _uncapped(document)
        extra = [f"stage{k}" for k in range(len(yields))]
        document["stages"] += extra
        document["supply"] += [
            {"mineral": "li", "stage": s, "country": c, "price": 300}
            for s in extra
            for c in COUNTRIES
        ]
        document["yields"] += [
            {"mineral": "li", "stage": s, "yield": y} for s, y in zip(extra, yields, strict=True)
        ]

    return change


def _all(*changes: Callable[[dict], None]) -> Callable[[dict], None]:
    def change(document: dict) -> None:
        for one in changes:
            one(document)

    return change


CORNERS: dict[str, Callable[[dict], None]] = {
    "every price 1e12": _set("supply", price=1e12),
    "every price 1e-12": _set("supply", price=1e-12),
    "quantities x1e10 (capacities to 1e12)": _scale_quantities(1e10),
    "quantities x1e-12": _scale_quantities(1e-12),
    "demand 1e12, no capacity": _all(_uncapped, lambda d: d["demand"][0].update(quantity=1e12)),
    "yield 1e-6, demand 1e12 (mining 1e18)": _all(
        _uncapped,
        lambda d: d["demand"][0].update(quantity=1e12),
        lambda d: d["yields"][0].update({"yield": 1e-6}),
    ),
    "yields 1e-6, 1e-6 (chain 1e-12)": _all(
        lambda d: d["yields"][0].update({"yield": 1e-6}), _chain(1e-6)
    ),
    "yields 1e6, 1e6 (chain 1e12)": _all(
        lambda d: d["yields"][0].update({"yield": 1e6}), _chain(1e6)
    ),
    "yields 1e-6 x5 (chain 1e-30): past the limit": _all(
        lambda d: d["yields"][0].update({"yield": 1e-6}), _chain(1e-6, 1e-6, 1e-6, 1e-6)
    ),
    "tariff rate 100 on prices 1e12": _all(_set("supply", price=1e12), _set("tariffs", rate=100.0)),
    "tariff rate 1e12: past the limit": _set("tariffs", rate=1e12),
    "transport_default 1e12": lambda d: d.update(transport_default=1e12),
    "penalty 1e12, demand 1e3 (short)": lambda d: d["demand"][0].update(quantity=1e3, penalty=1e12),
    "penalty 1e-12": lambda d: d["demand"][0].update(penalty=1e-12),
    "fixed costs 1e12": _set("supply", fixed_cost=1e12),
    "fixed costs 1e12, prices 1e-12": _set("supply", fixed_cost=1e12, price=1e-12),
    "min_quantity 1e12 (capacity 1e12)": _all(
        _set("supply", capacity=1e12),
        lambda d: d["supply"][0].update(min_quantity=1e12),
        lambda d: d["demand"][0].update(quantity=1e12),
    ),
    "capacity 1e-12 next to demand 1e12": _all(
        _set("supply", capacity=1e12),
        lambda d: d["supply"][1].update(capacity=1e-12),
        lambda d: d["demand"][0].update(quantity=1e12),
    ),
    "every number at its limit": _all(
        _set("supply", capacity=1e12, price=1e12, fixed_cost=1e12, min_quantity=1e12),
        lambda d: d["demand"][0].update(quantity=1e12, penalty=1e12),
        lambda d: d.update(transport_default=1e12),
        _set("tariffs", rate=100.0, per_unit=1e12),
    ),
}


def battery_demo_at(price: float, folder: Path) -> Path:
    """instances/battery-demo with every price set to ``price``, as a folder of CSVs."""
    target = folder / f"battery-demo-{price:g}"
    target.mkdir()
    for path in (ROOT / "instances" / "battery-demo").iterdir():
        if path.suffix in (".csv", ".yaml"):
            (target / path.name).write_bytes(path.read_bytes())
    with (target / "supply.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["price"] = repr(price)
    with (target / "supply.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return target


def run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "sourcing.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return next((line for line in lines if not line.startswith("invalid input:")), "")[:110]


def outcome(instance: Path, model: str) -> str:
    done = run("solve", str(instance), "-m", model, "-f", "json", "-q")
    said = first_line(done.stderr)
    try:
        plan = json.loads(done.stdout)
        result = f"{plan['termination_condition']} {plan['objective']!r}"
    except (json.JSONDecodeError, KeyError):
        result = "no plan"
    return f"exit {done.returncode}: {result}" + (f" — {said}" if said else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", nargs="+", default=["least-cost", "eu-crma", "resilient", "partner-share"]
    )
    args = parser.parse_args(argv)
    print("| corner | validate | " + " | ".join(args.models) + " |")
    print("|---|---|" + "---|" * len(args.models))
    with tempfile.TemporaryDirectory() as temp:
        cases = [("battery-demo, every price 1e12", battery_demo_at(1e12, Path(temp)))]
        for name, change in CORNERS.items():
            document = copy.deepcopy(market())
            change(document)
            path = Path(temp) / f"corner-{len(cases)}.json"
            path.write_text(json.dumps(document))
            cases.append((name, path))
        for name, path in cases:
            checked = run("validate", str(path), "-q")
            cells = [
                f"exit {checked.returncode}"
                + (f": {first_line(checked.stderr)}" if checked.returncode else "")
            ]
            cells += (
                [outcome(path, model) for model in args.models]
                if checked.returncode == 0
                else ["—"] * len(args.models)
            )
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
