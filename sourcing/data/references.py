"""Checks between tables that a per-row schema cannot see: unknown names, duplicate keys.

Each check returns problems naming the table, the 1-based row and the field; nothing is dropped
(beyond the first 20 duplicates of a table, the rest are counted in one problem).
Rule selectors naming nothing that exists are errors too (:func:`check_rules`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from sourcing.data.schema import CHAIN_RANGE, DEFAULT_SITE, CountryRow, Instance
from sourcing.errors import Problem

#: Duplicate rows listed one by one per table; the rest are counted.
MAX_DUPLICATES_SHOWN = 20


def close_name(value: str, names: set[str]) -> str:
    """A hint for a name that is almost one that exists: the same but for case ('chn', 'CHN';
    names are case-sensitive), or one letter off ('CNH', 'CHN'). Empty when none is close."""
    same_case = [n for n in names if n.lower() == value.lower()]
    if same_case:
        return f"; did you mean '{sorted(same_case)[0]}'? names are case-sensitive"
    if len(names) > 10_000:  # a fuzzy search over a huge table costs more than it helps
        return ""
    close = difflib.get_close_matches(value, sorted(names), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def groups_of(country_row: CountryRow) -> list[str]:
    return [g.strip() for g in country_row.get("groups", "").split(";") if g.strip()]


def check_instance(instance: Instance) -> list[Problem]:
    problems: list[Problem] = []
    minerals = _unique_ids(instance.minerals, "minerals", ("mineral",), problems)
    countries = _unique_ids(instance.countries, "countries", ("country",), problems)
    stages = set(instance.stages)
    periods = set(instance.periods or [])
    sites = _unique_ids(instance.sites, "sites", ("site",), problems)

    def known(
        table: str,
        row: int,
        field: str,
        value: Any,
        names: set[str],
        what: str,
        hint: str | None = None,
    ) -> None:
        if value is not None and value not in names:
            where = hint or f"not in {what_table[what]}"
            message = f"unknown {what} '{value}' ({where})"
            problems.append(Problem(table, row, field, message + close_name(str(value), names)))

    what_table = {"mineral": "minerals", "country": "countries", "site": "sites"}
    in_stages = "instance 'stages': " + ", ".join(instance.stages)

    def period_ok(table: str, row: int, record: Mapping[str, Any]) -> None:
        if "period" not in record:
            return
        if not periods:
            problems.append(Problem(table, row, "period", "instance.yaml declares no 'periods'"))
        else:
            known(
                table,
                row,
                "period",
                record["period"],
                periods,
                "period",
                "instance 'periods': " + ", ".join(instance.periods or []),
            )

    supply_names = [("mineral", minerals), ("stage", stages), ("country", countries)]
    clean_supply = (
        _all_known(instance.supply, supply_names)
        and _periods_fine(instance.supply, periods)
        and not any(
            r["min_quantity"] > r.get("capacity", float("inf"))
            for r in instance.supply
            if "min_quantity" in r
        )
    )
    for i, r in enumerate([] if clean_supply else instance.supply, 1):
        known("supply", i, "mineral", r["mineral"], minerals, "mineral")
        known("supply", i, "stage", r["stage"], stages, "stage", in_stages)
        known("supply", i, "country", r["country"], countries, "country")
        period_ok("supply", i, r)
        if r.get("min_quantity", 0) > r.get("capacity", float("inf")):
            problems.append(Problem("supply", i, "min_quantity", "exceeds the offer's capacity"))
    _duplicates(instance.supply, "supply", ("mineral", "stage", "country", "period"), problems)
    _period_overlap(instance.supply, "supply", ("mineral", "stage", "country"), problems)

    for i, y in enumerate(instance.yields, 1):
        known("yields", i, "mineral", y["mineral"], minerals, "mineral")
        known("yields", i, "stage", y["stage"], stages, "stage", in_stages)
        if y["stage"] == instance.stages[0]:
            problems.append(
                Problem("yields", i, "stage", "the first stage has no input, so no yield")
            )
    _duplicates(instance.yields, "yields", ("mineral", "stage"), problems)
    problems += _yield_chains(instance)

    places = countries | {DEFAULT_SITE} if not sites else countries
    transport_names = [("from", countries), ("to", places), ("mineral", minerals)]
    clean_transport = _all_known(instance.transport, transport_names)
    for i, t in enumerate([] if clean_transport else instance.transport, 1):
        known("transport", i, "from", t["from"], countries, "country")
        known("transport", i, "to", t["to"], places, "country")
        known("transport", i, "mineral", t.get("mineral"), minerals, "mineral")
    _duplicates(instance.transport, "transport", ("from", "to", "mineral"), problems)

    for i, tf in enumerate(instance.tariffs, 1):
        known("tariffs", i, "mineral", tf.get("mineral"), minerals, "mineral")
        known("tariffs", i, "origin", tf["origin"], countries, "country")
        known("tariffs", i, "destination", tf["destination"], places, "country")
        if "rate" not in tf and "per_unit" not in tf:
            problems.append(Problem("tariffs", i, "rate", "give 'rate' and/or 'per_unit'"))
        if tf["origin"] == tf["destination"]:
            problems.append(Problem("tariffs", i, "destination", _domestic(tf["origin"])))
    _duplicates(instance.tariffs, "tariffs", ("mineral", "origin", "destination"), problems)

    for i, s in enumerate(instance.sites, 1):
        known("sites", i, "country", s["country"], countries, "country")

    demand_sites = sites or {DEFAULT_SITE}
    clean_demand = (
        _all_known(instance.demand, [("mineral", minerals)])
        and {r.get("site", DEFAULT_SITE) for r in instance.demand} <= demand_sites
        and _periods_fine(instance.demand, periods)
    )
    for i, d in enumerate([] if clean_demand else instance.demand, 1):
        known("demand", i, "mineral", d["mineral"], minerals, "mineral")
        known(
            "demand",
            i,
            "site",
            d.get("site", DEFAULT_SITE),
            demand_sites,
            "site",
            None if sites else "there is no sites table: leave 'site' blank",
        )
        period_ok("demand", i, d)
    _duplicates(
        [{**r, "site": r.get("site", DEFAULT_SITE)} for r in instance.demand],
        "demand",
        ("mineral", "site", "period"),
        problems,
    )
    _period_overlap(instance.demand, "demand", ("mineral", "site"), problems)

    for i, k in enumerate(instance.stockpiles, 1):
        known(
            "stockpiles",
            i,
            "site",
            k["site"],
            demand_sites,
            "site",
            None if sites else "there is no sites table: the one site is 'buyer'",
        )
        known("stockpiles", i, "mineral", k["mineral"], minerals, "mineral")
        capacity = k.get("capacity", float("inf"))
        for field, amount in (
            ("initial", k.get("initial", 0.0)),
            ("final_min", k.get("final_min", 0.0)),
        ):
            if amount > capacity:
                problems.append(Problem("stockpiles", i, field, "exceeds the stockpile's capacity"))
    _duplicates(instance.stockpiles, "stockpiles", ("site", "mineral"), problems)

    for i, ref in enumerate(instance.reference_prices, 1):
        known("reference_prices", i, "mineral", ref["mineral"], minerals, "mineral")
        known("reference_prices", i, "stage", ref["stage"], stages, "stage", in_stages)
        period_ok("reference_prices", i, ref)
    _duplicates(
        instance.reference_prices, "reference_prices", ("mineral", "stage", "period"), problems
    )
    _period_overlap(instance.reference_prices, "reference_prices", ("mineral", "stage"), problems)

    problems += check_rules(instance.rules, instance, "instance rules")
    return problems


def _yield_chains(instance: Instance) -> list[Problem]:
    """Each mineral's yields multiply to within CHAIN_RANGE along its stages: the row of the
    yield at which the product leaves the range is named."""
    problems: list[Problem] = []
    position = {stage: k for k, stage in enumerate(instance.stages)}
    chains: dict[str, list[tuple[int, int, float]]] = {}
    for i, r in enumerate(instance.yields, 1):
        if r["stage"] in position:
            chains.setdefault(r["mineral"], []).append((position[r["stage"]], i, r["yield"]))
    low, high = CHAIN_RANGE
    for mineral, chain in chains.items():
        product = 1.0
        for at, row, factor in sorted(chain):
            stage = instance.stages[at]
            product *= factor
            if not low <= product <= high:
                message = (
                    f"{mineral}'s yields multiply to {product:.3g} up to stage '{stage}', "
                    f"outside [{low:g}, {high:g}]: the first stage would need "
                    f"{1 / product:.3g} times the demand, beyond what the engine solves "
                    "reliably (check the yields: each is output per unit of input)"
                )
                problems.append(Problem("yields", row, "yield", message))
                break
    return problems


def check_rules(
    rules: Iterable[Any], instance: Instance, table: str = "model rules"
) -> list[Problem]:
    """Every name a rule selects must exist in the instance: its selectors, and the names its
    spec lists in :meth:`~sourcing.data.rule_specs.Selectors.names_referenced`."""
    minerals = {r["mineral"] for r in instance.minerals}
    countries = {r["country"] for r in instance.countries}
    groups = {g for r in instance.countries for g in groups_of(r)}
    problems: list[Problem] = []
    for i, rule in enumerate(rules, 1):
        checks = [
            ("minerals", rule.minerals, minerals, "mineral"),
            ("stages", rule.stages, set(instance.stages), "stage"),
            ("countries", rule.countries, countries, "country"),
            ("groups", rule.groups, groups, "group"),
        ]
        for field, names, kinds in rule.names_referenced():
            known = (countries if "country" in kinds else set()) | (
                groups if "group" in kinds else set()
            )
            checks.append((field, names, known, " or ".join(sorted(kinds))))
        for field, names, existing, what in checks:
            for name in names or []:
                if name not in existing:
                    more = ", ..." if len(existing) > 12 else ""
                    shown = ", ".join(sorted(existing)[:12]) + more
                    problems.append(
                        Problem(
                            table,
                            i,
                            field,
                            f"{rule.rule} names unknown {what} '{name}' (known: {shown or 'none'})",
                        )
                    )
    return problems


def _all_known(rows: list[Any], fields: list[tuple[str, set[str]]]) -> bool:
    """Whether every name in these fields is known: the fast path that lets a large, clean
    table skip the row-by-row checks (which run, and report in row order, otherwise)."""
    return all({r.get(f) for r in rows} - {None} <= names for f, names in fields)


def _periods_fine(rows: list[Any], periods: set[str]) -> bool:
    named = {r["period"] for r in rows if "period" in r}
    return not named or (bool(periods) and named <= periods)


def _unique_ids(
    rows: list[Any], table: str, key: tuple[str, ...], problems: list[Problem]
) -> set[str]:
    _duplicates(rows, table, key, problems)
    return {r[key[0]] for r in rows}


def _duplicates(rows: list[Any], table: str, key: tuple[str, ...], problems: list[Problem]) -> None:
    """Each row whose key an earlier row has; the first ``MAX_DUPLICATES_SHOWN`` are listed and
    the rest counted in one more problem, so a table of a million copies is one short report."""
    keys = [tuple(map(r.get, key)) for r in rows]
    if len(set(keys)) == len(keys):  # the usual case, checked in one pass
        return
    first: dict[tuple[Any, ...], int] = {}
    found = 0
    for i, k in enumerate(keys, 1):
        if k not in first:
            first[k] = i
            continue
        found += 1
        if found <= MAX_DUPLICATES_SHOWN:
            shown = ", ".join(f"{c}={v}" for c, v in zip(key, k, strict=True) if v is not None)
            problems.append(Problem(table, i, key[0], f"duplicate of row {first[k]} ({shown})"))
    if found > MAX_DUPLICATES_SHOWN:
        more = found - MAX_DUPLICATES_SHOWN
        problems.append(
            Problem(
                table, None, key[0], f"... and {more:,} more rows that duplicate an earlier row"
            )
        )


def _period_overlap(
    rows: list[Any], table: str, key: tuple[str, ...], problems: list[Problem]
) -> None:
    """A row for every period and a row for one period of the same key would be ambiguous."""
    all_periods = {
        tuple(r.get(c) for c in key): i for i, r in enumerate(rows, 1) if "period" not in r
    }
    for i, r in enumerate(rows, 1):
        k = tuple(r.get(c) for c in key)
        if "period" in r and k in all_periods:
            problems.append(
                Problem(
                    table,
                    i,
                    "period",
                    f"row {all_periods[k]} already covers every period for this key",
                )
            )


def _domestic(country: str) -> str:
    """A tariff is a border measure: one from a country to itself would tax its own trade."""
    return (
        f"the origin and the destination are both '{country}': a tariff applies where material "
        "crosses a border, never within one country (a domestic levy belongs in the price)"
    )
