"""The plan as one self-contained HTML report, for planners who read slides, not JSON.

Sections: headline figures; cost by component; per mineral, a Sankey diagram of the flows from
the first stage's countries through each processing stage to the buyer's sites, and bar charts
of each country's share of every stage with the cap of the ``max_country_share`` rules drawn on
them; the binding rules and their prices (the plan's duals); unmet demand; then any comparison
tables, a frontier (a table and a plot) and near-optimal alternatives given by the caller.

Charts are plotly figures drawn by plotly.js, which the file carries (about 4.8 MB, once):
interactive (hover shows each flow's quantity and unit cost), laid out by a maintained Sankey
implementation, and nothing is fetched when the file is opened, so it works offline and by
e-mail. Hand-drawn SVG would be smaller but would re-implement Sankey layout.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import pandas as pd

from sourcing.data.schema import Instance, ModelSpec
from sourcing.report import charts
from sourcing.report.page import Page, cards, table
from sourcing.results.plan import Plan

__all__ = ["render_report", "write_report"]


def render_report(
    plan: Plan,
    instance: Instance,
    model: ModelSpec | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    frontier: pd.DataFrame | None = None,
    alternatives: Any = None,
) -> str:
    """The report's HTML for ``plan``, solved from ``instance`` under ``model``.

    ``tables``: further tables by title (e.g. a comparison of models), shown as they are.
    ``frontier``: one row per point of a sweep, with ``share`` (or ``cap``, ``point``), ``cost`` and
    optionally ``hhi`` and ``shadow_price``: shown as a table and a plot.
    ``alternatives``: a :class:`sourcing.analysis.alternatives.Alternatives`: its plans' costs and
    shares side by side (:mod:`sourcing.report.alternatives`).
    """
    title = f"{plan.instance} under {plan.model}"
    page = Page(f"Sourcing plan: {title}")
    page.heading(f"Sourcing plan: {title}", level=1)
    rules = ", ".join(plan.rules) or "none (least cost)"
    page.add(f'<p class="lead">Rules applied: {html.escape(rules)}.</p>')
    page.add(cards(_headline(plan)))
    for warning in plan.warnings:
        page.add(f'<p class="warning">warning: {html.escape(warning)}</p>')
    currency, unit = plan.currency, plan.unit
    if plan.infeasibility:
        page.heading("Why there is no plan", anchor="infeasible")
        page.add(f'<pre class="why">{html.escape(plan.infeasibility.get("summary", ""))}</pre>')
        for key, rows in plan.infeasibility.items():
            if isinstance(rows, list) and rows:
                page.heading(key.replace("_", " "), level=3)
                page.add(table(pd.DataFrame(rows), f"infeasible_{key}", currency, unit))
    elif plan.has_solution:
        _plan_sections(page, plan, instance, model)
    for name, frame in (tables or {}).items():
        page.heading(name, anchor=f"table-{_slug(name)}")
        page.add(table(frame, name, currency, unit))
    if frontier is not None and not frontier.empty:
        page.heading("Frontier", anchor="frontier")
        page.chart(charts.frontier(frontier, currency), "frontier")
        page.add(table(frontier, "frontier", currency, unit))
    if alternatives is not None:
        from sourcing.report.alternatives import alternatives_section

        alternatives_section(page, alternatives)
    return page.html()


def write_report(path: str | Path, plan: Plan, instance: Instance, **options) -> Path:
    """Write :func:`render_report` to ``path``; return the path."""
    path = Path(path)
    path.write_text(render_report(plan, instance, **options), encoding="utf-8")
    return path


def _by_mineral(frame: pd.DataFrame, keys: list[str]):
    """(mineral, title label, chart attributes, rows) per mineral, and per period when any."""
    for key, rows in frame.groupby(keys, sort=True):
        mineral, period = key[0], key[1] if len(keys) > 1 else None
        label = mineral if period is None else f"{mineral}, {period}"
        extra = {"mineral": mineral} | ({"period": period} if period is not None else {})
        yield mineral, label, extra, rows


def _plan_sections(page: Page, plan: Plan, instance: Instance, model: ModelSpec | None) -> None:
    currency, unit = plan.currency, plan.unit
    page.heading("Cost by component", anchor="costs")
    costs = pd.DataFrame(
        [{"component": k, "cost": v} for k, v in plan.costs.items() if v or k == "total"]
    )
    page.add(table(costs, "costs", currency, unit))
    if plan.public:
        page.heading("Public money", level=3)
        page.note(
            "Not the buyer's and not minimised: the public share of price-floor top-ups (+ paid) "
            "and clawbacks (− received), reference tariffs collected (− received)."
        )
        public = pd.DataFrame([{"component": k, "cost": v} for k, v in plan.public.items()])
        page.add(table(public, "costs", currency, unit))

    units = {m["mineral"]: m.get("unit") or unit for m in instance.minerals}
    everyone = list(plan.shares["country"]) + list(plan.flows.get("from_country", []))
    colour = charts.colours([str(c) for c in everyone])
    caps = charts.caps(instance, model)
    sites = charts.site_countries(instance)
    keys = ["mineral", "period"] if "period" in plan.flows else ["mineral"]

    page.heading("Flows", anchor="flows")
    page.note(
        "From the countries of the first stage through each processing country to the buyer's "
        "sites; a link's width is the quantity moved (in the units of the stage it leaves)."
    )
    for mineral, label, extra, flows in _by_mineral(plan.flows, keys):
        figure = charts.sankey(
            flows,
            list(instance.stages),
            units.get(mineral, unit),
            currency,
            sites,
            colour,
            f"{label}: flows ({units.get(mineral, unit)})",
        )
        page.chart(figure, "sankey", **extra)

    page.heading("Country shares per stage", anchor="shares")
    page.note(
        "Each country's share of the buyer's volume at each stage; the dashed line is the cap "
        "of the model's max_country_share rules; pale bars are countries it does not cap."
    )
    for mineral, label, extra, frame in _by_mineral(plan.shares, keys):
        caps_of = {s: caps[(mineral, s)] for s in instance.stages if (mineral, s) in caps}
        figure = charts.shares(frame, list(instance.stages), caps_of, colour, f"{label}: shares")
        page.chart(figure, "shares", **extra)
    page.heading("Concentration by stage", level=3)
    page.add(table(plan.concentration, "concentration", currency, unit))

    page.heading("Binding rules and their prices", anchor="rules")
    page.note(
        "price: what loosening the rule's row by one unit would save (the row's dual). "
        + str(plan.duals.get("basis", ""))
    )
    page.add(table(plan.duals.get("rules", pd.DataFrame()), "duals_rules", currency, unit))
    page.heading("Marginal cost of demand", level=3)
    page.add(table(plan.duals.get("demand", pd.DataFrame()), "duals_demand", currency, unit))
    page.heading("Binding capacity and its value", level=3)
    page.add(table(plan.duals.get("capacity", pd.DataFrame()), "duals_capacity", currency, unit))
    if len(plan.shortfall):
        page.heading("Unmet demand", anchor="shortfall")
        page.add(table(plan.shortfall, "shortfall", currency, unit))
    if len(plan.stock):
        page.heading("Stock over time", anchor="stock")
        page.note(
            "Closing stock of each stockpile at the end of each period; in: delivered beyond the "
            "demand met, out: drawn from stock to meet demand."
        )
        page.chart(charts.stock(plan.stock, unit), "stock")
        page.add(table(plan.stock, "stock", currency, unit))


def _headline(plan: Plan) -> list[tuple[str, str, str]]:
    stopped = f"solver stopped: {plan.termination_condition.value}"
    items = [("solution", plan.solution_status.value, stopped)]
    if plan.objective is not None and plan.has_solution:
        gap = f"gap {plan.gap:.2%}" if plan.gap else "proven optimal" if plan.gap == 0 else ""
        items.append(("total cost", f"{plan.objective:,.0f} {plan.currency}", gap))
    concentration = plan.concentration
    if len(concentration):
        top = concentration.loc[cast(Any, concentration["max_share"].idxmax())]
        where = f"{top['top_country']}: {top['mineral']} {top['stage']}"
        items.append(("largest country share", f"{top['max_share']:.1%}", where))
        worst = concentration.loc[cast(Any, concentration["hhi"].idxmax())]
        items.append(
            ("highest HHI", f"{worst['hhi']:,.0f}", f"{worst['mineral']} {worst['stage']}")
        )
    rules = plan.duals.get("rules")
    if isinstance(rules, pd.DataFrame):
        items.append(("binding rule rows", f"{len(rules)}", ", ".join(sorted(set(rules["rule"])))))
    if plan.has_solution:
        short = float(plan.shortfall["shortfall"].sum()) if len(plan.shortfall) else 0.0
        items.append(("unmet demand", f"{short:,.6g} {plan.unit}", "" if short else "all met"))
    return items


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
