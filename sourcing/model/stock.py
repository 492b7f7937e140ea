"""Stockpiles: closing stock links the periods of a site's mineral (``stockpiles.csv``).

Sets:
    K            stock rows (site j, mineral m, period t), periods in order; t−1 the period
                 before t; K_D ⊆ K those where the site has demand d for the mineral in t

Variables:
    stock[jmt]       0 ≤ S_jmt ≤ S̄_jmt          closing stock (S̄: min(capacity, the most still
                                                 usable), sourcing.model.index ``stocks``)
    stock_draw[jmt]  n_jmt free, for jmt ∈ K_D   stock drawn to meet demand (< 0: stock built)

Constraints:
    stock_balance[jmt]   S_jmt − S_jm,t−1 + n_jmt = 0   (first period: S_jmt + n_jmt = initial)
    and the site's demand row gains the draw: Σ_{l∈L(d)} x_l + u_d + n_jmt = d_d

The draw enters the site's ``demand`` row (network.py): Σ_{l∈L(d)} x_l + u_d + n_jmt = d_d, so
delivered − demand met = −n = closing − opening, the stock's balance. A period without demand
at the site has no draw: its stock is carried. The last closing stock is at least ``final_min``.

Cost: holding Σ h_jm S_jmt (per unit of closing stock in each period).
"""

from __future__ import annotations

import numpy as np

from sourcing.model.index import ModelData
from sourcing.model.lp import LinearProgram

STOCK_LABEL = ["site", "mineral", "period"]


def define_stock(lp: LinearProgram, data: ModelData) -> None:
    """Add the stock families; nothing without stockpiles (every program stays as it was)."""
    stocks = data.stocks
    if not len(stocks):
        return
    n = len(stocks)
    last = np.r_[
        stocks["stockpile_row"].to_numpy()[1:] != stocks["stockpile_row"].to_numpy()[:-1], True
    ]
    first = np.r_[True, last[:-1]]
    lower = np.where(last, stocks["final_min"].to_numpy(), 0.0)
    most = stocks["most"].to_numpy()
    stock = lp.add_variables(
        "stock", stocks[STOCK_LABEL], lower=lower, upper=most, magnitude=np.maximum(most, lower)
    )
    served = stocks["demand_row"].to_numpy()
    at = np.flatnonzero(served >= 0)
    demand = data.demand["quantity"].to_numpy()
    draw = lp.add_variables(
        "stock_draw",
        stocks.loc[at, STOCK_LABEL],
        lower=-np.inf,
        magnitude=np.maximum(demand[served[at]], most[at]),
    )
    later = np.flatnonzero(~first)
    lp.add_constraints(
        "stock_balance",
        stocks[STOCK_LABEL],
        rows=np.concatenate([np.arange(n), later, at]),
        cols=np.concatenate([stock, stock[later - 1], draw]),
        vals=np.concatenate([np.ones(n), -np.ones(len(later)), np.ones(len(at))]),
        lower=np.where(first, stocks["initial"].to_numpy(), 0.0),
        upper=np.where(first, stocks["initial"].to_numpy(), 0.0),
        role="network",
    )
    block = lp.constraints["demand"]
    lp.constraints["demand"] = block.with_entries(block.start + served[at], draw, np.ones(len(at)))
    lp.add_cost("holding", stock, stocks["holding_cost"].to_numpy())
