"""The HTML report: one self-contained file whose charts show the plan's own numbers.

The figures are read back from the JSON the page embeds (one ``<script type="application/json"
class="figure">`` per chart) and compared with the plan: every Sankey link is a flow of the plan,
every bar a country's share, every dashed line the cap of a ``max_country_share`` rule. The last
test opens the page in headless Chromium (Debian's ``chromium`` package) and checks that the
charts were drawn, without a console error and without a request leaving the file.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import sourcing
from sourcing.report import render_report
from tests.conftest import DEMO, INSTANCES

TWO_STAGE = INSTANCES / "examples" / "least-cost-two-stage"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: a sweep of the CRMA cap as ``sourcing frontier`` would return it (numbers for the slot only)
FRONTIER = pd.DataFrame(
    {
        "share": [1.0, 0.8, 0.65, 0.5],
        "status": ["optimal"] * 4,
        "cost": [13_655_500.0, 13_700_100.0, 13_809_525.0, 14_102_000.0],
        "hhi": [8112.0, 6800.0, 5450.0, 5000.0],
        "shadow_price": [0.0, 1200.0, 3010.0, 4500.0],
    }
)
COMPARE = pd.DataFrame({"model": ["least-cost", "eu-crma"], "total": [13_655_500.0, 13_809_525.0]})


class Charts(HTMLParser):
    """The chart divs (their data- attributes) and the figure JSON that belongs to each."""

    def __init__(self, text: str):
        super().__init__()
        self.charts: dict[str, dict[str, str]] = {}
        self.figures: dict[str, dict] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self.scripts: list[dict[str, str]] = []
        self._in_figure: str | None = None
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "div" and "chart" in attrs.get("class", "").split():
            self.charts[attrs["id"]] = attrs
        if tag == "script":
            self.scripts.append(attrs)
            if attrs.get("class") == "figure":
                self._in_figure = attrs["data-for"]
                self.figures[self._in_figure] = ""
        if tag == "table":
            self._table = attrs.get("data-table", "")
            self.tables[self._table] = []
        if tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        if tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "script" and self._in_figure:
            self.figures[self._in_figure] = json.loads(self.figures[self._in_figure])
            self._in_figure = None
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        if tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._in_figure:
            self.figures[self._in_figure] += data
        elif self._cell is not None:
            self._cell.append(data)

    def of_kind(self, kind: str) -> list[tuple[dict[str, str], dict]]:
        return [(a, self.figures[i]) for i, a in self.charts.items() if a["data-kind"] == kind]


def links(figure: dict) -> list[tuple[str, str, float]]:
    """(from label, to label, value) of each link of a Sankey figure."""
    [sankey] = figure["data"]
    labels, link = sankey["node"]["label"], sankey["link"]
    return sorted(
        (labels[s], labels[t], v)
        for s, t, v in zip(link["source"], link["target"], link["value"], strict=True)
    )


@pytest.fixture(scope="module")
def demo() -> tuple[sourcing.Plan, Charts, str]:
    instance, model = sourcing.load(DEMO, "eu-crma")
    plan = sourcing.solve(instance, model)
    text = render_report(
        plan, instance, model, tables={"Models compared": COMPARE}, frontier=FRONTIER
    )
    return plan, Charts(text), text


def test_the_file_loads_nothing_from_outside(demo):
    _, charts, text = demo
    assert "<script src" not in text.lower()
    assert all("src" not in script for script in charts.scripts)
    assert "<link" not in text and "@import" not in text and "url(http" not in text
    assert text.count("* plotly.js v") == 1  # the library, inlined once


def test_one_sankey_per_mineral_whose_links_are_the_plans_flows(demo):
    plan, charts, _ = demo
    sankeys = charts.of_kind("sankey")
    assert [a["data-mineral"] for a, _ in sankeys] == ["cobalt", "graphite", "lithium"]
    sites = {"us-plant": "us-plant (USA)", "eu-plant": "eu-plant (DEU)"}
    for attrs, figure in sankeys:
        flows = plan.flows[plan.flows["mineral"] == attrs["data-mineral"]]
        expected = sorted(
            (f, sites[s] if isinstance(s, str) else t, q)
            for f, t, s, q in zip(
                flows["from_country"],
                flows["to_country"],
                flows["site"],
                flows["quantity"],
                strict=True,
            )
        )
        assert links(figure) == expected  # exactly the plan's numbers


def test_the_two_stage_example_draws_its_hand_derived_flows():
    # instances/examples/least-cost-two-stage/README.md: Chile's 50 t of ore and 30 t of
    # Australian ore go to the US refinery, whose 40 t of refined lithium go to the plant
    instance = sourcing.load_instance(TWO_STAGE)
    charts = Charts(render_report(sourcing.solve(instance), instance))
    [(_, figure)] = charts.of_kind("sankey")
    assert links(figure) == [
        ("AUS", "USA", 30.0),
        ("CHL", "USA", 50.0),
        ("USA", "plant (USA)", 40.0),
    ]


def test_share_bars_carry_the_plans_shares_and_the_rules_cap(demo):
    plan, charts, _ = demo
    bars = charts.of_kind("shares")
    assert [a["data-mineral"] for a, _ in bars] == ["cobalt", "graphite", "lithium"]
    for attrs, figure in bars:
        shares = plan.shares[plan.shares["mineral"] == attrs["data-mineral"]]
        for trace in figure["data"]:
            stage = shares[shares["stage"] == trace["name"]]
            assert trace["x"] == list(stage["country"])
            assert trace["y"] == list(stage["share"])
        caps = [s for s in figure["layout"]["shapes"] if s["y0"] == s["y1"]]
        assert [s["y0"] for s in caps] == [0.65, 0.65]  # one per stage, eu-crma's 65%
        notes = [a["text"] for a in figure["layout"]["annotations"] if "cap" in a["text"]]
        assert notes == ["cap 65% (crma_single_country_cap)"] * 2
    cobalt = bars[0][1]["data"][1]  # refining: CHN 65%, FIN 35% (Finland is EU: exempt)
    assert cobalt["x"] == ["CHN", "FIN"] and cobalt["text"] == ["", "not capped"]


def test_least_cost_draws_no_cap():
    instance = sourcing.load_instance(DEMO)
    charts = Charts(render_report(sourcing.solve(instance), instance))
    for _, figure in charts.of_kind("shares"):
        assert not figure["layout"].get("shapes")


def test_binding_rules_table_lists_the_plans_duals(demo):
    plan, charts, text = demo
    header, *rows = charts.tables["duals_rules"]
    assert header == [
        "rule",
        "constraint",
        "mineral",
        "stage",
        "country",
        "dual (USD per unit of the rule's row)",
        "price (USD per unit of the rule's row)",
    ]
    assert len(rows) == len(plan.duals["rules"]) == 5
    shown = [float(r[-1].replace(",", "")) for r in rows]
    assert shown == pytest.approx(list(plan.duals["rules"]["price"]), rel=1e-6)
    cod = next(r for r in rows if r[4] == "COD")  # COD's cobalt mining cap
    assert cod[2:5] == ["cobalt", "mining", "COD"] and cod[-1] == "1,000"
    assert "13,809,525 USD" in text  # the headline total


def test_compare_tables_and_the_frontier_fill_their_slots(demo):
    _, charts, _ = demo
    assert charts.tables["Models compared"][1:] == [
        ["least-cost", "13,655,500.00"],
        ["eu-crma", "13,809,525.00"],
    ]
    [(_, figure)] = charts.of_kind("frontier")
    cost, hhi = figure["data"]
    assert cost["x"] == [1.0, 0.8, 0.65, 0.5] and cost["y"] == list(FRONTIER["cost"])
    assert hhi["y"] == list(FRONTIER["hhi"]) and hhi["yaxis"] == "y2"
    assert cost["customdata"] == list(FRONTIER["shadow_price"])
    assert charts.tables["frontier"][3][:3] == ["65.0%", "optimal", "13,809,525.00"]


def test_an_infeasible_instance_gets_its_explanation_and_no_chart():
    instance = sourcing.load_instance(INSTANCES / "examples" / "infeasible-capacity")
    text = render_report(sourcing.solve(instance), instance)
    charts = Charts(text)
    assert not charts.charts
    assert "Why there is no plan" in text
    assert "li: 20 t of the 70 t demanded at site &#x27;plant&#x27; cannot be covered." in text
    assert charts.tables["infeasible_binding_capacities"][1][:3] == ["li", "mining", "AUS"]


def test_periods_get_a_sankey_each():
    instance = sourcing.load_instance(INSTANCES / "examples" / "periods")
    charts = Charts(render_report(sourcing.solve(instance), instance))
    sankeys = charts.of_kind("sankey")
    assert [(a["data-mineral"], a["data-period"]) for a, _ in sankeys] == [
        ("li", "2026"),
        ("li", "2027"),
    ]
    # the README: 2026 AUS 60 + BRA 20; 2027 CAN 50 + AUS 50 (to the single default site)
    assert [v for *_, v in links(sankeys[0][1])] == [60.0, 20.0]
    assert [v for *_, v in links(sankeys[1][1])] == [50.0, 50.0]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sourcing.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_report_and_solve_report_on_the_command_line(tmp_path):
    done = run("report", str(TWO_STAGE), "--out", str(tmp_path / "r.html"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {tmp_path / 'r.html'}"
    done = run("solve", str(TWO_STAGE), "--format", "json", "--report", str(tmp_path / "s.html"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["objective"] == pytest.approx(8150)
    for name in ("r.html", "s.html"):
        [(_, figure)] = Charts((tmp_path / name).read_text()).of_kind("sankey")
        assert sum(v for *_, v in links(figure)) == 120.0  # 50 + 30 t of ore, 40 t refined
    infeasible = INSTANCES / "examples" / "infeasible-capacity"
    done = run("report", str(infeasible), "--out", str(tmp_path / "i.html"))
    assert done.returncode == 3
    assert "Why there is no plan" in (tmp_path / "i.html").read_text()


def test_report_on_the_command_line_with_a_comparison_and_a_frontier(tmp_path):
    """report --compare least-cost --frontier max_country_share on battery-demo under eu-crma:
    the comparison's totals are the README's (13,809,525 and 13,655,500); the frontier sweeps
    the eu-crma cap itself, so its first point (every share allowed) costs the least-cost plan
    and tightening never lowers the cost."""
    out = tmp_path / "r.html"
    args = ("report", str(DEMO), "-m", "eu-crma", "--out", str(out))
    done = run(*args, "--compare", "least-cost", "--frontier", "max_country_share")
    assert done.returncode == 0, done.stderr
    charts = Charts(out.read_text())
    compared = charts.tables["Models compared"]
    assert [row[0] for row in compared[1:]] == ["eu-crma", "least-cost"]
    assert compared[1][3] == "13,809,525.00" and compared[2][3] == "13,655,500.00"
    [(_, figure)] = charts.of_kind("frontier")
    cost = figure["data"][0]
    assert cost["x"][0] == 1.0 and cost["y"][0] == pytest.approx(13_655_500)
    assert len(cost["x"]) == 10 and cost["x"][-1] == pytest.approx(0.4)
    feasible = [y for y in cost["y"] if y is not None]
    assert feasible == sorted(feasible)


# --- in a real browser -------------------------------------------------------------------------


def png_size(path: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


def test_the_report_renders_in_headless_chromium(demo, tmp_path):
    """Needs Debian's chromium; playwright drives it, and downloads nothing: it launches
    /usr/bin/chromium. On a machine without it the test is skipped with the reason, so the
    README's test command is green on a fresh machine; in CI (``CI`` set) a missing browser is a
    failure, since .ci/run installs it and the check must not go quietly unrun."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        reason = "Chromium is not installed (apt-get install -y chromium) to open the report"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; .ci/run installs it")
        pytest.skip(reason)
    plan, charts, text = demo
    page_file = tmp_path / "report.html"
    page_file.write_text(text, encoding="utf-8")
    console: list[str] = []
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on(
                "console",
                lambda m: (
                    console.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning", "trace")
                    else None
                ),
            )
            page.on("pageerror", lambda e: console.append(f"page error: {e}"))
            page.on(
                "request",
                lambda r: outside.append(r.url) if not r.url.startswith("file:") else None,
            )
            page.goto(page_file.as_uri(), wait_until="load")
            page.wait_for_function("document.body.dataset.drawn !== undefined")
            assert page.evaluate("document.body.dataset.drawn") == str(len(charts.charts))
            drawn = page.evaluate(
                """[...document.querySelectorAll('.chart')].map(d => ({
                    id: d.id,
                    kind: d.dataset.kind,
                    mineral: d.dataset.mineral || null,
                    height: d.getBoundingClientRect().height,
                    links: d.querySelectorAll('.sankey-link').length,
                    nodes: d.querySelectorAll('.sankey-node').length,
                    bars: d.querySelectorAll('.bars .point path').length,
                    caps: d.querySelectorAll('.shapelayer path').length,
                    lines: d.querySelectorAll('.scatterlayer .js-line').length,
                }))"""
            )
            # the whole page in one viewport (a full-page capture would resize the charts while
            # it takes the picture); the charts follow the resize, the Sankey links fade in
            height = page.evaluate("document.documentElement.scrollHeight")
            page.set_viewport_size({"width": 1280, "height": height})
            page.wait_for_timeout(1500)
            overflowing = page.evaluate(
                """[...document.querySelectorAll('.chart')].filter(d =>
                    d.querySelector('svg').getBoundingClientRect().height
                    > d.getBoundingClientRect().height + 1).map(d => d.id)"""
            )
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    assert console == []
    assert outside == []
    assert overflowing == []  # after a resize, every chart still fits its box
    assert [d["kind"] for d in drawn] == ["sankey"] * 3 + ["shares"] * 3 + ["frontier"]
    for chart in drawn:
        assert chart["height"] > 250, chart
        if chart["kind"] == "sankey":
            flows = plan.flows[plan.flows["mineral"] == chart["mineral"]]
            assert chart["links"] == len(flows) > 0, chart
            assert chart["nodes"] > 0
        elif chart["kind"] == "shares":
            shares = plan.shares[plan.shares["mineral"] == chart["mineral"]]
            assert chart["bars"] == len(shares) > 0, chart
            assert chart["caps"] == 2, chart  # the 65% line on mining and on refining
        else:
            assert chart["lines"] == 2  # cost and HHI
    width, height = png_size(shot)
    assert width == 1280 and height > 3000
    assert shot.stat().st_size > 100_000  # charts and tables, not a blank page
