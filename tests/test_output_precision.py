"""Every number a planner reads is whole and clean: rounded to the solver's precision.

battery-demo under eu-crma is the README's worked example: its flows come out of HiGHS as
``62.99999999999999`` t and its transport cost as ``298500.00000000006`` USD. The plan's JSON,
CSV and workbook carry 9 significant digits, money at least to the cent
(:mod:`sourcing.results.rounding`); ``--full-precision`` keeps the numbers as computed.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import sourcing
from sourcing.results.rounding import tidy
from tests.conftest import DEMO
from tests.test_cli import run


def significant_digits(value: float) -> int:
    """Digits of the shortest repr, ignoring the sign, the point, and leading/trailing zeros."""
    mantissa = repr(abs(value)).split("e")[0].replace(".", "").strip("0")
    return len(mantissa)


def floats_in(document):
    if isinstance(document, dict):
        for value in document.values():
            yield from floats_in(value)
    elif isinstance(document, list):
        for value in document:
            yield from floats_in(value)
    elif isinstance(document, float):
        yield document


@pytest.mark.parametrize(
    ("raw", "money", "shown"),
    [
        (62.99999999999999, False, 63.0),  # a flow
        (298500.00000000006, True, 298500.0),  # the demo's transport cost
        (166.66666666666669, False, 166.666667),  # 9 significant digits
        (8_552_211_057.405834, True, 8_552_211_057.41),  # money keeps its cents...
        (8_552_211_057.405834, False, 8_552_211_060.0),  # ...a quantity 9 digits
        (-224.99999999999997, False, -225.0),  # a dual
        (0.6500000000000001, False, 0.65),  # a share
        (13.80952501, True, 13.809525),  # money in millions keeps 9 digits, not just cents
    ],
)
def test_the_rounding_rule(raw, money, shown):
    assert tidy(raw, money=money) == shown


def test_the_rule_leaves_nan_inf_and_zero_alone():
    out = tidy(np.array([np.nan, np.inf, 0.0, -0.0]))
    assert math.isnan(out[0]) and out[1] == math.inf and out[2] == 0.0


def test_the_demo_plan_json_has_no_noise():
    plan = sourcing.solve(DEMO, model="eu-crma")
    document = plan.to_dict()
    assert document["costs"]["transport"] == 298_500.0
    assert document["objective"] == 13_809_525.0
    assert all(significant_digits(v) <= 9 for v in floats_in(document))
    raw = plan.to_dict(full=True)  # as computed: the noise is there to be seen
    assert any(significant_digits(v) > 9 for v in floats_in(raw))
    assert raw["objective"] == pytest.approx(document["objective"], rel=1e-12)


def test_the_cli_csv_and_json_are_clean_unless_asked():
    flows = run("solve", str(DEMO), "--model", "eu-crma", "--format", "csv").stdout
    assert "9999999" not in flows and "0000000" not in flows
    assert "cobalt,mining,COD,CHN,,117.0,20000.0,150.0,0.0,20150.0" in flows
    full = run("solve", str(DEMO), "-m", "eu-crma", "-f", "csv", "--full-precision").stdout
    assert "9999999" in full or "0000000" in full
    plan = json.loads(run("solve", str(DEMO), "--model", "eu-crma", "--format", "json").stdout)
    assert all(significant_digits(v) <= 9 for v in floats_in(plan))
