"""The report's HTML: one self-contained page (styles, data and plotly.js inside the file).

Each chart is a ``<div class="chart">`` followed by its figure as JSON in a
``<script type="application/json" class="figure" data-for="DIV-ID">``; one small script draws
them all with the embedded plotly.js and, once every chart is drawn, sets ``data-drawn`` (the
number of charts) on ``<body>``. Nothing is fetched when the page is viewed.
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd
import plotly

from sourcing.results.columns import header_of, kind_of

STYLE = """
:root { --ink: #1d2733; --muted: #5b6773; --line: #dde3ea; --accent: #1f5f99; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: var(--ink); background: #f6f8fa; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 60px; }
h1 { font-size: 26px; margin: 8px 0 2px; }
h2 { font-size: 20px; margin: 34px 0 10px; padding-bottom: 4px;
     border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 6px; }
p.lead, p.note { color: var(--muted); margin: 4px 0 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase;
               letter-spacing: .04em; }
.card .figure { font-size: 22px; font-weight: 600; margin-top: 2px; }
.card .detail { color: var(--muted); font-size: 13px; }
.chart { background: #fff; border: 1px solid var(--line); border-radius: 8px; margin: 10px 0 18px;
         min-height: 300px; }
table.data { border-collapse: collapse; background: #fff; margin: 6px 0 18px; font-size: 13.5px; }
table.data th, table.data td { border-bottom: 1px solid var(--line); padding: 5px 10px;
                               text-align: left; }
table.data th { background: #eef2f6; font-weight: 600; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; }
.warning { background: #fff7e0; border: 1px solid #f0d48a; border-radius: 6px; padding: 8px 12px; }
pre.why { background: #fff; border: 1px solid #e3b4ae; border-radius: 6px; padding: 10px 14px;
          white-space: pre-wrap; }
footer { color: var(--muted); font-size: 12px; margin-top: 40px; }
"""

DRAW = """
var drawing = [...document.querySelectorAll('script.figure')].map(function (element) {
  var figure = JSON.parse(element.textContent);
  return Plotly.newPlot(element.dataset.for, figure.data, figure.layout,
                        {displaylogo: false, responsive: true});
});
Promise.all(drawing).then(function () { document.body.dataset.drawn = drawing.length; });
"""


class Page:
    """The report being written: sections of HTML, and the charts in them."""

    def __init__(self, title: str):
        self.title = title
        self.parts: list[str] = []
        self.charts = 0

    def add(self, markup: str) -> None:
        self.parts.append(markup)

    def heading(self, text: str, level: int = 2, anchor: str | None = None) -> None:
        ident = f' id="{html.escape(anchor)}"' if anchor else ""
        self.add(f"<h{level}{ident}>{html.escape(text)}</h{level}>")

    def note(self, text: str) -> None:
        self.add(f'<p class="note">{html.escape(text)}</p>')

    def chart(self, figure: Any, kind: str, **data: str) -> None:
        """A plotly figure: a div to draw in, and the figure's JSON beside it."""
        self.charts += 1
        ident = f"chart-{self.charts}"
        attributes = "".join(
            f' data-{html.escape(k)}="{html.escape(str(v))}"' for k, v in data.items()
        )
        # '<' only ever occurs inside JSON strings, where \\u003c reads back the same
        payload = figure.to_json().replace("<", "\\u003c")
        # plotly's responsive mode fills the div: give it the figure's height, or a window
        # resize shrinks the chart to the div's default height
        height = f' style="height: {int(figure.layout.height)}px"' if figure.layout.height else ""
        self.add(
            f'<div class="chart" id="{ident}" data-kind="{kind}"{attributes}{height}></div>\n'
            f'<script type="application/json" class="figure" data-for="{ident}">{payload}</script>'
        )

    def html(self) -> str:
        """The whole page, plotly.js inlined once."""
        body = "\n".join(self.parts)
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(self.title)}</title>\n<style>{STYLE}</style>\n"
            f'<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>\n'
            f"</head>\n<body>\n<main>\n{body}\n"
            f"<footer>Charts drawn with plotly.js {plotly.offline.get_plotlyjs_version()}, "
            "embedded in this file: it opens offline.</footer>\n</main>\n"
            f"<script>{DRAW}</script>\n</body>\n</html>\n"
        )


def cards(items: list[tuple[str, str, str]]) -> str:
    """Headline figures: (label, figure, detail) each."""
    out = []
    for label, figure, detail in items:
        out.append(
            f'<div class="card"><div class="label">{html.escape(label)}</div>'
            f'<div class="figure">{html.escape(figure)}</div>'
            f'<div class="detail">{html.escape(detail)}</div></div>'
        )
    return f'<div class="cards">{"".join(out)}</div>'


def table(frame: pd.DataFrame, name: str, currency: str, unit: str) -> str:
    """A table with units in its headers (as in the workbook) and numbers formatted by kind."""
    if frame is None or frame.empty:
        return '<p class="note">none</p>'
    columns = [str(c) for c in frame.columns]
    kinds = [kind_of(name, c) for c in columns]
    head = "".join(f"<th>{html.escape(header_of(name, c, currency, unit))}</th>" for c in columns)
    rows = []
    for record in frame.itertuples(index=False, name=None):
        cells = []
        for value, kind in zip(record, kinds, strict=True):
            shown, numeric = shown_value(value, kind)
            cells.append(f'<td class="num">{shown}</td>' if numeric else f"<td>{shown}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<table class="data" data-table="{html.escape(name)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def shown_value(value: Any, kind: str | None) -> tuple[str, bool]:
    """A cell's text, and whether it is a number (right-aligned)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "", False
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        and not hasattr(value, "dtype")
    ):
        return html.escape(str(value)), False
    number = float(value)
    if math.isinf(number):
        return "unlimited" if number > 0 else "-∞", True
    if kind == "share":
        return f"{number:.1%}", True
    if kind == "hhi":
        return f"{number:,.0f}", True
    if kind in ("money", "price"):
        return f"{number:,.2f}", True
    if number.is_integer() and abs(number) < 1e15:
        return f"{number:,.0f}", True
    return f"{number:,.6g}", True
