"""compare: one row per model and scenario, each an ordinary solve, against the first row.

Worked example: ``two_plants`` of tests/test_scenarios.py (least cost 1710, all from China), the
model ``CAP`` (no country above 60% of gallium) and the scenario ``ban`` (no Chinese gallium to
the US):

    model        scenario  plan                                                   total  change
    least-cost   baseline  gallium CHN 150 × 11, lithium CHN 10 × 6               1710       0
    least-cost   ban       gallium to the US from AUS: 100 × 15 + 50 × 11 + 60    2110    +400
    gallium-cap  baseline  CHN ≤ 90 of 150: 90 × 11 + 60 × 15 + 60               1950    +240
    gallium-cap  ban       the US plant's 100 t must come from AUS: > 60% of 150  infeasible

Gallium's largest share and HHI: 100% / 10,000; under the ban AUS 2/3, CHN 1/3 (HHI 5,556);
under the cap 60% / 40% (HHI 5,200).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import sourcing
from sourcing.analysis import compare
from tests.conftest import DEMO, INSTANCES
from tests.test_scenarios import BAN_GALLIUM_TO_US, two_plants

CAP = {
    "name": "gallium-cap",
    "rules": [{"rule": "max_country_share", "share": 0.6, "minerals": ["gallium"]}],
}


def test_the_worked_example():
    table = compare(two_plants(), ["least-cost", CAP], [BAN_GALLIUM_TO_US])
    assert table[["model", "scenario", "status"]].values.tolist() == [
        ["least-cost", "baseline", "optimal"],
        ["least-cost", "ban", "optimal"],
        ["gallium-cap", "baseline", "optimal"],
        ["gallium-cap", "ban", "infeasible"],
    ]
    assert table["total"].tolist()[:3] == pytest.approx([1710, 2110, 1950])
    assert np.isnan(table["total"].iloc[3])
    assert table["change"].tolist()[:3] == pytest.approx([0, 400, 240])
    assert table["change_pct"].iloc[2] == pytest.approx(240 / 1710)
    assert table["max_share gallium/mining"].tolist()[:3] == pytest.approx([1, 2 / 3, 0.6])
    assert table["hhi gallium/mining"].tolist()[:3] == pytest.approx([10_000, 50_000 / 9, 5_200])
    # the rule can give (its relaxation covers everything): no demand is physically short
    assert table["shortfall"].tolist() == [0, 0, 0, 0]
    assert list(table.columns[:4]) == ["model", "scenario", "status", "total"]
    assert "fixed" not in table.columns  # components that are zero in every row are left out


def test_rows_equal_separate_solves():
    table = compare(DEMO, ["least-cost", "eu-crma"], ["cn-graphite-2023+cn-rare-earths-2025-10"])
    assert len(table) == 4
    for row in table.to_dict("records"):
        scenario = (
            None
            if row["scenario"] == "baseline"
            else ["cn-graphite-2023", "cn-rare-earths-2025-10"]
        )
        plan = sourcing.solve(DEMO, row["model"], scenario=scenario)
        assert row["total"] == pytest.approx(plan.objective, rel=1e-12)
        for component, value in plan.costs.items():
            if component in row:
                assert row[component] == pytest.approx(value, rel=1e-12, abs=1e-9)
        for stage in plan.concentration.itertuples():
            label = f"{stage.mineral}/{stage.stage}"
            assert row[f"max_share {label}"] == pytest.approx(stage.max_share)
            assert row[f"hhi {label}"] == pytest.approx(stage.hhi)
    assert table["total"].iloc[2] == pytest.approx(13_809_525)  # eu-crma, README


def test_a_scenario_the_instance_lacks_is_an_input_error():
    with pytest.raises(sourcing.InputError, match="gallium, germanium"):
        compare(DEMO, ["least-cost"], ["cn-gallium-germanium-2023"])


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sourcing.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_compare(tmp_path):
    instance = tmp_path / "two-plants.json"
    instance.write_text(json.dumps(two_plants()))
    cap = tmp_path / "gallium-cap.yaml"
    cap.write_text(json.dumps(CAP))
    ban = tmp_path / "ban.yaml"
    ban.write_text(json.dumps(BAN_GALLIUM_TO_US))
    args = ("compare", str(instance), "-m", "least-cost", "-m", str(cap), "-s", str(ban))
    done = run(*args, "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [r["total"] for r in result["rows"]] == pytest.approx([1710, 2110, 1950, None])
    assert result["rows"][3]["status"] == "infeasible"
    done = run(*args, "--format", "csv")
    assert done.stdout.splitlines()[0].startswith("model,scenario,status,total,purchase,")
    assert done.stdout.splitlines()[2].startswith("least-cost,ban,optimal,2110.0,")
    done = run(*args)
    assert "Largest country share and HHI by stage" in done.stdout
    assert "+400.00" in done.stdout and "+23.39%" in done.stdout
    done = run("compare", str(instance), "-m", "no-such-model")
    assert done.returncode == 2 and "no model file or name 'no-such-model'" in done.stderr


def test_cli_compare_to_a_workbook(tmp_path):
    """--out compare.xlsx: one row per model, totals as number cells with the currency in the
    header, the same numbers as the JSON table."""
    from openpyxl import load_workbook

    book_path = tmp_path / "compare.xlsx"
    done = run("compare", str(DEMO), "-m", "least-cost", "-m", "eu-crma", "--out", str(book_path))
    assert done.returncode == 0, done.stderr
    sheet = load_workbook(book_path)["compare"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["model", "scenario", "status", "total (USD)"]
    assert "transport (USD)" in header and "shortfall (t)" in header
    totals = {row[0].value: row[3].value for row in sheet.iter_rows(min_row=2)}
    assert totals == {"least-cost": 13_655_500, "eu-crma": 13_809_525}
    no_file = run("compare", str(DEMO), "-m", "least-cost", "--format", "xlsx")
    assert no_file.returncode == 2 and "--out" in no_file.stderr


def test_the_shortfall_cost_is_money_and_the_shortfall_a_quantity():
    """instances/examples/soft-demand: 100 t of lithium for a US plant, 50 USD a tonne unmet.
    Australia lands at 40 + 8 = 48 (50 t of capacity); China at 30 + 10 + 25% × 30 + 5 = 52.5,
    above the penalty. So 50 t come from Australia (purchase 2,000, transport 400) and 50 t go
    unmet (2,500 USD of penalty): total 4,900.

    The table once overwrote the penalty (money) with the unmet tonnes under one name
    ``shortfall``: the cost columns must add up to ``total``, and each name appear once."""
    example = INSTANCES / "examples" / "soft-demand"
    table = compare(example)
    row = table.iloc[0]
    assert row["total"] == pytest.approx(4900)
    assert (row["purchase"], row["transport"]) == pytest.approx((2000, 400))
    assert row["shortfall_cost"] == pytest.approx(2500)
    assert row["shortfall"] == pytest.approx(50)
    assert row["purchase"] + row["transport"] + row["shortfall_cost"] == pytest.approx(row["total"])
    assert len(set(table.columns)) == len(table.columns)
    done = run("compare", str(example), "--format", "csv")
    header = done.stdout.splitlines()[0].split(",")
    assert header.count("shortfall") == 1 and header.count("shortfall_cost") == 1
