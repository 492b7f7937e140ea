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

The package: :mod:`~sourcing.scenarios.spec` (what a file may hold),
:mod:`~sourcing.scenarios.calendar` (which periods a change is in force in),
:mod:`~sourcing.scenarios.selection` (which names it selects) and
:mod:`~sourcing.scenarios.changes` (the five changes); loading and applying are here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sourcing.data.io import find_named, names_in, read_document
from sourcing.data.messages import huge_integer, problem_from
from sourcing.data.references import check_instance
from sourcing.data.schema import Instance
from sourcing.errors import InputError, Problem
from sourcing.scenarios.calendar import periods_in_force
from sourcing.scenarios.changes import APPLY, ChangeContext
from sourcing.scenarios.selection import InstanceNames, select
from sourcing.scenarios.spec import (
    CHANGE_TYPES,
    Amount,
    Ban,
    CapacityCut,
    Change,
    ChangeError,
    DemandChange,
    Factor,
    Fraction,
    Names,
    PriceChange,
    Quantity,
    Scenario,
    ScenarioLike,
    ScenariosLike,
    TariffChange,
    When,
    Window,
)

__all__ = [
    "CHANGE_TYPES",
    "SCENARIOS_DIR",
    "Amount",
    "Ban",
    "CapacityCut",
    "Change",
    "ChangeContext",
    "ChangeError",
    "DemandChange",
    "Factor",
    "Fraction",
    "Names",
    "PriceChange",
    "Quantity",
    "Scenario",
    "ScenarioLike",
    "ScenariosLike",
    "TariffChange",
    "When",
    "Window",
    "apply",
    "apply_scenarios",
    "available_scenarios",
    "load_scenario",
]

#: the scenario library, ``scenarios/`` at the root of the repository
SCENARIOS_DIR = Path(__file__).resolve().parent.parent.parent / "scenarios"

#: which periods a change is in force in (the name tests and older code use)
_periods_in_force = periods_in_force


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
    names = InstanceNames.of(instance)
    document: dict[str, Any] = {
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
        selection = select(change, names, where, warnings, absent)
        if selection is None:
            continue
        applied += 1
        periods = periods_in_force(change, instance, where)
        APPLY[change.change](
            ChangeContext(document, instance, names, change, selection, periods, where, warnings)
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
