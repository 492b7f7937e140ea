"""Index an instance: sparse tables of what exists, ready for vectorised model building.

Only what the data allows is indexed (never a dense product of sets):

* ``offers``: one row per (mineral, period, stage, country) offer, with capacity, price, fixed
  cost, minimum quantity, the stage's yield and the country's risk. An offer without a period
  applies in every period, with its full capacity and its own fixed cost in each (decision: periods
  are separate contracts, so each period is an independent sourcing problem).
* ``lanes``: one row per allowed movement of material: from an offer at stage *s* to an offer of
  the same mineral and period at stage *s+1*, and from an offer at the last stage to each site
  demanding that mineral. A lane between different countries is allowed when ``transport`` lists
  it (a mineral-specific row wins over a general one) or ``transport_default`` is set; within a
  country it is free unless listed. Each lane carries its transport and tariff cost per unit.
* ``demand``: one row per (mineral, period, site) with quantity and penalty (NaN: hard).
* ``stage_volumes``: one row per (mineral, period, stage) reached by demand, with the largest
  volume the stage can need (demand carried back through the yields): the tight bound used by
  the MIP rows instead of a big-M.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sourcing.data.references import groups_of
from sourcing.data.schema import DEFAULT_SITE, NO_PERIOD, Instance


@dataclass
class ModelData:
    instance: Instance
    stages: list[str]
    periods: list[str]
    offers: pd.DataFrame
    lanes: pd.DataFrame
    demand: pd.DataFrame
    stage_volumes: pd.DataFrame
    country_groups: dict[str, set[str]]

    @property
    def last_stage(self) -> str:
        return self.stages[-1]

    def countries_in(self, countries: list[str] | None, groups: list[str] | None) -> set[str]:
        """The countries a rule's ``countries``/``groups`` selectors name (union of both)."""
        chosen = set(countries or [])
        for country, tags in self.country_groups.items():
            if tags & set(groups or []):
                chosen.add(country)
        return chosen


def index_instance(instance: Instance) -> ModelData:
    periods = list(instance.periods) if instance.periods else [NO_PERIOD]
    country_groups = {r["country"]: set(groups_of(r)) for r in instance.countries}
    offers = _offers(instance, periods)
    demand = _demand(instance, periods)
    lanes = _lanes(instance, offers, demand)
    volumes = _stage_volumes(instance, offers, demand)
    return ModelData(
        instance, list(instance.stages), periods, offers, lanes, demand, volumes, country_groups
    )


def _expand_periods(frame: pd.DataFrame, periods: list[str]) -> pd.DataFrame:
    if "period" not in frame:
        frame["period"] = np.nan
    frame["period"] = frame["period"].astype(object)
    fixed = frame[frame["period"].notna()]
    every = frame[frame["period"].isna()].drop(columns="period")
    spread = every.merge(pd.DataFrame({"period": periods}), how="cross")
    return pd.concat([fixed, spread], ignore_index=True) if len(fixed) else spread


def _offers(instance: Instance, periods: list[str]) -> pd.DataFrame:
    supply = pd.DataFrame.from_records(instance.supply)
    supply["supply_row"] = np.arange(1, len(supply) + 1)
    for column, default in (("capacity", np.inf), ("fixed_cost", 0.0), ("min_quantity", 0.0)):
        supply[column] = (
            supply[column].astype(float).fillna(default) if column in supply else default
        )
    offers = _expand_periods(supply, periods)
    stage_pos = {s: i for i, s in enumerate(instance.stages)}
    offers["stage_pos"] = offers["stage"].map(stage_pos).astype(int)
    yields = {(r["mineral"], r["stage"]): r["yield"] for r in instance.yields}
    offers["yield"] = [
        yields.get(k, 1.0) for k in zip(offers["mineral"], offers["stage"], strict=True)
    ]
    risk = {r["country"]: r.get("risk", 0.0) for r in instance.countries}
    offers["risk"] = offers["country"].map(risk).fillna(0.0).astype(float)
    offers = offers.sort_values(["mineral", "period", "stage_pos", "country"], ignore_index=True)
    offers.insert(0, "offer", np.arange(len(offers)))
    return offers


def _demand(instance: Instance, periods: list[str]) -> pd.DataFrame:
    demand = pd.DataFrame.from_records(instance.demand)
    demand["demand_row"] = np.arange(1, len(demand) + 1)
    demand["site"] = demand["site"].fillna(DEFAULT_SITE) if "site" in demand else DEFAULT_SITE
    demand["penalty"] = demand["penalty"].astype(float) if "penalty" in demand else np.nan
    demand = _expand_periods(demand, periods)
    site_country = {r["site"]: r["country"] for r in instance.sites} or {DEFAULT_SITE: DEFAULT_SITE}
    demand["country"] = demand["site"].map(site_country)
    demand = demand.sort_values(["mineral", "period", "site"], ignore_index=True)
    demand["quantity"] = demand["quantity"].astype(float)
    return demand


def _lanes(instance: Instance, offers: pd.DataFrame, demand: pd.DataFrame) -> pd.DataFrame:
    """Every allowed lane, in the order: stage by stage, from-offer by from-offer, then its
    destinations in their table order; deliveries to sites last.

    Lanes are the one table whose size is a product (offers × offers): it is joined on integer
    codes, and text columns are taken from small tables, never hashed per lane.
    """
    lanes = _candidates(instance, offers, demand)
    allowed = ~np.isnan(lanes.transport)
    if not allowed.all():  # drop closed lanes before any per-lane table is made
        lanes = lanes.subset(allowed)
    return lanes.table(offers, demand, _lane_tariff(instance, lanes.codes, lanes.price(offers)))


def closed_lanes(data: ModelData, keys: pd.DataFrame | None = None) -> pd.DataFrame:
    """The lanes the data closes: pairs of offers at consecutive stages of a mineral and period
    (and last-stage offers with the sites demanding them) between different countries that
    ``transport`` does not list, when no ``transport_default`` is set.

    ``keys`` (columns ``mineral``, ``period``) limits the search to those groups. The columns are
    those of :attr:`ModelData.lanes` (``offer`` and ``to_offer`` are offer ids of ``data``) plus
    ``demand_row``, the row of ``data.demand`` a delivery lane would serve (-1 otherwise); no
    costs (the lane has none).
    """
    offers, demand = data.offers, data.demand
    if keys is not None:
        key = ["mineral", "period"]
        offers = offers.merge(keys[key].drop_duplicates(), on=key)
        demand = demand.reset_index(names="_row").merge(keys[key].drop_duplicates(), on=key)
    lanes = _candidates(data.instance, offers.reset_index(drop=True), demand)
    lanes = lanes.subset(np.isnan(lanes.transport))
    table = lanes.table(offers, demand, np.zeros(len(lanes.from_offer)))
    table = table.drop(columns=["price", "transport", "tariff"])
    # back to the ids of the whole instance's offers and demand rows
    offer_id = offers["offer"].to_numpy()
    inbound = lanes.to_offer >= 0
    table["offer"] = offer_id[lanes.from_offer]
    table["to_offer"] = np.where(inbound, offer_id[np.maximum(lanes.to_offer, 0)], -1)
    rows = demand["_row"].to_numpy() if "_row" in demand else np.arange(len(demand))
    table["demand_row"] = np.where(inbound, -1, rows[np.maximum(lanes.demand_row, 0)])
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
            # pandas-stubs has no overload for a Series with dtype "str"; pandas takes it
            return pd.array(values, dtype="str").take(rows)  # type: ignore[call-overload]

        site = np.full(len(from_offer), None, dtype=object)
        site[delivered] = demand["site"].to_numpy(dtype=object)[self.demand_row[delivered]]
        return pd.DataFrame(
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


def _candidates(instance: Instance, offers: pd.DataFrame, demand: pd.DataFrame) -> _Candidates:
    """Every lane the stages allow (offers × next-stage offers of the same mineral and period,
    last-stage offers × demand rows), with the transport cost of each; NaN where closed."""
    key = ["mineral", "period"]
    offer_group, demand_group = _group_codes(offers[key], demand[key])
    position = offers["stage_pos"].to_numpy()
    parts: list[tuple[np.ndarray, np.ndarray | None, np.ndarray | None]] = []
    for pos in range(len(instance.stages) - 1):
        here = np.flatnonzero(position == pos)
        nxt = np.flatnonzero(position == pos + 1)
        left, right = _join(offer_group[here], offer_group[nxt])
        parts.append((here[left], nxt[right], None))
    last = np.flatnonzero(position == len(instance.stages) - 1)
    left, right = _join(offer_group[last], demand_group)
    parts.append((last[left], None, right))

    from_offer = np.concatenate([p[0] for p in parts])
    to_offer = np.concatenate([p[1] if p[1] is not None else np.full(len(p[0]), -1) for p in parts])
    delivered = to_offer < 0
    demand_row = np.concatenate(
        [p[2] if p[2] is not None else np.full(len(p[0]), -1) for p in parts]
    )

    every_place = [offers["country"], demand["country"], pd.Series([DEFAULT_SITE])]
    places = pd.Index(pd.unique(pd.concat(every_place).astype(object)))
    place_of_offer = places.get_indexer(pd.Index(offers["country"].astype(object)))
    place_of_demand = places.get_indexer(pd.Index(demand["country"].astype(object)))
    from_place = place_of_offer[from_offer]
    to_place = np.where(delivered, place_of_demand[demand_row], place_of_offer[to_offer])
    minerals = pd.Index(pd.unique(offers["mineral"].astype(object)))
    mineral_code = minerals.get_indexer(pd.Index(offers["mineral"].astype(object)))[from_offer]

    codes = _LaneCodes(places, minerals, from_place, to_place, mineral_code)
    default_site = places.get_loc(DEFAULT_SITE) if not instance.sites else -1
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


def _group_codes(left: pd.DataFrame, right: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of the rows of two key tables, equal where the keys are equal."""
    both = pd.concat([left, right], ignore_index=True).astype(object)
    codes = both.groupby(list(both.columns), sort=False, dropna=False).ngroup().to_numpy()
    return codes[: len(left)], codes[len(left) :]


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


def _stage_volumes(instance: Instance, offers: pd.DataFrame, demand: pd.DataFrame) -> pd.DataFrame:
    """The most each (mineral, period, stage) can need: demand carried back through the yields."""
    need = demand.groupby(["mineral", "period"], as_index=False)["quantity"].sum()
    yields = offers.groupby(["mineral", "stage_pos"])["yield"].first()
    rows = []
    for mineral, period, quantity in need.itertuples(index=False):
        volume = quantity
        for pos in range(len(instance.stages) - 1, -1, -1):
            rows.append((mineral, period, instance.stages[pos], pos, volume))
            volume = volume / yields.get((mineral, pos), 1.0)
    return pd.DataFrame(rows, columns=["mineral", "period", "stage", "stage_pos", "max_volume"])
