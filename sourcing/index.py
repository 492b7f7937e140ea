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

from sourcing.references import groups_of
from sourcing.schema import DEFAULT_SITE, Instance

NO_PERIOD = ""


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
    key = ["mineral", "period"]
    src_cols = key + ["offer", "stage", "stage_pos", "country", "price"]
    parts = []
    for pos in range(len(instance.stages) - 1):
        here = offers.loc[offers["stage_pos"] == pos, src_cols]
        nxt = offers.loc[offers["stage_pos"] == pos + 1, key + ["offer", "country"]]
        pairs = here.merge(nxt, on=key, suffixes=("", "_to"))
        pairs = pairs.rename(columns={"offer_to": "to_offer", "country_to": "to_country"})
        pairs["site"] = None
        parts.append(pairs)
    last = offers.loc[offers["stage_pos"] == len(instance.stages) - 1, src_cols]
    deliveries = last.merge(demand[key + ["site", "country"]], on=key, suffixes=("", "_to"))
    deliveries = deliveries.rename(columns={"country_to": "to_country"})
    deliveries["to_offer"] = -1
    parts.append(deliveries)
    lanes = pd.concat(parts, ignore_index=True).rename(columns={"country": "from_country"})
    lanes["to_offer"] = lanes["to_offer"].astype(int)

    lanes["transport"] = _lane_transport(instance, lanes)
    lanes = lanes[lanes["transport"].notna()].reset_index(drop=True)
    lanes["tariff"] = _lane_tariff(instance, lanes)
    lanes.insert(0, "lane", np.arange(len(lanes)))
    return lanes


def _lane_transport(instance: Instance, lanes: pd.DataFrame) -> pd.Series:
    """Cost per unit on each lane; NaN where the lane is not allowed."""
    cost = pd.Series(np.nan, index=lanes.index)
    if instance.transport:
        table = pd.DataFrame.from_records(instance.transport)
        if "mineral" not in table:
            table["mineral"] = None
        table["mineral"] = table["mineral"].astype(object)  # merged with the lanes' text key
        for specific in (True, False):  # mineral-specific rows take precedence
            rows = table[table["mineral"].notna() == specific]
            on = ["from", "to"] + (["mineral"] if specific else [])
            rows = rows[on + ["cost"]].rename(columns={"from": "from_country", "to": "to_country"})
            left = lanes[[{"from": "from_country", "to": "to_country"}.get(c, c) for c in on]]
            found = left.merge(rows, how="left", on=list(left.columns))["cost"]
            found.index = lanes.index
            cost = cost.fillna(found)
    domestic = lanes["from_country"] == lanes["to_country"]
    if not instance.sites:  # the default site takes delivery at the supplier's door
        domestic |= lanes["to_country"] == DEFAULT_SITE
    cost = cost.where(cost.notna() | ~domestic, 0.0)
    if instance.transport_default is not None:
        cost = cost.fillna(instance.transport_default)
    return cost


def _lane_tariff(instance: Instance, lanes: pd.DataFrame) -> np.ndarray:
    """Tariff per unit: ``rate`` × price of the stage moved + ``per_unit``, when listed."""
    tariff = np.zeros(len(lanes))
    if not instance.tariffs:
        return tariff
    table = pd.DataFrame.from_records(instance.tariffs)
    for column in ("mineral", "rate", "per_unit"):
        if column not in table:
            table[column] = None
    table["mineral"] = table["mineral"].astype(object)  # merged with the lanes' text key
    table = table.rename(columns={"origin": "from_country", "destination": "to_country"})
    table[["rate", "per_unit"]] = table[["rate", "per_unit"]].astype(float).fillna(0.0)
    found = pd.DataFrame({"rate": np.nan, "per_unit": np.nan}, index=lanes.index)
    for specific in (True, False):
        rows = table[table["mineral"].notna() == specific]
        on = ["from_country", "to_country"] + (["mineral"] if specific else [])
        hit = lanes[on].merge(rows[on + ["rate", "per_unit"]], how="left", on=on)
        hit.index = lanes.index
        found = found.fillna(hit[["rate", "per_unit"]])
    found = found.fillna(0.0)
    return (found["rate"] * lanes["price"] + found["per_unit"]).to_numpy()


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
