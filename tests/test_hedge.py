"""sourcing hedge: the two-stage extensive form, derived by hand on the gallium market.

The market (issue 14): gallium refined by CHN (1000 t at 100), KAZ (50 t at 130), DEU (30 t at
150) and JPN (100 t at 170); 100 t of hard demand. Reserving costs fee = 0.1 × price per tonne
reserved; a tonne bought without a reservation costs price × 1.5 (premium 0.5). One scenario,
"China's capacity cut by 100%", has probability p; the base (nothing changes) has 1 − p.

Per tonne, reserving is worth its fee when the tonne is bought, reserved, in enough scenarios:
reserving a tonne of an offer costs 0.1·price and saves 0.5·price in each scenario that buys it.
China is bought in the base only (0.1 < 0.5 (1 − p) while p < 0.8); a backup (KAZ, DEU, JPN) is
bought in the cut only, so it pays when 0.1·price < p × 0.5·price: p > 0.2, the break-even.
The cut scenario buys the cheapest 100 t without China: KAZ 50, DEU 30, JPN 20.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sourcing import solve
from sourcing.analysis.hedge import NoHedge, hedge
from sourcing.analysis.hedge_spec import parse_hedge
from sourcing.errors import InputError
from tests.conftest import DEMO, INSTANCES

GALLIUM = {
    "name": "gallium-hedge",
    "currency": "USD",
    "unit": "t",
    "stages": ["refining"],
    "minerals": [{"mineral": "gallium"}],
    "countries": [{"country": c} for c in ("CHN", "KAZ", "DEU", "JPN")],
    "supply": [
        {
            "mineral": "gallium",
            "stage": "refining",
            "country": "CHN",
            "capacity": 1000,
            "price": 100,
        },
        {"mineral": "gallium", "stage": "refining", "country": "KAZ", "capacity": 50, "price": 130},
        {"mineral": "gallium", "stage": "refining", "country": "DEU", "capacity": 30, "price": 150},
        {
            "mineral": "gallium",
            "stage": "refining",
            "country": "JPN",
            "capacity": 100,
            "price": 170,
        },
    ],
    "demand": [{"mineral": "gallium", "quantity": 100}],
}
CHINA_CUT = {
    "name": "china-cut",
    "changes": [{"change": "capacity", "countries": ["CHN"], "cut": 1.0}],
}


def terms(p: float, **more) -> dict:
    return {
        "reservation_fee": 0.1,
        "spot_premium": 0.5,
        "scenarios": [{"scenario": "china-cut.yaml", "probability": p}],
        **more,
    }


@pytest.fixture
def cut_file(tmp_path: Path):
    """A hedge file beside china-cut.yaml: the scenario path is read relative to it."""
    import yaml

    (tmp_path / "china-cut.yaml").write_text(yaml.safe_dump(CHINA_CUT))

    def write(document: dict) -> Path:
        path = tmp_path / "hedge.yaml"
        path.write_text(yaml.safe_dump(document))
        return path

    return write


def reserved(result) -> dict[str, float]:
    frame = result.reservations
    return dict(zip(frame["country"], np.round(frame["reserved"], 6), strict=True))


def test_below_break_even_only_china_is_reserved(cut_file):
    """p = 0.1 < 0.2: backups do not pay.

    Reservations: CHN 100 (fee 10/t < 0.9 × 50 saved), no backup (KAZ: fee 13 > 0.1 × 65).
    Base: 100 t of China, reserved, 10,000. Cut: spot KAZ 50 × 195 + DEU 30 × 225 + JPN 20 × 255
    = 9,750 + 6,750 + 5,100 = 21,600 (spot premium 7,200).
    Expected cost = fees 1,000 + 0.9 × 10,000 + 0.1 × 21,600 = 12,160.
    Perfect foresight: base reserves CHN 100 (100 × 110 = 11,000); the cut reserves KAZ 50, DEU 30,
    JPN 20 (50 × 143 + 30 × 165 + 20 × 187 = 15,840): 0.9 × 11,000 + 0.1 × 15,840 = 11,484,
    so EVPI = 12,160 − 11,484 = 676.
    The base-only reservations (CHN 100) are the hedge's own: VSS = 0.
    """
    result = hedge(GALLIUM, hedge=cut_file(terms(0.1)))
    assert reserved(result) == {"CHN": 100.0}
    assert result.reservation_fees == pytest.approx(1000)
    assert result.objective == pytest.approx(12160)
    assert result.wait_and_see == pytest.approx(11484)
    assert result.evpi == pytest.approx(676)
    assert result.vss == pytest.approx(0, abs=1e-6)
    costs = dict(zip(result.scenarios["scenario"], result.scenarios["cost"], strict=True))
    assert costs == pytest.approx({"base": 10000, "china-cut": 21600})
    assert result.plans["china-cut"].costs["spot_premium"] == pytest.approx(7200)


def test_above_break_even_the_backups_are_reserved(cut_file):
    """p = 0.5 > 0.2: every tonne the cut needs is reserved.

    Reservations: CHN 100 (10 < 0.5 × 50), KAZ 50 (13 < 0.5 × 65), DEU 30 (15 < 0.5 × 75),
    JPN 20 (17 < 0.5 × 85; no more: the cut needs only 20 of Japan's). Fees: 1,000 + 650 + 450
    + 340 = 2,440. Base: 10,000. Cut, all reserved: 6,500 + 4,500 + 3,400 = 14,400.
    Expected cost = 2,440 + 0.5 × 10,000 + 0.5 × 14,400 = 14,640.
    Perfect foresight: 0.5 × 11,000 + 0.5 × 15,840 = 13,420: EVPI = 14,640 − 13,420 = 1,220.
    Base-only reservations (CHN 100) under the scenarios: fees 1,000, base 10,000, cut all spot
    21,600: 1,000 + 5,000 + 10,800 = 16,800; VSS = 16,800 − 14,640 = 2,160.
    """
    result = hedge(GALLIUM, hedge=cut_file(terms(0.5)))
    assert reserved(result) == {"CHN": 100.0, "DEU": 30.0, "JPN": 20.0, "KAZ": 50.0}
    assert result.reservation_fees == pytest.approx(2440)
    assert result.objective == pytest.approx(14640)
    assert result.evpi == pytest.approx(1220)
    assert result.expected_cost_of_base_reservations == pytest.approx(16800)
    assert result.vss == pytest.approx(2160)
    cut = result.purchases[result.purchases["scenario"] == "china-cut"]
    assert cut["spot"].max() == pytest.approx(0, abs=1e-6)


@pytest.mark.parametrize("p", [0.0, 0.15, 0.2, 0.35, 0.8, 0.95])
def test_vss_and_evpi_are_never_negative(cut_file, p):
    """Whatever p: the base-only reservations are one choice the hedge had (VSS ≥ 0), and no
    choice made before knowing beats knowing (EVPI ≥ 0)."""
    result = hedge(GALLIUM, hedge=cut_file(terms(p)))
    assert result.vss is not None and result.vss >= -1e-6
    assert result.evpi >= -1e-6
    assert result.objective <= result.expected_cost_of_base_reservations + 1e-6


COBALT_CUT = {
    "name": "cobalt-refining-cut",
    "changes": [
        {
            "change": "capacity",
            "minerals": ["cobalt"],
            "stages": ["refining"],
            "countries": ["CHN"],
            "cut": 0.5,
        }
    ],
}


def test_vss_and_evpi_on_the_demo_under_two_china_measures():
    """Battery demo, eu-crma: the graphite licensing of the library (30%) and half of China's
    cobalt refining lost (20%)."""
    spec = {
        "reservation_fee": 0.05,
        "spot_premium": 0.3,
        "scenarios": [
            {"scenario": "cn-graphite-2023", "probability": 0.3},
            {"scenario": COBALT_CUT, "probability": 0.2},
        ],
    }
    result = hedge(DEMO, "eu-crma", hedge=spec)
    assert result.vss is not None and result.vss >= -1e-6
    assert result.evpi >= -1e-6
    assert list(result.scenarios["probability"]) == pytest.approx([0.5, 0.3, 0.2])


def test_one_scenario_of_probability_one_is_the_plan():
    """Without a fee, the hedge of one certain scenario buys its plan: every tonne reserved
    (the spot premium is avoidable), cost = the plan's, flows = the plan's."""
    spec = {
        "reservation_fee": 0.0,
        "spot_premium": 0.5,
        "scenarios": [{"scenario": "cn-graphite-2023", "probability": 1.0}],
    }
    result = hedge(DEMO, "eu-crma", hedge=spec)
    plan = solve(DEMO, "eu-crma", scenario="cn-graphite-2023")
    assert list(result.plans) == ["cn-graphite-2023"]
    assert result.objective == pytest.approx(plan.objective, rel=1e-9)
    assert result.evpi == pytest.approx(0, abs=1e-6)
    hedged = result.plans["cn-graphite-2023"]
    assert hedged.costs["spot_premium"] == pytest.approx(0, abs=1e-6)
    key = ["mineral", "stage", "country"]
    assert hedged.shares.sort_values(key)["quantity"].to_numpy() == pytest.approx(
        plan.shares.sort_values(key)["quantity"].to_numpy()
    )


def test_one_certain_scenario_with_a_fee_costs_the_plan_plus_the_fee_on_it():
    """Gallium, the cut certain (p = 1), fee 0.1: the plan of the cut (KAZ 50, DEU 30, JPN 20,
    14,400) with every tonne reserved: 14,400 × 1.1 = 15,840 (the same plan: a fee
    proportional to every price keeps the order of the offers)."""
    spec = {**terms(1.0), "scenarios": [{"scenario": CHINA_CUT, "probability": 1.0}]}
    result = hedge(GALLIUM, hedge=parse_hedge(spec))
    assert result.objective == pytest.approx(15840)
    assert reserved(result) == {"DEU": 30.0, "JPN": 20.0, "KAZ": 50.0}


def test_cvar_reserves_backups_below_the_break_even(cut_file):
    """p = 0.1, half expected cost, half CVaR at α = 0.9 (weight 0.5). The worst 10% of
    outcomes is the cut, so CVaR(C) = C_cut and the objective is
    fees + 0.5 (0.9 C_base + 0.1 C_cut) + 0.5 C_cut = fees + 0.45 C_base + 0.55 C_cut.
    A backup tonne saves 0.5·price in the cut, weighted 0.55, against a fee of 0.1·price: all
    of the cut's backups are reserved (KAZ 50, DEU 30, JPN 20); China saves 50 in the base,
    weighted 0.45 (22.5), against 10: reserved. Fees 2,440; C_base = 10,000; C_cut = 14,400.
    Minimised: 2,440 + 4,500 + 7,920 = 14,860. Expected cost: 2,440 + 9,000 + 1,440 = 12,880,
    720 above the risk-neutral hedge (12,160), for a worst case of 2,440 + 14,400 = 16,840
    (CVaR of the total cost) instead of 1,000 + 21,600 = 22,600."""
    result = hedge(GALLIUM, hedge=cut_file(terms(0.1, risk={"cvar_alpha": 0.9, "weight": 0.5})))
    assert reserved(result) == {"CHN": 100.0, "DEU": 30.0, "JPN": 20.0, "KAZ": 50.0}
    assert result.minimised == pytest.approx(14860)
    assert result.objective == pytest.approx(12880)
    assert result.cvar == pytest.approx(16840)


def test_contracts_are_signed_before_the_scenario_is_known():
    """instances/examples/fixed-costs (a MIP): AUS 60 t at 10 (fee 300), CAN 60 t at 12 (fee
    300, at least 50 t if used), USA unlimited at 13 (fee 390); 100 t. Its README: the optimum
    signs USA alone (1,690); AUS + CAN cost 1,700. Add "USA cut" with p = 0.5, no reservation
    fee, spot premium 0.5 (every tonne is reserved at no cost). Contracts are first-stage: USA
    alone leaves the cut without a plan, AUS + USA or CAN + USA too (60 t each), all three cost
    990 + 1,100 = 2,090; so AUS + CAN is signed in both scenarios: 1,700 each, expected 1,700.
    Perfect foresight: 0.5 × 1,690 + 0.5 × 1,700 = 1,695, EVPI = 5. The base-only plan signs USA
    alone, which leaves the cut without a plan: no VSS (null), and a warning says why."""
    usa_cut = {
        "name": "usa-cut",
        "changes": [{"change": "capacity", "countries": ["USA"], "cut": 1}],
    }
    spec = {
        "reservation_fee": 0.0,
        "spot_premium": 0.5,
        "scenarios": [{"scenario": usa_cut, "probability": 0.5}],
    }
    result = hedge(INSTANCES / "examples" / "fixed-costs", hedge=spec)
    assert result.objective == pytest.approx(1700)
    for plan in result.plans.values():
        assert shares_of(plan) == pytest.approx({"AUS": 50.0, "CAN": 50.0})
        assert plan.costs["fixed"] == pytest.approx(600)
    assert result.evpi == pytest.approx(5)
    assert result.vss is None
    assert "VSS" in result.warnings[-1]


def shares_of(plan) -> dict[str, float]:
    return {r.country: float(r.quantity) for r in plan.shares.itertuples() if r.quantity > 1e-6}


@pytest.mark.parametrize(
    ("document", "field", "says"),
    [
        ({"reservation_fee": -0.1, "spot_premium": 0.5}, "reservation_fee", "0"),
        ({"reservation_fee": 0.1, "spot_premium": -1}, "spot_premium", "0"),
        ({"spot_premium": 0.5}, "reservation_fee", "required"),
        (
            {"reservation_fee": 0.1, "spot_premium": 0.5, "risk": {"cvar_alpha": 1.0}},
            "risk.cvar_alpha",
            "1",
        ),
        (
            {"reservation_fee": 0.1, "spot_premium": 0.5, "risk": {"weight": 1.5}},
            "risk.weight",
            "1",
        ),
        (
            {
                "reservation_fee": 0.1,
                "spot_premium": 0.5,
                "scenarios": [{"scenario": "a", "probability": 1.2}],
            },
            "scenarios.probability",
            "1",
        ),
        (
            {
                "reservation_fee": 0.1,
                "spot_premium": 0.5,
                "scenarios": [
                    {"scenario": "a", "probability": 0.6},
                    {"scenario": "b", "probability": 0.6},
                ],
            },
            "scenarios.probability",
            "sum to 1.2",
        ),
        ({"reservation_fee": 0.1, "spot_premium": 0.5, "fee": 1}, "fee", "unknown key"),
    ],
)
def test_a_bad_hedge_file_names_the_file_and_field(cut_file, document, field, says):
    path = cut_file(document)
    with pytest.raises(InputError) as caught:
        hedge(GALLIUM, hedge=path)
    problem = caught.value.problems[0]
    assert problem.table == "hedge hedge.yaml"
    assert problem.field == field
    assert says in problem.message


def test_a_scenario_that_cannot_be_covered_is_no_hedge():
    """All four countries cut: 100 t of hard demand cannot be bought in that scenario."""
    everything = {"name": "all", "changes": [{"change": "capacity", "cut": 1.0}]}
    spec = parse_hedge({**terms(0.5), "scenarios": [{"scenario": everything, "probability": 0.5}]})
    with pytest.raises(NoHedge, match="infeasible"):
        hedge(GALLIUM, hedge=spec)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sourcing.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_cli_hedge(tmp_path, cut_file):
    """Table, JSON (the plan per scenario inside), a workbook, --extend, and exit 2 naming
    the field of a bad file."""
    instance = tmp_path / "gallium.json"
    instance.write_text(json.dumps(GALLIUM))
    path = cut_file(terms(0.5))
    done = run("hedge", str(instance), "--hedge", str(path))
    assert done.returncode == 0, done.stderr
    assert "VSS (value of the stochastic solution): 2,160.00 USD" in done.stdout
    done = run("hedge", str(instance), "--hedge", str(path), "--format", "json")
    result = json.loads(done.stdout)
    assert result["objective"] == 14640 and result["vss"] == 2160 and result["evpi"] == 1220
    assert [s["scenario"] for s in result["scenarios"]] == ["base", "china-cut"]
    assert result["scenarios"][1]["plan"]["costs"]["total"] == 14400
    book = tmp_path / "hedge.xlsx"
    done = run("hedge", str(instance), "--hedge", str(path), "--out", str(book))
    assert done.returncode == 0 and book.exists(), done.stderr
    cap = INSTANCES.parent / "examples" / "extensions" / "china-kazakhstan-cap.py"
    done = run("hedge", str(instance), "--hedge", str(path), "--extend", str(cap), "-f", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["objective"] > 14640  # China capped at 60 t with Kazakhstan
    bad = cut_file({"reservation_fee": 0.1, "spot_premium": 0.5, "risk": {"cvar_alpha": 2}})
    done = run("hedge", str(instance), "--hedge", str(bad))
    assert done.returncode == 2
    assert "hedge hedge.yaml, field 'risk.cvar_alpha'" in done.stderr
    assert "Traceback" not in done.stderr


def test_kazakhstan_partnership_hedge_against_chinas_measures():
    """instances/kazakhstan-partnership/hedge/hedge.yaml (its README, "A hedge against China's
    measures"): the library's antimony measures change nothing (the case already closes China's
    antimony); the US ban extended to every mineral leaves China's 5,250 t of magnesium unmet,
    with every other refiner already bought out: no backup to reserve, VSS = 0. EVPI is the fee
    on China's magnesium wasted in the ban's 30%: 0.3 × 0.1 × 7,760.271629 × 5,250."""
    folder = INSTANCES / "kazakhstan-partnership"
    result = hedge(folder, "least-cost", hedge=folder / "hedge" / "hedge.yaml")
    assert result.objective == pytest.approx(7_035_079_188.72, rel=1e-9)
    assert result.reservation_fees == pytest.approx(621_575_121.57, rel=1e-9)
    assert result.vss == pytest.approx(0, abs=1e-3)
    assert result.evpi == pytest.approx(0.3 * 0.1 * 7760.271629 * 5250, rel=1e-6)
    costs = dict(zip(result.scenarios["scenario"], result.scenarios["cost"], strict=True))
    assert costs["cn-antimony-2024"] == pytest.approx(costs["base"], rel=1e-12)
    assert costs["cn-us-export-ban-2024"] == pytest.approx(costs["base"], rel=1e-12)
    banned = result.plans["cn-us-ban-all"].shortfall.set_index("mineral")["shortfall"]
    assert banned["magnesium"] == pytest.approx(5250)
