"""The five changes: each applier edits the tables of one scenario step in place.

Every applier takes one :class:`ChangeContext`: the tables being changed, the instance they come
from, the change, what it selects, the periods it is in force in, where it is written (for
messages) and the list its warnings go to. :data:`APPLY` maps a change's kind to its applier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sourcing.data.schema import DEFAULT_SITE, LARGEST, Instance
from sourcing.errors import InputError, Problem
from sourcing.scenarios.selection import InstanceNames, Selection
from sourcing.scenarios.spec import Ban, CapacityCut, DemandChange, PriceChange, TariffChange

C = TypeVar("C", CapacityCut, Ban, PriceChange, TariffChange, DemandChange)


@dataclass(frozen=True)
class ChangeContext(Generic[C]):
    """One change of a scenario, about to be applied.

    ``document`` holds the tables a change may edit (supply, demand, transport, tariffs,
    transport_default); the applier replaces its entries, the context itself never changes.
    """

    document: dict[str, Any]
    instance: Instance
    names: InstanceNames
    change: C
    selection: Selection
    periods: set[str] | None  # the periods in force; None: every period
    where: tuple[str, int]  # (table, row) of the change, for messages
    warnings: list[Problem]

    @property
    def all_periods(self) -> list[str]:
        return list(self.instance.periods or [])


def rows_in_force(
    rows: list[dict[str, Any]],
    matches: Any,
    periods: set[str] | None,
    all_periods: list[str],
) -> tuple[list[dict[str, Any]], list[int]]:
    """Rows with those matching and not in force in every period split per period; return the
    new rows and the positions of the rows (in the new list) to change."""
    out: list[dict[str, Any]] = []
    hit: list[int] = []
    for row in rows:
        if not matches(row):
            out.append(row)
            continue
        if periods is None:
            hit.append(len(out))
            out.append(row)
        elif "period" in row:
            if row["period"] in periods:
                hit.append(len(out))
            out.append(row)
        elif periods:  # a row for every period, changed in some: one row per period
            for period in all_periods:
                if period in periods:
                    hit.append(len(out))
                out.append({**row, "period": period})
        else:
            out.append(row)
    return out, hit


def offer_matches(selection: Selection) -> Any:
    def matches(row: dict[str, Any]) -> bool:
        return (
            row["mineral"] in selection.minerals
            and row["stage"] in selection.stages
            and row["country"] in selection.origins
        )

    return matches


def _capacity(context: ChangeContext[CapacityCut]) -> None:
    document, change = context.document, context.change
    rows, hit = rows_in_force(
        document["supply"], offer_matches(context.selection), context.periods, context.all_periods
    )
    table, number = context.where
    for i in hit:
        row = dict(rows[i])
        if "capacity" in row:
            row["capacity"] = row["capacity"] * (1 - change.cut)
        elif change.cut >= 1:
            row["capacity"] = 0.0
        elif change.cut > 0:
            context.warnings.append(
                Problem(
                    table,
                    number,
                    "cut",
                    f"{row['mineral']} {row['stage']} in {row['country']} has no capacity "
                    f"(unlimited): a {change.cut:.0%} cut leaves it unlimited",
                )
            )
            continue
        rows[i] = row
    document["supply"] = rows


def _price(context: ChangeContext[PriceChange]) -> None:
    document, change = context.document, context.change
    rows, hit = rows_in_force(
        document["supply"], offer_matches(context.selection), context.periods, context.all_periods
    )
    table, number = context.where
    for i in hit:
        price = rows[i]["price"] * change.factor + change.add
        if not 0 <= price <= LARGEST:
            r = rows[i]
            raise InputError(
                [
                    Problem(
                        table,
                        number,
                        "add" if price < 0 else "factor",
                        f"makes the price of {r['mineral']} {r['stage']} in {r['country']} "
                        f"{price:g}, outside 0..{LARGEST:g}",
                    )
                ]
            )
        rows[i] = {**rows[i], "price": price}
    document["supply"] = rows


def _demand(context: ChangeContext[DemandChange]) -> None:
    document, change, selection = context.document, context.change, context.selection
    by_place = change.countries is not None or change.groups is not None
    sites = context.names.sites

    def matches(row: dict[str, Any]) -> bool:
        site = row.get("site", DEFAULT_SITE)
        return (
            row["mineral"] in selection.minerals
            and site in selection.sites
            and (not by_place or sites.get(site) in selection.origins)
        )

    rows, hit = rows_in_force(document["demand"], matches, context.periods, context.all_periods)
    table, number = context.where
    for i in hit:
        quantity = rows[i]["quantity"] * change.factor
        if quantity > LARGEST:
            raise InputError(
                [Problem(table, number, "factor", f"makes a demand {quantity:g} > {LARGEST:g}")]
            )
        rows[i] = {**rows[i], "quantity": quantity}
    document["demand"] = rows


def _in_every_period(context: ChangeContext[Any], what: str) -> bool:
    """Lane tables have no period: such a change applies in all periods or none."""
    instance, periods = context.instance, context.periods
    if periods is None or len(periods) == len(instance.periods or []):
        return True
    if not periods:
        return False
    table, row = context.where
    inside = ", ".join(p for p in instance.periods or [] if p in periods)
    outside = ", ".join(p for p in instance.periods or [] if p not in periods)
    raise InputError(
        [
            Problem(
                table,
                row,
                "from",
                f"a {what} holds in every period (transport and tariff tables have no period), "
                f"but this one is in force in {inside} and not in {outside}: solve each "
                "period as its own instance",
            )
        ]
    )


def _ban(context: ChangeContext[Ban]) -> None:
    """Close lanes (origin, destination, mineral) in the transport table.

    A lane between two countries is open when ``transport`` lists it (a mineral-specific row
    wins over a general one) or ``transport_default`` is set. To close one mineral's lanes:
    the default becomes explicit rows (every other lane keeps its cost), a general row of a
    banned pair becomes one row per mineral that is not banned, and the banned minerals' rows
    go. Lanes within a country (and to the default site) are domestic and stay open.
    """
    if not _in_every_period(context, "ban"):
        return
    document, instance, selection = context.document, context.instance, context.selection
    banned = {(o, d) for o in selection.origins for d in selection.destinations if o != d} - {
        (o, DEFAULT_SITE) for o in selection.origins
    }
    if not banned:
        return
    transport = document["transport"]
    if document["transport_default"] is not None:
        transport = _explicit_default(instance, transport, document["transport_default"])
        document["transport_default"] = None
    minerals = [r["mineral"] for r in instance.minerals]
    specific = {(r["from"], r["to"], r["mineral"]) for r in transport if r.get("mineral")}
    out = []
    for row in transport:
        pair = (row["from"], row["to"])
        if pair not in banned:
            out.append(row)
        elif row.get("mineral"):
            if row["mineral"] not in selection.minerals:
                out.append(row)
        else:  # a general row: one row per mineral still allowed
            for mineral in minerals:
                if mineral not in selection.minerals and (*pair, mineral) not in specific:
                    out.append({**row, "mineral": mineral})
    document["transport"] = out


def _explicit_default(
    instance: Instance, transport: list[dict[str, Any]], cost: float
) -> list[dict[str, Any]]:
    """``transport_default`` as explicit rows on every lane that could use it."""
    first = instance.stages[0]
    senders = {r["country"] for r in instance.supply}
    receivers = {r["country"] for r in instance.supply if r["stage"] != first}
    receivers |= {r["country"] for r in instance.sites}
    listed = {(r["from"], r["to"]) for r in transport if not r.get("mineral")}
    added = [
        {"from": f, "to": t, "cost": cost}
        for f in sorted(senders)
        for t in sorted(receivers)
        if f != t and (f, t) not in listed
    ]
    return transport + added


def _tariff(context: ChangeContext[TariffChange]) -> None:
    """Set the tariff of each selected (mineral, origin, destination): a mineral-specific row
    with the given ``rate``/``per_unit``; a field not given keeps the value in force."""
    if not _in_every_period(context, "tariff change"):
        return
    document, change, selection = context.document, context.change, context.selection
    rows = document["tariffs"]
    specific = {(r.get("mineral"), r["origin"], r["destination"]): i for i, r in enumerate(rows)}
    given = {
        k: v for k, v in (("rate", change.rate), ("per_unit", change.per_unit)) if v is not None
    }
    added = []
    for mineral in sorted(selection.minerals):
        for origin in sorted(selection.origins):
            for destination in sorted(selection.destinations):
                if origin == destination:
                    continue
                if (mineral, origin, destination) in specific:
                    i = specific[(mineral, origin, destination)]
                    rows[i] = {**rows[i], **given}
                    continue
                general = specific.get((None, origin, destination))
                base = {
                    k: rows[general][k]
                    for k in ("rate", "per_unit")
                    if general is not None and k in rows[general]
                }
                added.append(
                    {
                        "mineral": mineral,
                        "origin": origin,
                        "destination": destination,
                        **base,
                        **given,
                    }
                )
    document["tariffs"] = rows + added


#: each change's applier, by the change's kind
APPLY: dict[str, Callable[[ChangeContext[Any]], None]] = {
    "capacity": _capacity,
    "ban": _ban,
    "price": _price,
    "tariff": _tariff,
    "demand": _demand,
}
