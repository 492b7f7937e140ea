"""min_suppliers / max_suppliers: how many countries supply each mineral at each stage (MIP).

For every selected mineral m, period t and stage s, over the selected countries' offers O_mts:

min_suppliers (count k, min_share μ): a country counts only if it supplies at least μ of V_mts.

    min_suppliers:used[o] ∈ {0, 1}
    min_suppliers:share[o]   q_o − μ V_mts − μ V̄_mts z_o ≥ −μ V̄_mts    (z_o = 1 ⇒ q_o ≥ μ V_mts)
    min_suppliers:count[mts] Σ_o z_o ≥ k

max_suppliers (count k):

    max_suppliers:used[o] ∈ {0, 1}
    max_suppliers:link[o]    q_o − U_o z_o ≤ 0                          (z_o = 0 ⇒ q_o = 0)
    max_suppliers:count[mts] Σ_o z_o ≤ k

V̄_mts is the most the stage can need (demand carried back through the yields) and
U_o = min(cap_o, V̄_mts): data-derived bounds, the tightest valid ones, never an arbitrary big-M.
Since V_mts ≤ V̄_mts, z_o = 0 leaves the share row slack.
"""

from __future__ import annotations

import numpy as np

from sourcing.data.rows import frame_rows
from sourcing.data.rule_specs import MaxSuppliers, MinSuppliers
from sourcing.model.index import ModelData
from sourcing.model.lp import LinearProgram
from sourcing.model.network import OFFER_LABEL, VOLUME_LABEL, Network, offer_bound
from sourcing.model.rules.kind import RuleKind, Scope, register
from sourcing.model.rules.select import in_countries, in_scope


def define_min(
    lp: LinearProgram, data: ModelData, network: Network, rule: MinSuppliers, name: str
) -> None:
    offers, stages, rows = _candidates(data, network, rule)
    used = lp.add_variables(
        f"{name}:used", data.offers.loc[offers, OFFER_LABEL], upper=1.0, integer=True
    )
    n, mu = len(offers), rule.min_share
    most = data.stage_volumes["max_volume"].to_numpy()[network.offer_volume_row[offers]]
    lp.add_constraints(
        f"{name}:share",
        data.offers.loc[offers, OFFER_LABEL],
        rows=np.tile(np.arange(n), 3),
        cols=np.concatenate([network.supply[offers], network.volume_of(offers), used]),
        vals=np.concatenate([np.ones(n), np.full(n, -mu), -mu * most]),
        lower=-mu * most,
        role="rule",
    )
    _count(lp, data, f"{name}:count", stages, rows, used, lower=rule.count)


def define_max(
    lp: LinearProgram, data: ModelData, network: Network, rule: MaxSuppliers, name: str
) -> None:
    offers, stages, rows = _candidates(data, network, rule)
    used = lp.add_variables(
        f"{name}:used", data.offers.loc[offers, OFFER_LABEL], upper=1.0, integer=True
    )
    n = len(offers)
    lp.add_constraints(
        f"{name}:link",
        data.offers.loc[offers, OFFER_LABEL],
        rows=np.tile(np.arange(n), 2),
        cols=np.concatenate([network.supply[offers], used]),
        vals=np.concatenate([np.ones(n), -offer_bound(data, network)[offers]]),
        upper=0.0,
        role="rule",
    )
    _count(lp, data, f"{name}:count", stages, rows, used, upper=rule.count)


def _candidates(data: ModelData, network: Network, rule: MinSuppliers | MaxSuppliers):
    """Offers that may count, every selected stage (a count row even where nobody offers), and
    the count row of each offer."""
    scope = in_scope(data, network, rule)
    offers = np.flatnonzero(scope & in_countries(data, rule))
    stages = np.unique(network.offer_volume_row[scope])
    return offers, stages, np.searchsorted(stages, network.offer_volume_row[offers])


def _count(
    lp: LinearProgram,
    data: ModelData,
    name: str,
    stages: np.ndarray,
    rows: np.ndarray,
    used: np.ndarray,
    lower: float = -np.inf,
    upper: float = np.inf,
) -> None:
    lp.add_constraints(
        name,
        data.stage_volumes.loc[stages, VOLUME_LABEL],
        rows=rows,
        cols=used,
        vals=1.0,
        lower=lower,
        upper=upper,
        role="rule",
    )


def check_min(rule: MinSuppliers, name: str, scope: Scope) -> list[tuple[str, str]]:
    """At least k suppliers cannot be had where fewer than k eligible countries offer."""
    chosen = (
        scope.data.countries_in(rule.countries, rule.groups) if rule.selects_countries else None
    )
    found = []
    for s in frame_rows(scope.stages):
        here = scope.offering.get((s.mineral, s.period, s.stage), set())
        n = len(here & chosen) if chosen is not None else len(here)
        if n < rule.count:
            where = scope.where(s.mineral, s.period, s.stage)
            found.append(
                (
                    "count",
                    f"{name}: {where} has {n} eligible supplier countries, fewer than {rule.count}",
                )
            )
    return found


register(RuleKind(MinSuppliers, define_min, check=check_min, integer=True))
register(RuleKind(MaxSuppliers, define_max, integer=True))
