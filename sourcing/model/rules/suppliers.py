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

Before any solve (the ``check`` hook), min_suppliers is found unable to hold at a stage when
fewer than k offers of the selected countries could count. The network's rows fix V_mts to the
demand met carried back through the yields, so V_mts ≥ V̲_mts, the hard demand (no penalty)
carried back the same way; and z_o = 1 needs cap_o ≥ q_o ≥ μ V_mts ≥ μ V̲_mts. An offer with
cap_o < μ V̲_mts can never count: fewer than k others means no plan. (Soft demand may go
unmet, so only hard demand bounds V from below: with none, V may be 0 and every offer counts.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sourcing.data.rows import frame_rows
from sourcing.data.rule_specs import MaxSuppliers, MinSuppliers
from sourcing.model.index import ModelData
from sourcing.model.lp import LinearProgram
from sourcing.model.network import OFFER_LABEL, VOLUME_LABEL, Network, offer_bound
from sourcing.model.rules.kind import Finding, RuleKind, Scope, register
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


def check_min(rule: MinSuppliers, name: str, scope: Scope) -> list[Finding]:
    """At least k suppliers cannot be had where fewer than k eligible countries offer, nor where
    fewer than k eligible offers have the capacity to supply μ of the stage's least volume."""
    chosen = (
        scope.data.countries_in(rule.countries, rule.groups) if rule.selects_countries else None
    )
    found = []
    too_few = set()
    for s in frame_rows(scope.stages):
        here = scope.offering.get((s.mineral, s.period, s.stage), set())
        n = len(here & chosen) if chosen is not None else len(here)
        if n < rule.count:
            too_few.add((s.mineral, s.period, s.stage))
            where = scope.where(s.mineral, s.period, s.stage)
            found.append(
                Finding(
                    "count",
                    f"{name}: {where} has {n} eligible supplier countries, fewer than {rule.count}",
                )
            )
    return found + _too_small(rule, name, scope, chosen, too_few)


def _too_small(
    rule: MinSuppliers, name: str, scope: Scope, chosen: set[str] | None, skip: set[tuple]
) -> list[Finding]:
    """The stages (but those in ``skip``) where fewer than k eligible offers have a capacity of
    at least μ V̲ (the module's docstring): vectorised over the offers, a loop only over the
    stages found, so it costs milliseconds at any size."""
    key = ["mineral", "period", "stage"]
    least = least_volumes(scope.data, scope.stages).reset_index(drop=True)
    offers = scope.data.offers
    table, rows = _codes([least, offers], key)
    stage = pd.Index(table).get_indexer(rows)  # the row of ``least`` of each offer, -1: none
    eligible = stage >= 0
    if chosen is not None:
        eligible &= offers["country"].isin(chosen).to_numpy()
    capacity = offers["capacity"].to_numpy()
    bar = rule.min_share * least["least"].to_numpy()
    able = eligible & (capacity >= bar[stage] * (1 - 1e-9))
    counted = np.bincount(stage[able], minlength=len(least))
    short = np.flatnonzero((counted < rule.count) & (bar > 0))
    unit, country = scope.data.instance.unit, offers["country"].to_numpy()
    found = []
    for i in short:  # the few stages found, not every stage
        s = least.iloc[i]
        if (s.mineral, s.period, s.stage) in skip:
            continue
        who = np.flatnonzero(able & (stage == i))
        who = who[np.lexsort((country[who], -capacity[who]))]  # largest first
        names = [f"{country[o]} ({_amount(capacity[o], unit)})" for o in who]
        can = f"only {_listed(names)} can" if names else "none can"
        found.append(
            Finding(
                "count",
                f"{scope.where(s.mineral, s.period, s.stage)}: {name} needs {rule.count} "
                f"countries able to supply at least {rule.min_share * 100:g}% "
                f"({_amount(bar[i], unit)} of {_amount(s.least, unit)}), {can}",
                # V̲ is hard demand carried back through the yields: no plan of this mineral
                # and period has a smaller stage volume, so none can count k such suppliers
                proves=(str(s.mineral), str(s.period)),
            )
        )
    return found


def least_volumes(data: ModelData, stages: pd.DataFrame) -> pd.DataFrame:
    """``stages`` (rows of ``data.stage_volumes``) with ``least``: the volume hard demand puts
    through the stage, V̲ = D × (hard demand ÷ all demand) of the mineral and period, D the
    volume all its demand puts through (``demand_volume``; the yields carry both back alike).
    Demand a stockpile serves is not hard here: stock may meet it."""
    demand = data.demand
    at, of = _codes([stages, demand], ["mineral", "period"])
    n = int(max(at.max(initial=-1), of.max(initial=-1))) + 1
    quantity = demand["quantity"].to_numpy(dtype=float)
    # stock may meet a stocked site's demand: only hard demand no stockpile serves must flow
    hard = np.where((demand["penalty"].isna() & ~demand["stocked"]).to_numpy(), quantity, 0.0)
    total = np.bincount(of, weights=quantity, minlength=n)[at]
    ratio = np.divide(
        np.bincount(of, weights=hard, minlength=n)[at],
        total,
        out=np.zeros(len(at)),
        where=total > 0,
    )
    return stages.assign(least=stages["demand_volume"].to_numpy() * ratio)


def _codes(frames: list[pd.DataFrame], key: list[str]) -> list[np.ndarray]:
    """Integer codes of the rows of ``frames``, equal where their ``key`` columns are equal
    (hashed once per column, not per row: about a millisecond for thousands of offers)."""
    sizes = [len(f) for f in frames]
    code = np.zeros(sum(sizes), dtype=np.int64)
    for column in key:
        values = np.concatenate([f[column].to_numpy(dtype=object) for f in frames])
        found, unique = pd.factorize(values, use_na_sentinel=False)
        code = code * max(len(unique), 1) + found
    return np.split(code, np.cumsum(sizes)[:-1])


def _amount(quantity: float, unit: str) -> str:
    if not np.isfinite(quantity):
        return "no limit"
    text = f"{quantity:,.0f}" if abs(quantity) >= 1000 else f"{quantity:.4g}"
    return f"{text} {unit}"


def _listed(names: list[str]) -> str:
    """ "A", "A and B", "A, B and C"; past five, "A, B, C, D, E and 3 more"."""
    if len(names) > 5:
        return f"{', '.join(names[:5])} and {len(names) - 5} more"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


register(RuleKind(MinSuppliers, define_min, check=check_min, integer=True))
register(RuleKind(MaxSuppliers, define_max, integer=True))
