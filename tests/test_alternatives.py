"""sourcing alternatives: plans within a cost bound of the optimum that use other countries.

The gallium market of issue 14 (tests/test_hedge.py): CHN 1000 t at 100, KAZ 50 at 130, DEU 30
at 150, JPN 100 at 170; 100 t of hard demand. The optimum buys 100 t of China: 10,000.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest

from sourcing.analysis.alternatives import NoOptimum, alternatives
from sourcing.errors import InputError
from tests.conftest import DEMO, ROOT
from tests.test_hedge import GALLIUM


def shares(plan) -> dict[tuple[str, str, str], float]:
    return {
        (r.mineral, r.stage, r.country): float(r.share)
        for r in plan.shares.itertuples()
        if r.share > 1e-6
    }


def differ(a: dict, b: dict) -> bool:
    return max(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in set(a) | set(b)) > 1e-6


def test_the_first_alternative_moves_what_the_bound_allows_off_china():
    """within = 0.3: at most 13,000, so 3,000 to spend moving tonnes off China. The first
    alternative minimises China's share (the optimum's only country). A tonne moved to KAZ costs
    30 more, to DEU 50, to JPN 70: KAZ's 50 t (1,500) then DEU's 30 t (1,500) spend the 3,000,
    leaving China 20 t: CHN 20%, KAZ 50%, DEU 30%, at 13,000 (30% over)."""
    result = alternatives(GALLIUM, within=0.3, count=3)
    assert result.optimum.objective == pytest.approx(10000)
    first = result.alternatives[0]
    assert shares(first) == pytest.approx(
        {
            ("gallium", "refining", "CHN"): 0.2,
            ("gallium", "refining", "KAZ"): 0.5,
            ("gallium", "refining", "DEU"): 0.3,
        },
        abs=1e-6,
    )
    assert first.objective == pytest.approx(13000)
    extra = result.extras[0]
    assert extra["cost_over_optimum"] == pytest.approx(0.3)
    assert [(u["country"], u["share"], u["optimum_share"]) for u in extra["uses_less"]] == [
        ("CHN", pytest.approx(0.2), pytest.approx(1.0))
    ]


@pytest.mark.parametrize(
    ("instance", "model", "within", "count"),
    [(GALLIUM, None, 0.3, 4), (DEMO, "eu-crma", 0.05, 3), (DEMO, "least-cost", 0.02, 3)],
)
def test_every_alternative_is_within_its_bound_and_differs_from_the_others(
    instance, model, within, count
):
    """Each plan costs at most (1 + within) × the optimum, and no two plans (the optimum
    included) give every country the same share of every stage."""
    result = alternatives(instance, model, within=within, count=count)
    best = result.optimum.objective
    assert result.alternatives, result.warnings
    for plan in result.alternatives:
        assert plan.objective <= (1 + within) * best * (1 + 1e-8)
        assert plan.costs["total"] == pytest.approx(plan.objective)
    plans = [shares(result.optimum)] + [shares(p) for p in result.alternatives]
    for a, b in itertools.combinations(plans, 2):
        assert differ(a, b)


def test_a_unique_optimum_has_no_alternative_within_nothing():
    """within = 0: the only plan at 10,000 is 100 t of China (every other tonne costs more)."""
    result = alternatives(GALLIUM, within=0.0, count=2)
    assert result.alternatives == []
    assert "only 0 alternative(s)" in result.warnings[-1]


def test_bad_arguments_and_no_plan():
    with pytest.raises(InputError, match="within"):
        alternatives(GALLIUM, within=-0.1)
    with pytest.raises(InputError, match="count"):
        alternatives(GALLIUM, count=0)
    short = {**GALLIUM, "demand": [{"mineral": "gallium", "quantity": 5000}]}
    with pytest.raises(NoOptimum, match="infeasible"):
        alternatives(short)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sourcing.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_cli_alternatives_json_holds_the_optimum_and_the_alternatives_as_plans(tmp_path):
    """JSON: {"optimum": <plan>, "alternatives": [<plan>, ...]}, each alternative with the
    plan's keys, its cost over the optimum and the countries it uses less; --extend is read."""
    path = tmp_path / "gallium.json"
    path.write_text(json.dumps(GALLIUM))
    done = run("alternatives", str(path), "--within", "0.3", "--count", "2", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert list(result) == ["optimum", "alternatives"]
    assert result["optimum"]["objective"] == 10000
    plan_keys = list(result["optimum"])
    for alternative in result["alternatives"]:
        assert list(alternative)[: len(plan_keys)] == plan_keys
        assert alternative["objective"] <= 13000 + 1e-4
        assert alternative["uses_less"][0]["country"] == "CHN"
    done = run("alternatives", str(path), "--within", "0.3", "--count", "1")
    assert "alternative 1" in done.stdout and "CHN 100%→20%" in done.stdout
    cap = ROOT / "examples" / "extensions" / "china-kazakhstan-cap.py"
    done = run("alternatives", str(path), "--extend", str(cap), "-f", "json", "--count", "1")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["optimum"]["objective"] == 12200  # issue 19's capped optimum
    book = tmp_path / "alternatives.xlsx"
    done = run("alternatives", str(DEMO), "--count", "1", "--out", str(book))
    assert done.returncode == 0 and book.exists(), done.stderr
    from openpyxl import load_workbook

    assert load_workbook(book, read_only=True).sheetnames == ["summary", "plans", "shares"]


def test_the_report_shows_the_alternatives_side_by_side(tmp_path):
    """sourcing report --alternatives 1 on gallium (within 5%: at most 10,500, so 500 to
    move tonnes off China: KAZ at 30 more a tonne takes 500/30 = 16.67 t, China keeps 83.33%)."""
    from sourcing.report.alternatives import side_by_side

    path = tmp_path / "gallium.json"
    path.write_text(json.dumps(GALLIUM))
    result = alternatives(GALLIUM, count=1)
    frame = side_by_side(result)
    by_country = dict(zip(frame["country"], frame["alternative 1"], strict=True))
    assert by_country == pytest.approx({"CHN": 1 - 1 / 6, "KAZ": 1 / 6}, abs=1e-6)
    out = tmp_path / "report.html"
    done = run("report", str(path), "--alternatives", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert 'id="alternatives"' in page and "alternative 1" in page


def test_the_report_takes_within_for_its_alternatives(tmp_path):
    """sourcing report --alternatives 1 --within 0.3: the bound is 13,000, and the alternative is
    the one derived in the first test above (CHN 20%, KAZ 50%, DEU 30%, 30% over the optimum);
    the page says the plans may be 30.0% dearer."""
    path = tmp_path / "gallium.json"
    path.write_text(json.dumps(GALLIUM))
    out = tmp_path / "report.html"
    done = run("report", str(path), "--alternatives", "1", "--within", "0.3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert "Plans at most 30.0% dearer than the optimum" in page
    assert "13,000.00" in page and "CHN 100%→20%" in page
