"""The report's section on near-optimal alternatives (``sourcing report --alternatives N``)."""

from __future__ import annotations

import html

import pandas as pd

from sourcing.analysis.alternatives import Alternatives
from sourcing.report.page import Page, table


def alternatives_section(page: Page, found: Alternatives) -> None:
    """One row per plan (cost, over the optimum, the countries it uses less), then each
    country's share of each stage in every plan side by side."""
    plan = found.optimum
    currency, unit = plan.currency, plan.unit
    page.heading("Alternatives", anchor="alternatives")
    page.note(
        f"Plans at most {found.within:.1%} dearer than the optimum that use other countries at "
        "each stage (modelling to generate alternatives: each minimises the shares the plans "
        "before it gave; see sourcing/analysis/alternatives.py). uses_less: the optimum's share "
        "→ the alternative's."
    )
    for warning in found.warnings:
        page.add(f'<p class="warning">warning: {html.escape(warning)}</p>')
    page.add(table(found.summary(), "alternatives", currency, unit))
    page.heading("Country shares per stage, plan by plan", level=3)
    page.add(table(side_by_side(found), "shares", currency, unit))


def side_by_side(found: Alternatives) -> pd.DataFrame:
    """mineral, stage, country, then one share column per plan (0 where a plan does not use it)."""
    plans = [("optimum", found.optimum)] + [
        (f"alternative {i + 1}", p) for i, p in enumerate(found.alternatives)
    ]
    key = [c for c in ("mineral", "period", "stage", "country") if c in found.optimum.shares]
    frames = [p.shares[[*key, "share"]].rename(columns={"share": name}) for name, p in plans]
    merged = frames[0]
    for frame in frames[1:]:
        merged = merged.merge(frame, how="outer", on=key)
    names = [name for name, _ in plans]
    merged[names] = merged[names].fillna(0.0)
    return merged.sort_values(key, ignore_index=True)
