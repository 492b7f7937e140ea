"""The multi-stage flow network every model shares: supply, lanes, stage volumes, demand.

Sets (index tables of :class:`~sourcing.model.index.ModelData`):
    O            offers (mineral m, period t, stage s, country c); O_mts the offers of one stage
    L            lanes; L_out(o) leaving offer o, L_in(o) entering offer o, L(m,t,j) reaching site j
    D            demand (mineral m, period t, site j), with quantity d and optional penalty π

Variables:
    supply[o]         q_o ≥ 0, q_o ≤ cap_o      output of offer o (units of its stage)
    flow[l]           x_l ≥ 0                   material moved on lane l (units of its from-stage)
    stage_volume[mts] V_mts = Σ_{o∈O_mts} q_o  the buyer's volume at a stage (the rules' base)
    shortfall[d]      0 ≤ u_d ≤ d               demand left unmet (only where a penalty is given)

Constraints:
    offer_output[o]   q_o − Σ_{l∈L_out(o)} x_l = 0                   all output leaves
    offer_input[o]    q_o − y_o Σ_{l∈L_in(o)} x_l = 0   (stage > 1)   output = yield × input
    stage_volume_sum[mts]  V_mts − Σ_{o∈O_mts} q_o = 0
    demand[d]         Σ_{l∈L(d)} x_l + u_d = d_d                     hard demand: u_d absent

Costs: purchase Σ p_o q_o (first stage), processing Σ p_o q_o (later stages: the conversion
price), transport Σ τ_l x_l, tariffs Σ (rate·p_from + per_unit) x_l, shortfall Σ π_d u_d.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sourcing.model.frames import labels
from sourcing.model.index import ModelData
from sourcing.model.keys import row_of as matching_row
from sourcing.model.lp import LinearProgram

OFFER_LABEL = ["mineral", "period", "stage", "country"]
LANE_LABEL = ["mineral", "period", "stage", "from_country", "to_country", "site"]
VOLUME_LABEL = ["mineral", "period", "stage"]
DEMAND_LABEL = ["mineral", "period", "site"]


@dataclass
class Network:
    """Column ids of the network's variables, aligned with the index tables' rows."""

    supply: np.ndarray  # by offer
    flow: np.ndarray  # by lane
    volume: np.ndarray  # by stage_volumes row
    offer_volume_row: np.ndarray  # stage_volumes row of each offer, -1 where no demand reaches it
    shortfall: np.ndarray  # by demand row, -1 where demand is hard

    def volume_of(self, offers: np.ndarray) -> np.ndarray:
        return self.volume[self.offer_volume_row[offers]]


def define_network(lp: LinearProgram, data: ModelData) -> Network:
    offers, lanes, demand, volumes = data.offers, data.lanes, data.demand, data.stage_volumes
    n_offers = len(offers)

    offer_volume_row = matching_row(offers, volumes, VOLUME_LABEL)
    reached = offer_volume_row >= 0
    # the most an offer's stage can need: how large its supply and its outflows get, for the
    # scaling of the model (sourcing.solver.scaling); NaN where no demand reaches the stage
    most = np.full(n_offers, np.nan)
    most[reached] = volumes["max_volume"].to_numpy()[offer_volume_row[reached]]

    supply = lp.add_variables(
        "supply", labels(offers, OFFER_LABEL), upper=offers["capacity"].to_numpy(), magnitude=most
    )
    price = offers["price"].to_numpy()
    first = offers["stage_pos"].to_numpy() == 0
    lp.add_cost("purchase", supply[first], price[first])
    lp.add_cost("processing", supply[~first], price[~first])

    flow = lp.add_variables(
        "flow", labels(lanes, LANE_LABEL), magnitude=most[lanes["offer"].to_numpy()]
    )
    lp.add_cost("transport", flow, lanes["transport"].to_numpy())
    lp.add_cost("tariffs", flow, lanes["tariff"].to_numpy())

    from_offer = lanes["offer"].to_numpy()
    lp.add_constraints(
        "offer_output",
        labels(offers, OFFER_LABEL),
        rows=np.concatenate([np.arange(n_offers), from_offer]),
        cols=np.concatenate([supply, flow]),
        vals=np.concatenate([np.ones(n_offers), -np.ones(len(lanes))]),
        lower=0.0,
        upper=0.0,
        role="network",
    )

    processing = offers.index[offers["stage_pos"] > 0].to_numpy()
    row_of = np.full(n_offers, -1)
    row_of[processing] = np.arange(len(processing))
    to_offer = lanes["to_offer"].to_numpy()
    inbound = to_offer >= 0
    lp.add_constraints(
        "offer_input",
        labels(offers, OFFER_LABEL, processing),
        rows=np.concatenate([np.arange(len(processing)), row_of[to_offer[inbound]]]),
        cols=np.concatenate([supply[processing], flow[inbound]]),
        vals=np.concatenate(
            [np.ones(len(processing)), -offers["yield"].to_numpy()[to_offer[inbound]]]
        ),
        lower=0.0,
        upper=0.0,
        role="network",
    )

    volume = lp.add_variables(
        "stage_volume", labels(volumes, VOLUME_LABEL), magnitude=volumes["max_volume"].to_numpy()
    )
    lp.add_constraints(
        "stage_volume_sum",
        labels(volumes, VOLUME_LABEL),
        rows=np.concatenate([np.arange(len(volumes)), offer_volume_row[reached]]),
        cols=np.concatenate([volume, supply[reached]]),
        vals=np.concatenate([np.ones(len(volumes)), -np.ones(int(reached.sum()))]),
        lower=0.0,
        upper=0.0,
        role="network",
    )

    soft = demand["penalty"].notna().to_numpy()
    shortfall = np.full(len(demand), -1)
    shortfall[soft] = lp.add_variables(
        "shortfall",
        labels(demand, DEMAND_LABEL, np.flatnonzero(soft)),
        upper=demand["quantity"].to_numpy()[soft],
    )
    lp.add_cost("shortfall", shortfall[soft], demand["penalty"].to_numpy()[soft])

    delivery = lanes["site"].notna().to_numpy()
    demand_row = matching_row((lanes, np.flatnonzero(delivery)), demand, DEMAND_LABEL)
    quantity = demand["quantity"].to_numpy()
    lp.add_constraints(
        "demand",
        labels(demand, DEMAND_LABEL),
        rows=np.concatenate([demand_row, np.flatnonzero(soft)]),
        cols=np.concatenate([flow[delivery], shortfall[soft]]),
        vals=1.0,
        lower=quantity,
        upper=quantity,
        role="network",
    )
    return Network(supply, flow, volume, offer_volume_row, shortfall)


def offer_bound(data: ModelData, network: Network) -> np.ndarray:
    """The most each offer can usefully supply: min(capacity, the stage's largest volume).

    This is the tight coefficient of every on/off link (never an arbitrary big-M).
    """
    most = np.zeros(len(data.offers))
    reached = network.offer_volume_row >= 0
    most[reached] = data.stage_volumes["max_volume"].to_numpy()[network.offer_volume_row[reached]]
    return np.minimum(data.offers["capacity"].to_numpy(), most)
