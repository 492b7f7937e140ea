"""Checks a schema cannot see: the data is well formed but the plan cannot be what the planner
expects. Warnings by default, errors under ``--strict`` (PyPSA's ``consistency.py`` pattern).

Each ``check_*`` returns problems naming the table, row (where one row is to blame) and field.
A check that finds many of one kind names the first :data:`LISTED` and counts the rest in one
more problem, so a large instance with a systematic hole gets a page, not thousands of lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sourcing.data.rows import frame_rows
from sourcing.data.schema import ModelSpec
from sourcing.errors import Problem
from sourcing.model.build import applied_rules, rule_names
from sourcing.model.index import NO_PERIOD, ModelData
from sourcing.model.keys import key_codes
from sourcing.model.keys import row_of as matching_row
from sourcing.model.rules.kind import Finding, Scope, kind_of


@dataclass(frozen=True)
class CannotHold(Problem):
    """A rule that can never hold on this instance, as its ``check`` hook showed: the program
    has no plan. A warning like the others (an error under ``--strict``): the solve still runs
    and ends infeasible (exit 3), and the infeasibility explanation leads with it
    (:func:`sourcing.results.explain.explain`), found in milliseconds where the elastic re-solve
    of a MIP may take tens of seconds. ``proves``: the (mineral, period) the finding proves has
    no plan at all, when it is such a proof (:class:`~sourcing.model.rules.kind.Finding`)."""

    proves: tuple[str, str] | None = None


#: Problems of one kind named one by one; the rest are counted.
LISTED = 20
#: Countries named in one message; the rest are counted.
NAMED = 5
STAGE_KEY = ["mineral", "period", "stage"]
NO_LANE = "list one in transport.csv or set transport_default"


def check(data: ModelData, model: ModelSpec) -> list[Problem]:
    """Every consistency warning, its rows as the planner sees them (a CSV file's or a sheet's
    row, where the instance came from one: :func:`sourcing.data.io.as_shown`)."""
    from sourcing.data.documents import as_shown

    reach = _reach(data)
    found = (
        check_stage_coverage(data)
        + check_lanes(data, reach)
        + check_sites_reached(data, reach)
        + check_rules_can_hold(data, model)
    )
    header_rows = data.instance._header_rows
    return [as_shown(p, header_rows) for p in found]


def _where(mineral: str, period: str, stage: str | None = None) -> str:
    text = mineral if stage is None else f"{mineral} at stage '{stage}'"
    return text if period == NO_PERIOD else f"{text} in period '{period}'"


def check_stage_coverage(data: ModelData) -> list[Problem]:
    """Every stage a demand reaches needs offers, and enough capacity for the demand."""
    volumes = data.stage_volumes
    volume_row = matching_row(data.offers, volumes, STAGE_KEY)
    reaching = volume_row >= 0
    capacity = np.bincount(
        volume_row[reaching],
        weights=data.offers["capacity"].to_numpy(dtype=float)[reaching],
        minlength=len(volumes),
    )
    # a mineral with a stockpile may meet a period's demand from stock: not checked per period
    stocked = set(data.stocks["mineral"]) if len(data.stocks) else set()
    problems = []
    for have, row in zip(capacity, frame_rows(volumes), strict=True):
        if row.mineral in stocked:
            continue
        where = _where(row.mineral, row.period, row.stage)
        if have == 0:
            problems.append(
                Problem(
                    "supply", None, "capacity", f"{where}: no offer, so its demand cannot be met"
                )
            )
        elif have < row.demand_volume * (1 - 1e-9):
            problems.append(
                Problem(
                    "supply",
                    None,
                    "capacity",
                    f"{where}: total capacity {have:g} is below the {row.demand_volume:g} "
                    "needed to meet demand in full",
                )
            )
    return problems


def check_lanes(data: ModelData, reach: _Reach | None = None) -> list[Problem]:
    """Offers whose output cannot reach a site demanding it cannot be used: no lane onward (no
    transport row and no transport_default), or lanes only to offers that cannot pass it on."""
    offers, reach = data.offers, reach or _reach(data)
    demanded = matching_row(offers, data.stage_volumes, STAGE_KEY) >= 0
    onward = np.zeros(len(offers), dtype=bool)
    onward[reach.from_offer] = True
    stranded = np.flatnonzero(demanded & ~reach.useful)
    following = dict(zip(data.stages, data.stages[1:], strict=False))
    problems = []
    for o in stranded[:LISTED]:
        row = offers.iloc[o]
        where = f"{_where(row.mineral, row.period, row.stage)} in {row.country}"
        if onward[o]:
            ahead = offers["country"].to_numpy()[reach.to_offer[reach.from_offer == o]]
            message = (
                f"{where}: no path onward to a site demanding {row.mineral}: its lanes lead "
                f"only to {_names(ahead)} at stage '{following[row.stage]}', which cannot pass "
                "it on"
            )
        else:
            message = f"{where}: no allowed lane onward ({NO_LANE})"
        problems.append(Problem("supply", int(row.supply_row), "country", message))
    if len(stranded) > LISTED:
        rest = offers.iloc[stranded[LISTED:]]
        problems.append(
            Problem(
                "supply",
                None,
                "country",
                f"and {len(rest)} more offers whose output cannot reach a site demanding it "
                f"({_counted(rest)})",
            )
        )
    return problems


def check_sites_reached(data: ModelData, reach: _Reach | None = None) -> list[Problem]:
    """Every demand row needs a chain of allowed lanes from a first-stage offer to its site.

    Where there is none, the message names the lanes that would make one: at each stage where
    offers are reached from the first stage and the next stage (or the site) reaches the site,
    one lane between the two would do. Stages without any offer are left to
    :func:`check_stage_coverage`.
    """
    reach, demand, offers = reach or _reach(data), data.demand, data.offers
    # the (mineral, period) of each demand row has offers at every stage
    n_stages = len(data.stages)
    offer_key, demand_key = key_codes(offers, demand, on=["mineral", "period"])
    stages = np.unique(offer_key * n_stages + offers["stage_pos"].to_numpy())
    groups = int(max(offer_key.max(initial=-1), demand_key.max(initial=-1))) + 1
    complete = np.bincount(stages // n_stages, minlength=groups)[demand_key] == n_stages
    # a row of 0 a stockpile added (demand_row 0) is no planner's demand: not reported
    unserved = np.flatnonzero(complete & ~reach.served & (demand["demand_row"].to_numpy() > 0))
    field = "site" if data.instance.sites else "mineral"
    problems = []
    for d in unserved[:LISTED]:
        row = demand.iloc[d]
        where = _where(row.mineral, row.period)
        at = f"site '{row.site}' ({row.country})" if data.instance.sites else "the buyer"
        problems.append(
            Problem(
                "demand",
                int(row.demand_row),
                field,
                f"{where}: no supplier can reach {at}: {_missing_link(data, reach, d)}",
            )
        )
    if len(unserved) > LISTED:
        rest = demand.iloc[unserved[LISTED:]]
        problems.append(
            Problem(
                "demand",
                None,
                field,
                f"and {len(rest)} more demand rows no supplier can reach "
                f"({_counted(rest, ['mineral', 'site'])})",
            )
        )
    return problems


@dataclass
class _Reach:
    """Which offers and demand rows the allowed lanes connect.

    ``reached``: the offer gets material from the first stage (first-stage offers always do);
    ``useful``: its output can reach a site demanding it; ``served``: the demand row gets
    material from the first stage. ``from_offer``/``to_offer``/``demand_row`` list the lanes
    (-1 where not an inbound lane, or not a delivery)."""

    from_offer: np.ndarray
    to_offer: np.ndarray
    demand_row: np.ndarray
    reached: np.ndarray
    useful: np.ndarray
    served: np.ndarray


def _reach(data: ModelData) -> _Reach:
    offers, lanes, demand = data.offers, data.lanes, data.demand
    from_offer, to_offer = lanes["offer"].to_numpy(), lanes["to_offer"].to_numpy()
    inbound = to_offer >= 0
    demand_row = np.full(len(lanes), -1)
    demand_row[~inbound] = matching_row(
        (lanes, np.flatnonzero(~inbound)), demand, ["mineral", "period", "site"]
    )
    position = offers["stage_pos"].to_numpy()
    reached = position == 0
    for pos in range(len(data.stages) - 1):
        step = inbound & (position[from_offer] == pos) & reached[from_offer]
        reached[to_offer[step]] = True
    served = np.zeros(len(demand), dtype=bool)
    served[demand_row[~inbound & reached[from_offer]]] = True
    useful = np.zeros(len(offers), dtype=bool)
    useful[from_offer[~inbound]] = True
    for pos in range(len(data.stages) - 2, -1, -1):
        step = inbound & (position[from_offer] == pos) & useful[np.maximum(to_offer, 0)]
        useful[from_offer[step]] = True
    return _Reach(from_offer, to_offer, demand_row, reached, useful, served)


def _missing_link(data: ModelData, reach: _Reach, d: int) -> str:
    """The lanes that would connect demand row ``d`` to the first stage, stage by stage."""
    offers, row = data.offers, data.demand.iloc[d]
    mine = (offers["mineral"] == row.mineral).to_numpy() & (
        offers["period"] == row.period
    ).to_numpy()
    position, country = offers["stage_pos"].to_numpy(), offers["country"].to_numpy()
    last = len(data.stages) - 1
    reaches = np.zeros(len(offers), dtype=bool)  # offers with a chain of lanes to this site
    reaches[reach.from_offer[reach.demand_row == d]] = True
    options = []
    for pos in range(last, -1, -1):
        here = mine & (position == pos) & reach.reached
        if pos == last:
            ahead = f"{row.country}" if data.instance.sites else None
        else:
            after = mine & (position == pos + 1) & reaches
            ahead = (
                f"a {data.stages[pos + 1]} country that reaches it ({_names(country[after])})"
                if after.any()
                else None
            )
        if here.any() and ahead is not None:
            options.append(
                f"from a {data.stages[pos]} country ({_names(country[here])}) to {ahead}"
            )
        if pos > 0:
            step = (position[reach.from_offer] == pos - 1) & (reach.to_offer >= 0)
            step &= reaches[np.maximum(reach.to_offer, 0)]
            reaches[reach.from_offer[step]] = True
    if not options:
        return (
            f"no chain of lanes leads from stage '{data.stages[0]}' to it (list the missing "
            "lanes in transport.csv or set transport_default)"
        )
    return f"add a lane to transport.csv {', or '.join(options)}; or set transport_default"


def _names(countries) -> str:
    """Up to :data:`NAMED` distinct names, sorted, and how many more."""
    unique = sorted(set(map(str, countries)))
    more = f" and {len(unique) - NAMED} more" if len(unique) > NAMED else ""
    return ", ".join(unique[:NAMED]) + more


def _counted(rows: pd.DataFrame, by: list[str] | None = None) -> str:
    """How many rows per group, the largest groups first, at most :data:`NAMED` groups."""
    by = by or ["mineral", "stage"]
    counts = rows.groupby(by).size().sort_values(ascending=False, kind="stable")
    shown = [
        f"{' '.join(map(str, k if isinstance(k, tuple) else (k,)))}: {n}" for k, n in counts.items()
    ]
    more = f", and {len(shown) - NAMED} more groups" if len(shown) > NAMED else ""
    return ", ".join(shown[:NAMED]) + more


def check_rules_can_hold(data: ModelData, model: ModelSpec) -> list[Problem]:
    """Rules that select nothing, or can never be met at some stage (each rule's own ``check``
    hook, :class:`sourcing.model.rules.kind.RuleKind`, says when it cannot be met)."""
    problems = []
    rules = applied_rules(data, model)
    offering = data.offers.groupby(["mineral", "period", "stage"])["country"].agg(set)
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
        check = kind_of(rule).check
        if check is not None:
            for found in check(rule, name, Scope(data, scope, offering)):
                finding = Finding(*found)
                problems.append(
                    CannotHold(table, row, finding.field, finding.message, finding.proves)
                )
    return problems
