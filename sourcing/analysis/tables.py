"""The analysis tables for people (rich text), for programs (JSON) and spreadsheets (CSV).

JSON is ``{"instance": ..., <the table's other attributes>, "rows": [one object per row]}``;
CSV is the table itself, one row per row. Empty cells are ``null`` / blank.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sourcing.results.text import print_whole, text_console


def to_json(frame: pd.DataFrame) -> str:
    document = {k: _plain(v) for k, v in frame.attrs.items()}
    document["rows"] = [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
    return json.dumps(document, indent=2, allow_nan=False)


def to_csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False)


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def compare_text(frame: pd.DataFrame, color: bool = False) -> str:
    """Costs per row, then concentration by stage with one column per row."""
    currency = frame.attrs.get("currency", "")
    console, buffer = _console(color)
    console.print(f"[bold]{escape(str(frame.attrs.get('instance', '')))}[/]: models compared")
    costs = [c for c in frame.columns if not c.startswith(("max_share ", "hhi "))]
    _table(
        console,
        f"Cost ({currency})",
        frame[costs],
        {"change_pct": _percent_signed, "change": _money_signed, "shortfall": _quantity},
    )
    stages = list(dict.fromkeys(c.split(" ", 1)[1] for c in frame.columns if c.startswith("hhi ")))
    if stages:
        table = Table(title="Largest country share and HHI by stage", title_justify="left")
        table.add_column("stage")
        labels = [f"{r.model} / {r.scenario}" for r in frame.itertuples()]
        for label in labels:
            table.add_column(escape(label), justify="right")
        for stage in stages:
            cells = []
            for share, hhi in zip(frame[f"max_share {stage}"], frame[f"hhi {stage}"], strict=True):
                cells.append("" if pd.isna(share) else f"{share:.1%} / {hhi:,.0f}")
            table.add_row(escape(stage), *cells)
        print_whole(console, table)
    return buffer.getvalue().rstrip()


def stress_text(frame: pd.DataFrame, color: bool = False) -> str:
    attrs = frame.attrs
    console, buffer = _console(color)
    console.print(
        f"[bold]{escape(str(attrs.get('instance', '')))}[/] under model "
        f"[bold]{escape(str(attrs.get('model', '')))}[/]: N-1 stress ({attrs.get('by')}), "
        f"base cost {attrs.get('base_cost', 0):,.2f} {attrs.get('currency', '')}"
    )
    _table(
        console,
        "Lost supplier countries, worst first",
        frame,
        {
            "value_share": _percent,
            "extra_cost_pct": _percent_signed,
            "extra_cost": _money_signed,
            "unmet_demand": _quantity,
        },
    )
    return buffer.getvalue().rstrip()


def frontier_text(frame: pd.DataFrame, color: bool = False) -> str:
    attrs = frame.attrs
    console, buffer = _console(color)
    console.print(
        f"[bold]{escape(str(attrs.get('instance', '')))}[/] under model "
        f"[bold]{escape(str(attrs.get('model', '')))}[/]: cost of tightening "
        f"{escape(str(attrs.get('rule', '')))}"
    )
    _table(
        console,
        f"Frontier ({attrs.get('currency', '')}; shadow price per percentage point of share)",
        frame,
        {
            "share": _percent,
            "max_share": _percent,
            "change_pct": _percent_signed,
            "change": _money_signed,
            "hhi": lambda v: f"{v:,.0f}",
            "hhi_mean": lambda v: f"{v:,.0f}",
        },
    )
    return buffer.getvalue().rstrip()


def _console(color: bool) -> tuple[Console, io.StringIO]:
    return text_console(160, color)


def _table(console: Console, title: str, frame: pd.DataFrame, formats: dict[str, Any]) -> None:
    table = Table(title=escape(title), title_justify="left")
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(escape(str(column)), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                cells.append("")
            elif column in formats:
                cells.append(formats[column](value))
            elif isinstance(value, (float, np.floating)):
                cells.append(_money(float(value)))
            else:
                cells.append(escape(str(value)))
        table.add_row(*cells)
    print_whole(console, table)


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _money_signed(value: float) -> str:
    return f"{value:+,.2f}"


def _quantity(value: float) -> str:
    return f"{value:,.6g}"


def _percent(value: float) -> str:
    return f"{value:.1%}"


def _percent_signed(value: float) -> str:
    return f"{value:+.2%}"
