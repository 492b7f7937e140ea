"""Index an instance: sparse tables of what exists, ready for vectorised model building.

Only what the data allows is indexed (never a dense product of sets):

* ``offers``: one row per (mineral, period, stage, country) offer, with capacity, price, fixed
  cost, minimum quantity, the stage's yield, the country's risk and the reference price of its
  mineral, stage and period (``reference``, NaN where ``reference_prices`` gives none). An offer
  without a period applies in every period, with its full capacity and its own fixed cost in each
  (decision: periods are separate contracts; only stockpiles link them).
* ``lanes``: one row per allowed movement of material: from an offer at stage *s* to an offer of
  the same mineral and period at stage *s+1*, and from an offer at the last stage to each site
  demanding that mineral. A lane between different countries is allowed when ``transport`` lists
  it (a mineral-specific row wins over a general one) or ``transport_default`` is set; within a
  country it is free unless listed. Each lane carries its transport and tariff cost per unit.
  Built by :mod:`sourcing.model.lanes`, which joins only the pairs the data opens.
* ``demand``: one row per (mineral, period, site) with quantity and penalty (NaN: hard).
* ``stage_volumes``: one row per (mineral, period, stage) reached by demand, with the volume
  demand puts through it (``demand_volume``: demand carried back through the yields) and the
  largest volume the stage can carry (``max_volume``: the same plus what may go into stock): the
  tight bound used by the MIP rows instead of a big-M.
* ``stocks``: one row per (site, mineral, period) of a stockpile (``stockpiles.csv``), periods in
  order, with the stockpile's data, the demand row it serves (-1 where the site has no demand
  for the mineral in the period), its demand then (``quantity``) and ``most``, the most closing
  stock that can still be used: min(capacity, max(initial, demand of the later periods +
  final_min, or + the largest cover a rule asks for from then on: :func:`with_cover`)). Stock
  beyond that could never be drawn, so it is never bought (the bound keeps every MIP row's
  coefficient valid).
  Without stockpiles the table is empty and everything else is as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from sourcing.data.references import groups_of
from sourcing.data.schema import DEFAULT_SITE, NO_PERIOD, Instance
from sourcing.model.frames import records_frame, sorted_frame, text_array
from sourcing.model.keys import row_of
from sourcing.model.lanes import closed_lane_table, lane_table


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
    stocks: pd.DataFrame = field(default_factory=pd.DataFrame)

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
    demand, stocks = _stocks(instance, periods, demand)
    lanes = lane_table(instance, offers, demand)
    volumes = _stage_volumes(instance, offers, demand)
    return ModelData(
        instance,
        list(instance.stages),
        periods,
        offers,
        lanes,
        demand,
        volumes,
        country_groups,
        stocks,
    )


def _expand_periods(frame: pd.DataFrame, periods: list[str]) -> pd.DataFrame:
    if "period" not in frame:
        frame["period"] = np.nan
    frame["period"] = frame["period"].astype(object)
    fixed = frame[frame["period"].notna()]
    every = frame[frame["period"].isna()].drop(columns="period")
    spread = every.merge(pd.DataFrame({"period": text_array(periods)}), how="cross")
    return pd.concat([fixed, spread], ignore_index=True) if len(fixed) else spread


def _period_rows(given: list, periods: list[str]) -> tuple[np.ndarray, Any]:
    """The rows of a table once each row applies to its periods: a row naming its period once,
    the others once per period, after those and in their order (as :func:`_expand_periods`);
    the source row and the period of each. Periods are Python text when some row names one,
    else ``str`` (as merging and concatenating frames made them)."""
    named = np.array([p is not None for p in given], dtype=bool)
    fixed, every = np.flatnonzero(named), np.flatnonzero(~named)
    source = np.concatenate([fixed, np.repeat(every, len(periods))])
    period = np.empty(len(source), dtype=object)
    period[: len(fixed)] = [given[i] for i in fixed]
    period[len(fixed) :] = np.tile(np.array(periods, dtype=object), len(every))
    return source, (period if len(fixed) else text_array(period))


def _numbers(rows: list, name: str, default: float, source: np.ndarray) -> np.ndarray:
    return np.array([r.get(name, default) for r in rows], dtype=float)[source]


def _texts(values: list, source: np.ndarray) -> pd.api.extensions.ExtensionArray:
    return text_array(np.array(values, dtype=object)[source])


def _offers(instance: Instance, periods: list[str]) -> pd.DataFrame:
    supply = instance.supply
    source, period = _period_rows([r.get("period") for r in supply], periods)
    stage = np.array([r["stage"] for r in supply], dtype=object)[source]
    mineral = np.array([r["mineral"] for r in supply], dtype=object)[source]
    country = np.array([r["country"] for r in supply], dtype=object)[source]
    yields = {(r["mineral"], r["stage"]): r["yield"] for r in instance.yields}
    risk = {r["country"]: r.get("risk", 0.0) for r in instance.countries}
    risks = pd.Index(list(risk), dtype=object).get_indexer(country)
    columns = {
        "mineral": text_array(mineral),
        "stage": text_array(stage),
        "country": text_array(country),
        "price": _numbers(supply, "price", np.nan, source),
        "capacity": _numbers(supply, "capacity", np.inf, source),
        "fixed_cost": _numbers(supply, "fixed_cost", 0.0, source),
        "min_quantity": _numbers(supply, "min_quantity", 0.0, source),
        "supply_row": np.arange(1, len(supply) + 1)[source],
        "period": period,
        "stage_pos": pd.Index(list(instance.stages), dtype=object).get_indexer(stage),
        "yield": np.array(
            [yields.get(k, 1.0) for k in zip(mineral, stage, strict=True)] if yields else 1.0,
            dtype=float,
        )
        * np.ones(len(source)),
        "risk": np.where(
            risks >= 0, np.array(list(risk.values()), dtype=float)[np.maximum(risks, 0)], 0.0
        )
        if len(risk)
        else np.zeros(len(source)),
    }
    offers = sorted_frame(columns, ["mineral", "period", "stage_pos", "country"])
    offers.insert(0, "offer", np.arange(len(offers)))
    offers["reference"] = _reference_prices(instance, offers, periods)
    return offers


def _reference_prices(instance: Instance, offers: pd.DataFrame, periods: list[str]) -> np.ndarray:
    """The reference price of each offer's mineral, stage and period (``reference_prices``;
    NaN where none is given)."""
    if not instance.reference_prices:
        return np.full(len(offers), np.nan)
    table = _expand_periods(records_frame(instance.reference_prices), periods)
    table = table.rename(columns={"price": "reference"})[
        ["mineral", "stage", "period", "reference"]
    ]
    row = row_of(offers, table, ["mineral", "stage", "period"])
    return np.where(row >= 0, table["reference"].to_numpy(dtype=float)[np.maximum(row, 0)], np.nan)


def _demand(instance: Instance, periods: list[str]) -> pd.DataFrame:
    demand = instance.demand
    source, period = _period_rows([r.get("period") for r in demand], periods)
    site = np.array([r.get("site") or DEFAULT_SITE for r in demand], dtype=object)[source]
    site_country = {r["site"]: r["country"] for r in instance.sites} or {DEFAULT_SITE: DEFAULT_SITE}
    columns = {
        "mineral": _texts([r["mineral"] for r in demand], source),
        "site": text_array(site),
        "quantity": _numbers(demand, "quantity", np.nan, source),
        "penalty": _numbers(demand, "penalty", np.nan, source),
        "demand_row": np.arange(1, len(demand) + 1)[source],
        "period": period,
        "country": text_array([site_country.get(s) for s in site]),
    }
    return sorted_frame(columns, ["mineral", "period", "site"])


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
    table = closed_lane_table(data.instance, offers.reset_index(drop=True), demand)
    # back to the ids of the whole instance's offers and demand rows
    offer_id = offers["offer"].to_numpy()
    inbound = table["to_offer"].to_numpy() >= 0
    table["offer"] = offer_id[table["offer"].to_numpy()]
    table["to_offer"] = np.where(inbound, offer_id[np.maximum(table["to_offer"].to_numpy(), 0)], -1)
    rows = demand["_row"].to_numpy() if "_row" in demand else np.arange(len(demand))
    table["demand_row"] = np.where(inbound, -1, rows[np.maximum(table["demand_row"].to_numpy(), 0)])
    return table


STOCK_COLUMNS = [
    "site",
    "mineral",
    "period",
    "period_pos",
    "initial",
    "capacity",
    "holding_cost",
    "final_min",
    "stockpile_row",
    "demand_row",
    "quantity",
    "most",
]


def _stocks(
    instance: Instance, periods: list[str], demand: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demand table and one row per (site, mineral, period) of each stockpile. The demand
    table gains ``stocked`` and ``most`` (the most a demand row's site can take: its demand plus
    the most it can put into stock, :data:`STOCK_COLUMNS` ``most``), and a row of 0 where a
    stocked site has no demand in a period (:func:`_demand_of_stock`)."""
    demand["stocked"] = False
    demand["most"] = demand["quantity"]
    if not instance.stockpiles:
        return demand, pd.DataFrame(columns=STOCK_COLUMNS)
    piles = records_frame(instance.stockpiles)
    piles["stockpile_row"] = np.arange(1, len(piles) + 1)
    demand = _demand_of_stock(instance, piles, periods, demand)
    for column, default in (("initial", 0.0), ("capacity", np.inf), ("final_min", 0.0)):
        piles[column] = piles[column].astype(float).fillna(default) if column in piles else default
    piles["holding_cost"] = piles["holding_cost"].astype(float)
    order = pd.DataFrame({"period": text_array(periods), "period_pos": np.arange(len(periods))})
    stocks = piles.merge(order, how="cross")
    key = ["mineral", "period", "site"]
    rows = demand[key].assign(demand_row=np.arange(len(demand)))
    stocks = stocks.merge(rows, how="left", on=key)
    stocks["demand_row"] = stocks["demand_row"].fillna(-1).astype(int)
    stocks = stocks.sort_values(["site", "mineral", "period_pos"], ignore_index=True)
    served = stocks["demand_row"].to_numpy()
    stocks["quantity"] = np.where(
        served >= 0, demand["quantity"].to_numpy()[np.maximum(served, 0)], 0.0
    )
    demand.loc[served[served >= 0], "stocked"] = True
    return demand, _stock_bounds(stocks, demand, np.zeros(len(stocks)))


def _stock_bounds(stocks: pd.DataFrame, demand: pd.DataFrame, cover: np.ndarray) -> pd.DataFrame:
    """``stocks`` with ``most``, the most closing stock that can still be used: min(capacity,
    max(initial, L_t + max(final_min, max_{t'≥t} c_t' d_t'))), where L_t is the site's demand in
    the periods after t and c_t d_t the cover a rule asks for in t (``cover``: the fraction c of
    each row's demand, 0 without a rule); ``demand["most"]`` (the row's demand plus that) is
    updated in place."""
    quantity = stocks["quantity"].to_numpy()
    pile = stocks["stockpile_row"].to_numpy()
    backwards = pd.Series(quantity[::-1]).groupby(pile[::-1])
    later = backwards.cumsum().to_numpy()[::-1] - quantity
    need = pd.Series((cover * quantity)[::-1]).groupby(pile[::-1]).cummax().to_numpy()[::-1]
    needed = later + np.maximum(stocks["final_min"].to_numpy(), need)
    stocks = stocks.assign(
        most=np.minimum(
            stocks["capacity"].to_numpy(), np.maximum(stocks["initial"].to_numpy(), needed)
        )
    )
    served = stocks["demand_row"].to_numpy()
    at = served >= 0
    demand.loc[served[at], "most"] = quantity[at] + stocks["most"].to_numpy()[at]
    return stocks[STOCK_COLUMNS]


def with_cover(data: ModelData, cover: np.ndarray) -> ModelData:
    """``data`` with room in every stockpile for the cover rules ask for (``cover``: the fraction
    of each ``stocks`` row's demand a rule requires in stock at the end of the period): the stock
    bounds, the most each site can take and the stage volumes grow to match."""
    if not len(data.stocks) or not np.any(cover > 0):
        return data
    demand = data.demand.copy()
    stocks = _stock_bounds(data.stocks, demand, cover)
    volumes = _stage_volumes(data.instance, data.offers, demand)
    return replace(data, demand=demand, stocks=stocks, stage_volumes=volumes)


def _demand_of_stock(
    instance: Instance, piles: pd.DataFrame, periods: list[str], demand: pd.DataFrame
) -> pd.DataFrame:
    """``demand`` with a row of 0 (``demand_row`` 0: no row of demand.csv) for each period in
    which a stocked site has no demand for the mineral, so that lanes reach the site and stock
    can be built in that period too; sorted as before."""
    key = ["mineral", "period", "site"]
    wanted = piles[["mineral", "site"]].merge(
        pd.DataFrame({"period": text_array(periods)}), how="cross"
    )
    missing = wanted.merge(demand[key], how="left", on=key, indicator=True)
    missing = missing[missing["_merge"] == "left_only"][key]
    if not len(missing):
        return demand
    site_country = {r["site"]: r["country"] for r in instance.sites} or {DEFAULT_SITE: DEFAULT_SITE}
    extra = missing.assign(
        quantity=0.0,
        demand_row=0,
        penalty=np.nan,
        country=missing["site"].map(site_country),
        stocked=False,
        most=0.0,
    )
    whole = pd.concat([demand, extra[demand.columns]], ignore_index=True)
    return whole.sort_values(["mineral", "period", "site"], ignore_index=True)


def _stage_volumes(instance: Instance, offers: pd.DataFrame, demand: pd.DataFrame) -> pd.DataFrame:
    """What each (mineral, period, stage) must carry and can carry: demand, and demand plus what
    may go into stock (``demand["most"]``), carried back through the yields."""
    # demand and its most summed per (mineral, period), in their sorted order, by pandas' sum
    mineral = demand["mineral"].to_numpy(dtype=object)
    period = demand["period"].to_numpy(dtype=object)
    mineral_rank = pd.factorize(mineral, sort=True)[0]
    period_rank = pd.factorize(period, sort=True)[0]
    key = mineral_rank * (int(period_rank.max(initial=0)) + 1) + period_rank
    _, first, group = np.unique(key, return_index=True, return_inverse=True)
    need = demand[["quantity", "most"]].groupby(group).sum()
    # each mineral's yield at each stage where it has offers (1 where it has none)
    n_stages = len(instance.stages)
    position = offers["stage_pos"].to_numpy()
    offered = offers["mineral"].to_numpy(dtype=object)
    _, at = np.unique(pd.factorize(offered)[0] * n_stages + position, return_index=True)
    yields = dict(
        zip(
            zip(offered[at], position[at], strict=True), offers["yield"].to_numpy()[at], strict=True
        )
    )
    rows = []
    for i, quantity, most in zip(first, need["quantity"], need["most"], strict=True):
        volume, largest = quantity, most
        for pos in range(n_stages - 1, -1, -1):
            rows.append((mineral[i], period[i], instance.stages[pos], pos, volume, largest))
            factor = yields.get((mineral[i], pos), 1.0)
            volume, largest = volume / factor, largest / factor
    columns = list(zip(*rows, strict=True)) if rows else [()] * 6
    return pd.DataFrame(
        {
            "mineral": text_array(list(columns[0])),
            "period": text_array(list(columns[1])),
            "stage": text_array(list(columns[2])),
            "stage_pos": np.array(columns[3], dtype=np.int64),
            "demand_volume": np.array(columns[4], dtype=float),
            "max_volume": np.array(columns[5], dtype=float),
        }
    )
