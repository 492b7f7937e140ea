"""Build the sourcing LP/MIP from indexed data and a model: a table of contents of the formulation.

    define_network     supply, lanes, stage volumes, demand             (sourcing.model.network)
    define_stock       stockpiles linking the periods (if any)          (sourcing.model.stock)
    define_contracts   fixed costs and minimum quantities (binaries)    (sourcing.model.contracts)
    define_rules       each rule of the model, then the instance's own  (sourcing.model.rules.*)
    define_risk        the weighted country-risk term of the objective
    apply_extensions   the model's extensions: the planner's Pyomo  (sourcing.model.extension)

Each rule's constraint families are named after the rule (its ``name``, or its type numbered when
a model repeats a type), and those names are the keys of the rule duals in the plan.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from sourcing.data.schema import ModelSpec, RiskObjective
from sourcing.model.contracts import define_contracts
from sourcing.model.extension import apply_extensions
from sourcing.model.index import ModelData, with_cover
from sourcing.model.lp import LinearProgram
from sourcing.model.network import Network, define_network
from sourcing.model.rules.kind import kind_of
from sourcing.model.stock import define_stock


def build(data: ModelData, model: ModelSpec) -> tuple[LinearProgram, Network]:
    lp = LinearProgram()
    data = with_cover(data, stock_cover(data, applied_rules(data, model)))
    network = define_network(lp, data)
    define_stock(lp, data)
    define_contracts(lp, data, network)
    define_rules(lp, data, network, model)
    define_risk(lp, data, network, model)
    if model.extensions:  # the planner's own clauses in Pyomo, last
        apply_extensions(lp, model.extensions)
    return lp, network


def stock_cover(data: ModelData, rules: list) -> np.ndarray:
    """The largest fraction of each stockpile period's demand any rule asks to keep in stock
    (``stock_cover`` hooks); zeros without such rules."""
    cover = np.zeros(len(data.stocks))
    for rule in rules:
        hook = kind_of(rule).stock_cover
        if hook is not None and len(cover):
            cover = np.maximum(cover, hook(rule, data))
    return cover


def rule_names(rules: list) -> list[str]:
    """Stable, unique labels: the rule's ``name``, else its type, numbered from the second use."""
    seen: Counter[str] = Counter()
    names = []
    for rule in rules:
        base = rule.name or rule.rule
        seen[base] += 1
        names.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return names


def applied_rules(data: ModelData, model: ModelSpec) -> list:
    """The model's rules followed by the instance's own contract terms."""
    return list(model.rules) + list(data.instance.rules)


def define_rules(lp: LinearProgram, data: ModelData, network: Network, model: ModelSpec) -> None:
    rules = applied_rules(data, model)
    for rule, name in zip(rules, rule_names(rules), strict=True):
        kind_of(rule).define(lp, data, network, rule, name)


def define_risk(lp: LinearProgram, data: ModelData, network: Network, model: ModelSpec) -> None:
    """risk: w Σ_o r_c(o) q_o, where r_c ∈ [0, 1] is the country's risk and w the ``risk_weight``
    (currency per unit supplied by a country of risk 1)."""
    if isinstance(model.objective, RiskObjective):
        risk = data.offers["risk"].to_numpy()
        lp.add_cost("risk", network.supply, model.objective.risk_weight * risk)
