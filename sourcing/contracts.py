"""Fixed costs and minimum quantities of offers: the data that makes a model a MIP.

For each offer o with a fixed cost f_o > 0 or a minimum quantity m_o > 0:

    contract[o] ∈ {0, 1}                   w_o = 1 when the offer is used
    contract_capacity[o]   q_o − U_o w_o ≤ 0                U_o = min(cap_o, V̄_mts)
    contract_minimum[o]    q_o − m_o w_o ≥ 0                (only where m_o > 0)
    contract_lane[l]       x_l − U_l w_o ≤ 0   for l ∈ L_out(o) where U_l < U_o

where V̄_mts is the most the offer's stage can need (demand carried back through the yields) and
U_l is the most lane l can carry: the site's demand for a delivery lane, or U_to / y_to into a
processing offer. The lane rows are the strong (disaggregated) linking of facility location:
they make the LP relaxation tight, where one big-M per offer would leave it loose.

Cost: fixed Σ f_o w_o.
"""

from __future__ import annotations

import numpy as np

from sourcing.index import ModelData
from sourcing.lp import LinearProgram
from sourcing.network import LANE_LABEL, OFFER_LABEL, Network, offer_bound


def define_contracts(lp: LinearProgram, data: ModelData, network: Network) -> None:
    offers, lanes = data.offers, data.lanes
    fixed = offers["fixed_cost"].to_numpy()
    minimum = offers["min_quantity"].to_numpy()
    chosen = np.flatnonzero((fixed > 0) | (minimum > 0))
    if len(chosen) == 0:
        return
    bound = offer_bound(data, network)
    contract = lp.add_variables(
        "contract", offers.loc[chosen, OFFER_LABEL], upper=1.0, integer=True
    )
    lp.add_cost("fixed", contract, fixed[chosen])
    n = len(chosen)
    lp.add_constraints(
        "contract_capacity",
        offers.loc[chosen, OFFER_LABEL],
        rows=np.tile(np.arange(n), 2),
        cols=np.concatenate([network.supply[chosen], contract]),
        vals=np.concatenate([np.ones(n), -bound[chosen]]),
        upper=0.0,
    )
    with_minimum = minimum[chosen] > 0
    k = int(with_minimum.sum())
    if k:
        lp.add_constraints(
            "contract_minimum",
            offers.loc[chosen[with_minimum], OFFER_LABEL],
            rows=np.tile(np.arange(k), 2),
            cols=np.concatenate([network.supply[chosen[with_minimum]], contract[with_minimum]]),
            vals=np.concatenate([np.ones(k), -minimum[chosen][with_minimum]]),
            lower=0.0,
        )

    contract_of = np.full(len(offers), -1)
    contract_of[chosen] = contract
    lane_bound = _lane_bound(data, bound)
    origin = lanes["offer"].to_numpy()
    strong = (contract_of[origin] >= 0) & (lane_bound < bound[origin] * (1 - 1e-9))
    lane_ids = np.flatnonzero(strong)
    m = len(lane_ids)
    if m:
        lp.add_constraints(
            "contract_lane",
            lanes.loc[lane_ids, LANE_LABEL],
            rows=np.tile(np.arange(m), 2),
            cols=np.concatenate([network.flow[lane_ids], contract_of[origin[lane_ids]]]),
            vals=np.concatenate([np.ones(m), -lane_bound[lane_ids]]),
            upper=0.0,
        )


def _lane_bound(data: ModelData, bound: np.ndarray) -> np.ndarray:
    lanes = data.lanes
    to_offer = lanes["to_offer"].to_numpy()
    most = np.full(len(lanes), np.inf)
    inbound = to_offer >= 0
    yields = data.offers["yield"].to_numpy()
    most[inbound] = bound[to_offer[inbound]] / yields[to_offer[inbound]]
    delivery = ~inbound
    site_demand = (
        lanes.loc[delivery, ["mineral", "period", "site"]]
        .merge(
            data.demand[["mineral", "period", "site", "quantity"]],
            how="left",
            on=["mineral", "period", "site"],
        )["quantity"]
        .to_numpy()
    )
    most[delivery] = site_demand
    return np.minimum(most, bound[lanes["offer"].to_numpy()])
