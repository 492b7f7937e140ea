"""reference_tariff: exports of selected offers pay the gap to the reference price.

For every lane l leaving a selected offer o for another country (to an offer of the next stage
or to a site), with o's reference price P_o (``reference_prices``), price p_o and s = ``share``,
a tariff per unit moved:

    ρ_l = s · max(0, P_o − p_o)

in the objective as the cost component ``reference_tariff`` = Σ ρ_l x_l (the buyer pays it), and
in ``Plan.public`` as ``reference_tariff`` = −Σ ρ_l x_l (the state collects it). With s = 1 the
offer's landed price (before transport and other tariffs) is lifted to the reference. Moving
within a country pays none. Precomputed from the data: no row, no variable.
"""

from __future__ import annotations

import numpy as np

from sourcing.data.rule_specs import ReferenceTariff
from sourcing.model.index import ModelData
from sourcing.model.lp import LinearProgram
from sourcing.model.network import Network
from sourcing.model.rules.kind import RuleKind, Scope, register
from sourcing.model.rules.select import in_countries, in_selection


def _tariffed(data: ModelData, rule: ReferenceTariff) -> np.ndarray:
    """Per offer: the tariff per unit its exports pay (0 where not selected or no reference)."""
    offers = data.offers
    mask = in_selection(data, rule) & in_countries(data, rule)
    gap = np.maximum(0.0, offers["reference"].to_numpy() - offers["price"].to_numpy())
    return np.where(mask & ~np.isnan(gap), rule.share * np.nan_to_num(gap), 0.0)


def define(
    lp: LinearProgram, data: ModelData, network: Network, rule: ReferenceTariff, name: str
) -> None:
    lanes = data.lanes
    per_unit = _tariffed(data, rule)[lanes["offer"].to_numpy()]
    abroad = (lanes["from_country"] != lanes["to_country"]).to_numpy()
    chosen = np.flatnonzero(abroad & (per_unit > 0))
    lp.add_cost("reference_tariff", network.flow[chosen], per_unit[chosen])
    lp.add_public("reference_tariff", network.flow[chosen], -per_unit[chosen])


def check(rule: ReferenceTariff, name: str, scope: Scope) -> list[tuple[str, str]]:
    """A tariff no selected offer has a reference price for does nothing: say so."""
    data = scope.data
    mask = in_selection(data, rule) & in_countries(data, rule)
    if (mask & data.offers["reference"].notna().to_numpy()).any():
        return []
    return [("minerals", f"{name}: no selected offer has a price in reference_prices")]


register(RuleKind(ReferenceTariff, define, check=check))
