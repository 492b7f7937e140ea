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
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import sourcing
from sourcing.errors import InputError
from sourcing.model.consistency import LISTED
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
        "demand, row 3, field 'site': li: no supplier can reach site 'eu-plant' (DEU): add a lane "
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
        "supply, row 2, field 'country': li at stage 'mining' in AUS: no path onward to a site "
        "demanding li: its lanes lead only to CAN at stage 'refining', which cannot pass it on",
        "supply, row 5, field 'country': li at stage 'refining' in CAN: no allowed lane onward "
        "(list one in transport.csv or set transport_default)",
    ]


def test_a_chain_broken_at_one_or_two_stages(tmp_path):
    """Three stages (mining in AUS, refining in CHN, cathode in KOR), delivered at the buyer's
    door (no sites table). With only AUS→CHN listed, one lane (CHN→KOR) would connect the buyer,
    and validate names it; the solve's explanation opens the same lane. With no lane at all, two
    are missing: validate says no chain leads to the buyer, and the explanation names both."""
    document = {
        "name": "three",
        "stages": ["mining", "refining", "cathode"],
        "minerals": [{"mineral": "li"}],
        "countries": [{"country": c} for c in ("AUS", "CHN", "KOR")],
        "supply": [
            {"mineral": "li", "stage": s, "country": c, "price": 10}
            for s, c in (("mining", "AUS"), ("refining", "CHN"), ("cathode", "KOR"))
        ],
        "transport": [{"from": "AUS", "to": "CHN", "cost": 1}],
        "demand": [{"mineral": "li", "quantity": 50}],
    }
    assert sourcing.validate(document)[-1] == (
        "demand, row 1, field 'mineral': li: no supplier can reach the buyer: add a lane to "
        "transport.csv from a refining country (CHN) to a cathode country that reaches it (KOR); "
        "or set transport_default"
    )
    why = sourcing.solve(document).infeasibility
    assert [(lane["from_country"], lane["to_country"]) for lane in why["closed_lanes"]] == [
        ("CHN", "KOR")
    ]

    document["transport"] = []
    assert sourcing.validate(document)[-1] == (
        "demand, row 1, field 'mineral': li: no supplier can reach the buyer: no chain of lanes "
        "leads from stage 'mining' to it (list the missing lanes in transport.csv or set "
        "transport_default)"
    )
    why = sourcing.solve(document).infeasibility
    assert {(lane["from_country"], lane["to_country"]) for lane in why["closed_lanes"]} == {
        ("AUS", "CHN"),
        ("CHN", "KOR"),
    }
    assert "would cover all of the 50 t short" in why["summary"]


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


# -- item 12: a starting point ------------------------------------------------------------------
#
# `sourcing init DIR` writes sourcing/templates/starter: lithium mined in AUS (40/t, no limit) or
# CHL (30/t, 150 t), refined in CHN (60/t) or the USA (100/t) at yield 0.5, 100 t to a plant in
# the USA; ore lanes cost 5 into CHN and 10 into the USA, CHN→USA costs 20 and a 25% tariff.
# Its README derives the optimum: 200 t of ore, Chile 150 t + Australia 50 t = 6,500; China
# refines all 100 t at 60 + 2×5 + 20 + 15 = 105 each = 10,500; total 17,000.


def switch_on(model_yaml: str, rule: str) -> str:
    """The model file with one commented rule switched on, as the file's header tells a planner
    to: delete the '# ' in front of the rule's lines."""
    lines, on = [], False
    for line in model_yaml.splitlines():
        if line.startswith("  # - rule: "):
            on = line == f"  # - rule: {rule}"
        elif not line.startswith("  #   "):
            on = False
        lines.append(line.replace("  # ", "  ", 1) if on else line)
    return "\n".join(lines) + "\n"


@pytest.fixture
def starter(tmp_path: Path) -> Path:
    """What ``sourcing init`` writes (written here without a process)."""
    from sourcing.data.starter import write_starter

    folder = tmp_path / "my-instance"
    write_starter(folder)
    return folder


def test_init_writes_every_table_and_solves_to_the_optimum_its_readme_derives(tmp_path):
    """`sourcing init DIR` (exit 0) says how to solve what it wrote. Every table the loader
    reads is there, the optional ones too, with the model and README; it validates under
    --strict and solves (exit 0) to 17,000 USD, component by component as derived: purchase
    6,500, processing 6,000, transport 1,000 + 2,000, tariffs 1,500."""
    from sourcing.data.schema import TABLES

    starter = tmp_path / "my-instance"
    done = run("init", str(starter))
    assert done.returncode == 0, done.stderr
    assert f"sourcing solve {starter} --model {starter / 'model.yaml'}" in done.stdout

    expected = {f"{t}.csv" for t in TABLES} | {"instance.yaml", "model.yaml", "README.md"}
    assert {p.name for p in starter.iterdir()} == expected
    assert sourcing.validate(starter, starter / "model.yaml", strict=True) == []

    done = run("solve", str(starter), "--model", str(starter / "model.yaml"), "-f", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["objective"] == pytest.approx(17_000)
    costs = {k: v for k, v in result["costs"].items() if v}
    assert costs == pytest.approx(
        {
            "purchase": 6_500,
            "processing": 6_000,
            "transport": 3_000,
            "tariffs": 1_500,
            "total": 17_000,
        }
    )
    supplied = {(r["stage"], r["country"]): r["quantity"] for r in result["shares"]}
    assert supplied == pytest.approx(
        {("mining", "CHL"): 150, ("mining", "AUS"): 50, ("refining", "CHN"): 100}
    )
    assert "**17,000 USD**" in (starter / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("rule", "optimum"),
    [
        ("max_country_share", 17_725),  # CHL 130 + AUS 70 = 6,700; CHN 65×105 + USA 35×120
        ("exclude", 18_500),  # 6,500 + USA 100×120
        ("min_suppliers", 17_300),  # the USA refines 20 t at 15 more per t
        ("group_share", 17_468.75),  # 6,500 + 100 r ≥ 0.7 (12,500 + 40 r): r = 31.25 t
    ],
)
def test_each_commented_rule_switches_on_to_the_optimum_in_its_comment(starter, rule, optimum):
    """model.yaml as written has every rule commented out (YAML reads `rules:` as null: no
    rules). Uncommenting one rule's lines gives a valid model whose optimum is the one the
    comment and the README derive."""
    text = (starter / "model.yaml").read_text(encoding="utf-8")
    assert sourcing.load_model(starter / "model.yaml").rules == []
    (starter / "model.yaml").write_text(switch_on(text, rule), encoding="utf-8")
    model = sourcing.load_model(starter / "model.yaml")
    assert [r.rule for r in model.rules] == [rule]
    assert f"({optimum:,} USD" in text  # the comment states it
    plan = sourcing.solve(starter, model)
    assert plan.termination_condition.value == "optimal"
    assert plan.objective == pytest.approx(optimum)


def test_the_risk_objective_in_the_comment(starter):
    """Swapping the objective lines as the comment says: ore costs 40 + 10 in AUS against 30 + 30
    in CHL, refining 120 + 10 in the USA against 105 + 80 in CHN, so AUS mines 200 t and the USA
    refines 100 t: cost 20,000 and risk 3,000."""
    text = (starter / "model.yaml").read_text(encoding="utf-8")
    text = text.replace("\nobjective: least_cost", "\n# objective: least_cost")
    text = text.replace("\n# objective: {type: cost_and_risk", "\nobjective: {type: cost_and_risk")
    plan = sourcing.solve(starter, sourcing.load_model(yaml.safe_load(text)))
    assert plan.objective == pytest.approx(23_000)
    assert plan.costs["risk"] == pytest.approx(3_000)


def test_init_refuses_a_folder_that_is_not_empty_unless_forced(tmp_path):
    """A folder holding the planner's notes is refused (exit 2, naming the folder and --force)
    and left as it was; --force writes the starter beside the notes, which stay. A file in
    place of the folder is refused even with --force."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    refused = run("init", str(folder))
    assert refused.returncode == 2
    assert f"command line, field 'DIR': {folder} is not empty: choose a new folder, or add " in (
        refused.stderr
    )
    assert "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]

    forced = run("init", str(folder), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (folder / "supply.csv").exists()

    from sourcing.data.starter import write_starter

    with pytest.raises(InputError, match="is a file: give a folder"):
        write_starter(folder / "notes.txt", force=True)


def test_the_starter_ships_in_a_non_editable_install():
    """pyproject's package-data names every file of the starter, so a wheel carries them (an
    editable install would find them in the checkout either way)."""
    import fnmatch
    import tomllib

    from sourcing.data.starter import starter_files
    from tests.conftest import ROOT

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["sourcing"]
    from sourcing.data.schema import TABLES

    names = [f"templates/starter/{f.name}" for f in starter_files()]
    # every table (10 since issue 13's stockpiles and reference_prices), instance.yaml,
    # model.yaml and README.md
    assert len(TABLES) == 10 and len(names) == 13
    assert all(any(fnmatch.fnmatch(n, p) for p in patterns) for n in names)


# The README's answers, each checked on the starter.


def test_a_site_country_must_be_in_countries_csv(starter):
    """Moving the plant to DEU, which countries.csv does not list, is an input error naming the
    sites table, its row and field."""
    edit_table(starter, "sites", change=lambda r: {**r, "country": "DEU"})
    with pytest.raises(InputError) as refused:
        sourcing.validate(starter)
    assert "sites, row 2, field 'country': unknown country 'DEU' (not in countries)" in [
        str(p) for p in refused.value.problems
    ]


def test_yields_csv_is_optional(starter):
    """Without yields.csv every yield is 1: 100 t of ore, all Chilean (3,000), refined in China
    at 60 + 5 + 20 + 15 = 100 per t (10,000): 13,000."""
    (starter / "yields.csv").unlink()
    assert sourcing.solve(starter).objective == pytest.approx(13_000)


def test_lanes_run_one_way(starter):
    """transport.csv's CHN,USA row turned round (USA,CHN) no longer carries China's refined
    lithium to the US plant: China's refinery has no lane onward (a warning), and the USA
    refines all 100 t: 6,500 + 100 × 120 = 18,500."""
    edit_table(
        starter,
        "transport",
        change=lambda r: {**r, "from": "USA", "to": "CHN"} if r["from"] == "CHN" else r,
    )
    assert sourcing.validate(starter) == [
        "supply, row 4, field 'country': li at stage 'refining' in CHN: no allowed lane onward "
        "(list one in transport.csv or set transport_default)"
    ]
    assert sourcing.solve(starter).objective == pytest.approx(18_500)
