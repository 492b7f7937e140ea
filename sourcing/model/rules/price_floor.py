"""price_floor: selected offers are paid up to a reference price; the buyer pays a share.

For every selected offer o with a reference price P_o (``reference_prices``: its mineral, stage
and period) and price p_o, with b = ``buyer_share`` and u = ``upside_share``, per unit supplied:

    top-up    t_o = max(0, P_o − p_o)        clawback  k_o = u · max(0, p_o − P_o)

The net t_o − k_o is shared: the buyer pays b (t_o − k_o) per unit (in the objective, cost
components ``floor_topup`` = Σ b t_o q_o and ``floor_clawback`` = −Σ b k_o q_o), the public
(1 − b) (t_o − k_o) (``Plan.public``: ``floor_topup`` and ``floor_clawback``, reported and never
minimised). The unit costs are precomputed from the data, so the rule adds no row and no
variable: linear, and a buyer paying the floor (b > 0) weighs each offer at
p_o + b (t_o − k_o) ≥ P_o when p_o < P_o. Offers without a reference price are not topped up
(the pre-solve check warns when a rule selects none that has one).
"""

from __future__ import annotations

import numpy as np

from sourcing.data.rule_specs import PriceFloor
from sourcing.model.index import ModelData
from sourcing.model.lp import LinearProgram
from sourcing.model.network import Network
from sourcing.model.rules.kind import RuleKind, Scope, register
from sourcing.model.rules.select import in_countries, in_selection


def floored(data: ModelData, rule: PriceFloor) -> np.ndarray:
    """The selected offers with a reference price."""
    mask = in_selection(data, rule) & in_countries(data, rule)
    return np.flatnonzero(mask & data.offers["reference"].notna().to_numpy())


def define(
    lp: LinearProgram, data: ModelData, network: Network, rule: PriceFloor, name: str
) -> None:
    offers = floored(data, rule)
    price = data.offers["price"].to_numpy()[offers]
    reference = data.offers["reference"].to_numpy()[offers]
    topup = np.maximum(0.0, reference - price)
    clawback = rule.upside_share * np.maximum(0.0, price - reference)
    b = rule.buyer_share
    supply = network.supply[offers]
    lp.add_cost("floor_topup", supply, b * topup)
    lp.add_cost("floor_clawback", supply, -b * clawback)
    lp.add_public("floor_topup", supply, (1 - b) * topup)
    lp.add_public("floor_clawback", supply, -(1 - b) * clawback)


def check(rule: PriceFloor, name: str, scope: Scope) -> list[tuple[str, str]]:
    """A floor no selected offer has a reference price for does nothing: say so."""
    if len(floored(scope.data, rule)):
        return []
    return [("minerals", f"{name}: no selected offer has a price in reference_prices")]


register(RuleKind(PriceFloor, define, check=check))
