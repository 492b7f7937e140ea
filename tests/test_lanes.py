"""Lanes are indexed from what the data allows, never from the offers × offers product (issue 12).

A lane joins an offer to an offer of the same mineral and period at the next stage (or a
last-stage offer to a site demanding the mineral). Without ``transport_default`` it exists only
within a country, where ``transport`` lists it, or to the default site (delivery at the door).
The tests count the lanes indexed against the lanes allowed, worked by hand, and check that the
sparse join gives the very table (same lanes, same order, same costs) the whole product filtered
gives, and so the same plan.
"""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import sourcing
from sourcing.api import load
from sourcing.model.build import build
from sourcing.model.index import index_instance
from sourcing.model.lanes import lane_table
from sourcing.solver import SolverOptions, solve_lp
from tests.conftest import DEMO, INSTANCES

MINERALS = ("m1", "m2", "m3")


def within_countries(n: int) -> dict:
    """The red-team market of benchmarks/lanes.py: country k (1..n) mines and refines each of
    three minerals, 10 t at each stage, mining at 10 + k mod 7 and refining at 20 + k mod 5 per t;
    the buyer needs 5n t of each mineral; no transport table and no transport_default."""
    countries = [f"C{k:03d}" for k in range(1, n + 1)]
    return {
        "name": f"lanes-{n}",
        "stages": ["mining", "refining"],
        "minerals": [{"mineral": m} for m in MINERALS],
        "countries": [{"country": c} for c in countries],
        "supply": [
            {"mineral": m, "stage": stage, "country": c, "capacity": 10, "price": price}
            for m in MINERALS
            for k, c in enumerate(countries, start=1)
            for stage, price in (("mining", 10 + k % 7), ("refining", 20 + k % 5))
        ],
        "demand": [{"mineral": m, "quantity": 5 * n} for m in MINERALS],
    }


def test_lanes_only_within_each_country_are_six_per_country():
    """60 countries, 3 minerals, 2 stages: 360 offers. The lanes allowed are each country's mine
    to its own refinery (3 × 60 = 180) and each refinery to the buyer's door (180): 360 = 6N,
    where the whole product would pair 3 × 60 × 60 = 10,800 mines with refineries."""
    data = index_instance(load(within_countries(60))[0])
    lanes = data.lanes
    assert len(data.offers) == 360
    assert len(lanes) == 6 * 60
    inbound = lanes[lanes["to_offer"] >= 0]
    assert len(inbound) == 180
    assert (inbound["from_country"] == inbound["to_country"]).all()
    assert (lanes.loc[lanes["to_offer"] < 0, "site"] == "buyer").sum() == 180
    assert lanes["lane"].tolist() == list(range(360))


def test_the_within_country_market_solves_to_its_closed_form():
    """4 countries: mining 11, 12, 13, 14 and refining 21, 22, 23, 24 per t (k mod 7, k mod 5
    for k = 1..4), so a refined tonne costs 32, 34, 36, 38 from countries 1..4, each up to 10 t.
    The buyer needs 20 t of each mineral: 10 t from country 1 and 10 t from country 2,
    10 × 32 + 10 × 34 = 660 per mineral, 1,980 for the three."""
    plan = sourcing.solve(within_countries(4))
    assert plan.objective == pytest.approx(1980)
    assert plan.stats["lanes"] == 24


def listed_market() -> dict:
    """Lithium (li) and cobalt (co), mined and refined, for a plant in the USA.

    li is mined in AUS and CHN and refined in CHN and USA; co is mined in AUS and refined in CHN.
    transport: AUS→CHN 5 and AUS→USA 9 for every mineral, CHN→USA 7 for li only, USA→USA 1 for
    every mineral (a listed domestic lane costs what it lists)."""
    return {
        "name": "listed",
        "stages": ["mining", "refining"],
        "minerals": [{"mineral": "li"}, {"mineral": "co"}],
        "countries": [{"country": c} for c in ("AUS", "CHN", "USA")],
        "sites": [{"site": "plant", "country": "USA"}],
        "supply": [
            {"mineral": m, "stage": s, "country": c, "capacity": 100, "price": 10}
            for m, s, c in (
                ("li", "mining", "AUS"),
                ("li", "mining", "CHN"),
                ("li", "refining", "CHN"),
                ("li", "refining", "USA"),
                ("co", "mining", "AUS"),
                ("co", "refining", "CHN"),
            )
        ],
        "transport": [
            {"from": "AUS", "to": "CHN", "cost": 5},
            {"from": "AUS", "to": "USA", "cost": 9},
            {"from": "CHN", "to": "USA", "cost": 7, "mineral": "li"},
            {"from": "USA", "to": "USA", "cost": 1},
        ],
        "demand": [
            {"mineral": "li", "site": "plant", "quantity": 10},
            {"mineral": "co", "site": "plant", "quantity": 10},
        ],
    }


def test_lanes_listed_in_transport_are_indexed_in_the_order_of_the_product():
    """Offers sort by mineral, stage, country: co mining AUS, co refining CHN, li mining AUS,
    li mining CHN, li refining CHN, li refining USA. Stage by stage, from-offer by from-offer:

    - co AUS→CHN 5 (listed for every mineral);
    - li AUS→CHN 5, li AUS→USA 9 (listed), li CHN→CHN 0 (domestic, not listed: free),
      li CHN→USA 7 (listed for li);
    - deliveries: co CHN→plant is closed (CHN→USA is listed for li only); li CHN→plant 7,
      li USA→plant 1 (the domestic lane as listed).

    Seven lanes of the eight pairs the stages allow."""
    lanes = index_instance(load(listed_market())[0]).lanes
    got = list(
        zip(
            lanes["mineral"],
            lanes["from_country"],
            lanes["to_country"],
            lanes["site"],
            lanes["transport"],
            strict=True,
        )
    )
    assert got == [
        ("co", "AUS", "CHN", None, 5),
        ("li", "AUS", "CHN", None, 5),
        ("li", "AUS", "USA", None, 9),
        ("li", "CHN", "CHN", None, 0),
        ("li", "CHN", "USA", None, 7),
        ("li", "CHN", "USA", "plant", 7),
        ("li", "USA", "USA", "plant", 1),
    ]


def random_market(seed: int) -> dict:
    """A small random market: 2–3 stages, 2 minerals, 3–5 countries, some offers, sites or the
    default site, sometimes periods, a random transport table (general, mineral-specific and
    domestic rows), tariffs, and a transport_default one time in four."""
    rng = random.Random(seed)
    stages = ["mining", "refining", "cathode"][: rng.choice([2, 3])]
    countries = ["AUS", "CHN", "USA", "DEU", "CHL"][: rng.randint(3, 5)]
    minerals = ["li", "co"]
    periods = rng.choice([None, ["2030", "2035"]])
    supply = [
        {
            "mineral": m,
            "stage": s,
            "country": c,
            "capacity": rng.choice([5, 20, 50]),
            "price": rng.randint(1, 30),
        }
        | ({"period": rng.choice(periods)} if periods and rng.random() < 0.3 else {})
        for m in minerals
        for s in stages
        for c in countries
        if rng.random() < 0.7
    ]
    document: dict = {
        "name": f"random-{seed}",
        "stages": stages,
        "minerals": [{"mineral": m} for m in minerals],
        "countries": [{"country": c} for c in countries],
        "supply": supply,
        "transport": [
            {"from": a, "to": b, "cost": rng.randint(0, 9)}
            | ({"mineral": rng.choice(minerals)} if rng.random() < 0.4 else {})
            for a in countries
            for b in countries
            if rng.random() < 0.3
        ],
        "tariffs": [
            {"origin": a, "destination": b, "rate": 0.1}
            for a in countries
            for b in countries
            if a != b and rng.random() < 0.2
        ],
    }
    # one row per (from, to, mineral): a repeated key is an input error
    seen: set = set()
    document["transport"] = [
        r
        for r in document["transport"]
        if (key := (r["from"], r["to"], r.get("mineral"))) not in seen and not seen.add(key)
    ]
    if periods:
        document["periods"] = periods
    if rng.random() < 0.5:
        document["sites"] = [{"site": "plant", "country": rng.choice(countries)}]
        document["sites"].append({"site": "mill", "country": rng.choice(countries)})
        site = {"site": "plant"}
    else:
        site = {}
    document["demand"] = [
        {"mineral": m, "quantity": 10, "penalty": 1000} | site | ({"site": "mill"} if site else {})
        for m in minerals
    ]
    if rng.random() < 0.25:
        document["transport_default"] = 3
    return document


def dense_lanes(document: dict) -> list[tuple]:
    """The lanes the instance allows, by the definition and nothing else: every pair of an offer
    and an offer of the same mineral and period at the next stage, then every last-stage offer
    and demand row of the same mineral and period, kept when transport lists the pair (the
    mineral's own row first), when it is within one country or to the default site (cost 0), or
    else when transport_default is set."""
    instance = load(document)[0]
    offers = index_instance(instance).offers
    demand = index_instance(instance).demand
    rows = {(r["from"], r["to"], r.get("mineral")): r["cost"] for r in instance.transport}

    def cost(mineral, origin, destination, at_door):
        for key in ((origin, destination, mineral), (origin, destination, None)):
            if key in rows:
                return rows[key]
        if origin == destination or at_door:
            return 0.0
        return instance.transport_default

    found = []
    last = len(instance.stages) - 1
    for pos in range(last):
        here = offers[offers["stage_pos"] == pos]
        ahead = offers[offers["stage_pos"] == pos + 1]
        for o in here.itertuples():
            for p in ahead.itertuples():
                if (o.mineral, o.period) == (p.mineral, p.period):
                    c = cost(o.mineral, o.country, p.country, False)
                    if c is not None:
                        found.append((o.offer, p.offer, None, c))
    for o in offers[offers["stage_pos"] == last].itertuples():
        for d in demand.itertuples():
            if (o.mineral, o.period) == (d.mineral, d.period):
                c = cost(o.mineral, o.country, d.country, not instance.sites)
                if c is not None:
                    found.append((o.offer, -1, d.site, c))
    return found


@pytest.mark.parametrize("seed", range(40))
def test_indexed_lanes_are_the_allowed_ones_in_order(seed):
    """On random small markets: the lanes indexed are exactly the pairs the definition allows,
    in its order (stage by stage, from-offer by from-offer), with the same transport costs."""
    document = random_market(seed)
    lanes = index_instance(load(document)[0]).lanes
    got = list(
        zip(
            lanes["offer"],
            lanes["to_offer"],
            lanes["site"],
            lanes["transport"].astype(float),
            strict=True,
        )
    )
    assert got == dense_lanes(document)


@pytest.mark.parametrize("seed", range(40))
def test_the_sparse_join_gives_the_product_filtered_table(seed):
    """The whole lane table (tariffs included) equals the one the offers × offers product gives
    once the closed lanes are dropped."""
    instance = load(random_market(seed))[0]
    data = index_instance(instance)
    dense = lane_table(instance, data.offers, data.demand, only_open=False)
    pd.testing.assert_frame_equal(data.lanes, dense)


CASES = [
    (DEMO, "eu-crma"),
    (INSTANCES / "examples" / "least-cost-two-stage", None),
    (INSTANCES / "examples" / "periods", None),
    (
        INSTANCES / "examples" / "min-suppliers",
        INSTANCES / "examples" / "min-suppliers" / "model.yaml",
    ),
    (
        INSTANCES / "kazakhstan-partnership",
        INSTANCES / "kazakhstan-partnership" / "with-partner.yaml",
    ),
    (INSTANCES / "dantzig-transport", None),
    (INSTANCES / "usgs-2024", None),
]


@pytest.mark.parametrize("folder, model", CASES, ids=lambda c: getattr(c, "name", str(c)))
def test_the_plan_is_the_one_the_dense_lanes_give(folder, model):
    """Solving the program built from the sparse lanes and from the product's lanes gives the
    same optimum and the same flows (the tables, and so the programs, are the same)."""
    instance, spec = load(folder, model)
    sparse = index_instance(instance)
    dense = replace(
        sparse, lanes=lane_table(instance, sparse.offers, sparse.demand, only_open=False)
    )
    solved = [solve_lp(build(data, spec)[0], SolverOptions()) for data in (sparse, dense)]
    assert solved[0].objective == pytest.approx(solved[1].objective, rel=1e-12)
    np.testing.assert_allclose(solved[0].x, solved[1].x, atol=1e-9)
