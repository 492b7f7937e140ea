"""stockpile_cover: closing stock covers ``days`` of each period's demand at the site.

For every demand row d = (m, t, j) of a selected mineral at a selected site (``countries`` and
``groups`` select sites by their country) with d_d > 0, and c = ``days`` / ``period_days``:

    stockpile_cover[m,t,j]   S_jmt + z_d ≥ c d_d   z_d only with a penalty, else absent

S_jmt is the site's closing stock (sourcing.model.stock); a site without a stockpile of the
mineral holds none, so a hard cover there cannot hold (the pre-solve check says so). With a
``penalty`` π, z_d ≥ 0 is the stock short of the cover (``{name}:short``) and costs π z_d
(cost component ``cover_shortfall``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sourcing.data.rule_specs import StockpileCover
from sourcing.model.index import ModelData
from sourcing.model.lp import LinearProgram
from sourcing.model.network import DEMAND_LABEL, Network
from sourcing.model.rules.kind import RuleKind, Scope, register


def _selected(data: ModelData, rule: StockpileCover) -> np.ndarray:
    """Demand rows of the selected minerals and sites with a positive quantity."""
    demand = data.demand
    mask = (demand["quantity"] > 0).to_numpy().copy()  # pandas may hand out a read-only view
    if rule.minerals is not None:
        mask &= demand["mineral"].isin(rule.minerals).to_numpy()
    if rule.selects_countries:
        sites = data.countries_in(rule.countries, rule.groups)
        mask &= demand["country"].isin(sites).to_numpy()
    return mask


def _fraction(data: ModelData, rule: StockpileCover) -> float:
    return rule.days / data.instance.days_per_period


def define(
    lp: LinearProgram, data: ModelData, network: Network, rule: StockpileCover, name: str
) -> None:
    demand = data.demand
    rows = np.flatnonzero(_selected(data, rule))
    need = _fraction(data, rule) * demand["quantity"].to_numpy()[rows]
    # the closing stock of each selected row's site, mineral and period, where there is one
    stocks = data.stocks
    position = pd.Series(np.arange(len(rows)), index=rows)
    served = stocks["demand_row"].to_numpy() if len(stocks) else np.zeros(0, dtype=int)
    held = np.flatnonzero(np.isin(served, rows))
    row_ids = [position[served[held]].to_numpy()]
    cols = [lp.variables["stock"].ids[held]] if len(held) else [np.zeros(0, dtype=np.int64)]
    if rule.penalty is not None:
        short = lp.add_variables(f"{name}:short", demand.loc[rows, DEMAND_LABEL], magnitude=need)
        lp.add_cost("cover_shortfall", short, rule.penalty)
        row_ids.append(np.arange(len(rows)))
        cols.append(short)
    lp.add_constraints(
        name,
        demand.loc[rows, DEMAND_LABEL],
        rows=np.concatenate(row_ids),
        cols=np.concatenate(cols),
        vals=1.0,
        lower=need,
        role="rule",
    )


def stock_cover(rule: StockpileCover, data: ModelData) -> np.ndarray:
    """c for each row of ``data.stocks`` whose demand the rule selects, 0 elsewhere."""
    chosen = _selected(data, rule)
    return np.where(chosen[data.stocks["demand_row"].to_numpy()], _fraction(data, rule), 0.0)


def check(rule: StockpileCover, name: str, scope: Scope) -> list[tuple[str, str]]:
    """A hard cover at a site without a stockpile of the mineral, or above its capacity."""
    if rule.penalty is not None:
        return []
    data = scope.data
    chosen = data.demand[_selected(data, rule)].head(20)
    c = _fraction(data, rule)
    piles = data.stocks.drop_duplicates(["site", "mineral"])
    capacity = dict(
        zip(zip(piles["site"], piles["mineral"], strict=True), piles["capacity"], strict=True)
    )
    found = []
    for site, mineral, period, quantity in zip(
        chosen["site"], chosen["mineral"], chosen["period"], chosen["quantity"], strict=True
    ):
        asks = f"{scope.where(mineral, period)}: {name} asks for {c * quantity:g} in stock at "
        if (site, mineral) not in capacity:
            message = f"site '{site}', which has no stockpile of {mineral} (add one)"
            found.append(("days", asks + message))
        elif c * quantity > capacity[(site, mineral)] * (1 + 1e-9):
            message = f"site '{site}', above its stockpile's capacity {capacity[(site, mineral)]:g}"
            found.append(("days", asks + message))
    return found


register(RuleKind(StockpileCover, define, check=check, stock_cover=stock_cover))
