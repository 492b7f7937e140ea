"""top_share: the k largest country shares of a stage together are at most ``share`` (linear).

The sum of the k largest of q_1..q_n is at most b exactly when there are λ ≥ 0 and μ_o ≥ 0 with
k λ + Σ_o μ_o ≤ b and μ_o ≥ q_o − λ (the LP dual of choosing the k largest; Ogryczak & Tamir,
2003). With b = σ V_mts, for every selected mineral m, period t and stage s:

    top_share:level[mts]  λ_mts ≥ 0
    top_share:excess[o]   μ_o ≥ 0
    top_share:cover[o]    μ_o + λ_mts − q_o ≥ 0
    top_share:sum[mts]    k λ_mts + Σ_{o∈O_mts} μ_o − σ V_mts ≤ 0

No binaries, 2 rows per stage and 1 per offer. With k = 1 it is max_country_share.
"""

from __future__ import annotations

import numpy as np

from sourcing.data.rule_specs import TopShare
from sourcing.model.index import ModelData
from sourcing.model.lp import LinearProgram
from sourcing.model.network import OFFER_LABEL, VOLUME_LABEL, Network
from sourcing.model.rules.kind import RuleKind, Sweep, register
from sourcing.model.rules.select import in_countries, in_scope, stage_groups


def define(lp: LinearProgram, data: ModelData, network: Network, rule: TopShare, name: str) -> None:
    offers = np.flatnonzero(in_scope(data, network, rule) & in_countries(data, rule))
    stages, group = stage_groups(network, offers)
    n, m = len(offers), len(stages)
    level = lp.add_variables(f"{name}:level", data.stage_volumes.loc[stages, VOLUME_LABEL])
    excess = lp.add_variables(f"{name}:excess", data.offers.loc[offers, OFFER_LABEL])
    lp.add_constraints(
        f"{name}:cover",
        data.offers.loc[offers, OFFER_LABEL],
        rows=np.tile(np.arange(n), 3),
        cols=np.concatenate([excess, level[group], network.supply[offers]]),
        vals=np.concatenate([np.ones(n), np.ones(n), -np.ones(n)]),
        lower=0.0,
        role="rule",
    )
    lp.add_constraints(
        f"{name}:sum",
        data.stage_volumes.loc[stages, VOLUME_LABEL],
        rows=np.concatenate([np.arange(m), group, np.arange(m)]),
        cols=np.concatenate([level, excess, network.volume[stages]]),
        vals=np.concatenate([np.full(m, float(rule.k)), np.ones(n), np.full(m, -rule.share)]),
        upper=0.0,
        role="rule",
    )


# the σ·V entries are in the :sum rows; a sweep needs the model's k, so it never adds the rule
register(RuleKind(TopShare, define, sweep=Sweep(suffix=":sum")))
