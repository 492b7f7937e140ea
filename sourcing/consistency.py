"""Checks a schema cannot see: the data is well formed but the plan cannot be what the planner
expects. Warnings by default, errors under ``--strict`` (PyPSA's ``consistency.py`` pattern).

Each ``check_*`` returns problems naming the table, row (where one row is to blame) and field.
"""

from __future__ import annotations

import numpy as np

from sourcing.build import applied_rules, rule_names
from sourcing.errors import Problem
from sourcing.index import NO_PERIOD, ModelData
from sourcing.schema import ModelSpec


def check(data: ModelData, model: ModelSpec) -> list[Problem]:
    return check_stage_coverage(data) + check_lanes(data) + check_rules_can_hold(data, model)


def _where(mineral: str, period: str, stage: str | None = None) -> str:
    text = mineral if stage is None else f"{mineral} at stage '{stage}'"
    return text if period == NO_PERIOD else f"{text} in period '{period}'"


def check_stage_coverage(data: ModelData) -> list[Problem]:
    """Every stage a demand reaches needs offers, and enough capacity for the demand."""
    capacity = data.offers.groupby(["mineral", "period", "stage"])["capacity"].sum()
    problems = []
    for row in data.stage_volumes.itertuples(index=False):
        have = capacity.get((row.mineral, row.period, row.stage), 0.0)
        where = _where(row.mineral, row.period, row.stage)
        if have == 0:
            problems.append(
                Problem(
                    "supply", None, "capacity", f"{where}: no offer, so its demand cannot be met"
                )
            )
        elif have < row.max_volume * (1 - 1e-9):
            problems.append(
                Problem(
                    "supply",
                    None,
                    "capacity",
                    f"{where}: total capacity {have:g} is below the {row.max_volume:g} needed to "
                    "meet "
                    "demand in full",
                )
            )
    return problems


def check_lanes(data: ModelData) -> list[Problem]:
    """Offers with no lane onward cannot be used (no transport row and no transport_default)."""
    offers = data.offers
    onward = np.zeros(len(offers), dtype=bool)
    onward[data.lanes["offer"].to_numpy()] = True
    reached = (
        offers[["mineral", "period", "stage"]]
        .merge(data.stage_volumes[["mineral", "period", "stage"]], how="left", indicator=True)[
            "_merge"
        ]
        .eq("both")
        .to_numpy()
    )
    stranded = offers[~onward & reached]
    problems = []
    for row in stranded.itertuples(index=False):
        problems.append(
            Problem(
                "supply",
                int(row.supply_row),
                "country",
                f"{_where(row.mineral, row.period, row.stage)} in {row.country}: "
                "no allowed lane onward "
                "(list one in transport.csv or set transport_default)",
            )
        )
    return problems


def check_rules_can_hold(data: ModelData, model: ModelSpec) -> list[Problem]:
    """Rules that select nothing, or can never be met at some stage."""
    problems = []
    rules = applied_rules(data, model)
    offering = data.offers.groupby(["mineral", "period", "stage"])["country"].agg(set)
    countries = offering.map(len)
    for i, (rule, name) in enumerate(zip(rules, rule_names(rules), strict=True), 1):
        table = "model rules" if i <= len(model.rules) else "instance rules"
        row = i if i <= len(model.rules) else i - len(model.rules)
        scope = data.stage_volumes
        if rule.minerals is not None:
            scope = scope[scope["mineral"].isin(rule.minerals)]
        if rule.stages is not None:
            scope = scope[scope["stage"].isin(rule.stages)]
        if scope.empty:
            problems.append(
                Problem(table, row, None, f"{name} applies to no demanded mineral and stage")
            )
            continue
        if (
            rule.rule == "max_country_share"
            and not rule.exempt
            and not rule.selects_countries
            and rule.share < 1
        ):
            for s in scope.itertuples(index=False):
                n = countries.get((s.mineral, s.period, s.stage), 0)
                if n and n * rule.share < 1 - 1e-9:
                    problems.append(
                        Problem(
                            table,
                            row,
                            "share",
                            (
                                f"{name}: {_where(s.mineral, s.period, s.stage)} has {n} supplier "
                                "countries; "
                                f"at most {rule.share:.0%} each covers only {n * rule.share:.0%}"
                            ),
                        )
                    )
        if rule.rule == "min_suppliers":
            chosen = (
                data.countries_in(rule.countries, rule.groups) if rule.selects_countries else None
            )
            for s in scope.itertuples(index=False):
                here = offering.get((s.mineral, s.period, s.stage), set())
                n = len(here & chosen) if chosen is not None else len(here)
                if n < rule.count:
                    problems.append(
                        Problem(
                            table,
                            row,
                            "count",
                            (
                                f"{name}: {_where(s.mineral, s.period, s.stage)} has {n} eligible "
                                "supplier "
                                f"countries, fewer than {rule.count}"
                            ),
                        )
                    )
    return problems
