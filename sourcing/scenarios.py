"""Scenarios: dated changes to an instance's data (capacity cuts, bans, prices, tariffs, demand).

A scenario never changes the formulation, only the data: it is a pure function

    Instance ──apply──▶ Instance'

run after loading and before indexing, so everything downstream (rules, duals, explanations)
sees an ordinary instance. Several scenarios combine in order; so do a scenario's changes.

A scenario file (YAML, see ``scenarios/`` for the dated library) holds::

    name: cn-gallium-germanium-2023
    description: ...
    source: MOFCOM/GAC Announcement No. 23 of 2023        # where the measure is published
    date: 2023-08-01                                       # when it took effect
    changes:
      - change: capacity            # capacity | ban | price | tariff | demand
        minerals: [gallium, germanium]
        countries: [CHN]            # and/or groups: [FEOC]
        cut: 0.5                    # capacity × (1 − cut)
        from: 2023-08-01            # optional: in force from ... until ... (not inclusive)
        suspended: [{from: 2025-11-09, until: 2026-11-27}]

What each change does (selectors default to everything; ``countries``/``groups`` select the
offer's country, the lane's origin, or the demand site's country):

    capacity   minerals, stages, countries   capacity × (1 − cut); a cut of 1 closes the offer
    ban        minerals, countries (origin), destinations (default: every other country):
               closes every lane of those minerals from an origin to a destination; lanes
               within a country stay open
    price      minerals, stages, countries   price × factor + add
    tariff     minerals, countries (origin), destinations: sets rate and/or per_unit
    demand     minerals, sites, countries    quantity × factor

Dates. ``from``/``until`` are dates (``2023-08-01``, ``2023-08``, ``2023-Q3``, ``2023``) or names
of the instance's periods; a change is in force on [from, until) minus its ``suspended``
windows. A period is changed when any part of it is in force (a period is a date when its name
is one: ``2025``, ``2025-03``, ``2025-Q2``, ``2025-03-15``). An instance without periods is one
undated plan, and every change applies: the scenario asks "what if this measure hits us".
Supply and demand rows are split per period when a change hits only some periods; transport
and tariff tables have no period, so a ban or tariff change must be in force in all of an
instance's periods or none.

Names. Scenarios in the library are generic: a mineral, stage, country, group or site the
instance does not have is skipped with a warning, and a change left with nothing to select does
nothing. A scenario of which no change names anything the instance has is an error.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sourcing.errors import InputError, Problem
from sourcing.io import find_named, names_in, read_document
from sourcing.messages import huge_integer, problem_from
from sourcing.numeric import PlainNumber
from sourcing.references import check_instance, groups_of
from sourcing.rules.spec import selects_something
from sourcing.schema import DEFAULT_SITE, LARGEST, Instance, Rate

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"

Fraction = Annotated[float, PlainNumber, Field(ge=0, le=1, allow_inf_nan=False)]
Factor = Annotated[float, PlainNumber, Field(ge=0, le=1e6, allow_inf_nan=False)]
Amount = Annotated[float, PlainNumber, Field(ge=-LARGEST, le=LARGEST, allow_inf_nan=False)]
Quantity = Annotated[float, PlainNumber, Field(ge=0, le=LARGEST, allow_inf_nan=False)]
When = dt.date | str
Names = list[str] | None


class ChangeError(ValueError):
    """Parameters of a change that contradict each other; ``field`` names the one to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class Window(BaseModel):
    """[from, until): dates or period names; either end may be open."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, coerce_numbers_to_str=True, allow_inf_nan=False
    )
    start: When | None = Field(default=None, alias="from", description="In force from (inclusive).")
    until: When | None = Field(default=None, description="In force until (not inclusive).")


class _Change(Window):
    minerals: Names = Field(default=None, description="Minerals it applies to; absent: all.")
    countries: Names = Field(default=None, description="Countries it applies to.")
    groups: Names = Field(default=None, description="Country groups it applies to.")
    suspended: list[Window] = Field(
        default_factory=list, description="Windows in which the measure is suspended."
    )
    note: str = Field(default="", description="What the change stands for, and its source.")

    _not_empty = field_validator(
        "minerals", "countries", "groups", "stages", "destinations", "sites", check_fields=False
    )(selects_something)


class CapacityCut(_Change):
    """Capacity × (1 − cut) for the selected offers; a cut of 1 closes them."""

    change: Literal["capacity"]
    stages: Names = None
    cut: Fraction


class Ban(_Change):
    """No lane of the selected minerals from an origin (countries/groups) to a destination."""

    change: Literal["ban"]
    destinations: Names = Field(
        default=None, description="Destination countries or groups; absent: every other country."
    )

    @model_validator(mode="after")
    def _origin(self) -> Ban:
        if self.countries is None and self.groups is None:
            raise ChangeError("countries", "a ban needs 'countries' and/or 'groups' (the origin)")
        return self


class PriceChange(_Change):
    """Price × factor + add for the selected offers."""

    change: Literal["price"]
    stages: Names = None
    factor: Factor = 1.0
    add: Amount = 0.0


class TariffChange(_Change):
    """Sets the tariff on lanes from origins (countries/groups) to ``destinations``."""

    change: Literal["tariff"]
    destinations: Names = Field(
        default=None, description="Destination countries or groups; absent: every other country."
    )
    rate: Rate | None = None  # a fraction of the price, at most schema.MAX_RATE
    per_unit: Quantity | None = None

    @model_validator(mode="after")
    def _something(self) -> TariffChange:
        if self.rate is None and self.per_unit is None:
            raise ChangeError("rate", "a tariff change needs 'rate' and/or 'per_unit'")
        return self


class DemandChange(_Change):
    """Demand × factor at the selected sites (by name, or by the site's country/group)."""

    change: Literal["demand"]
    sites: Names = None
    factor: Factor


Change = Annotated[
    CapacityCut | Ban | PriceChange | TariffChange | DemandChange, Field(discriminator="change")
]
CHANGE_TYPES: dict[str, type[BaseModel]] = {
    "capacity": CapacityCut,
    "ban": Ban,
    "price": PriceChange,
    "tariff": TariffChange,
    "demand": DemandChange,
}


class Scenario(BaseModel):
    """A named set of dated changes to the data, with where the measure comes from."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, allow_inf_nan=False)

    name: str = ""
    description: str = ""
    source: str = Field(default="", description="Where the measure is published.")
    date: dt.date | None = Field(default=None, description="When the measure took effect.")
    changes: list[Change] = Field(min_length=1)


ScenarioLike = str | Path | dict[str, Any] | Scenario
ScenariosLike = ScenarioLike | Sequence[ScenarioLike] | None


# -- loading --------------------------------------------------------------------------------


def available_scenarios() -> list[str]:
    return names_in(SCENARIOS_DIR)


def load_scenario(source: ScenarioLike) -> Scenario:
    """A scenario by name (a file under ``scenarios/``), by path, or as a mapping."""
    if isinstance(source, Scenario):
        return source
    if isinstance(source, dict):
        document, label = source, f"scenario {source.get('name') or '(mapping)'}"
    else:
        path = find_named(str(source), SCENARIOS_DIR, "scenario", "library")
        label = f"scenario {path.name}"
        document = read_document(path, label)
        document.setdefault("name", path.stem)
    try:
        return Scenario.model_validate(document)
    except ValidationError as error:
        raise InputError([_problem(label, e) for e in error.errors()]) from None
    except ValueError:  # an integer too long to become a name: see messages.huge_integer
        raise InputError([huge_integer(label, document)]) from None


def _problem(label: str, error: Any) -> Problem:
    """A pydantic error located as 'scenario FILE changes, row N, field F'."""
    loc = list(error["loc"])
    if len(loc) >= 2 and loc[0] == "changes" and isinstance(loc[1], int):
        row, loc = loc[1] + 1, loc[2:]
        kind = loc[0] if loc and loc[0] in CHANGE_TYPES else None
        loc = loc[1:] if kind else loc
        table = f"{label} changes"
        fields = list(CHANGE_TYPES[kind].model_fields) if kind is not None else []
        allowed = ["change"] + [f for f in fields if f != "change"] if kind else []
    else:
        row, table, allowed = None, label, list(Scenario.model_fields)
    if error["type"] == "extra_forbidden":
        start_key = Window.model_fields["start"].alias or "start"
        allowed = [start_key if a == "start" else a for a in allowed]
        field = ".".join(str(x) for x in loc) or None
        return Problem(table, row, field, f"unknown key (allowed: {', '.join(allowed)})")
    if error["type"] == "union_tag_invalid":
        return Problem(table, row, "change", f"unknown change (one of: {', '.join(CHANGE_TYPES)})")
    # the planner's wording of the error, located here (not by the instance's table names)
    found = problem_from(table, {**error, "loc": ()})
    cause = (error.get("ctx") or {}).get("error")
    field_of_cause = getattr(cause, "field", None)
    loc += [field_of_cause] if field_of_cause else []
    field = ".".join(str(x) for x in loc) if loc else found.field
    return Problem(table, row, field, found.message)


# -- applying -------------------------------------------------------------------------------


@dataclass
class _Names:
    """The names an instance has, to check a change's selectors against."""

    minerals: set[str]
    stages: set[str]
    countries: set[str]
    groups: dict[str, set[str]]  # group -> its countries
    sites: dict[str, str]  # site -> its country

    @classmethod
    def of(cls, instance: Instance) -> _Names:
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


def apply_scenarios(instance: Instance, scenarios: ScenariosLike) -> tuple[Instance, list[Problem]]:
    """``instance`` with every scenario applied in order, and the warnings (names skipped).

    The instance is renamed ``name [s1 + s2]`` so plans say which scenarios they answer.
    """
    chosen = _as_list(scenarios)
    if not chosen:
        return instance, []
    warnings: list[Problem] = []
    names = []
    for source in chosen:
        scenario = load_scenario(source)
        instance, found = apply(instance, scenario)
        warnings += found
        names.append(scenario.name or "scenario")
    renamed = instance.model_copy(update={"name": f"{instance.name} [{' + '.join(names)}]"})
    return renamed, warnings


def _as_list(scenarios: ScenariosLike) -> list[ScenarioLike]:
    if scenarios is None:
        return []
    if isinstance(scenarios, (str, Path, dict, Scenario)):
        return [scenarios]
    return list(scenarios)


def apply(instance: Instance, scenario: Scenario) -> tuple[Instance, list[Problem]]:
    """Apply one scenario's changes in order; return the new instance and the warnings."""
    table = f"scenario {scenario.name or '(unnamed)'}"
    names = _Names.of(instance)
    document = {
        "supply": [dict(r) for r in instance.supply],
        "demand": [dict(r) for r in instance.demand],
        "transport": [dict(r) for r in instance.transport],
        "tariffs": [dict(r) for r in instance.tariffs],
        "transport_default": instance.transport_default,
    }
    warnings: list[Problem] = []
    absent: list[str] = []
    applied = 0
    for row, change in enumerate(scenario.changes, 1):
        where = (f"{table} changes", row)
        selection = _select(change, names, where, warnings, absent)
        if selection is None:
            continue
        applied += 1
        periods = _periods_in_force(change, instance, where)
        _APPLY[change.change](
            document, instance, names, change, selection, periods, where, warnings
        )
    if applied == 0:
        raise InputError(
            [
                Problem(
                    table,
                    None,
                    None,
                    f"changes nothing in instance '{instance.name}', which has none of the "
                    + "; none of the ".join(absent),
                )
            ]
        )
    return _revalidate(instance, document, table), warnings


@dataclass
class _Selection:
    minerals: set[str]
    stages: set[str]
    origins: set[str]  # countries selected by countries/groups
    destinations: set[str]
    sites: set[str]


def _select(
    change: Any,
    names: _Names,
    where: tuple[str, int],
    warnings: list[Problem],
    absent: list[str],
) -> _Selection | None:
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
            destinations = _countries(names, chosen, chosen) | (chosen & {DEFAULT_SITE})
    if skip:
        return None
    if countries is None and groups is None:
        origins = set(names.countries)
    else:
        origins = _countries(names, countries or set(), groups or set())
    return _Selection(
        minerals if minerals is not None else set(names.minerals),
        stages if stages is not None else set(names.stages),
        origins,
        destinations
        if destinations is not None
        else names.countries | ({DEFAULT_SITE} & set(names.sites)),
        sites if sites is not None else set(names.sites),
    )


def _countries(names: _Names, countries: set[str], groups: set[str]) -> set[str]:
    chosen = countries & names.countries
    for group in groups:
        chosen |= names.groups.get(group, set())
    return chosen


# -- dates and periods ----------------------------------------------------------------------

_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


def _interval(name: str) -> tuple[dt.date, dt.date] | None:
    """The dates a period name stands for, [start, end); ``None`` if it is not a date."""
    try:
        if m := _YEAR.match(name):
            year = int(m[1])
            return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
        if m := _MONTH.match(name):
            start = dt.date(int(m[1]), int(m[2]), 1)
            return start, _add_months(start, 1)
        if m := _QUARTER.match(name):
            start = dt.date(int(m[1]), 3 * int(m[2]) - 2, 1)
            return start, _add_months(start, 3)
        day = dt.date.fromisoformat(name)
        return day, day + dt.timedelta(days=1)
    except ValueError:
        return None


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def _periods_in_force(change: Any, instance: Instance, where: tuple[str, int]) -> set[str] | None:
    """The instance's periods in which ``change`` is in force; ``None``: every period."""
    periods = list(instance.periods or [])
    windows = [change, *change.suspended]
    if not periods or all(w.start is None and w.until is None for w in windows):
        return None
    table, row = where
    position = {p: i for i, p in enumerate(periods)}

    def point(value: When | None, field: str, open_end: float) -> float:
        """A bound as a position on the line of periods, or as a date's ordinal."""
        if value is None:
            return open_end
        if isinstance(value, dt.date):
            return float(value.toordinal())
        if value in position and not by_date:
            return float(position[value])
        found = _interval(value)
        if found is None:
            raise InputError(
                [
                    Problem(
                        table,
                        row,
                        field,
                        f"'{value}' is neither a date (2025, 2025-03, 2025-Q2, 2025-03-15) nor a "
                        f"period of the instance ({', '.join(periods)})",
                    )
                ]
            )
        return float(found[0].toordinal())

    def dated(value: When | None, field: str) -> bool:
        if value is None or (isinstance(value, str) and value in position):
            return False
        point(value, field, 0.0)  # a date, or an error naming the field
        return True

    by_date = False
    fields = [("from", "until")] + [("suspended", "suspended")] * len(change.suspended)
    by_date = any(
        dated(w.start, first) or dated(w.until, second)
        for w, (first, second) in zip(windows, fields, strict=True)
    )
    spans = {}
    for i, p in enumerate(periods):
        if by_date:
            found = _interval(p)
            if found is None:
                raise InputError(
                    [
                        Problem(
                            table,
                            row,
                            "from",
                            f"the change is dated but period '{p}' is not a date "
                            "(2025, 2025-03, 2025-Q2, 2025-03-15): name periods in "
                            "'from'/'until' instead",
                        )
                    ]
                )
            spans[p] = (float(found[0].toordinal()), float(found[1].toordinal()))
        else:
            spans[p] = (float(i), float(i + 1))
    start = point(change.start, "from", float("-inf"))
    until = point(change.until, "until", float("inf"))
    pauses = [
        (point(w.start, "suspended", float("-inf")), point(w.until, "suspended", float("inf")))
        for w in change.suspended
    ]
    chosen = set()
    for p, (lo, hi) in spans.items():
        lo, hi = max(lo, start), min(hi, until)
        if lo < hi and not any(a <= lo and hi <= b for a, b in pauses):
            chosen.add(p)
    return chosen


# -- the changes ----------------------------------------------------------------------------


def _rows_in_force(
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


def _offer_matches(selection: _Selection) -> Any:
    def matches(row: dict[str, Any]) -> bool:
        return (
            row["mineral"] in selection.minerals
            and row["stage"] in selection.stages
            and row["country"] in selection.origins
        )

    return matches


def _capacity(
    document, instance, names, change: CapacityCut, selection, periods, where, warnings
) -> None:
    rows, hit = _rows_in_force(
        document["supply"], _offer_matches(selection), periods, list(instance.periods or [])
    )
    table, number = where
    for i in hit:
        row = dict(rows[i])
        if "capacity" in row:
            row["capacity"] = row["capacity"] * (1 - change.cut)
        elif change.cut >= 1:
            row["capacity"] = 0.0
        elif change.cut > 0:
            warnings.append(
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


def _price(
    document, instance, names, change: PriceChange, selection, periods, where, warnings
) -> None:
    rows, hit = _rows_in_force(
        document["supply"], _offer_matches(selection), periods, list(instance.periods or [])
    )
    table, number = where
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


def _demand(
    document, instance, names, change: DemandChange, selection, periods, where, warnings
) -> None:
    by_place = change.countries is not None or change.groups is not None

    def matches(row: dict[str, Any]) -> bool:
        site = row.get("site", DEFAULT_SITE)
        return (
            row["mineral"] in selection.minerals
            and site in selection.sites
            and (not by_place or names.sites.get(site) in selection.origins)
        )

    rows, hit = _rows_in_force(document["demand"], matches, periods, list(instance.periods or []))
    table, number = where
    for i in hit:
        quantity = rows[i]["quantity"] * change.factor
        if quantity > LARGEST:
            raise InputError(
                [Problem(table, number, "factor", f"makes a demand {quantity:g} > {LARGEST:g}")]
            )
        rows[i] = {**rows[i], "quantity": quantity}
    document["demand"] = rows


def _in_every_period(
    instance: Instance, periods: set[str] | None, where: tuple[str, int], what: str
) -> bool:
    """Lane tables have no period: such a change applies in all periods or none."""
    if periods is None or len(periods) == len(instance.periods or []):
        return True
    if not periods:
        return False
    table, row = where
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


def _ban(document, instance, names, change: Ban, selection, periods, where, warnings) -> None:
    """Close lanes (origin, destination, mineral) in the transport table.

    A lane between two countries is open when ``transport`` lists it (a mineral-specific row
    wins over a general one) or ``transport_default`` is set. To close one mineral's lanes:
    the default becomes explicit rows (every other lane keeps its cost), a general row of a
    banned pair becomes one row per mineral that is not banned, and the banned minerals' rows
    go. Lanes within a country (and to the default site) are domestic and stay open.
    """
    if not _in_every_period(instance, periods, where, "ban"):
        return
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


def _tariff(
    document, instance, names, change: TariffChange, selection, periods, where, warnings
) -> None:
    """Set the tariff of each selected (mineral, origin, destination): a mineral-specific row
    with the given ``rate``/``per_unit``; a field not given keeps the value in force."""
    if not _in_every_period(instance, periods, where, "tariff change"):
        return
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


#: each change's applier; each takes its own kind of change, hence the loose signature
_APPLY: dict[str, Callable[..., None]] = {
    "capacity": _capacity,
    "ban": _ban,
    "price": _price,
    "tariff": _tariff,
    "demand": _demand,
}


def _revalidate(instance: Instance, document: dict[str, Any], table: str) -> Instance:
    """The changed instance, checked as any loaded instance is (a safety net: every change
    keeps the data valid by construction)."""
    changed = instance.model_dump(exclude={"rules"}) | document
    try:
        result = Instance.model_validate({**changed, "rules": instance.rules})
    except ValidationError as error:  # pragma: no cover - each change keeps the data valid
        raise InputError([problem_from(table, e) for e in error.errors()]) from None
    problems = check_instance(result)
    if problems:  # pragma: no cover - as above
        raise InputError(problems)
    result._header_rows = instance._header_rows  # rows still numbered as the planner's file
    return result
