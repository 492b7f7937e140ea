"""The report's charts as plotly figures: flows as a Sankey diagram, country shares per stage
with the cap a rule puts on them, and the cost/concentration frontier.

Figures are built from plain Python lists (not numpy arrays), so their JSON holds the plan's
numbers as numbers that anyone can read back from the report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from sourcing.data.references import groups_of
from sourcing.data.schema import Instance, ModelSpec
from sourcing.model.build import rule_names
from sourcing.model.rules.kind import kind_of

PALETTE = qualitative.Plotly + qualitative.D3 + qualitative.G10  # hex colours, none pale
TEMPLATE = "plotly_white"
FONT = dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif", size=13)


@dataclass(frozen=True)
class Cap:
    """The tightest cap on a country's share of a mineral's stage (from the rules whose ``cap``
    hook draws one, such as ``max_country_share``): its share, which rules set it, and the
    countries it exempts (or, for a rule naming countries, the only ones it caps)."""

    share: float
    rules: tuple[str, ...]
    exempt: frozenset[str]
    only: frozenset[str] | None = None


def colours(countries: list[str]) -> dict[str, str]:
    """One colour per country, the same in every chart of the report."""
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(sorted(set(countries)))}


def caps(instance: Instance, model: ModelSpec | None) -> dict[tuple[str, str], Cap]:
    """(mineral, stage) -> the tightest country-share cap the model's and the instance's rules
    put on it (each rule's ``cap`` hook, :class:`sourcing.model.rules.kind.RuleKind`; named as in
    the plan's ``rules``)."""
    rules = list(model.rules if model else []) + list(instance.rules)
    groups = {r["country"]: set(groups_of(r)) for r in instance.countries}

    def members(names: list[str] | None) -> set[str]:
        chosen = set(names or [])
        return chosen | {c for c, tags in groups.items() if tags & chosen}

    found: dict[tuple[str, str], Cap] = {}
    for rule, name in zip(rules, rule_names(rules), strict=True):
        draw = kind_of(rule).cap
        drawn = draw(rule, members) if draw is not None else None
        if drawn is None:
            continue
        for mineral in (m["mineral"] for m in instance.minerals):
            for stage in instance.stages:
                if (rule.minerals is not None and mineral not in rule.minerals) or (
                    rule.stages is not None and stage not in rule.stages
                ):
                    continue
                cap = Cap(drawn.share, (name,), drawn.exempt, drawn.only)
                held = found.get((mineral, stage))
                if held is None or cap.share < held.share:
                    found[(mineral, stage)] = cap
                elif cap.share == held.share:
                    found[(mineral, stage)] = Cap(
                        held.share, held.rules + (name,), held.exempt & cap.exempt, held.only
                    )
    return found


def sankey(
    flows: pd.DataFrame,
    stages: list[str],
    unit: str,
    currency: str,
    site_country: dict[str, str],
    colour: dict[str, str],
    title: str,
) -> go.Figure:
    """Material moved from the first stage's countries, through each later stage's countries,
    to the buyer's sites: one node per (stage, country) and per site, one link per flow.

    Link widths are the flows' quantities (in the units of the stage they leave: with yields
    below 1 a node's outflow is less than its inflow)."""
    nodes: dict[tuple[int, str], int] = {}
    labels: list[str] = []
    node_colours: list[str] = []
    hover: list[str] = []

    def node(layer: int, name: str, what: str) -> int:
        if (layer, name) not in nodes:
            nodes[(layer, name)] = len(labels)
            is_site = layer == len(stages)
            shown = f"{name} ({site_country[name]})" if is_site and name in site_country else name
            labels.append(shown)
            node_colours.append("#555555" if is_site else colour.get(name, "#999999"))
            hover.append(what)
        return nodes[(layer, name)]

    position = {s: i for i, s in enumerate(stages)}
    source, target, value, link_colours, text = [], [], [], [], []
    for row in flows.to_dict("records"):
        layer = position[row["stage"]]
        source.append(node(layer, row["from_country"], row["stage"]))
        site = row.get("site")
        if isinstance(site, str):
            target.append(node(len(stages), site, "buyer's site"))
            to = site
        else:
            target.append(node(layer + 1, row["to_country"], stages[layer + 1]))
            to = row["to_country"]
        value.append(float(row["quantity"]))
        link_colours.append(_faded(colour.get(row["from_country"], "#999999")))
        text.append(
            f"{row['stage']}: {row['from_country']} → {to}<br>"
            f"{row['quantity']:,.6g} {unit} at {row['unit_cost']:,.2f} {currency}/{unit}"
        )
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",.6g",
            valuesuffix=f" {unit}",
            node=dict(
                label=labels,
                color=node_colours,
                customdata=hover,
                hovertemplate="%{label} (%{customdata}): %{value}<extra></extra>",
                pad=14,
                thickness=16,
            ),
            link=dict(
                source=source,
                target=target,
                value=value,
                color=link_colours,
                customdata=text,
                hovertemplate="%{customdata}<extra></extra>",
            ),
        )
    )
    headings = [*stages, "buyer"]
    for i, heading in enumerate(headings):
        figure.add_annotation(
            x=i / (len(headings) - 1) if len(headings) > 1 else 0.5,
            y=1.07,
            xref="paper",
            yref="paper",
            text=f"<b>{heading}</b>",
            showarrow=False,
            xanchor="left" if i == 0 else "right" if i == len(headings) - 1 else "center",
        )
    figure.update_layout(
        title=dict(text=title),
        template=TEMPLATE,
        font=FONT,
        height=max(320, 34 * max(Counter(layer for layer, _ in nodes).values()) + 150),
        margin=dict(l=20, r=20, t=80, b=20),
    )
    return figure


def shares(
    frame: pd.DataFrame,
    stages: list[str],
    caps_of: dict[str, Cap],
    colour: dict[str, str],
    title: str,
) -> go.Figure:
    """One bar chart per stage: each country's share of the stage's volume, with the cap of the
    tightest ``max_country_share`` rule drawn across it (bars of countries it does not cap
    are pale and say so)."""
    present = [s for s in stages if s in set(frame["stage"])]
    figure = make_subplots(
        rows=1, cols=max(len(present), 1), subplot_titles=present, shared_yaxes=True
    )
    for col, stage in enumerate(present, 1):
        rows = frame[frame["stage"] == stage]
        cap = caps_of.get(stage)
        countries = [str(c) for c in rows["country"]]
        exempt = [
            cap is not None and (c in cap.exempt or (cap.only is not None and c not in cap.only))
            for c in countries
        ]
        figure.add_trace(
            go.Bar(
                x=countries,
                y=[float(v) for v in rows["share"]],
                marker=dict(
                    color=[colour.get(c, "#999999") for c in countries],
                    opacity=[0.45 if e else 1.0 for e in exempt],
                ),
                customdata=[
                    [float(q), "not capped" if e else ""]
                    for q, e in zip(rows["quantity"], exempt, strict=True)
                ],
                hovertemplate="%{x}: %{y:.1%} (%{customdata[0]:,.6g}) %{customdata[1]}"
                "<extra></extra>",
                text=["not capped" if e else "" for e in exempt],
                textposition="outside",
                cliponaxis=False,
                showlegend=False,
                name=stage,
            ),
            row=1,
            col=col,
        )
        if cap is not None:
            figure.add_hline(
                y=cap.share,
                row=1,
                col=col,
                line=dict(color="#c0392b", dash="dash", width=2),
                annotation_text=f"cap {cap.share:.0%} ({', '.join(cap.rules)})",
                annotation_position="top right",
                annotation_font=dict(color="#c0392b", size=11),
            )
    figure.update_yaxes(tickformat=".0%", range=[0, 1.08])
    figure.update_layout(
        title=dict(text=title),
        template=TEMPLATE,
        font=FONT,
        height=360,
        margin=dict(l=50, r=20, t=80, b=40),
        bargap=0.3,
    )
    return figure


def frontier(table: pd.DataFrame, currency: str) -> go.Figure:
    """Cost against the swept parameter (``share``, ``cap`` or ``point``), and the HHI when
    given."""
    x = next((c for c in ("share", "cap", "point") if c in table), table.columns[0])
    figure = make_subplots(specs=[[{"secondary_y": "hhi" in table}]])
    figure.add_trace(
        go.Scatter(
            x=_plain(table[x]),
            y=_plain(table["cost"]),
            mode="lines+markers",
            name=f"cost ({currency})",
            customdata=_plain(table["shadow_price"]) if "shadow_price" in table else None,
            hovertemplate=f"{x} %{{x}}: %{{y:,.2f}} {currency}"
            + ("<br>shadow price %{customdata:,.4g}" if "shadow_price" in table else "")
            + "<extra></extra>",
        )
    )
    if "hhi" in table:
        figure.add_trace(
            go.Scatter(
                x=_plain(table[x]),
                y=_plain(table["hhi"]),
                mode="lines+markers",
                name="HHI (0-10,000)",
                line=dict(dash="dot"),
            ),
            secondary_y=True,
        )
        figure.update_yaxes(title_text="HHI", secondary_y=True)
    figure.update_xaxes(title_text=x, tickformat=".0%" if x == "share" else None)
    figure.update_yaxes(title_text=f"cost ({currency})", secondary_y=False)
    figure.update_layout(
        template=TEMPLATE,
        font=FONT,
        height=380,
        margin=dict(l=60, r=60, t=30, b=50),
    )
    return figure


def stock(table: pd.DataFrame, unit: str) -> go.Figure:
    """Closing stock over the periods, one line per site and mineral (the plan's stock table)."""
    figure = go.Figure()
    for (site, mineral), rows in table.groupby(["site", "mineral"], sort=False):
        figure.add_trace(
            go.Scatter(
                x=_plain(rows["period"].astype(str)),
                y=_plain(rows["closing"]),
                mode="lines+markers",
                name=f"{mineral} at {site}",
                hovertemplate=f"%{{x}}: %{{y:,.6g}} {unit}<extra></extra>",
            )
        )
    figure.update_xaxes(title_text="period", type="category")
    figure.update_yaxes(title_text=f"closing stock ({unit})", rangemode="tozero")
    figure.update_layout(
        template=TEMPLATE, font=FONT, height=340, margin=dict(l=60, r=30, t=30, b=50)
    )
    return figure


def _plain(series: pd.Series) -> list[Any]:
    return [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in series]


def _faded(colour: str) -> str:
    """A hex colour at 45% opacity, for links."""
    code = colour.lstrip("#")
    if len(code) != 6:
        return colour
    red, green, blue = (int(code[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({red},{green},{blue},0.45)"


def site_countries(instance: Instance) -> dict[str, str]:
    """Each site's country (none without a sites table: the single site takes delivery at the
    supplier's door)."""
    return {r["site"]: r["country"] for r in instance.sites}
