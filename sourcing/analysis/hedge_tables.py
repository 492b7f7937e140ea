"""The hedge and the alternatives for people (rich text) and spreadsheets (one sheet per table).

JSON is each result's ``to_dict()``: the hedge's figures, reservations and a plan per scenario;
``{"optimum": <plan>, "alternatives": [<plan>, ...]}`` for the alternatives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from rich.markup import escape

from sourcing.analysis.alternatives import Alternatives
from sourcing.analysis.hedge import Hedge
from sourcing.analysis.tables import _console, _money, _percent, _quantity, _table
from sourcing.data.workbook.sheets import write_sheet
from sourcing.results.columns import header_of


def hedge_text(result: Hedge, color: bool = False) -> str:
    console, buffer = _console(color)
    currency = result.currency
    console.print(
        f"[bold]{escape(result.instance)}[/] under model [bold]{escape(result.model)}[/]: "
        f"hedged plan ({result.status})"
    )
    for label, value in hedge_figures(result):
        shown = "n/a" if value is None else f"{_money(value)} {currency}"
        console.print(f"{label}: {shown}")
    _table(
        console,
        f"Reservations ({result.unit}; fee in {currency})",
        result.reservations,
        {"reserved": _quantity},
    )
    _table(
        console,
        f"Scenarios (second-stage cost in {currency})",
        result.scenarios,
        {"probability": _percent},
    )
    _table(
        console,
        f"Purchases per scenario ({result.unit})",
        result.purchases,
        {"reserved": _quantity, "spot": _quantity},
    )
    return buffer.getvalue().rstrip()


def hedge_figures(result: Hedge) -> list[tuple[str, float | None]]:
    figures: list[tuple[str, float | None]] = [
        ("expected cost (objective)", result.objective),
        ("reservation fees", result.reservation_fees),
    ]
    if result.cvar is not None:
        figures += [("CVaR of the cost", result.cvar), ("minimised", result.minimised)]
    return figures + [
        ("base-only reservations, expected cost", result.expected_cost_of_base_reservations),
        ("VSS (value of the stochastic solution)", result.vss),
        ("perfect foresight, expected cost", result.wait_and_see),
        ("EVPI (expected value of perfect information)", result.evpi),
    ]


def alternatives_text(result: Alternatives, color: bool = False) -> str:
    console, buffer = _console(color)
    plan = result.optimum
    console.print(
        f"[bold]{escape(plan.instance)}[/] under model [bold]{escape(plan.model)}[/]: "
        f"{len(result.alternatives)} alternative(s) within {result.within:.1%} of the optimum"
    )
    _table(
        console,
        f"Plans ({plan.currency}; uses_less: the optimum's share → the alternative's)",
        result.summary(),
        {"over_optimum": lambda v: f"{v:+.2%}"},
    )
    return buffer.getvalue().rstrip()


def alternatives_shares(result: Alternatives) -> pd.DataFrame:
    """Every plan's shares in one table, a ``plan`` column first."""
    parts = [result.optimum.shares.assign(plan="optimum")]
    parts += [
        p.shares.assign(plan=f"alternative {i + 1}") for i, p in enumerate(result.alternatives)
    ]
    frame = pd.concat(parts, ignore_index=True)
    return frame[["plan", *[c for c in frame.columns if c != "plan"]]]


def write_hedge(result: Hedge, path: Path) -> None:
    """summary (the figures), reservations, scenarios, purchases, flows (every scenario)."""
    flows = pd.concat(
        [p.flows.assign(scenario=name) for name, p in result.plans.items()], ignore_index=True
    )
    flows = flows[["scenario", *[c for c in flows.columns if c != "scenario"]]]
    summary: list[list[Any]] = [
        ["instance", result.instance],
        ["model", result.model],
        ["status", result.status],
    ]
    summary += [[label, value] for label, value in hedge_figures(result)]
    summary += [["warning", w] for w in result.warnings]
    _book(
        path,
        summary,
        {
            "reservations": result.reservations,
            "scenarios": result.scenarios,
            "purchases": result.purchases,
            "flows": flows,
        },
        result.currency,
        result.unit,
    )


def write_alternatives(result: Alternatives, path: Path) -> None:
    """summary (one row per plan), shares (every plan's)."""
    summary = result.summary()
    rows: list[list[Any]] = [["within", result.within], *[["warning", w] for w in result.warnings]]
    _book(
        path,
        rows,
        {"plans": summary, "shares": alternatives_shares(result)},
        result.optimum.currency,
        result.optimum.unit,
    )


def _book(
    path: Path, about: list[list[Any]], frames: dict[str, pd.DataFrame], currency: str, unit: str
) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    write_sheet(book, "summary", ["item", "value"], about)
    for sheet, frame in frames.items():
        header = [header_of(sheet, str(c), currency, unit) for c in frame.columns]
        write_sheet(book, sheet, header, frame.itertuples(index=False, name=None))
    book.save(path)
