"""Fixed costs and minimum quantities of offers: the data that makes a model a MIP.

For each offer o with a fixed cost f_o > 0 or a minimum quantity m_o > 0:

    contract[o] ∈ {0, 1}                   w_o = 1 when the offer is used
    contract_capacity[o]   q_o − U_o w_o ≤ 0                U_o = min(cap_o, V̄_mts)
    contract_minimum[o]    q_o − m_o w_o ≥ 0                (only where m_o > 0)
    contract_lane[l]       x_l − U_l w_o ≤ 0   for l ∈ L_out(o) where U_l < U_o

where V̄_mts is the most the offer's stage can need (demand carried back through the yields) and
U_l is the most lane l can carry: the site's demand for a delivery lane (plus the most it can put
into stock, where it has a stockpile: sourcing.model.index ``stocks``), or U_to / y_to into a
processing offer. The lane rows are the strong (disaggregated) linking of facility location:
they make the LP relaxation tight, where one big-M per offer would leave it loose.

Where the demand of a mineral and period is hard (and no stockpile may meet it), each stage must
supply exactly its required volume R_mts (demand carried back through the yields), so enough
contracts must be signed to hold it (a knapsack over the binaries alone, from which the solver
derives cover cuts such as "at least 7 of these suppliers", which the LP relaxation does not see):

    contract_cover[mts]    Σ_{o∈C_mts} U_o w_o ≥ R_mts − Σ_{o∈O_mts∖C} U_o   (when > 0)

Cost: fixed Σ f_o w_o.
"""

from __future__ import annotations

import numpy as np

from sourcing.model.index import ModelData
from sourcing.model.lp import LinearProgram
from sourcing.model.network import LANE_LABEL, OFFER_LABEL, VOLUME_LABEL, Network, offer_bound


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
        role="contract",
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
            role="contract",
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
            role="contract",
        )
    _cover(lp, data, network, chosen, contract, bound)


def _cover(
    lp: LinearProgram,
    data: ModelData,
    network: Network,
    chosen: np.ndarray,
    contract: np.ndarray,
    bound: np.ndarray,
) -> None:
    volumes, demand = data.stage_volumes, data.demand
    # stock may meet a stocked site's demand, so its stage need not carry it in that period
    soft_rows = demand[demand["penalty"].notna() | demand["stocked"]]
    soft = set(zip(soft_rows["mineral"], soft_rows["period"], strict=True))
    hard = np.array(
        [key not in soft for key in zip(volumes["mineral"], volumes["period"], strict=True)]
    )
    required = np.where(hard, volumes["demand_volume"].to_numpy(), 0.0)
    volume_row = network.offer_volume_row
    free = volume_row >= 0
    free[chosen] = False  # offers without a contract hold up to their bound whatever happens
    uncovered = required - np.bincount(
        volume_row[free], weights=bound[free], minlength=len(volumes)
    )
    contract_row = volume_row[chosen]
    signed = np.bincount(contract_row[contract_row >= 0], minlength=len(volumes)) > 0
    needed = np.flatnonzero(signed & (uncovered > 1e-9 * np.maximum(required, 1.0)))
    if not len(needed):
        return
    renumber = np.full(len(volumes) + 1, -1)  # index -1 (unreached) lands on the extra -1
    renumber[needed] = np.arange(len(needed))
    member = renumber[contract_row] >= 0
    lp.add_constraints(
        "contract_cover",
        volumes.loc[needed, VOLUME_LABEL],
        rows=renumber[contract_row[member]],
        cols=contract[member],
        vals=bound[chosen][member],
        lower=uncovered[needed],
        role="cut",
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
            data.demand[["mineral", "period", "site", "most"]],
            how="left",
            on=["mineral", "period", "site"],
        )["most"]
        .to_numpy()
    )
    most[delivery] = site_demand
    return np.minimum(most, bound[lanes["offer"].to_numpy()])
