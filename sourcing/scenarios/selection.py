"""Which of an instance's names a change selects; names the instance lacks become warnings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sourcing.data.references import groups_of
from sourcing.data.schema import DEFAULT_SITE, Instance
from sourcing.errors import Problem
from sourcing.scenarios.spec import Names


@dataclass
class InstanceNames:
    """The names an instance has, to check a change's selectors against."""

    minerals: set[str]
    stages: set[str]
    countries: set[str]
    groups: dict[str, set[str]]  # group -> its countries
    sites: dict[str, str]  # site -> its country

    @classmethod
    def of(cls, instance: Instance) -> InstanceNames:
        groups: dict[str, set[str]] = {}
        for row in instance.countries:
            for group in groups_of(row):
                groups.setdefault(group, set()).add(row["country"])
        sites = {r["site"]: r["country"] for r in instance.sites} or {DEFAULT_SITE: DEFAULT_SITE}
        return cls(
            {r["mineral"] for r in instance.minerals},
            set(instance.stages),
            {r["country"] for r in instance.countries},
            groups,
            sites,
        )


@dataclass
class Selection:
    """The names a change selects that the instance has."""

    minerals: set[str]
    stages: set[str]
    origins: set[str]  # countries selected by countries/groups
    destinations: set[str]
    sites: set[str]


def select(
    change: Any,
    names: InstanceNames,
    where: tuple[str, int],
    warnings: list[Problem],
    absent: list[str],
) -> Selection | None:
    """The names a change selects that the instance has; ``None`` if a selector has none."""
    table, row = where
    skip = False

    def present(field: str, given: Names, known: Iterable[str], what: str) -> set[str] | None:
        nonlocal skip
        known = set(known)
        if given is None:
            return None
        missing = [n for n in given if n not in known]
        if missing:
            shown = ", ".join(sorted(known)[:12]) + (", ..." if len(known) > 12 else "")
            warnings.append(
                Problem(
                    table,
                    row,
                    field,
                    f"the instance has no {what} {', '.join(missing)}: skipped "
                    f"(it has: {shown or 'none'})",
                )
            )
        kept = {n for n in given if n in known}
        if not kept:
            skip = True
            absent.append(f"{field} {', '.join(given)} (change {row})")
        return kept

    minerals = present("minerals", change.minerals, names.minerals, "mineral")
    stages = present("stages", getattr(change, "stages", None), names.stages, "stage")
    countries = present("countries", change.countries, names.countries, "country")
    groups = present("groups", change.groups, names.groups, "group")
    sites = present("sites", getattr(change, "sites", None), names.sites, "site")
    destinations = None
    if getattr(change, "destinations", None) is not None:
        known = names.countries | set(names.groups)
        if DEFAULT_SITE in names.sites:  # no sites table: the buyer takes delivery at the door
            known.add(DEFAULT_SITE)
        chosen = present("destinations", change.destinations, known, "country or group")
        if chosen is not None:
            destinations = countries_of(names, chosen, chosen) | (chosen & {DEFAULT_SITE})
    if skip:
        return None
    if countries is None and groups is None:
        origins = set(names.countries)
    else:
        origins = countries_of(names, countries or set(), groups or set())
    return Selection(
        minerals if minerals is not None else set(names.minerals),
        stages if stages is not None else set(names.stages),
        origins,
        destinations
        if destinations is not None
        else names.countries | ({DEFAULT_SITE} & set(names.sites)),
        sites if sites is not None else set(names.sites),
    )


def countries_of(names: InstanceNames, countries: set[str], groups: set[str]) -> set[str]:
    chosen = countries & names.countries
    for group in groups:
        chosen |= names.groups.get(group, set())
    return chosen
