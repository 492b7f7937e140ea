"""Render a plan for people (a rich table) and for spreadsheets (CSV tables)."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sourcing.plan import Plan
from sourcing.rounding import tidy_frame
from sourcing.text import print_whole, text_console


def csv_tables(plan: Plan, full: bool = False) -> dict[str, str]:
    """One CSV text per table of the plan: flows, shares, concentration, shortfall, costs, duals.

    Numbers are rounded as in the plan's JSON (:mod:`sourcing.rounding`) unless ``full``."""
    frames: dict[str, pd.DataFrame] = {
        "flows": plan.flows,
        "shares": plan.shares,
        "concentration": plan.concentration,
        "shortfall": plan.shortfall,
        "costs": pd.DataFrame({"component": list(plan.costs), "cost": list(plan.costs.values())}),
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
    for name, value in plan.duals.items():
        if isinstance(value, pd.DataFrame):
            frames[f"duals_{name}"] = value
    if not full:  # money columns, by their kind (sourcing.columns), keep at least cents
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
    _frame(
        console, "Supply by country and stage", plan.shares, {"share": "{:.1%}", "hhi": "{:,.0f}"}
    )
    _frame(console, "Flows", plan.flows, {})
    if len(plan.shortfall):
        _frame(console, "Unmet demand", plan.shortfall, {})
    for name in ("demand", "capacity", "rules"):
        frame = plan.duals.get(name)
        if isinstance(frame, pd.DataFrame) and len(frame):
            _frame(console, f"Duals: {name} ({plan.duals.get('basis', '')})", frame, {})


def _number(value: float) -> str:
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
                cells.append(_number(value))
            else:
                cells.append(escape(str(value)))
        table.add_row(*cells)
    print_whole(console, table)


def bench_table(runs: list, width: int | None = None, color: bool = False) -> str:
    """The ``sourcing bench`` table: one row per run, phases in seconds, peak memory in MB."""
    from sourcing.bench import PHASES

    table = Table(title="sourcing bench", title_justify="left")
    table.add_column("instance", no_wrap=True)
    table.add_column("model", no_wrap=True)
    for column in ("vars", "cons", "status", "objective", "expected"):
        table.add_column(column, justify="right")
    table.add_column("rel err", justify="right")
    for phase in (*PHASES, "total"):
        table.add_column(f"{phase} s", justify="right")
    table.add_column("peak MB", justify="right")
    table.add_column("check")
    for run in runs:
        expected = (
            "infeasible" if run.expected_status == "infeasible" else _number(run.expected_objective)
        )
        table.add_row(
            escape(run.instance + (f" #{run.repeat}" if run.repeat > 1 else "")),
            escape(run.model_name or run.model),
            "" if run.variables is None else f"{run.variables:,}",
            "" if run.constraints is None else f"{run.constraints:,}",
            run.termination_condition,
            "" if run.objective is None else _number(run.objective),
            expected,
            "" if run.relative_error is None else f"{run.relative_error:.1e}",
            *(f"{run.seconds[p]:.2f}" if p in run.seconds else "" for p in (*PHASES, "total")),
            "" if run.peak_memory_mb is None else f"{run.peak_memory_mb:,.0f}",
            "[green]ok[/]" if run.ok else "[red bold]MISMATCH[/]",
        )
    console, buffer = text_console(width or 200, color)
    print_whole(console, table)
    for run in runs:
        if not run.ok:
            console.print(f"{run.instance} ({run.model}): {run.problem}", markup=False)
    return buffer.getvalue().rstrip()
