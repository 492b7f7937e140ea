"""A plan as a workbook: what a planner opens instead of the JSON.

Sheets, in order:
    summary          instance, model, rules applied, status, total cost, cost by component,
                     unmet demand, warnings (and why there is no plan, when there is none)
    flows            material moved on each lane: mineral, stage, from, to, site, quantity, costs
    shares           supply by country and stage: quantity, share of the stage, value, HHI
    concentration    one row per stage: volume, countries used, top country, its share, HHI
    shortfall        demand left unmet (rows only where a penalty allowed it)
    stock            stock by site, mineral and period: opening, in, out, closing (rows only
                     where the instance has stockpiles)
    duals_demand, duals_capacity, duals_rules
                     marginal cost of demand, value of binding capacity, price of binding rules
    infeasible_*     for an infeasible instance: the demand not covered, the binding capacities
                     and the rule rows that must give
    input *          the instance solved (the instance workbook's sheets, prefixed ``input``)
    model, model rules
                     the model, when given

Every number is a number (formatted, never text); headers carry the plan's currency and unit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sourcing.data.schema import Instance, ModelSpec
from sourcing.data.workbook.instance import add_instance_sheets, add_rules_sheet
from sourcing.data.workbook.sheets import AMOUNT, MONEY, PERCENT, WHOLE, Formatted, write_sheet
from sourcing.results.columns import header_of, kind_of
from sourcing.results.plan import Plan
from sourcing.results.rounding import tidy_frame

TABLE_SHEETS = [
    "flows",
    "shares",
    "concentration",
    "shortfall",
    "stock",
    "duals_demand",
    "duals_capacity",
    "duals_rules",
]
PLAN_SHEETS = ["summary", *TABLE_SHEETS]
INPUT_PREFIX = "input "

_FORMAT = {
    "quantity": AMOUNT,
    "price": MONEY,
    "money": MONEY,
    "share": PERCENT,
    "hhi": WHOLE,
    "dual": MONEY,
}


def plan_tables(plan: Plan) -> dict[str, pd.DataFrame]:
    """The plan's tables by sheet name (the same tables as ``--format csv`` writes), rounded as
    :mod:`sourcing.results.rounding` says."""
    tables = {
        "flows": plan.flows,
        "shares": plan.shares,
        "concentration": plan.concentration,
        "shortfall": plan.shortfall,
        "stock": plan.stock,
    }
    for name in ("demand", "capacity", "rules"):
        value = plan.duals.get(name)
        tables[f"duals_{name}"] = value if isinstance(value, pd.DataFrame) else pd.DataFrame()
    for key, value in (plan.infeasibility or {}).items():
        if isinstance(value, list):
            tables[f"infeasible_{key}"] = pd.DataFrame(value)
    return {name: tidy_frame(frame, name) for name, frame in tables.items()}


def write_plan(
    plan: Plan,
    path: str | Path,
    instance: Instance | None = None,
    model: ModelSpec | None = None,
) -> None:
    """Write ``plan`` as a workbook at ``path``; with ``instance`` (and ``model``), echo the
    input it was solved from."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    write_sheet(book, "summary", ["item", "value"], summary_rows(plan))
    for sheet, frame in plan_tables(plan).items():
        _write_frame(book, sheet, frame, plan.currency, plan.unit)
    if instance is not None:
        add_instance_sheets(book, instance, prefix=INPUT_PREFIX)
    if model is not None:
        rows = [["name", model.name], ["description", model.description]]
        for key, value in model.objective.model_dump().items():
            rows.append(["objective" if key == "type" else f"objective {key}", value])
        write_sheet(book, "model", ["key", "value"], rows)
        add_rules_sheet(book, "model rules", model.rules)
    book.save(path)


def summary_rows(plan: Plan) -> list[list[Any]]:
    """The summary sheet: one (item, value) row each; units in the item's name."""
    money = f"({plan.currency})"
    rows: list[list[Any]] = [
        ["instance", plan.instance],
        ["model", plan.model],
        ["rules applied", ", ".join(plan.rules) or "none"],
        ["termination condition", plan.termination_condition.value],
        ["solution status", plan.solution_status.value],
        ["currency", plan.currency],
        ["unit", plan.unit],
        [f"total cost {money}", Formatted(plan.objective, MONEY)],
    ]
    if plan.gap:
        rows.append([f"bound {money}", Formatted(plan.bound, MONEY)])
        rows.append(["gap (%)", Formatted(plan.gap, PERCENT)])
    for component in plan.costs:  # the total is the row "total cost" above
        if component != "total":
            rows.append([f"cost: {component} {money}", Formatted(plan.costs[component], MONEY)])
    for component, amount in plan.public.items():  # not the buyer's: + paid, − received
        rows.append([f"public money: {component} {money}", Formatted(amount, MONEY)])
    if plan.has_solution:
        short = plan.shortfall
        total = float(short["shortfall"].sum()) if len(short) else 0.0
        rows.append([f"unmet demand ({plan.unit})", Formatted(total, AMOUNT)])
        for row in short.to_dict("records"):
            where = f"{row['mineral']} at {row['site']}"
            if "period" in row:
                where += f" in {row['period']}"
            item = f"unmet demand: {where} ({plan.unit})"
            rows.append([item, Formatted(row["shortfall"], AMOUNT)])
    for warning in plan.warnings:
        rows.append(["warning", warning])
    if plan.infeasibility:
        for line in str(plan.infeasibility.get("summary", "")).splitlines():
            rows.append(["why there is no plan", line.strip()])
    return rows


def write_table(frame: pd.DataFrame, path: str | Path, sheet: str) -> None:
    """One analysis table (compare, stress, frontier) as a workbook of one sheet, numbers as
    numbers; the table's metadata (instance, model, currency, warnings) on a second sheet."""
    from openpyxl import Workbook

    currency, unit = frame.attrs.get("currency", ""), frame.attrs.get("unit", "")
    book = Workbook(write_only=True)
    _write_frame(book, sheet, frame, currency, unit)
    about = [
        [key, "; ".join(map(str, value)) if isinstance(value, list) else value]
        for key, value in frame.attrs.items()
        if isinstance(value, (str, int, float, list))
    ]
    write_sheet(book, "about", ["item", "value"], about)
    book.save(path)


def _write_frame(book: Any, sheet: str, frame: pd.DataFrame, currency: str, unit: str) -> None:
    names = [str(c) for c in frame.columns]
    header = [header_of(sheet, c, currency, unit) for c in names]
    formats = [_FORMAT.get(kind_of(sheet, c) or "") for c in names]
    write_sheet(book, sheet, header, frame.itertuples(index=False, name=None), formats)
