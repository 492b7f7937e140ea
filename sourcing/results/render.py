"""Render a plan for people (a rich table) and for spreadsheets (CSV tables)."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sourcing.results.plan import Plan
from sourcing.results.rounding import tidy_frame
from sourcing.results.text import print_whole, text_console


def csv_tables(plan: Plan, full: bool = False) -> dict[str, str]:
    """One CSV text per table of the plan: flows, shares, concentration, shortfall, stock, costs,
    duals.

    Numbers are rounded as in the plan's JSON (:mod:`sourcing.results.rounding`) unless ``full``."""
    frames: dict[str, pd.DataFrame] = {
        "flows": plan.flows,
        "shares": plan.shares,
        "concentration": plan.concentration,
        "shortfall": plan.shortfall,
        "stock": plan.stock,
        "costs": pd.DataFrame({"component": list(plan.costs), "cost": list(plan.costs.values())}),
        "public": pd.DataFrame(
            {"component": list(plan.public), "cost": list(plan.public.values())}
        ),
        "summary": pd.DataFrame(
            [
                {
                    "instance": plan.instance,
                    "model": plan.model,
                    "termination_condition": plan.termination_condition.value,
                    "solution_status": plan.solution_status.value,
                    "objective": plan.objective,
                    "bound": plan.bound,
                    "gap": plan.gap,
                    "currency": plan.currency,
                    "unit": plan.unit,
                }
            ]
        ),
    }
    if plan.public:  # money not the buyer's: only where a price rule moved some
        frames["public"] = pd.DataFrame(
            {"component": list(plan.public), "cost": list(plan.public.values())}
        )
    for name, value in plan.duals.items():
        if isinstance(value, pd.DataFrame):
            frames[f"duals_{name}"] = value
    if not full:  # money columns, by their kind (sourcing.results.columns), keep at least cents
        frames = {name: tidy_frame(frame, name) for name, frame in frames.items()}
    return {name: frame.to_csv(index=False) for name, frame in frames.items()}


def table_text(plan: Plan, color: bool = False) -> str:
    console, buffer = text_console(120, color)
    _print(console, plan)
    return buffer.getvalue().rstrip()


def _money(value: float | None, currency: str) -> str:
    return "-" if value is None else f"{value:,.2f} {currency}"


def _print(console: Console, plan: Plan) -> None:
    console.print(
        f"[bold]{escape(plan.instance)}[/] under model [bold]{escape(plan.model)}[/]"
        + (f" (rules: {escape(', '.join(plan.rules))})" if plan.rules else "")
    )
    console.print(
        f"termination: {plan.termination_condition.value}; solution: {plan.solution_status.value}"
    )
    if plan.infeasibility:
        console.print("[red bold]No plan meets every rule and demand.[/]")
        console.print(plan.infeasibility["summary"], markup=False, highlight=False)
        return
    if not plan.has_solution:
        console.print("No plan was found within the limits.")
        return
    gap = "" if not plan.gap else f" (bound {plan.bound:,.2f}, gap {plan.gap:.2%})"
    console.print(f"total cost: [bold]{_money(plan.objective, plan.currency)}[/]{gap}")

    costs = Table(title="Cost by component", title_justify="left")
    costs.add_column("component")
    costs.add_column(plan.currency, justify="right")
    for name, value in plan.costs.items():
        if value or name == "total":
            costs.add_row(name, f"{value:,.2f}")
    print_whole(console, costs)
    if plan.public:
        public = Table(title="Public money (+ paid, − received)", title_justify="left")
        public.add_column("component")
        public.add_column(plan.currency, justify="right")
        for name, value in plan.public.items():
            public.add_row(name, f"{value:,.2f}")
        print_whole(console, public)
    _frame(
        console, "Supply by country and stage", plan.shares, {"share": "{:.1%}", "hhi": "{:,.0f}"}
    )
    _frame(console, "Flows", plan.flows, {})
    if len(plan.shortfall):
        _frame(console, "Unmet demand", plan.shortfall, {})
    if len(plan.stock):
        _frame(console, "Stock", plan.stock, {})
    for name in ("demand", "capacity", "rules"):
        frame = plan.duals.get(name)
        if isinstance(frame, pd.DataFrame) and len(frame):
            _frame(console, f"Duals: {name} ({plan.duals.get('basis', '')})", frame, {})


def number_text(value: float) -> str:
    """Whole numbers with thousands separators, large ones to the cent, small ones to 6 digits."""
    if abs(value - round(value)) <= 1e-9 * max(1.0, abs(value)) and abs(value) < 1e15:
        return f"{value:,.0f}"
    if abs(value) >= 1000:
        return f"{value:,.2f}"
    return f"{value:.6g}"


def _frame(console: Console, title: str, frame: pd.DataFrame, formats: dict[str, str]) -> None:
    if frame.empty:
        return
    table = Table(title=escape(title), title_justify="left")
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            if value is None or (isinstance(value, float) and pd.isna(value)):
                cells.append("")
            elif column in formats:
                cells.append(formats[column].format(value))
            elif isinstance(value, float):
                cells.append(number_text(value))
            else:
                cells.append(escape(str(value)))
        table.add_row(*cells)
    print_whole(console, table)
