"""An independent check of a plan, written from the documented rules, not from the engine's builder.

:func:`check_plan` takes an :class:`~sourcing.Instance` (its raw tables), the rules applied (the
model's followed by the instance's own) and a :class:`~sourcing.Plan`, and recomputes everything
from ``plan.flows`` alone (plus the instance's data):

* each flow runs on an allowed lane between existing offers (or to a demand site);
* the supply of an offer is the sum of its outgoing flows; it is within capacity, and within the
  minimum quantity when used;
* flow is conserved through the yields: at every processing stage an offer's output is its yield
  times its input;
* demand is met, or the shortfall is allowed (a penalty is given) and equals the plan's report;
* with stockpiles: each period's closing stock, walked from ``initial`` as opening + delivered −
  demand met, stays within [0, capacity], ends at least at ``final_min``, and equals the plan's
  ``stock`` table; its holding cost is h × closing in each period; a ``stockpile_cover`` rule
  holds on that closing stock (or, soft, costs its penalty × the stock short);
* ``price_floor`` and ``reference_tariff`` cost what the reference prices say (the buyer's
  share of top-ups and clawbacks; the gap to the reference on exports);
* ``plan.shares`` reports the same quantities;
* every rule holds, recomputed with pandas from the supplied quantities (shares of a stage,
  value shares over a chain, exclusions, supplier counts with their minimum share, top-k shares);
* the total cost recomputed from prices, transport, tariffs, fixed costs and penalties equals
  ``plan.objective`` (and each component equals ``plan.costs``).

It deliberately imports nothing of the model builder (``sourcing.model.network``,
``sourcing.model.contracts``, ``sourcing.model.rules``, ``sourcing.model.build``,
``sourcing.model.lp``), so a mistake there cannot hide here. It reads the rule objects only through
their documented fields.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sourcing import Instance, Plan

#: the site that takes delivery at the supplier's door when an instance has no sites table
DEFAULT_SITE = "buyer"
NO_PERIOD = ""
OFFER = ["mineral", "period", "stage", "country"]
STAGE = ["mineral", "period", "stage"]


@dataclass
class Check:
    """What the checker recomputed, and every way in which the plan is wrong (empty: valid)."""

    problems: list[str] = field(default_factory=list)
    supply: pd.DataFrame = field(default_factory=pd.DataFrame)  # per offer: quantity, used
    costs: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_plan(
    instance: Instance, rules: list[Any], plan: Plan, *, risk_weight: float = 0.0, tol: float = 1e-6
) -> Check:
    """Recompute the plan's feasibility and cost from its flows; see the module docstring."""
    out = Check()
    problem = out.problems.append
    stages = list(instance.stages)
    pos = {s: i for i, s in enumerate(stages)}
    periods = list(instance.periods) if instance.periods else [NO_PERIOD]

    offers = _offers(instance, periods)
    demand = _demand(instance, periods)
    site_country = {r["site"]: r["country"] for r in instance.sites} or {DEFAULT_SITE: DEFAULT_SITE}
    yields = {(r["mineral"], r["stage"]): r["yield"] for r in instance.yields}
    groups = {
        r["country"]: {g.strip() for g in r.get("groups", "").split(";") if g.strip()}
        for r in instance.countries
    }
    risk = {r["country"]: r.get("risk", 0.0) for r in instance.countries}

    flows = plan.flows.copy()
    if "period" not in flows:
        flows["period"] = NO_PERIOD
    flows["period"] = flows["period"].fillna(NO_PERIOD).astype(str)
    flows["site"] = flows["site"].where(flows["site"].notna(), None)

    # -- each flow: from an existing offer, along an allowed lane, to an offer or a site -------
    offer_price = offers.set_index(OFFER)["price"].to_dict()
    demand_keys = set(zip(demand["mineral"], demand["period"], demand["site"], strict=True))
    # a stockpile takes deliveries in every period, whether or not its site demands then
    demand_keys |= {(k["mineral"], t, k["site"]) for k in instance.stockpiles for t in periods}
    transport = np.zeros(len(flows))
    tariff = np.zeros(len(flows))
    for i, f in enumerate(flows.itertuples(index=False)):
        where = f"flow {f.mineral}/{f.period or '-'}/{f.stage} {f.from_country}→{f.to_country}"
        if f.quantity < -tol:
            problem(f"{where}: negative quantity {f.quantity}")
        source = (f.mineral, f.period, f.stage, f.from_country)
        if source not in offer_price:
            problem(f"{where}: no such offer {source}")
            continue
        last = pos[f.stage] == len(stages) - 1
        if last:
            if f.site is None or (f.mineral, f.period, f.site) not in demand_keys:
                problem(f"{where}: the last stage must deliver to a demand site, got {f.site}")
                continue
            if site_country[f.site] != f.to_country:
                problem(f"{where}: site {f.site} is in {site_country[f.site]}, not {f.to_country}")
        else:
            if f.site is not None:
                problem(f"{where}: stage '{f.stage}' is not the last but delivers to {f.site}")
            target = (f.mineral, f.period, stages[pos[f.stage] + 1], f.to_country)
            if target not in offer_price:
                problem(f"{where}: no offer {target} to receive it")
        cost = _transport(instance, f.mineral, f.from_country, f.to_country)
        if cost is None:
            problem(f"{where}: the lane is closed (no transport row, no transport_default)")
            cost = math.nan
        transport[i] = cost
        rate, per_unit = _tariff(instance, f.mineral, f.from_country, f.to_country)
        tariff[i] = rate * offer_price[source] + per_unit
    flows["my_transport"], flows["my_tariff"] = transport, tariff
    for column in ("transport", "tariff"):  # the plan's own columns should agree
        if column in flows:
            bad = ~np.isclose(flows[column], flows[f"my_{column}"], rtol=1e-9, atol=1e-9)
            for f in flows[bad].itertuples(index=False):
                problem(
                    f"flow {f.from_country}→{f.to_country} ({f.stage}): plan says {column} "
                    f"{getattr(f, column)}, recomputed {getattr(f, 'my_' + column)}"
                )

    # -- supply of each offer = its outgoing flows; capacity and minimum quantity --------------
    out_flow = flows.rename(columns={"from_country": "country"}).groupby(OFFER)["quantity"].sum()
    supply = offers.merge(out_flow.rename("quantity").reset_index(), how="left", on=OFFER)
    supply["quantity"] = supply["quantity"].fillna(0.0)
    supply["used"] = supply["quantity"] > tol
    for o in supply.itertuples(index=False):
        name = f"offer {o.mineral}/{o.period or '-'}/{o.stage}/{o.country}"
        if o.quantity > o.capacity + tol * max(1.0, o.capacity):
            problem(f"{name}: supplies {o.quantity:g}, above its capacity {o.capacity:g}")
        if o.used and o.quantity < o.min_quantity - tol * max(1.0, o.min_quantity):
            problem(f"{name}: supplies {o.quantity:g}, below its minimum {o.min_quantity:g}")

    # -- conservation through the yields at every processing stage -----------------------------
    step = flows["stage"].map(pos)
    inbound = flows[flows["site"].isna() & (step < len(stages) - 1)].copy()
    inbound["stage"] = [stages[int(pos[s]) + 1] for s in inbound["stage"]]
    in_flow = inbound.rename(columns={"to_country": "country"}).groupby(OFFER)["quantity"].sum()
    supply = supply.merge(in_flow.rename("input").reset_index(), how="left", on=OFFER)
    supply["input"] = supply["input"].fillna(0.0)
    for o in supply.itertuples(index=False):
        if pos[o.stage] == 0:
            continue
        y = yields.get((o.mineral, o.stage), 1.0)
        if not math.isclose(o.quantity, y * o.input, rel_tol=tol, abs_tol=tol):
            problem(
                f"offer {o.mineral}/{o.period or '-'}/{o.stage}/{o.country}: output "
                f"{o.quantity:g} ≠ yield {y:g} × input {o.input:g}"
            )
    out.supply = supply

    # -- demand met, or short where a penalty allows it ----------------------------------------
    at_site = ["mineral", "period", "site"]
    delivered = flows[flows["site"].notna()].groupby(at_site)["quantity"].sum()
    demand = demand.merge(delivered.rename("delivered").reset_index(), how="left", on=at_site)
    demand["delivered"] = demand["delivered"].fillna(0.0)
    demand["short"] = demand["quantity"] - demand["delivered"]
    reported = _reported_shortfall(plan)
    piles = {(k["site"], k["mineral"]): k for k in instance.stockpiles}
    # at a stocked site stock may meet demand: what is short is what the plan reports (the stock
    # walked below must then balance), not demand − delivered
    stocked = [(s, m) in piles for s, m in zip(demand["site"], demand["mineral"], strict=True)]
    demand.loc[stocked, "short"] = [
        reported.get(k, 0.0)
        for k in zip(
            demand.loc[stocked, "mineral"],
            demand.loc[stocked, "period"],
            demand.loc[stocked, "site"],
            strict=True,
        )
    ]
    for d in demand.itertuples(index=False):
        name = f"demand {d.mineral}/{d.period or '-'} at {d.site}"
        slack = tol * max(1.0, d.quantity)
        if (d.site, d.mineral) in piles:  # checked with the stock below: stock may meet it
            said = reported.get((d.mineral, d.period, d.site), 0.0)
            if said > slack and math.isnan(d.penalty):
                problem(f"{name}: {said:g} short of a hard demand")
            if said > d.quantity + slack:
                problem(f"{name}: {said:g} short, more than the {d.quantity:g} demanded")
            continue
        if d.short < -slack:
            problem(f"{name}: {d.delivered:g} delivered, more than the {d.quantity:g} demanded")
        if d.short > slack and math.isnan(d.penalty):
            problem(f"{name}: {d.short:g} short of a hard demand")
        said = reported.get((d.mineral, d.period, d.site), 0.0)
        if not math.isclose(max(d.short, 0.0), said, rel_tol=tol, abs_tol=slack):
            problem(f"{name}: short {max(d.short, 0.0):g}, the plan reports {said:g}")

    # -- stockpiles: closing = opening + delivered − demand met, within [0, capacity] ----------
    holding = 0.0
    walked: dict[tuple[str, str, str], float] = {}
    said_stock = {}
    if len(plan.stock):
        stock_rows = plan.stock.to_dict("records")
        said_stock = {(r["site"], r["mineral"], r.get("period", NO_PERIOD)): r for r in stock_rows}
    for (site, mineral), pile in piles.items():
        closing = pile.get("initial", 0.0)
        capacity = pile.get("capacity", math.inf)
        for period in periods:
            opening = closing
            row = demand[
                (demand["site"] == site)
                & (demand["mineral"] == mineral)
                & (demand["period"] == period)
            ]
            came = float(
                flows.loc[
                    (flows["site"] == site)
                    & (flows["mineral"] == mineral)
                    & (flows["period"] == period),
                    "quantity",
                ].sum()
            )
            short = reported.get((mineral, period, site), 0.0) if len(row) else 0.0
            met = float(row["quantity"].sum()) - short
            closing = opening + came - met
            name = f"stock of {mineral} at {site} in {period or '-'}"
            slack = tol * max(1.0, opening, came)
            if closing < -slack:
                problem(f"{name}: closing {closing:g} < 0 (more drawn than held)")
            if closing > capacity + slack:
                problem(f"{name}: closing {closing:g} above the capacity {capacity:g}")
            holding += pile["holding_cost"] * max(closing, 0.0)
            walked[(site, mineral, period)] = closing
            said = said_stock.get((site, mineral, period))
            if said is None or not math.isclose(
                said["closing"], closing, rel_tol=tol, abs_tol=slack
            ):
                problem(f"{name}: closing {closing:g}, the plan reports {said}")
        if closing < pile.get("final_min", 0.0) - tol * max(1.0, closing):
            problem(f"stock of {mineral} at {site}: last closing {closing:g} below final_min")

    # -- stockpile_cover: closing stock ≥ days / period_days × the period's demand at the site --
    cover_cost = 0.0
    site_country = {r["site"]: r["country"] for r in instance.sites}
    for rule in rules:
        if rule.rule != "stockpile_cover":
            continue
        share = rule.days / (instance.period_days or 365.0)
        chosen = set(rule.countries or []) | _named(rule.groups, groups)
        for d in demand.itertuples(index=False):
            if rule.minerals is not None and d.mineral not in rule.minerals:
                continue
            if (rule.countries or rule.groups) and site_country.get(d.site) not in chosen:
                continue
            need = share * d.quantity
            held = walked.get((d.site, d.mineral, d.period), 0.0)
            short = max(0.0, need - held)
            if rule.penalty is None and short > tol * max(1.0, need):
                problem(
                    f"{rule.name or rule.rule}: {held:g} in stock of {d.mineral} at {d.site} in "
                    f"{d.period or '-'}, below the {need:g} of {rule.days:g} days"
                )
            elif rule.penalty is not None:
                cover_cost += rule.penalty * short

    # -- plan.shares reports the same quantities ------------------------------------------------
    shares = plan.shares.copy()
    if "period" not in shares:
        shares["period"] = NO_PERIOD
    said = shares.set_index(OFFER)["quantity"].to_dict()
    mine = supply[supply["used"]].set_index(OFFER)["quantity"].to_dict()
    for key in set(said) | set(mine):
        if not math.isclose(said.get(key, 0.0), mine.get(key, 0.0), rel_tol=tol, abs_tol=tol):
            problem(
                f"shares {key}: the plan says {said.get(key, 0.0):g}, flows give "
                f"{mine.get(key, 0.0):g}"
            )

    # -- the rules ------------------------------------------------------------------------------
    demanded = set(zip(demand["mineral"], demand["period"], strict=True))
    used = supply[
        [(m, t) in demanded for m, t in zip(supply["mineral"], supply["period"], strict=True)]
    ].copy()
    used["volume"] = used.groupby(STAGE)["quantity"].transform("sum")
    for rule in rules:
        out.problems += _check_rule(rule, used, groups, tol)

    # -- the cost ---------------------------------------------------------------------------------
    first = supply["stage"].map(pos) == 0
    value = supply["quantity"] * supply["price"]
    costs = {
        "purchase": float(value[first].sum()),
        "processing": float(value[~first].sum()),
        "transport": float((flows["quantity"] * flows["my_transport"]).sum()),
        "tariffs": float((flows["quantity"] * flows["my_tariff"]).sum()),
        "fixed": float(supply.loc[supply["used"], "fixed_cost"].sum()),
        "risk": float(risk_weight * (supply["quantity"] * supply["country"].map(risk)).sum()),
        "shortfall": float((demand["short"].clip(lower=0) * demand["penalty"].fillna(0.0)).sum()),
    }
    if piles:
        costs["holding"] = holding
    costs.update(_reference_costs(instance, rules, supply, flows, groups))
    if any(rule.rule == "stockpile_cover" and rule.penalty is not None for rule in rules):
        costs["cover_shortfall"] = cover_cost
    costs["total"] = sum(costs.values())
    out.costs = costs
    scale = max(1.0, abs(costs["total"]))
    if plan.objective is None or not math.isclose(
        costs["total"], plan.objective, rel_tol=tol, abs_tol=tol * scale
    ):
        problem(f"total cost: recomputed {costs['total']:.6f}, the plan says {plan.objective}")
    for component, amount in costs.items():
        if component in plan.costs and not math.isclose(
            amount, plan.costs[component], rel_tol=tol, abs_tol=tol * scale
        ):
            problem(
                f"cost '{component}': recomputed {amount:.6f}, the plan says "
                f"{plan.costs[component]:.6f}"
            )
    return out


def _reference_costs(
    instance: Instance,
    rules: list[Any],
    supply: pd.DataFrame,
    flows: pd.DataFrame,
    groups: dict[str, set[str]],
) -> dict[str, float]:
    """The buyer's money of ``price_floor`` and ``reference_tariff`` rules, from the reference
    prices as the instance states them: per unit of a guaranteed offer, the top-up is what its
    price falls short of the reference and the clawback a share of what it exceeds it, the buyer
    paying ``buyer_share`` of both; per unit exported by a tariffed offer to another country,
    ``share`` of what its price falls short of the reference."""

    def reference(mineral: str, stage: str, period: str) -> float | None:
        for r in instance.reference_prices:
            if (r["mineral"], r["stage"]) == (mineral, stage) and r.get("period", period) == period:
                return r["price"]
        return None

    out: dict[str, float] = {}
    for rule in rules:
        if rule.rule not in ("price_floor", "reference_tariff"):
            continue
        chosen = supply[_selected(rule, supply) & _members(rule, supply, groups)]
        for o in chosen.itertuples(index=False):
            ref = reference(o.mineral, o.stage, o.period)
            if ref is None:
                continue
            if rule.rule == "price_floor":
                below, above = max(0.0, ref - o.price), max(0.0, o.price - ref)
                out["floor_topup"] = out.get("floor_topup", 0.0) + (
                    rule.buyer_share * below * o.quantity
                )
                out["floor_clawback"] = out.get("floor_clawback", 0.0) - (
                    rule.buyer_share * rule.upside_share * above * o.quantity
                )
            else:
                leaving = flows[
                    (flows["mineral"] == o.mineral)
                    & (flows["period"] == o.period)
                    & (flows["stage"] == o.stage)
                    & (flows["from_country"] == o.country)
                    & (flows["to_country"] != o.country)
                ]
                out["reference_tariff"] = out.get("reference_tariff", 0.0) + (
                    rule.share * max(0.0, ref - o.price) * float(leaving["quantity"].sum())
                )
    return out


# -- the instance's tables, expanded over the periods -----------------------------------------


def _expand(rows: list[dict[str, Any]], periods: list[str]) -> list[dict[str, Any]]:
    """A row without a period applies in every period; one with a period, in that one only."""
    return [{**r, "period": t} for r in rows for t in ([r["period"]] if "period" in r else periods)]


def _offers(instance: Instance, periods: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(
        [
            {
                "mineral": r["mineral"],
                "period": r["period"],
                "stage": r["stage"],
                "country": r["country"],
                "capacity": float(r.get("capacity", math.inf)),
                "price": float(r["price"]),
                "fixed_cost": float(r.get("fixed_cost", 0.0)),
                "min_quantity": float(r.get("min_quantity", 0.0)),
            }
            for r in _expand(list(instance.supply), periods)
        ]
    )


def _demand(instance: Instance, periods: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(
        [
            {
                "mineral": r["mineral"],
                "period": r["period"],
                "site": r.get("site", DEFAULT_SITE),
                "quantity": float(r["quantity"]),
                "penalty": float(r.get("penalty", math.nan)),
            }
            for r in _expand(list(instance.demand), periods)
        ]
    )


def _transport(instance: Instance, mineral: str, origin: str, to: str) -> float | None:
    """Cost per unit on a lane, None if closed: a listed row (mineral-specific first), else free
    within a country (and to the default site, which takes delivery at the supplier's door), else
    ``transport_default``."""
    for specific in (True, False):
        for r in instance.transport:
            if (
                r["from"] == origin
                and r["to"] == to
                and (r.get("mineral") == mineral if specific else "mineral" not in r)
            ):
                return float(r["cost"])
    if origin == to or (not instance.sites and to == DEFAULT_SITE):
        return 0.0
    return instance.transport_default


def _tariff(instance: Instance, mineral: str, origin: str, to: str) -> tuple[float, float]:
    """(rate, per_unit) on a lane; a mineral-specific row wins over a general one."""
    for specific in (True, False):
        for r in instance.tariffs:
            if (
                r["origin"] == origin
                and r["destination"] == to
                and (r.get("mineral") == mineral if specific else "mineral" not in r)
            ):
                return float(r.get("rate", 0.0)), float(r.get("per_unit", 0.0))
    return 0.0, 0.0


def _reported_shortfall(plan: Plan) -> dict[tuple[str, str, str], float]:
    frame = plan.shortfall
    if frame is None or frame.empty:
        return {}
    period = frame["period"] if "period" in frame else pd.Series(NO_PERIOD, index=frame.index)
    return {
        (m, str(t), s): float(q)
        for m, t, s, q in zip(
            frame["mineral"], period, frame["site"], frame["shortfall"], strict=True
        )
    }


# -- the rules, one function each, from their documented meaning -----------------------------


def _named(names: list[str] | None, groups: dict[str, set[str]]) -> set[str]:
    """Countries a list of names selects: a name is a country or a group."""
    names = set(names or [])
    return {c for c, tags in groups.items() if c in names or tags & names}


def _selected(rule: Any, frame: pd.DataFrame) -> pd.Series:
    """Rows of the rule's minerals and stages (all if not given)."""
    mask = pd.Series(True, index=frame.index)
    if rule.minerals is not None:
        mask &= frame["mineral"].isin(rule.minerals)
    if rule.stages is not None:
        mask &= frame["stage"].isin(rule.stages)
    return mask


def _members(rule: Any, frame: pd.DataFrame, groups: dict[str, set[str]]) -> pd.Series:
    """Rows from the countries the rule's ``countries``/``groups`` name (all if neither)."""
    if rule.countries is None and rule.groups is None:
        return pd.Series(True, index=frame.index)
    chosen = set(rule.countries or []) | _named(rule.groups, groups)
    return frame["country"].isin(chosen)


def _check_rule(
    rule: Any, supply: pd.DataFrame, groups: dict[str, set[str]], tol: float
) -> list[str]:
    name = rule.name or rule.rule
    scope = supply[_selected(rule, supply)]
    member = _members(rule, scope, groups)
    found = []
    slack = tol * scope["volume"].clip(lower=1.0)

    if rule.rule == "exclude":
        bad = scope[member & (scope["quantity"] > tol)]
        found += [
            f"{name}: {r.country} supplies {r.quantity:g} at {r.mineral}/{r.stage}"
            for r in bad.itertuples(index=False)
        ]

    elif rule.rule == "max_country_share":
        capped = member & ~scope["country"].isin(_named(rule.exempt, groups))
        over = scope[capped & (scope["quantity"] > rule.share * scope["volume"] + slack)]
        found += [
            f"{name}: {r.country} has {r.quantity:g} of {r.volume:g} at "
            f"{r.mineral}/{r.period or '-'}/{r.stage}, above {rule.share:.0%}"
            for r in over.itertuples(index=False)
        ]

    elif rule.rule == "group_share":
        weight = scope["price"] if rule.measure == "value" else 1.0
        frame = scope.assign(w=scope["quantity"] * weight, g=member.astype(float))
        key = STAGE if rule.scope == "stage" else ["mineral", "period"]
        for k, part in frame.groupby(key):
            total = part["w"].sum()
            if total <= tol:
                continue  # nothing supplied: the rule holds
            share = (part["w"] * part["g"]).sum() / total
            if rule.min is not None and share < rule.min - tol:
                found.append(f"{name} {k}: group share {share:.6f} below {rule.min}")
            if rule.max is not None and share > rule.max + tol:
                found.append(f"{name} {k}: group share {share:.6f} above {rule.max}")

    elif rule.rule in ("price_floor", "reference_tariff"):
        pass  # prices, not limits: their money is recomputed with the costs in check_plan

    elif rule.rule == "stockpile_cover":
        pass  # a rule on closing stock, not on supply: checked with the stock in check_plan

    elif rule.rule in ("min_suppliers", "max_suppliers", "top_share"):
        frame = scope[member]
        for k, stage in scope.groupby(STAGE):
            volume = stage["volume"].iloc[0]
            if volume <= tol:
                continue  # nothing supplied at the stage: the rule holds
            mine = frame.loc[frame.index.intersection(stage.index), "quantity"]
            if rule.rule == "min_suppliers":
                counted = int((mine >= rule.min_share * volume - tol * max(1.0, volume)).sum())
                if counted < rule.count:
                    found.append(
                        f"{name} {k}: {counted} countries with ≥ {rule.min_share:.0%}, "
                        f"fewer than {rule.count}"
                    )
            elif rule.rule == "max_suppliers":
                counted = int((mine > tol).sum())
                if counted > rule.count:
                    found.append(f"{name} {k}: {counted} countries used, more than {rule.count}")
            else:
                top = mine.nlargest(rule.k).sum()
                if top > rule.share * volume + tol * max(1.0, volume):
                    found.append(
                        f"{name} {k}: the {rule.k} largest supply {top:g} of {volume:g}, "
                        f"above {rule.share:.0%}"
                    )
    else:
        found.append(f"{name}: the checker does not know rule '{rule.rule}'")
    return found
