"""Lanes: which offers material may move between, at what transport and tariff cost per unit.

A lane joins an offer at stage *s* to an offer of the same mineral and period at stage *s+1*, or
an offer at the last stage to a site demanding that mineral. Between different countries it is
open when ``transport`` lists it (a mineral-specific row wins over a general one) or
``transport_default`` is set; within a country, and to the default site (which takes delivery
at the supplier's door), it is free unless listed.

Lanes are the one table that could be a product (offers × next-stage offers). Without a
``transport_default`` only the pairs the data opens are joined (:func:`_open_pairs`), so memory
is linear in the lanes that exist; with one, every pair is open and the product is the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sourcing.data.schema import DEFAULT_SITE, Instance
from sourcing.model.frames import text_array, with_python_text
from sourcing.model.keys import key_codes


def lane_table(
    instance: Instance, offers: pd.DataFrame, demand: pd.DataFrame, only_open: bool = True
) -> pd.DataFrame:
    """Every allowed lane, in the order: stage by stage, from-offer by from-offer, then its
    destinations in their table order; deliveries to sites last.

    Only lanes the data opens are ever paired (:func:`_open_pairs`): without a
    ``transport_default``, an offer is joined with the next stage's offers in its own country,
    in the countries ``transport`` lists from it, and with the sites taking delivery at the door,
    so memory is linear in the lanes that exist, never the offers × offers product. Pairs are
    joined on integer codes, and text columns are taken from small tables, never hashed per lane.
    ``only_open=False`` pairs the whole product instead (the same table, for comparison).
    """
    lanes = _candidates(instance, offers, demand, only_open)
    allowed = ~np.isnan(lanes.transport)
    if not allowed.all():  # drop closed lanes before any per-lane table is made
        lanes = lanes.subset(allowed)
    return lanes.table(offers, demand, _lane_tariff(instance, lanes.codes, lanes.price(offers)))


def closed_lane_table(
    instance: Instance, offers: pd.DataFrame, demand: pd.DataFrame
) -> pd.DataFrame:
    """The lanes the data closes among ``offers`` and ``demand``: pairs of offers at consecutive
    stages of a mineral and period (and last-stage offers with the demand rows of theirs)
    between different countries that ``transport`` does not list, when no ``transport_default``
    is set. This is the product less the open lanes, so it is only asked for a few groups.

    The columns are those of :func:`lane_table` but the costs, with ``offer``/``to_offer`` the
    positions in ``offers`` (-1: a delivery), and ``demand_row``, the position in ``demand`` a
    delivery lane would serve (-1 otherwise).
    """
    lanes = _candidates(instance, offers, demand)
    lanes = lanes.subset(np.isnan(lanes.transport))
    table = lanes.table(offers, demand, np.zeros(len(lanes.from_offer)))
    table = table.drop(columns=["price", "transport", "tariff"])
    table["demand_row"] = lanes.demand_row
    return table


@dataclass
class _Candidates:
    """Every lane the stages allow, with its transport cost (NaN: closed by the data).

    ``from_offer``/``to_offer`` are positions in the offers table joined, ``demand_row`` in the
    demand table (-1 where not a delivery)."""

    from_offer: np.ndarray
    to_offer: np.ndarray
    demand_row: np.ndarray
    codes: _LaneCodes
    transport: np.ndarray

    def subset(self, keep: np.ndarray) -> _Candidates:
        return _Candidates(
            self.from_offer[keep],
            self.to_offer[keep],
            self.demand_row[keep],
            self.codes.subset(keep),
            self.transport[keep],
        )

    def price(self, offers: pd.DataFrame) -> np.ndarray:
        return offers["price"].to_numpy()[self.from_offer]

    def table(self, offers: pd.DataFrame, demand: pd.DataFrame, tariff: np.ndarray) -> pd.DataFrame:
        """The lanes as a table, text taken from the small tables (no per-lane conversion)."""
        from_offer, to_offer, places = self.from_offer, self.to_offer, self.codes.places
        delivered = to_offer < 0

        def text(values: pd.Series, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
            return text_array(values).take(rows)

        site = np.full(len(from_offer), None, dtype=object)
        site[delivered] = demand["site"].to_numpy(dtype=object)[self.demand_row[delivered]]
        table = pd.DataFrame(
            {
                "lane": np.arange(len(from_offer)),
                "mineral": text(offers["mineral"], from_offer),
                "period": text(offers["period"], from_offer),
                "offer": from_offer,
                "stage": text(offers["stage"], from_offer),
                "stage_pos": offers["stage_pos"].to_numpy()[from_offer],
                "from_country": text(places.to_series(), self.codes.from_place),
                "price": self.price(offers),
                "to_offer": to_offer.astype(int),
                "to_country": text(places.to_series(), self.codes.to_place),
                "site": pd.Series(site, dtype=object),
                "transport": self.transport,
                "tariff": tariff,
            },
            copy=False,
        )
        return with_python_text(table)


def _candidates(
    instance: Instance, offers: pd.DataFrame, demand: pd.DataFrame, only_open: bool = False
) -> _Candidates:
    """Every lane the stages allow (offers × next-stage offers of the same mineral and period,
    last-stage offers × demand rows), with the transport cost of each; NaN where closed.

    ``only_open``: only the pairs the data may open (:func:`_open_pairs`), a superset of the
    open lanes in the same order, instead of the whole product."""
    key = ["mineral", "period"]
    offer_group, demand_group = key_codes(offers, demand, on=key)
    offer_place = offers["country"].to_numpy(dtype=object)
    demand_place = demand["country"].to_numpy(dtype=object)
    every_place = [offer_place, demand_place, np.array([DEFAULT_SITE], dtype=object)]
    places = pd.Index(pd.unique(np.concatenate(every_place)), dtype=object)
    place_of_offer = places.get_indexer(offer_place)
    place_of_demand = places.get_indexer(demand_place)
    offer_mineral = offers["mineral"].to_numpy(dtype=object)
    minerals = pd.Index(pd.unique(offer_mineral), dtype=object)
    mineral_of_offer = minerals.get_indexer(offer_mineral)
    default_site = places.get_loc(DEFAULT_SITE) if not instance.sites else -1
    routes = _Routes.of(instance, places, minerals)

    def pairs(left, right, right_place, right_open) -> tuple[np.ndarray, np.ndarray]:
        """Positions (i, j) in ``left`` (offers) and ``right`` joined, i then j in order."""
        if not only_open or instance.transport_default is not None:
            return _join(offer_group[left], right_group_of(right))
        return _open_pairs(
            (offer_group[left], place_of_offer[left], mineral_of_offer[left]),
            (right_group_of(right), right_place, right_open),
            routes,
            len(places),
        )

    def right_group_of(right: np.ndarray | None) -> np.ndarray:
        return demand_group if right is None else offer_group[right]

    position = offers["stage_pos"].to_numpy()
    parts: list[tuple[np.ndarray, np.ndarray | None, np.ndarray | None]] = []
    for pos in range(len(instance.stages) - 1):
        here = np.flatnonzero(position == pos)
        nxt = np.flatnonzero(position == pos + 1)
        left, right = pairs(here, nxt, place_of_offer[nxt], np.zeros(len(nxt), dtype=bool))
        parts.append((here[left], nxt[right], None))
    last = np.flatnonzero(position == len(instance.stages) - 1)
    left, right = pairs(last, None, place_of_demand, place_of_demand == default_site)
    parts.append((last[left], None, right))

    from_offer = np.concatenate([p[0] for p in parts])
    to_offer = np.concatenate([p[1] if p[1] is not None else np.full(len(p[0]), -1) for p in parts])
    delivered = to_offer < 0
    demand_row = np.concatenate(
        [p[2] if p[2] is not None else np.full(len(p[0]), -1) for p in parts]
    )

    from_place = place_of_offer[from_offer]
    to_place = np.where(delivered, place_of_demand[demand_row], place_of_offer[to_offer])
    mineral_code = mineral_of_offer[from_offer]

    codes = _LaneCodes(places, minerals, from_place, to_place, mineral_code)
    transport = _lane_transport(instance, codes, to_place == default_site)
    return _Candidates(from_offer, to_offer, demand_row, codes, transport)


@dataclass
class _LaneCodes:
    """Integer codes of each lane's origin, destination and mineral, for table lookups."""

    places: pd.Index
    minerals: pd.Index
    from_place: np.ndarray
    to_place: np.ndarray
    mineral: np.ndarray

    def subset(self, keep: np.ndarray) -> _LaneCodes:
        return _LaneCodes(
            self.places,
            self.minerals,
            self.from_place[keep],
            self.to_place[keep],
            self.mineral[keep],
        )

    def lookup(self, origin, destination, mineral) -> np.ndarray:
        """For each lane, the row of a (origin, destination[, mineral]) table matching it: the
        mineral-specific row if there is one, else the general one; -1 where none."""
        n_places = len(self.places)
        origin = self.places.get_indexer(pd.Index(origin, dtype=object))
        destination = self.places.get_indexer(pd.Index(destination, dtype=object))
        specific = pd.Series(mineral, dtype=object).notna().to_numpy()
        mineral_code = self.minerals.get_indexer(pd.Index(mineral, dtype=object))
        # a row naming an unknown place or mineral matches no lane
        valid = (origin >= 0) & (destination >= 0) & (~specific | (mineral_code >= 0))
        lane_pair = self.from_place.astype(np.int64) * n_places + self.to_place
        row_pair = origin.astype(np.int64) * n_places + destination
        found = np.full(len(self.from_place), -1)
        for only_specific in (False, True):  # the specific rows overwrite the general ones
            rows = np.flatnonzero(valid & (specific == only_specific))
            if not len(rows):
                continue
            if only_specific:
                table_key = (mineral_code[rows] + 1) * n_places * n_places + row_pair[rows]
                lane_key = (self.mineral.astype(np.int64) + 1) * n_places * n_places + lane_pair
            else:
                table_key, lane_key = row_pair[rows], lane_pair
            hit = pd.Index(table_key).get_indexer(lane_key)
            found = np.where(hit >= 0, rows[hit], found)
        return found


def _join(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i, j) with ``left[i] == right[j]``: i in order, then j in order (an inner
    join of integer keys, many to many, without hashing)."""
    order = np.argsort(right, kind="stable")
    ordered = right[order]
    start = np.searchsorted(ordered, left, side="left")
    count = np.searchsorted(ordered, left, side="right") - start
    i = np.repeat(np.arange(len(left)), count)
    offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    return i, order[np.repeat(start, count) + offset]


@dataclass
class _Routes:
    """The ``transport`` rows as integer codes: origin and destination places, and the mineral
    (-1: every mineral). Rows naming an unknown place or mineral open no lane."""

    origin: np.ndarray
    destination: np.ndarray
    mineral: np.ndarray

    @classmethod
    def of(cls, instance: Instance, places: pd.Index, minerals: pd.Index) -> _Routes:
        table = instance.transport
        origin = places.get_indexer(pd.Index([r["from"] for r in table], dtype=object))
        destination = places.get_indexer(pd.Index([r["to"] for r in table], dtype=object))
        named = [r.get("mineral") for r in table]
        specific = pd.Series(named, dtype=object).notna().to_numpy()
        mineral = np.where(specific, minerals.get_indexer(pd.Index(named, dtype=object)), -1)
        valid = (origin >= 0) & (destination >= 0) & (~specific | (mineral >= 0))
        return cls(origin[valid], destination[valid], mineral[valid])


def _open_pairs(
    left: tuple[np.ndarray, np.ndarray, np.ndarray],
    right: tuple[np.ndarray, np.ndarray, np.ndarray],
    routes: _Routes,
    n_places: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (i, j) of ``left`` (group, place, mineral code per offer) and ``right`` (group,
    place, open-at-the-door flag per destination) in the same group that a lane may join when
    there is no ``transport_default``: the same place, a ``transport`` row from i's place to j's
    (for i's mineral or every mineral), or j taking delivery at the door. In the order of
    :func:`_join` (i, then j), each pair once: the open lanes of the whole product, in its order,
    at a cost linear in the pairs found (and the transport rows leaving each offer's place)."""
    left_group, left_place, left_mineral = left
    right_group, right_place, right_open = right
    right_key = right_group.astype(np.int64) * n_places + right_place
    # within a place
    i_same, j_same = _join(left_group.astype(np.int64) * n_places + left_place, right_key)
    # delivered at the door
    at_door = np.flatnonzero(right_open)
    i_door, j_door = _join(left_group, right_group[at_door])
    # listed in transport: offer -> the rows leaving its place -> the destinations they name
    i_route, route = _join(left_place, routes.origin)
    fits = (routes.mineral[route] < 0) | (routes.mineral[route] == left_mineral[i_route])
    i_route, route = i_route[fits], route[fits]
    k, j_listed = _join(
        left_group[i_route].astype(np.int64) * n_places + routes.destination[route], right_key
    )
    i = np.concatenate([i_same, i_door, i_route[k]])
    j = np.concatenate([j_same, at_door[j_door], j_listed])
    pair = _distinct(i.astype(np.int64) * max(len(right_group), 1) + j)
    return pair // max(len(right_group), 1), pair % max(len(right_group), 1)


def _distinct(keys: np.ndarray) -> np.ndarray:
    """The distinct values of an integer array, in ascending order: ``np.unique`` by a sort.
    numpy 2.4's ``np.unique`` finds them with a hash table first, which took 0.8 s on lp-1m's
    pairs where a sort takes 0.03 s (benchmarks/paths.py; the pairs arrive nearly sorted)."""
    ordered = np.sort(keys, kind="stable")
    first = np.ones(len(ordered), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def _lane_transport(instance: Instance, codes: _LaneCodes, at_door: np.ndarray) -> np.ndarray:
    """Cost per unit on each lane; NaN where the lane is not allowed. ``at_door``: deliveries
    to the default site, which takes delivery at the supplier's door."""
    cost = np.full(len(codes.from_place), np.nan)
    if instance.transport:
        table = instance.transport
        row = codes.lookup(
            [r["from"] for r in table], [r["to"] for r in table], [r.get("mineral") for r in table]
        )
        listed = row >= 0
        cost[listed] = np.array([r["cost"] for r in table], dtype=float)[row[listed]]
    domestic = codes.from_place == codes.to_place
    cost[np.isnan(cost) & (domestic | at_door)] = 0.0
    if instance.transport_default is not None:
        cost[np.isnan(cost)] = instance.transport_default
    return cost


def _lane_tariff(instance: Instance, codes: _LaneCodes, price: np.ndarray) -> np.ndarray:
    """Tariff per unit: ``rate`` × price of the stage moved + ``per_unit``, when listed."""
    tariff = np.zeros(len(price))
    if not instance.tariffs:
        return tariff
    table = instance.tariffs
    row = codes.lookup(
        [r["origin"] for r in table],
        [r["destination"] for r in table],
        [r.get("mineral") for r in table],
    )
    rate = np.array([r.get("rate") or 0.0 for r in table], dtype=float)
    per_unit = np.array([r.get("per_unit") or 0.0 for r in table], dtype=float)
    listed = row >= 0
    tariff[listed] = rate[row[listed]] * price[listed] + per_unit[row[listed]]
    return tariff
