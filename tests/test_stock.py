"""Stockpiles link the periods (``stockpiles.csv``, ``sourcing/model/stock.py``): worked
examples derived by hand, the stock table of the plan, and bad stockpile rows named by table, row
and field. The case of a stock built ahead of a ban is ``instances/examples/stockpile-ban``.
"""

from __future__ import annotations

import json

import pytest

import sourcing
from sourcing import InputError
from tests.checker import check_plan
from tests.conftest import ROOT


def gallium(stockpile: dict, demand: list[dict], supply: list[dict]) -> dict:
    return {
        "name": "gallium-stock",
        "stages": ["mining"],
        "periods": ["2026", "2027", "2028"],
        "minerals": [{"mineral": "ga"}],
        "countries": [{"country": "CHN"}, {"country": "JPN"}],
        "supply": supply,
        "demand": demand,
        "stockpiles": [stockpile],
    }


THREE_YEARS = gallium(
    {"site": "buyer", "mineral": "ga", "initial": 50, "holding_cost": 10, "final_min": 5},
    [
        {"mineral": "ga", "quantity": 100, "period": "2026"},
        {"mineral": "ga", "quantity": 100, "period": "2028"},
    ],
    [
        {"mineral": "ga", "stage": "mining", "country": "CHN", "price": 100, "period": "2027"},
        {"mineral": "ga", "stage": "mining", "country": "JPN", "price": 300},
    ],
)


def test_stock_is_built_in_a_year_without_demand_and_the_initial_stock_is_used_first():
    """Three years; demand 100 t in 2026 and 2028, none in 2027. Japan sells at 300 every year,
    China at 100 in 2027 only. The stockpile (no capacity limit) opens with 50 t, costs 10 per
    tonne of closing stock per year and must end with at least 5 t.

    2026: the 50 t in stock meet half the demand (kept for 2028 each would cost 2 × 10 of holding
    and replace a Chinese tonne at 100 + 10: worth less than the 300 a Japanese tonne costs now);
    the other 50 t from Japan, 15,000. 2027: the site demands nothing, but China's tonnes at
    100 + 10 (a year in stock) beat Japan's 300 in 2028: buy 2028's 100 t plus the 5 t to end
    with, 105 × 100 = 10,500, holding 105 × 10 = 1,050. 2028: draw 100 t, end with 5 t,
    holding 50. Total 15,000 + 10,500 + 1,050 + 50 = **26,600** (purchase 25,500, holding 1,100).
    """
    plan = sourcing.solve(THREE_YEARS)
    assert plan.objective == pytest.approx(26_600)
    assert plan.costs["purchase"] == pytest.approx(25_500)
    assert plan.costs["holding"] == pytest.approx(1_100)
    stock = plan.stock.set_index("period")
    assert stock["opening"].tolist() == pytest.approx([50, 0, 105])
    assert stock["in"].tolist() == pytest.approx([0, 105, 0])
    assert stock["out"].tolist() == pytest.approx([50, 0, 100])
    assert stock["closing"].tolist() == pytest.approx([0, 105, 5])
    assert len(plan.shortfall) == 0
    instance = sourcing.load_instance(THREE_YEARS)
    assert check_plan(instance, [], plan).problems == []


def test_the_plan_json_carries_the_stock_table_and_the_holding_cost():
    """The JSON plan has ``stock`` (site, mineral, period, opening, in, out, closing) after
    ``shortfall``, and ``costs.holding``; a plan without stockpiles has an empty ``stock`` and
    no ``holding`` cost (every plan without stockpiles reads as before)."""
    plan = json.loads(sourcing.solve(THREE_YEARS).to_json())
    keys = list(plan)
    assert keys.index("stock") == keys.index("shortfall") + 1
    assert plan["stock"][1] == {
        "site": "buyer",
        "mineral": "ga",
        "period": "2027",
        "opening": 0.0,
        "in": 105.0,
        "out": 0.0,
        "closing": 105.0,
    }
    assert plan["costs"]["holding"] == 1100.0
    bare = json.loads(sourcing.solve({**THREE_YEARS, "stockpiles": []}).to_json())
    assert bare["stock"] == [] and "holding" not in bare["costs"]


def test_without_the_stockpile_the_three_years_cost_more():
    """Without stock every tonne comes from Japan (China offers only in 2027, when nothing is
    demanded): 200 × 300 = 60,000 against 26,600."""
    plan = sourcing.solve({**THREE_YEARS, "stockpiles": []})
    assert plan.objective == pytest.approx(60_000)


def test_a_capacity_below_the_initial_stock_is_refused_with_its_row_and_field():
    """``initial`` 90 in a stockpile of 80; a site that does not exist; a holding cost that is
    not a number: three problems, each named by table, row and field (rows counted from 1 in a
    document)."""
    document = {
        **THREE_YEARS,
        "stockpiles": [
            {"site": "buyer", "mineral": "ga", "initial": 90, "capacity": 80, "holding_cost": 1},
            {"site": "plant", "mineral": "ga", "holding_cost": 1},
            {"site": "buyer", "mineral": "li", "holding_cost": "ten"},
        ],
    }
    with pytest.raises(InputError) as raised:
        sourcing.load_instance(document)
    found = {(p.table, p.row, p.field) for p in raised.value.problems}
    assert ("stockpiles", 1, "initial") in found
    assert ("stockpiles", 2, "site") in found
    assert ("stockpiles", 3, "holding_cost") in found


def test_a_stockpile_listed_twice_is_refused():
    """Two rows for the buyer's gallium: which would hold the stock? The second is named."""
    pile = {"site": "buyer", "mineral": "ga", "holding_cost": 1}
    with pytest.raises(InputError) as raised:
        sourcing.load_instance({**THREE_YEARS, "stockpiles": [pile, pile]})
    assert [(p.table, p.row, p.field) for p in raised.value.problems] == [("stockpiles", 2, "site")]


@pytest.mark.parametrize("days", [0, -30, "ninety"])
def test_period_days_must_be_a_positive_number(days):
    with pytest.raises(InputError) as raised:
        sourcing.load_instance({**THREE_YEARS, "period_days": days})
    assert any(p.field == "period_days" for p in raised.value.problems)


COVER_CASE = "instances/examples/stockpile-cover"


def test_a_soft_cover_is_kept_where_it_costs_less_than_its_penalty():
    """stockpile-cover (China at 100 both years, holding 20, demand 100 t a year, cover 20 t at
    the end of each year) with a penalty of 50 per tonne short. Holding 20 t at the end of
    2026 costs only their year of holding, 20 < 50 (they are 2027's tonnes, bought a year early
    at the same price): kept. Holding 20 t at the end of 2027 costs 100 + 20 = 120 > 50 per
    tonne: left short, 20 × 50 = 1,000. 2026: 120 t, 12,000, holding 400; 2027: 80 t bought and
    the 20 drawn, 8,000. Total 12,000 + 400 + 8,000 + 1,000 = **21,400** (below the hard
    cover's 22,800)."""
    model = {"rules": [{"rule": "stockpile_cover", "minerals": ["li"], "days": 73, "penalty": 50}]}
    plan = sourcing.solve(COVER_CASE, model)
    assert plan.objective == pytest.approx(21_400)
    assert plan.costs["cover_shortfall"] == pytest.approx(1_000)
    assert plan.costs["holding"] == pytest.approx(400)
    assert plan.stock["closing"].tolist() == pytest.approx([20, 0])
    instance = sourcing.load_instance(COVER_CASE)
    specs = list(sourcing.load_model(model).rules)
    check = check_plan(instance, specs, plan)
    assert check.problems == [] and check.costs["cover_shortfall"] == pytest.approx(1_000)


def test_a_hard_cover_at_a_site_without_a_stockpile_is_named_before_solving():
    """The cover rule on the stockpile-ban case's gallium works; on lithium at a buyer without a
    stockpile of it the rule cannot hold, and validate says where and why."""
    document = {
        **THREE_YEARS,
        "minerals": [{"mineral": "ga"}, {"mineral": "li"}],
        "supply": [
            *THREE_YEARS["supply"],
            {"mineral": "li", "stage": "mining", "country": "JPN", "price": 9},
        ],
        "demand": [*THREE_YEARS["demand"], {"mineral": "li", "quantity": 10, "period": "2026"}],
    }
    warnings = sourcing.validate(document, {"rules": [{"rule": "stockpile_cover", "days": 73}]})
    text = "\n".join(str(w) for w in warnings)
    assert "li in period '2026': stockpile_cover asks for 2 in stock at site 'buyer'" in text
    assert "no stockpile of li" in text
    assert "ga in period" not in text


def test_a_reference_price_of_an_unknown_stage_or_period_is_refused():
    """reference_prices rows are checked like supply rows: a stage the instance lacks, a period
    it does not declare, and the same mineral and stage twice, each named by row and field."""
    document = {
        **THREE_YEARS,
        "reference_prices": [
            {"mineral": "ga", "stage": "refining", "price": 110},
            {"mineral": "ga", "stage": "mining", "price": 110, "period": "2030"},
            {"mineral": "ga", "stage": "mining", "price": 120, "period": "2026"},
            {"mineral": "ga", "stage": "mining", "price": 125, "period": "2026"},
        ],
    }
    with pytest.raises(InputError) as raised:
        sourcing.load_instance(document)
    found = {(p.table, p.row, p.field) for p in raised.value.problems}
    assert found == {
        ("reference_prices", 1, "stage"),
        ("reference_prices", 2, "period"),
        ("reference_prices", 4, "mineral"),
    }


STOCKPILE_2024 = "instances/usgs-2024-stockpile"


def test_usgs_2024_stock_bought_before_the_ban_replaces_what_the_ban_leaves_unmet():
    """usgs-2024 over 2025-2027, China selling nothing from 2026 (recorded in the instance's
    README). Without stock the ban leaves 11,044 t unmet; with a stockpile, what is built in
    2025 of each mineral is exactly what would be unmet in 2026 and 2027, half drawn each year,
    nothing is unmet, and the plan costs 165,665,076.63 USD less (holding 15,581,254.50)."""
    ban = f"{STOCKPILE_2024}/china-ban-2026.yaml"
    instance = sourcing.load_instance(STOCKPILE_2024)
    bare = sourcing.solve(instance.model_copy(update={"stockpiles": []}), scenario=ban)
    stocked = sourcing.solve(instance, scenario=ban)
    assert bare.objective == pytest.approx(26_134_320_907.21, rel=1e-9)
    assert stocked.objective == pytest.approx(25_968_655_830.58, rel=1e-9)
    assert stocked.costs["holding"] == pytest.approx(15_581_254.50, rel=1e-9)
    assert len(stocked.shortfall) == 0
    unmet = bare.shortfall.groupby("mineral")["shortfall"].sum()
    assert unmet.sum() == pytest.approx(11_044)
    held = stocked.stock.pivot_table(index="mineral", columns="period", values="closing")
    built = held[held["2025"] > 1e-6]
    assert set(built.index) == set(unmet.index) == {"bismuth", "gallium", "magnesium", "tungsten"}
    for mineral in built.index:
        assert built.loc[mineral, "2025"] == pytest.approx(unmet[mineral])
        assert built.loc[mineral, "2026"] == pytest.approx(unmet[mineral] / 2)


def test_kazakhstan_stock_bought_before_the_ban_is_the_magnesium_the_ban_would_leave_unmet():
    """instances/kazakhstan-stockpile (README.md there), least cost: the ban from 2026 leaves
    10,500 t of magnesium unmet without stock; with a stockpile, 10,500 t is bought in 2025 and
    drawn 5,250 t a year, and what stock saves is the recorded USD 129,863,943.40."""
    folder = ROOT / "instances" / "kazakhstan-stockpile"
    instance = sourcing.load_instance(folder)
    bare = instance.model_copy(update={"stockpiles": []})
    ban = folder / "china-ban-2026.yaml"
    without = sourcing.solve(bare, "least-cost", scenario=ban)
    stocked = sourcing.solve(instance, "least-cost", scenario=ban)
    assert without.objective - stocked.objective == pytest.approx(129_863_943.40, abs=0.05)
    short = without.shortfall.groupby("mineral")["shortfall"].sum()
    assert short["magnesium"] == pytest.approx(10_500)
    held = stocked.stock.set_index(["mineral", "period"])["closing"]
    assert held[("magnesium", "2025")] == pytest.approx(10_500)
    assert held[("magnesium", "2026")] == pytest.approx(5_250)
