"""Scenarios as worked examples: each change on a tiny instance whose answer is derived by hand.

The instance ``TWO_PLANTS`` (one stage, delivered to two plants, 1 per unit on every lane):

    gallium   CHN price 10 (capacity 200), AUS price 14 (unlimited)
    lithium   CHN price 5, AUS price 6 (both unlimited)
    demand    gallium: us-plant (USA) 100, eu-plant (DEU) 50; lithium: us-plant 10

Least cost buys everything in China: gallium 150 × (10 + 1) = 1650, lithium 10 × (5 + 1) = 60,
total 1710.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import sourcing
from sourcing.errors import InputError
from sourcing.scenarios import (
    SCENARIOS_DIR,
    Scenario,
    apply,
    apply_scenarios,
    available_scenarios,
    load_scenario,
)
from tests.conftest import DEMO


def two_plants(lanes: str = "default") -> dict:
    """``lanes``: 'default' (transport_default 1) or 'listed' (a general row per lane)."""
    document = {
        "name": "two-plants",
        "stages": ["mining"],
        "minerals": [{"mineral": "gallium"}, {"mineral": "lithium"}],
        "countries": [
            {"country": "CHN", "groups": "FEOC"},
            {"country": "AUS", "groups": "FTA"},
            {"country": "USA", "groups": "US"},
            {"country": "DEU", "groups": "EU"},
        ],
        "sites": [{"site": "us-plant", "country": "USA"}, {"site": "eu-plant", "country": "DEU"}],
        "supply": [
            {
                "mineral": "gallium",
                "stage": "mining",
                "country": "CHN",
                "price": 10,
                "capacity": 200,
            },
            {"mineral": "gallium", "stage": "mining", "country": "AUS", "price": 14},
            {"mineral": "lithium", "stage": "mining", "country": "CHN", "price": 5},
            {"mineral": "lithium", "stage": "mining", "country": "AUS", "price": 6},
        ],
        "demand": [
            {"mineral": "gallium", "site": "us-plant", "quantity": 100},
            {"mineral": "gallium", "site": "eu-plant", "quantity": 50},
            {"mineral": "lithium", "site": "us-plant", "quantity": 10},
        ],
    }
    if lanes == "default":
        document["transport_default"] = 1
    else:
        document["transport"] = [
            {"from": f, "to": t, "cost": 1} for f in ("CHN", "AUS") for t in ("USA", "DEU")
        ]
    return document


def scenario(*changes: dict, name: str = "test") -> dict:
    return {"name": name, "changes": list(changes)}


def cost(document, *scenarios, model=None) -> float:
    plan = sourcing.solve(document, model, scenario=list(scenarios))
    assert plan.termination_condition.value == "optimal", plan.infeasibility
    return plan.objective


BAN_GALLIUM_TO_US = scenario(
    {"change": "ban", "minerals": ["gallium"], "countries": ["CHN"], "destinations": ["USA"]},
    name="ban",
)


def test_the_base_plan_buys_in_china():
    assert cost(two_plants()) == pytest.approx(1710)


@pytest.mark.parametrize("lanes", ["default", "listed"])
def test_a_ban_toward_the_us_switches_the_us_plant_to_australia(lanes):
    """China may no longer ship gallium to the US: the US plant buys Australian gallium at
    14 + 1 = 15 (100 × 15 = 1500), the EU plant keeps Chinese gallium (50 × 11 = 550), lithium
    still comes from China (60): 2110, 400 more than the base plan."""
    plan = sourcing.solve(two_plants(lanes), scenario=BAN_GALLIUM_TO_US)
    assert plan.objective == pytest.approx(2110)
    flows = {(r.mineral, r.from_country, r.site): r.quantity for r in plan.flows.itertuples()}
    assert flows == pytest.approx(
        {
            ("gallium", "AUS", "us-plant"): 100,
            ("gallium", "CHN", "eu-plant"): 50,
            ("lithium", "CHN", "us-plant"): 10,
        }
    )
    assert plan.instance == "two-plants [ban]"


def test_a_ban_closes_only_the_banned_lanes_in_the_data():
    """The default cost becomes explicit rows; the banned lane of gallium is the only one
    missing (lithium keeps a China → US row)."""
    instance = sourcing.load_instance(two_plants())
    changed, warnings = apply(instance, Scenario.model_validate(BAN_GALLIUM_TO_US))
    assert warnings == []
    assert changed.transport_default is None
    lanes = {(r["from"], r["to"], r.get("mineral")): r["cost"] for r in changed.transport}
    assert lanes == {
        ("CHN", "USA", "lithium"): 1,
        ("CHN", "DEU", None): 1,
        ("AUS", "USA", None): 1,
        ("AUS", "DEU", None): 1,
    }


def test_a_ban_by_group_and_toward_every_country():
    """Banning everything the FEOC group exports (destinations absent): both plants buy in
    Australia: gallium 150 × 15 = 2250, lithium 10 × 7 = 70, total 2320."""
    ban = scenario({"change": "ban", "groups": ["FEOC"]})
    assert cost(two_plants(), ban) == pytest.approx(2320)


def test_a_capacity_cut_halves_china():
    """China's gallium capacity 200 × (1 − 0.5) = 100: China 100 × 11 + Australia 50 × 15 =
    1850, plus lithium 60: 1910."""
    cut = scenario(
        {"change": "capacity", "minerals": ["gallium"], "countries": ["CHN"], "cut": 0.5}
    )
    assert cost(two_plants(), cut) == pytest.approx(1910)


def test_a_full_cut_closes_an_unlimited_offer_and_a_partial_one_warns():
    """Lithium in China has no capacity (unlimited): a cut of 1 closes it (lithium from
    Australia, 10 × 7 = 70: total 1720); a 50% cut leaves it unlimited, with a warning."""
    full = scenario({"change": "capacity", "minerals": ["lithium"], "countries": ["CHN"], "cut": 1})
    assert cost(two_plants(), full) == pytest.approx(1720)
    half = scenario(
        {"change": "capacity", "minerals": ["lithium"], "countries": ["CHN"], "cut": 0.5}
    )
    plan = sourcing.solve(two_plants(), scenario=half)
    assert plan.objective == pytest.approx(1710)
    assert any("unlimited" in w and "lithium" in w for w in plan.warnings)


def test_price_changes():
    """China's gallium at 10 × 1.5 = 15 loses to Australia's 14: gallium 150 × 15 = 2250, plus
    lithium 60: 2310. At 10 + 3 = 13 China still wins: 150 × 14 = 2100, plus 60: 2160."""
    dearer = {"change": "price", "minerals": ["gallium"], "countries": ["CHN"]}
    assert cost(two_plants(), scenario({**dearer, "factor": 1.5})) == pytest.approx(2310)
    assert cost(two_plants(), scenario({**dearer, "add": 3})) == pytest.approx(2160)


def test_a_tariff_change_on_one_lane():
    """A US tariff of 2 per unit on Chinese gallium: China still wins (10 + 1 + 2 = 13 < 15),
    so the plan pays 100 × 2 = 200 of tariffs: 1910. At a rate of 50% (10 × 0.5 = 5 per unit,
    landed 16 > 15) the US plant switches to Australia as under the ban: 2110."""
    tariff = {"change": "tariff", "minerals": ["gallium"], "countries": ["CHN"]}
    tariff["destinations"] = ["US"]  # a group of destination
    plan = sourcing.solve(two_plants(), scenario=scenario({**tariff, "per_unit": 2}))
    assert plan.objective == pytest.approx(1910)
    assert plan.costs["tariffs"] == pytest.approx(200)
    assert cost(two_plants(), scenario({**tariff, "rate": 0.5})) == pytest.approx(2110)


def test_a_demand_change():
    """Twice the lithium: 20 × 6 = 120 instead of 60: 1770."""
    more = scenario({"change": "demand", "minerals": ["lithium"], "factor": 2})
    assert cost(two_plants(), more) == pytest.approx(1770)
    by_site = scenario({"change": "demand", "sites": ["eu-plant"], "factor": 0})
    assert cost(two_plants(), by_site) == pytest.approx(1710 - 550)


def test_scenarios_combine_in_order():
    """×1.2 then +1 puts China's gallium at 13 (landed 14 < 15): 150 × 14 + 60 = 2160; +1 then
    ×1.2 puts it at 13.2 (landed 14.2): 150 × 14.2 + 60 = 2190. Two 50% cuts leave a quarter:
    China 50 × 11 + Australia 100 × 15 + 60 = 2110."""
    times = scenario(
        {"change": "price", "countries": ["CHN"], "minerals": ["gallium"], "factor": 1.2}
    )
    plus = scenario({"change": "price", "countries": ["CHN"], "minerals": ["gallium"], "add": 1})
    assert cost(two_plants(), times, plus) == pytest.approx(2160)
    assert cost(two_plants(), plus, times) == pytest.approx(2190)
    half = scenario(
        {"change": "capacity", "countries": ["CHN"], "minerals": ["gallium"], "cut": 0.5}
    )
    assert cost(two_plants(), half, half) == pytest.approx(2110)


# -- dates and periods ------------------------------------------------------------------------


def yearly(periods=("2023", "2024", "2025")) -> dict:
    """Ore for a buyer at the supplier's door, 100 t every period: China 10 (capacity 100),
    Australia 14 (unlimited). Base: 1000 per period."""
    return {
        "name": "yearly",
        "stages": ["mining"],
        "periods": list(periods),
        "minerals": [{"mineral": "ore"}],
        "countries": [{"country": "CHN"}, {"country": "AUS"}],
        "supply": [
            {"mineral": "ore", "stage": "mining", "country": "CHN", "price": 10, "capacity": 100},
            {"mineral": "ore", "stage": "mining", "country": "AUS", "price": 14},
        ],
        "demand": [{"mineral": "ore", "quantity": 100}],
    }


def cut_china(**window) -> dict:
    return scenario({"change": "capacity", "countries": ["CHN"], "cut": 0.5, **window})


def test_a_dated_cut_hits_the_periods_it_overlaps():
    """A 50% cut from 1 June 2024 hits 2024 and 2025 (each: China 50 × 10 + Australia 50 × 14 =
    1200): 1000 + 1200 + 1200 = 3400. Suspended for 2025, only 2024: 3200."""
    assert cost(yearly(), cut_china(**{"from": "2024-06-01"})) == pytest.approx(3400)
    suspended = cut_china(**{"from": "2024-06-01", "suspended": [{"from": 2025, "until": 2026}]})
    assert cost(yearly(), suspended) == pytest.approx(3200)


def test_a_row_for_every_period_is_split_when_only_some_change():
    instance = sourcing.load_instance(yearly())
    changed, _ = apply_scenarios(instance, cut_china(**{"from": "2024", "until": "2025"}))
    china = {r["period"]: r["capacity"] for r in changed.supply if r["country"] == "CHN"}
    assert china == {"2023": 100, "2024": 50, "2025": 100}


def test_periods_named_otherwise_are_selected_by_name():
    """Periods p1, p2: 'from: p2' cuts p2 only: 1000 + 1200."""
    plain = yearly(("p1", "p2"))
    assert cost(plain, cut_china(**{"from": "p2"})) == pytest.approx(2200)
    with pytest.raises(InputError, match="period 'p1' is not a date"):
        sourcing.solve(plain, scenario=cut_china(**{"from": "2024-01-01"}))
    with pytest.raises(InputError, match="'p9' is neither a date"):
        sourcing.solve(plain, scenario=cut_china(**{"from": "p9"}))


def test_an_undated_instance_takes_every_change():
    """Without periods the plan is undated: a measure from 2030 applies (the question is 'what
    if it hits us'). China's gallium capacity halves: 1910 as above."""
    cut = scenario(
        {
            "change": "capacity",
            "minerals": ["gallium"],
            "countries": ["CHN"],
            "cut": 0.5,
            "from": 2030,
        }
    )
    assert cost(two_plants(), cut) == pytest.approx(1910)


def test_a_ban_must_hold_in_every_period_or_none():
    """Transport has no period column, so a ban in force in some periods only is refused."""
    ban = scenario({"change": "ban", "countries": ["CHN"], "from": "2024"})
    with pytest.raises(InputError, match="in force in 2024, 2025 and not in 2023"):
        sourcing.solve(yearly(), scenario=ban)
    later = scenario({"change": "ban", "countries": ["CHN"], "from": "2030"})
    assert cost(yearly(), later) == pytest.approx(3000)  # in force in no period: no change


# -- names and errors -------------------------------------------------------------------------


def test_names_the_instance_lacks_are_skipped_with_a_warning():
    cut = scenario(
        {
            "change": "capacity",
            "minerals": ["gallium", "germanium"],
            "countries": ["CHN"],
            "cut": 0.5,
        }
    )
    plan = sourcing.solve(two_plants(), scenario=cut)
    assert plan.objective == pytest.approx(1910)
    assert any("germanium" in w and "skipped" in w for w in plan.warnings)
    with pytest.raises(InputError, match="germanium"):
        sourcing.solve(two_plants(), scenario=cut, strict=True)


def test_a_scenario_naming_nothing_the_instance_has_is_an_error():
    cut = scenario({"change": "capacity", "minerals": ["germanium"], "cut": 0.5}, name="ge")
    with pytest.raises(InputError, match="scenario ge: changes nothing .* minerals germanium"):
        sourcing.solve(two_plants(), scenario=cut)


def test_bad_scenario_files_name_file_row_and_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "changes:\n"
        "  - {change: capacity, cut: 1.5}\n"
        "  - {change: capacity, cut: 0.5, colour: red}\n"
        "  - {change: embargo}\n"
        "  - {change: tariff, countries: [CHN]}\n"
        "  - {change: ban, minerals: [gallium]}\n"
    )
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    text = str(caught.value)
    assert "scenario bad.yaml changes, row 1, field 'cut': must be at most 1" in text
    assert "row 2, field 'colour': unknown key (allowed: change, from, until" in text
    assert "row 3, field 'change': unknown change (one of: capacity, ban, price" in text
    assert "row 4, field 'rate': a tariff change needs 'rate' and/or 'per_unit'" in text
    assert "row 5, field 'countries': a ban needs 'countries' and/or 'groups'" in text
    with pytest.raises(InputError, match="no scenario file or name 'nowhere'.*cn-graphite-2023"):
        load_scenario("nowhere")
    path.write_text("changes: [")
    with pytest.raises(InputError, match="scenario bad.yaml: cannot read bad.yaml"):
        load_scenario(path)


# -- the library ------------------------------------------------------------------------------


LIBRARY = available_scenarios()


def test_the_library_holds_the_measures_of_the_design_notes():
    assert {
        "cn-gallium-germanium-2023",
        "cn-graphite-2023",
        "cn-antimony-2024",
        "cn-us-export-ban-2024",
        "cn-rare-earths-2025-04",
        "cn-rare-earths-2025-10",
    } <= set(LIBRARY)


@pytest.mark.parametrize("name", LIBRARY)
def test_every_library_scenario_is_dated_sourced_and_applies_to_the_demo(name):
    """Each applies to battery-demo (lithium, graphite, cobalt), or says clearly that the demo
    has none of the minerals it names."""
    loaded = load_scenario(name)
    assert loaded.name == name and loaded.source and loaded.date and loaded.description
    named = {m for change in loaded.changes for m in change.minerals or []}
    demo = sourcing.load_instance(DEMO)
    if named & {"lithium", "graphite", "cobalt"}:
        changed, _ = apply_scenarios(demo, name)
        assert changed.supply != demo.supply or changed.transport != demo.transport
    else:
        with pytest.raises(InputError) as caught:
            apply_scenarios(demo, name)
        assert "changes nothing in instance 'battery-demo'" in str(caught.value)
        assert all(m in str(caught.value) for m in named)


def test_the_graphite_measure_cuts_chinas_graphite_by_30_percent():
    """battery-demo's China offers 1000 t of graphite at each stage: 700 under the measure."""
    changed, warnings = apply_scenarios(sourcing.load_instance(DEMO), "cn-graphite-2023")
    assert warnings == []
    china = {
        r["stage"]: r["capacity"]
        for r in changed.supply
        if r["mineral"] == "graphite" and r["country"] == "CHN"
    }
    assert china == pytest.approx({"mining": 700, "refining": 700})


def test_the_us_ban_is_in_force_in_2025_suspended_in_2026_and_back_in_2027():
    """The ban of 3 Dec 2024 is suspended 9 Nov 2025 – 27 Nov 2026: yearly periods 2025 and 2027
    overlap days in force, 2026 does too (27 Nov – 31 Dec), 2024 as well (3 – 31 Dec)."""
    from sourcing.scenarios import _periods_in_force

    ban = load_scenario("cn-us-export-ban-2024").changes[0]
    instance = sourcing.load_instance(yearly(("2023", "2024", "2025", "2026", "2027")))
    assert _periods_in_force(ban, instance, ("t", 1)) == {"2024", "2025", "2026", "2027"}
    quarters = sourcing.load_instance(yearly(("2025-Q4", "2026-Q1", "2026-Q4", "2027-Q1")))
    assert _periods_in_force(ban, quarters, ("t", 1)) == {"2025-Q4", "2026-Q4", "2027-Q1"}


def test_library_files_are_found_by_name_and_by_path():
    by_name = load_scenario("cn-graphite-2023")
    by_path = load_scenario(SCENARIOS_DIR / "cn-graphite-2023.yaml")
    assert by_name == by_path


# -- the command line -------------------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sourcing.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_solve_with_scenarios(tmp_path):
    instance = tmp_path / "two-plants.json"
    instance.write_text(json.dumps(two_plants()))
    ban = tmp_path / "ban.yaml"
    ban.write_text(json.dumps(BAN_GALLIUM_TO_US))  # JSON is YAML
    done = run("solve", str(instance), "--scenario", str(ban), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["objective"] == pytest.approx(2110)
    cut = tmp_path / "cut.yaml"
    cut.write_text(
        "name: cut\nchanges:\n"
        "  - {change: capacity, minerals: [gallium], countries: [CHN], cut: 0.5}\n"
    )
    done = run("solve", str(instance), "-s", str(ban), "-s", str(cut), "--format", "json")
    plan = json.loads(done.stdout)
    assert plan["objective"] == pytest.approx(2110)  # 100 t of Chinese gallium still go to the EU
    assert plan["instance"] == "two-plants [ban + cut]"


def test_cli_solve_with_a_scenario_the_instance_cannot_take_exits_2():
    done = run("solve", str(DEMO), "--scenario", "cn-antimony-2024")
    assert done.returncode == 2
    assert "scenario cn-antimony-2024: changes nothing" in done.stderr
    assert "antimony" in done.stderr and "Traceback" not in done.stderr


def test_cli_lists_the_library():
    done = run("scenarios")
    assert done.returncode == 0
    for name in LIBRARY:
        assert name in done.stdout
    assert "2023-08-01" in done.stdout
    schema = json.loads(run("schema", "scenario").stdout)
    assert {"name", "source", "date", "changes"} <= set(schema["properties"])
    done = run("validate", str(DEMO), "--scenario", "cn-graphite-2023")
    assert done.returncode == 0 and "valid" in done.stdout
