"""exclude: no supply from the selected countries or groups (e.g. foreign entities of concern).

For every offer o of a selected mineral and stage from a selected country:

    exclude[m,t,s,c]    q_o ≤ 0

Written as rows (not as bounds) so that the dual of each row prices the exclusion: what one more
unit from the excluded country would save.
"""

from __future__ import annotations

import numpy as np

from sourcing.data.rule_specs import Exclude
from sourcing.model.index import ModelData
from sourcing.model.lp import LinearProgram
from sourcing.model.network import OFFER_LABEL, Network
from sourcing.model.rules.kind import RuleKind, register
from sourcing.model.rules.select import in_countries, in_selection


def define(lp: LinearProgram, data: ModelData, network: Network, rule: Exclude, name: str) -> None:
    offers = data.offers
    mask = in_selection(data, rule) & in_countries(data, rule)
    chosen = np.flatnonzero(mask)
    lp.add_constraints(
        name,
        offers.loc[chosen, OFFER_LABEL],
        rows=np.arange(len(chosen)),
        cols=network.supply[chosen],
        vals=1.0,
        upper=0.0,
        role="rule",
    )


register(RuleKind(Exclude, define))
