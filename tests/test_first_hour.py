"""The first hour of a planner (issue 17): a closed lane named where it hurts, and a starting point.

Closed lanes. A lane between two countries is open only where transport.csv lists it (for the
mineral, or for every mineral) or instance.yaml sets ``transport_default``; within a country it is
free unless listed, and the default site (no sites table) takes delivery at the supplier's door.
The worked examples start from ``instances/examples/least-cost-two-stage``: lithium ore mined in
AUS (no limit, 40/t) or CHL (50 t, 30/t), refined in the USA (100/t) or CAN (90/t) at yield 0.5,
40 t delivered to a plant in the USA; transport.csv lists AUS→USA, CHL→USA, AUS→CAN, CHL→CAN and
CAN→USA.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sourcing
from sourcing.consistency import LISTED
from sourcing.errors import InputError
from tests.conftest import INSTANCES

TWO_STAGE = INSTANCES / "examples" / "least-cost-two-stage"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sourcing.cli", *args], capture_output=True, text=True, timeout=120
    )


def edit_table(folder: Path, table: str, keep=lambda row: True, change=lambda row: row, add=()):
    """Rewrite ``folder/table.csv``: keep the rows ``keep`` accepts, changed by ``change``, then
    append the ``add`` rows (dicts; missing cells blank)."""
    path = folder / f"{table}.csv"
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header, rows = list(reader.fieldnames or []), [change(dict(r)) for r in reader if keep(r)]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        writer.writerows([*rows, *({k: r.get(k, "") for k in header} for r in add)])


def two_stage(tmp_path: Path) -> Path:
    folder = tmp_path / "two-stage"
    shutil.copytree(TWO_STAGE, folder)
    return folder


# -- item 6: a closed lane behind an infeasibility --------------------------------------------


def test_a_closed_lane_behind_a_binding_capacity_is_named_in_the_explanation(tmp_path):
    """Canada's refinery is cut to 10 t and the AUS→USA row is deleted.

    Demand: 40 t refined = 80 t ore. Chile's 50 t reaches both refiners; Australia's ore now
    reaches only Canada, which refines at most 10 t (20 t of ore). So at most 50 + 20 = 70 t of
    ore are refined (35 t): 5 t short, and both CHL's and CAN's capacities bind. That is not the
    whole story: Australia has ore to spare, and the lane AUS→USA is what keeps it from the US
    refinery. The explanation names that lane and says opening it covers all 5 t (10 t of ore
    would move on it)."""
    folder = two_stage(tmp_path)
    edit_table(
        folder,
        "supply",
        change=lambda r: {**r, "capacity": "10"} if r["country"] == "CAN" else r,
    )
    edit_table(folder, "transport", keep=lambda r: (r["from"], r["to"]) != ("AUS", "USA"))
    plan = sourcing.solve(folder, folder / "model.yaml")
    assert plan.termination_condition.value == "infeasible"
    why = plan.infeasibility
    assert [(u["site"], u["short"]) for u in why["uncovered"]] == [("plant", pytest.approx(5))]
    assert {c["country"] for c in why["binding_capacities"]} == {"CHL", "CAN"}
    assert [
        (lane["stage"], lane["from_country"], lane["to_country"], lane["quantity"])
        for lane in why["closed_lanes"]
    ] == [("mining", "AUS", "USA", pytest.approx(10))]
    assert (
        "closed lanes: opening AUS → USA (mining → refining) would cover all of the 5 t short "
        "(transport.csv has no row for li on it" in why["summary"]
    )


def test_a_closed_lane_that_would_not_help_is_not_named(tmp_path):
    """AUS→USA is deleted again, but now Australia's mine is cut to 10 t: 50 + 10 = 60 t of ore
    make 30 t, 10 t short. Australia's 10 t already reach Canada's refinery (no limit here), so
    opening AUS→USA would cover nothing: the lane stays closed and unnamed, and the explanation
    is the two mines' capacities."""
    folder = two_stage(tmp_path)
    edit_table(
        folder,
        "supply",
        change=lambda r: {**r, "capacity": "10"} if r["country"] == "AUS" else r,
    )
    edit_table(folder, "transport", keep=lambda r: (r["from"], r["to"]) != ("AUS", "USA"))
    why = sourcing.solve(folder, folder / "model.yaml").infeasibility
    assert [(u["site"], u["short"]) for u in why["uncovered"]] == [("plant", pytest.approx(10))]
    assert {c["country"] for c in why["binding_capacities"]} == {"AUS", "CHL"}
    assert why["closed_lanes"] == []
    assert "closed lanes" not in why["summary"]


def test_a_site_no_supplier_can_reach_is_a_warning_and_an_error_under_strict(tmp_path):
    """A second plant in Germany (DEU) needs 10 t, but transport.csv has no lane into DEU and
    neither refiner is in Germany. ``validate`` warns (exit 0) naming the demand row, the site and
    the lane that would connect it; ``validate --strict`` refuses (exit 2); ``solve`` is
    infeasible (exit 3) with the 10 t uncovered and a delivery lane into DEU named."""
    folder = two_stage(tmp_path)
    edit_table(folder, "countries", add=[{"country": "DEU", "name": "Germany"}])
    edit_table(folder, "sites", add=[{"site": "eu-plant", "country": "DEU"}])
    edit_table(folder, "demand", add=[{"mineral": "li", "site": "eu-plant", "quantity": "10"}])
    message = (
        "demand, row 2, field 'site': li: no supplier can reach site 'eu-plant' (DEU): add a lane "
        "to transport.csv from a refining country (CAN, USA) to DEU; or set transport_default"
    )
    assert sourcing.validate(folder) == [message]

    strict = run("validate", str(folder), "--strict")
    assert strict.returncode == 2 and message in strict.stderr
    assert "Traceback" not in strict.stderr

    solved = run("solve", str(folder), "--format", "json")
    assert solved.returncode == 3
    plan = sourcing.solve(folder)
    assert [(u["site"], u["short"]) for u in plan.infeasibility["uncovered"]] == [
        ("eu-plant", pytest.approx(10))
    ]
    (lane,) = plan.infeasibility["closed_lanes"]
    assert (lane["site"], lane["to_country"], lane["quantity"]) == ("eu-plant", "DEU", 10)
    assert "→ site 'eu-plant' in DEU" in plan.infeasibility["summary"]


def test_supply_whose_lanes_lead_nowhere_is_named_with_the_dead_end(tmp_path):
    """Delete CAN→USA: Canada's refinery has no lane onward (the check that already existed).
    Delete AUS→USA too: Australia's ore still has a lane, to Canada, but goes no further from
    there, so it is stranded as well, and the warning says where its lanes end."""
    folder = two_stage(tmp_path)
    closed = {("CAN", "USA"), ("AUS", "USA")}
    edit_table(folder, "transport", keep=lambda r: (r["from"], r["to"]) not in closed)
    assert sourcing.validate(folder) == [
        "supply, row 1, field 'country': li at stage 'mining' in AUS: no path onward to a site "
        "demanding li: its lanes lead only to CAN at stage 'refining', which cannot pass it on",
        "supply, row 4, field 'country': li at stage 'refining' in CAN: no allowed lane onward "
        "(list one in transport.csv or set transport_default)",
    ]


def test_many_unreachable_sites_are_summarised_not_listed(tmp_path):
    """200 sites in 200 countries, one refiner in AUS, no transport table at all: every site is
    out of reach. The warnings name the first LISTED demand rows one by one and count the other
    180 in one more line, so the answer stays a page long. Australia's offer is stranded too
    (one more warning)."""
    countries = [{"country": "AUS"}] + [{"country": f"C{i:03}"} for i in range(200)]
    document = {
        "name": "ring",
        "stages": ["refining"],
        "minerals": [{"mineral": "li"}],
        "countries": countries,
        "sites": [{"site": f"s{i:03}", "country": f"C{i:03}"} for i in range(200)],
        "supply": [{"mineral": "li", "stage": "refining", "country": "AUS", "price": 1}],
        "demand": [{"mineral": "li", "site": f"s{i:03}", "quantity": 1} for i in range(200)],
    }
    warnings = sourcing.validate(document)
    about_sites = [w for w in warnings if w.startswith("demand")]
    assert len(about_sites) == LISTED + 1
    assert about_sites[0] == (
        "demand, row 1, field 'site': li: no supplier can reach site 's000' (C000): add a lane to "
        "transport.csv from a refining country (AUS) to C000; or set transport_default"
    )
    assert about_sites[-1] == (
        f"demand, field 'site': and {200 - LISTED} more demand rows no supplier can reach "
        f"(li s{LISTED:03}: 1, li s{LISTED + 1:03}: 1, li s{LISTED + 2:03}: 1, "
        f"li s{LISTED + 3:03}: 1, li s{LISTED + 4:03}: 1, and {200 - LISTED - 5} more groups)"
    )
    with pytest.raises(InputError) as refused:
        sourcing.validate(document, strict=True)
    assert len(refused.value.problems) == len(warnings)


def test_the_explanation_names_a_few_lanes_and_counts_the_rest():
    """Eight plants in eight countries, one refiner in AUS, no lanes: each plant's 1 t is short
    and each needs its own delivery lane. The summary names the five busiest (all carry 1 t here)
    and counts three more; the closed_lanes table lists all eight."""
    sites = [f"P{i}" for i in range(8)]
    document = {
        "name": "eight",
        "stages": ["refining"],
        "minerals": [{"mineral": "li"}],
        "countries": [{"country": "AUS"}] + [{"country": s} for s in sites],
        "sites": [{"site": s.lower(), "country": s} for s in sites],
        "supply": [{"mineral": "li", "stage": "refining", "country": "AUS", "price": 1}],
        "demand": [{"mineral": "li", "site": s.lower(), "quantity": 1} for s in sites],
    }
    why = sourcing.solve(document).infeasibility
    assert len(why["closed_lanes"]) == 8
    assert {lane["site"] for lane in why["closed_lanes"]} == {s.lower() for s in sites}
    line = next(li for li in why["summary"].splitlines() if "closed lanes" in li)
    assert line.count("→ site") == 5 and "and 3 more would cover all of the 8 t short" in line


def test_no_bundled_instance_has_a_lane_it_cannot_use():
    """Every bundled instance and worked example validates without a lane or reach warning (the
    kazakhstan-partnership instance keeps its two deliberate capacity warnings)."""
    folders = sorted(p.parent for p in INSTANCES.glob("**/instance.yaml"))
    assert len(folders) >= 15
    for folder in folders:
        model = folder / "model.yaml" if (folder / "model.yaml").exists() else None
        warnings = sourcing.validate(folder, model)
        assert [w for w in warnings if "lane" in w or "reach" in w] == [], folder
