#!/usr/bin/env python3
"""Convert an OR-Library capacitated warehouse location file into a `sourcing` instance folder.

Standalone: Python >= 3.11, the standard library and PyYAML; it does not import `sourcing`.

The OR-Library file (Beasley's cap* and capa/capb sets), whitespace separated, with each
customer's cost list wrapping over several lines::

    m n                    m warehouses, n customers
    capacity fixed_cost    m lines; in capa/capb capacity is the literal word "capacity"
    demand                 then, for each of the n customers, its demand d_j ...
    c_1j ... c_mj          ... and the cost c_ij of allocating ALL of its demand to warehouse i

The instance written (see README.md in this folder):

- one mineral ``good`` (unit ``unit``) and one stage ``supply``;
- a country ``W001``.. per warehouse and a pseudo-country ``C0001``.. per customer;
- a supply offer per warehouse: price 0, ``fixed_cost`` and ``capacity`` from the file
  (``--uncapacitated`` leaves capacity blank, ``--capacity VALUE`` fills in the literal word);
- a site ``S0001``.. per customer, in that customer's country, with demand d_j;
- a transport lane for EVERY (warehouse, customer) pair at the per-unit cost c_ij / d_j, written
  as the Python ``repr`` of the float (shortest string that reads back to the same double);
- no ``transport_default``, so no other lanes exist.

Examples::

    python instances/orlib/convert.py cap41.txt instances/orlib/cap41
    python instances/orlib/convert.py cap41.txt instances/orlib/cap41-uncap --uncapacitated
    python instances/orlib/convert.py capb.txt /tmp/capb-8000 --capacity 8000
    python instances/orlib/convert.py capa.txt /tmp/capa-uncap --uncapacitated
"""

from __future__ import annotations

import argparse
import csv
import gzip
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

CAPACITY_WORD = "capacity"

#: Published optima (Beasley, OR-Library files capopt / uncapopt), keyed by (file stem, mode);
#: mode is "uncapacitated" or the capacity used ("file" = the capacities written in the file).
PUBLISHED = {
    ("cap41", "file"): "1040444.375",
    ("cap41", "uncapacitated"): "932615.750",
    ("cap91", "file"): "796648.438",
    ("cap91", "uncapacitated"): "796648.4375",
    ("capb", "8000"): "13082516.496",
    ("capa", "uncapacitated"): "17156454.478",
    ("capb", "uncapacitated"): "12979071.582",
}


class FormatError(ValueError):
    """The input file does not follow the OR-Library capacitated warehouse location format."""


@dataclass
class WarehouseProblem:
    m: int
    n: int
    capacities: list[float | None]  # None: the literal word "capacity" (value chosen by the user)
    fixed_costs: list[float]
    demands: list[float]
    costs: list[list[float]]  # costs[j][i]: cost of serving ALL of customer j from warehouse i


def _number(token: str, what: str) -> float:
    """Parse a numeric token such as ``7500.``, ``5000``, ``1.5e3``; reject nan/inf."""
    try:
        value = float(token)
    except ValueError:
        raise FormatError(f"{what}: expected a number, got {token!r}") from None
    if not math.isfinite(value):
        raise FormatError(f"{what}: expected a finite number, got {token!r}")
    return value


def _count(token: str, what: str) -> int:
    value = _number(token, what)
    if value != int(value) or value < 1:
        raise FormatError(f"{what}: expected a positive whole number, got {token!r}")
    return int(value)


def parse(text: str) -> WarehouseProblem:
    """Parse the whole file as one stream of whitespace-separated tokens (lines do not matter)."""
    tokens = text.split()
    pos = 0

    def take(what: str) -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise FormatError(f"file ends early: expected {what}")
        pos += 1
        return tokens[pos - 1]

    m = _count(take("m (number of warehouses)"), "m")
    n = _count(take("n (number of customers)"), "n")
    capacities: list[float | None] = []
    fixed_costs: list[float] = []
    for i in range(1, m + 1):
        cap = take(f"capacity of warehouse {i}")
        if cap.lower() == CAPACITY_WORD:
            capacities.append(None)
        else:
            capacities.append(_number(cap, f"capacity of warehouse {i}"))
        fixed_costs.append(
            _number(take(f"fixed cost of warehouse {i}"), f"fixed cost of warehouse {i}")
        )
    demands: list[float] = []
    costs: list[list[float]] = []
    for j in range(1, n + 1):
        demands.append(_number(take(f"demand of customer {j}"), f"demand of customer {j}"))
        costs.append(
            [_number(take(f"cost c[{i},{j}]"), f"cost c[{i},{j}]") for i in range(1, m + 1)]
        )
    if pos != len(tokens):
        raise FormatError(f"{len(tokens) - pos} unexpected tokens after the last customer")
    for name, values in (
        ("capacity", [c for c in capacities if c is not None]),
        ("fixed cost", fixed_costs),
        ("demand", demands),
    ):
        if any(v < 0 for v in values):
            raise FormatError(f"negative {name} in the file")
    if any(c < 0 for row in costs for c in row):
        raise FormatError("negative allocation cost in the file")
    return WarehouseProblem(m, n, capacities, fixed_costs, demands, costs)


def fmt(value: float) -> str:
    """A number as written to CSV: whole numbers without a decimal point, others as float repr."""
    if value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def _ids(prefix: str, count: int, min_width: int) -> list[str]:
    width = max(min_width, len(str(count)))
    return [f"{prefix}{k:0{width}d}" for k in range(1, count + 1)]


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_instance(
    problem: WarehouseProblem,
    out: Path,
    *,
    name: str,
    source: str,
    capacity: float | None,
    uncapacitated: bool,
    published: str | None,
) -> None:
    """Write the instance folder ``out`` (created if missing)."""
    if not uncapacitated and any(c is None for c in problem.capacities) and capacity is None:
        raise FormatError(
            'the file gives capacity as the word "capacity": '
            "pass --capacity VALUE or --uncapacitated"
        )
    warehouses = _ids("W", problem.m, 3)
    customers = _ids("C", problem.n, 4)
    sites = _ids("S", problem.n, 4)

    if uncapacitated:
        caps: list[float | None] = [None] * problem.m
        mode = "uncapacitated (capacities dropped)"
    else:
        caps = [capacity if c is None else c for c in problem.capacities]
        mode = (
            f"capacitated, every capacity {fmt(capacity)} (the file leaves it to the user)"
            if capacity is not None
            else "capacitated (capacities from the file)"
        )
    zero = [customers[j] for j in range(problem.n) if problem.demands[j] == 0]

    description = (
        f"OR-Library capacitated warehouse location instance {source} (J.E. Beasley), "
        f"{problem.m} warehouses x {problem.n} customers, {mode}; demand may be split between "
        "warehouses. Converted by instances/orlib/convert.py: one mineral, one stage, a country "
        "per warehouse (W...) and a pseudo-country per customer (C...), lane cost = c_ij / d_j "
        "per unit."
    )
    if zero:
        description += f" Customers with zero demand (lanes written at cost 0): {', '.join(zero)}."
    if published is not None:
        description += f" Published optimum: {published}."
    header = {
        "name": name,
        "description": description,
        "currency": "XXX",
        "unit": "unit",
        "stages": ["supply"],
    }
    out.mkdir(parents=True, exist_ok=True)
    with (out / "instance.yaml").open("w", encoding="utf-8") as fh:
        fh.write(f"# Generated by instances/orlib/convert.py from {source}; do not edit by hand.\n")
        fh.write(
            "# currency XXX: ISO 4217 code for 'no currency' (OR-Library costs have no unit).\n"
        )
        yaml.safe_dump(header, fh, sort_keys=False, allow_unicode=True, width=100)

    _write_csv(out / "minerals.csv", ["mineral", "name", "unit"], [["good", "Good", "unit"]])
    _write_csv(
        out / "countries.csv",
        ["country", "name", "groups", "risk"],
        [[w, f"Warehouse {i}", "warehouse", ""] for i, w in enumerate(warehouses, 1)]
        + [[c, f"Customer {j}", "customer", ""] for j, c in enumerate(customers, 1)],
    )
    _write_csv(
        out / "supply.csv",
        ["mineral", "stage", "country", "capacity", "price", "fixed_cost", "min_quantity"],
        [
            [
                "good",
                "supply",
                w,
                "" if caps[i] is None else fmt(caps[i]),
                "0",
                fmt(problem.fixed_costs[i]),
                "",
            ]
            for i, w in enumerate(warehouses)
        ],
    )
    transport = []
    for i, w in enumerate(warehouses):
        for j, c in enumerate(customers):
            d = problem.demands[j]
            # Zero demand: nothing flows, any cost gives the same objective; 0 keeps the lane open.
            per_unit = problem.costs[j][i] / d if d > 0 else 0.0
            transport.append([w, c, fmt(per_unit)])
    _write_csv(out / "transport.csv", ["from", "to", "cost"], transport)
    _write_csv(
        out / "sites.csv",
        ["site", "country"],
        [list(p) for p in zip(sites, customers, strict=True)],
    )
    _write_csv(
        out / "demand.csv",
        ["mineral", "site", "quantity"],
        [["good", s, fmt(problem.demands[j])] for j, s in enumerate(sites)],
    )


def _read(source: Path) -> str:
    """The file's text; a ``.gz`` file (as capa/capb are bundled) is read through gzip."""
    if source.suffix == ".gz":
        with gzip.open(source, "rt", encoding="utf-8") as fh:
            return fh.read()
    return source.read_text(encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Convert an OR-Library capacitated warehouse location file (cap*, capa, capb) "
        "into a sourcing instance folder."
    )
    parser.add_argument("source", type=Path, help="the OR-Library file, e.g. cap41.txt")
    parser.add_argument("out", type=Path, help="the instance folder to write")
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--capacity",
        type=float,
        metavar="VALUE",
        help='capacity for every warehouse whose capacity is the word "capacity" (capa, capb)',
    )
    group.add_argument(
        "--uncapacitated", action="store_true", help="leave every capacity blank (unlimited)"
    )
    parser.add_argument(
        "--name",
        help="instance name (default: the file stem, plus '-uncap' or '-VALUE' for --capacity)",
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite the files of an existing, non-empty folder"
    )
    args = parser.parse_args(argv)

    try:
        problem = parse(_read(args.source))
    except (OSError, FormatError) as exc:
        parser.exit(2, f"{parser.prog}: error: {args.source}: {exc}\n")
    if args.capacity is not None:
        if not math.isfinite(args.capacity) or args.capacity < 0:
            parser.error("--capacity must be a finite number >= 0")
        if all(c is not None for c in problem.capacities):
            parser.error(f"{args.source} gives every capacity as a number; --capacity is not used")
    if args.out.exists() and any(args.out.iterdir()) and not args.force:
        parser.error(f"{args.out} exists and is not empty (use --force to overwrite)")

    stem = args.source.name.split(".")[0]  # capb.txt.gz -> capb
    if args.uncapacitated:
        default_name = f"{stem}-uncap"
    elif args.capacity is not None:
        default_name = f"{stem}-{fmt(args.capacity)}"
    else:
        default_name = stem
    name = args.name or default_name
    mode = (
        "uncapacitated"
        if args.uncapacitated
        else fmt(args.capacity)
        if args.capacity is not None
        else "file"
    )
    try:
        write_instance(
            problem,
            args.out,
            name=name,
            source=args.source.name,
            capacity=args.capacity,
            uncapacitated=args.uncapacitated,
            published=PUBLISHED.get((stem, mode)),
        )
    except FormatError as exc:
        parser.exit(2, f"{parser.prog}: error: {args.source}: {exc}\n")
    zero = sum(1 for d in problem.demands if d == 0)
    print(
        f"{args.source.name} -> {args.out}: {problem.m} warehouses, {problem.n} customers, "
        f"total demand {fmt(sum(problem.demands))}, {zero} with zero demand, "
        f"{problem.m * problem.n} lanes",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
