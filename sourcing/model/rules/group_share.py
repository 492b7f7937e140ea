"""group_share: the share from a group of countries is at least ``min`` and/or at most ``max``.

The group G is the union of the selected ``countries`` and ``groups``. With weight w_o = 1
(``measure: quantity``) or w_o = p_o, the offer's price (``measure: value``), and K a mineral,
period and stage (``scope: stage``) or a mineral and period summed over the selected stages
(``scope: chain``, the US partner-country value-share template):

    group_share:min[K]    Σ_{o∈K} (g_o − α) w_o q_o ≥ 0
    group_share:max[K]    Σ_{o∈K} (g_o − β) w_o q_o ≤ 0

where g_o = 1 if o's country is in G, else 0; α = ``min``, β = ``max``. This is
Σ_{o∈K∩G} w_o q_o ≥ α Σ_{o∈K} w_o q_o written without a division, so it is linear. When the
stage's volume is zero (all demand unmet) both sides are zero and the rule holds.
"""

from __future__ import annotations

import numpy as np

from sourcing.data.rule_specs import GroupShare
from sourcing.model.index import ModelData
from sourcing.model.lp import LinearProgram
from sourcing.model.network import Network
from sourcing.model.rules.kind import RuleKind, register
from sourcing.model.rules.select import in_countries, in_scope


def define(
    lp: LinearProgram, data: ModelData, network: Network, rule: GroupShare, name: str
) -> None:
    offers = data.offers
    scope = np.flatnonzero(in_scope(data, network, rule))
    member = in_countries(data, rule)[scope].astype(float)
    weight = (
        np.ones(len(scope)) if rule.measure == "quantity" else offers["price"].to_numpy()[scope]
    )
    key = ["mineral", "period", "stage"] if rule.scope == "stage" else ["mineral", "period"]
    keys = offers.loc[scope, key]
    groups = keys.groupby(key, sort=True).ngroup().to_numpy()
    index = keys.drop_duplicates().sort_values(key).reset_index(drop=True)
    for side, fraction, bounds in (
        ("min", rule.min, (0.0, np.inf)),
        ("max", rule.max, (-np.inf, 0.0)),
    ):
        if fraction is None:
            continue
        coef = (member - fraction) * weight
        keep = coef != 0
        lp.add_constraints(
            f"{name}:{side}",
            index,
            rows=groups[keep],
            cols=network.supply[scope[keep]],
            vals=coef[keep],
            lower=bounds[0],
            upper=bounds[1],
            role="rule",
        )


register(RuleKind(GroupShare, define))
