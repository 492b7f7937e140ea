"""max_country_share: no single country supplies more than a share of a stage's volume.

For every mineral m, period t and stage s selected, and every country c selected and not exempt:

    max_country_share[m,t,s,c]    q_mtsc − σ · V_mts ≤ 0

where q_mtsc is the country's output at the stage, V_mts the buyer's volume at the stage and σ
the ``share``. The EU Critical Raw Materials Act benchmark is σ = 0.65 for every stage, with EU
members exempt (``exempt: [EU]``), in ``models/eu-crma.yaml``. Linear, no binaries.
The dual of a row is the cost of the cap per unit of the country's volume it holds back.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sourcing.data.rows import frame_rows
from sourcing.data.rule_specs import MaxCountryShare
from sourcing.model.index import ModelData
from sourcing.model.lp import LinearProgram
from sourcing.model.network import OFFER_LABEL, Network
from sourcing.model.rules.kind import CapDrawn, RuleKind, Scope, Sweep, register
from sourcing.model.rules.select import in_countries, in_scope


def define(
    lp: LinearProgram, data: ModelData, network: Network, rule: MaxCountryShare, name: str
) -> None:
    capped = in_scope(data, network, rule) & in_countries(data, rule)
    if rule.exempt:
        exempt = data.countries_in(rule.exempt, rule.exempt)
        capped &= ~data.offers["country"].isin(exempt).to_numpy()
    offers = np.flatnonzero(capped)
    n = len(offers)
    lp.add_constraints(
        name,
        data.offers.loc[offers, OFFER_LABEL],
        rows=np.tile(np.arange(n), 2),
        cols=np.concatenate([network.supply[offers], network.volume_of(offers)]),
        vals=np.concatenate([np.ones(n), np.full(n, -rule.share)]),
        upper=0.0,
        role="rule",
    )


def check(rule: MaxCountryShare, name: str, scope: Scope) -> list[tuple[str, str]]:
    """A cap on every country, none exempt, cannot hold where n countries offer and n·σ < 1."""
    if rule.exempt or rule.selects_countries or rule.share >= 1:
        return []
    countries = scope.offering.map(len)
    found = []
    for s in frame_rows(scope.stages):
        n = countries.get((s.mineral, s.period, s.stage), 0)
        if n and n * rule.share < 1 - 1e-9:
            found.append(
                (
                    "share",
                    f"{name}: {scope.where(s.mineral, s.period, s.stage)} has {n} supplier "
                    f"countries; at most {rule.share:.0%} each covers only {n * rule.share:.0%}",
                )
            )
    return found


def cap(rule: MaxCountryShare, members: Callable[[list[str] | None], set[str]]) -> CapDrawn:
    """The share, the exempt countries, and (when the rule names countries) the capped ones."""
    only = frozenset(members(rule.countries) | members(rule.groups))
    return CapDrawn(
        rule.share, frozenset(members(rule.exempt)), only if rule.selects_countries else None
    )


def everywhere(share: float) -> MaxCountryShare:
    """The cap on every mineral, stage and country that a frontier adds to a model without one."""
    return MaxCountryShare(rule="max_country_share", share=share)


register(
    RuleKind(
        MaxCountryShare,
        define,
        check=check,
        cap=cap,
        sweep=Sweep(everywhere=everywhere),
    )
)
