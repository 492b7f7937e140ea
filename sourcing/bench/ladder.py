"""The benchmark ladder: seeded synthetic instances of growing size, written on demand.

Each rung is a two-stage market (mining → refining → one buyer plant) in which every country may
mine and refine every mineral, so the flow variables are

    minerals × countries²  (mine → refinery lanes)  +  minerals × countries  (refinery → plant)

    rung        minerals  countries  flow variables
    lp-10k             4         50          10,200
    lp-100k           10        100         101,000
    lp-1m             40        160       1,030,400
    lp-3m             75        200       3,015,000
    mip-10k, mip-100k: the same markets with a fixed cost on every mine contract (one binary per
    mining offer) and, under their ``model.yaml`` (:data:`DIVERSIFIED`), a minimum supplier
    count (one more binary per offer).

The market is shaped so the rules bind: countries sit at random points of a unit square
(transport costs 5 + 40 per unit of distance, every pair listed), and in each mineral a few cheap
producer per mineral can meet the whole need, as in the real markets, so a 65% cap changes the
plan.
About one country in five is tagged ``EU``, one in twelve ``FEOC``, one in four ``FTA``; the
plant is in the first country, tagged ``US``.

Numbers come from a counter-based hash (splitmix64) of (seed, stream, index), not from a library
random generator, so a rung is byte-identical on every machine and numpy version: the expected
optima in ``instances/index.csv`` stay valid. Every number is written with at most two decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

LADDER_DIR = Path(__file__).resolve().parents[2] / "instances" / "ladder"
SEED = 20261126


@dataclass(frozen=True)
class Rung:
    minerals: int
    countries: int
    mip: bool = False

    @property
    def flow_variables(self) -> int:
        return self.minerals * self.countries * (self.countries + 1)


RUNGS: dict[str, Rung] = {
    "lp-10k": Rung(4, 50),
    "lp-100k": Rung(10, 100),
    "lp-1m": Rung(40, 160),
    "lp-3m": Rung(75, 200),
    "mip-10k": Rung(4, 50, mip=True),
    "mip-100k": Rung(10, 100, mip=True),
}


#: The MIP rungs' model (written as model.yaml beside them): the EU cap plus a minimum number of
#: supplier countries, each counted only from 5% of its stage (one binary per offer).
DIVERSIFIED = {
    "name": "ladder-diversified",
    "description": (
        "EU 65% cap, and at least 3 supplier countries of 5% each per mineral and stage."
    ),
    "objective": "least_cost",
    "rules": [
        {"rule": "max_country_share", "share": 0.65, "exempt": ["EU"]},
        {"rule": "min_suppliers", "count": 3, "min_share": 0.05},
    ],
}


def uniform(stream: int, size: int, seed: int = SEED) -> np.ndarray:
    """``size`` numbers in [0, 1) for ``stream``: splitmix64 of (seed, stream, i), 53 bits each."""
    with np.errstate(over="ignore"):
        start = ((seed * 1_000_003 + stream) << 24) % (1 << 64)
        z = np.arange(size, dtype=np.uint64) + np.uint64(start)
        z = z * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def rung_path(name: str, root: Path = LADDER_DIR) -> Path:
    return root / name


def ensure(name: str, root: Path = LADDER_DIR) -> Path:
    """The folder of rung ``name``, written first if it is not there yet."""
    folder = rung_path(name, root)
    written = [folder / "instance.yaml"] + ([folder / "model.yaml"] if RUNGS[name].mip else [])
    if not all(path.exists() for path in written):
        write(name, folder)
    return folder


def write(name: str, folder: Path) -> Path:
    """Write rung ``name`` as an instance folder (instance.yaml and CSV tables)."""
    if name not in RUNGS:
        known = ", ".join(RUNGS)
        raise KeyError(f"no ladder rung '{name}' (known: {known})")
    tables, header = generate(name)
    folder.mkdir(parents=True, exist_ok=True)
    for table, frame in tables.items():
        frame.to_csv(folder / f"{table}.csv", index=False, float_format="%.2f")
    (folder / "instance.yaml").write_text(yaml.safe_dump(header, sort_keys=False))
    if RUNGS[name].mip:
        (folder / "model.yaml").write_text(yaml.safe_dump(DIVERSIFIED, sort_keys=False))
    return folder


def generate(name: str) -> tuple[dict[str, pd.DataFrame], dict]:
    """The tables of rung ``name`` and its instance header."""
    rung = RUNGS[name]
    n_min, n_cty = rung.minerals, rung.countries
    countries = [f"C{i:03d}" for i in range(1, n_cty + 1)]
    minerals = [f"m{j:02d}" for j in range(1, n_min + 1)]

    tag = uniform(1, n_cty)
    groups = np.select([tag < 0.20, tag < 0.28, tag < 0.53], ["EU", "FEOC", "FTA"], default="")
    groups[0] = "US"
    country_table = pd.DataFrame({"country": countries, "groups": groups})

    # transport: every ordered pair of distinct countries, 40 per unit of distance
    x, y = uniform(2, n_cty), uniform(3, n_cty)
    origin_grid, destination_grid = np.meshgrid(np.arange(n_cty), np.arange(n_cty), indexing="ij")
    origin, destination = origin_grid.ravel(), destination_grid.ravel()
    apart = origin != destination
    origin, destination = origin[apart], destination[apart]
    distance = np.hypot(x[origin] - x[destination], y[origin] - y[destination])
    transport = pd.DataFrame(
        {
            "from": np.array(countries)[origin],
            "to": np.array(countries)[destination],
            "cost": np.round(5 + 40 * distance, 2),
        }
    )

    demand_quantity = 1000.0
    refining_yield = 0.8
    supply = []
    for stage, stream, price_low, price_span, need in (
        ("mining", 10, 50.0, 100.0, demand_quantity / refining_yield),
        ("refining", 20, 20.0, 60.0, demand_quantity),
    ):
        size = n_min * n_cty
        mineral = np.repeat(minerals, n_cty)
        country = np.tile(countries, n_min)
        draw = uniform(stream, size)
        # one dominant producer per mineral (as China in graphite refining) can meet 120% of the
        # need at the lowest prices; the others share 1.5× the need, cheaper the larger they are
        weight = (uniform(stream + 1, size) ** 4).reshape(n_min, n_cty)
        dominant = weight == weight.max(axis=1, keepdims=True)
        weight[dominant] = 0.0
        share = (weight / weight.sum(axis=1, keepdims=True)).ravel()
        dominant = dominant.ravel()
        capacity = np.round(np.maximum(1.5 * need * share, 0.01 * need), 2)
        capacity[dominant] = 1.2 * need
        price = price_low + price_span * (0.4 * draw + 0.6 * (1 - share / share.max()))
        price[dominant] = price_low * (0.8 + 0.1 * draw[dominant])
        price = np.round(price, 2)
        rows = pd.DataFrame(
            {
                "mineral": mineral,
                "stage": stage,
                "country": country,
                "capacity": capacity,
                "price": price,
            }
        )
        if rung.mip and stage == "mining":
            rows["fixed_cost"] = np.round(price * capacity * (0.05 + 0.10 * uniform(30, size)), 2)
        supply.append(rows)
    supply_table = pd.concat(supply, ignore_index=True)  # refining rows: no fixed cost (blank)

    tables = {
        "minerals": pd.DataFrame({"mineral": minerals}),
        "countries": country_table,
        "supply": supply_table,
        "yields": pd.DataFrame({"mineral": minerals, "stage": "refining", "yield": refining_yield}),
        "transport": transport,
        "sites": pd.DataFrame({"site": ["plant"], "country": [countries[0]]}),
        "demand": pd.DataFrame({"mineral": minerals, "site": "plant", "quantity": demand_quantity}),
    }
    header = {
        "name": name,
        "description": (
            f"Benchmark ladder rung {name}: {n_min} minerals, {n_cty} countries, "
            f"{rung.flow_variables:,} flow variables"
            + (", a fixed cost per mine contract" if rung.mip else "")
            + f" (sourcing.bench.ladder, seed {SEED})."
        ),
        "currency": "USD",
        "unit": "t",
        "stages": ["mining", "refining"],
    }
    return tables, header
