"""Solver options a planner can mistype: each is refused before HiGHS sees it.

HiGHS would take ``--rel-gap 2`` as "any plan will do", a NaN time limit as no limit, and a
negative thread count as its own default: a plan would come back, silently not the one asked
for. The CLI answers a usage error (exit 2) naming the flag; the Python API an InputError
naming the option.
"""

from __future__ import annotations

import math

import pytest

import sourcing
from sourcing.errors import InputError
from sourcing.solver import SolverOptions, option_problem
from tests.conftest import INSTANCES
from tests.test_cli import run

SOFT = INSTANCES / "examples" / "soft-demand"

BAD = [
    ("--rel-gap", "-1", "rel_gap", -1.0),
    ("--rel-gap", "2", "rel_gap", 2.0),
    ("--rel-gap", "1", "rel_gap", 1.0),
    ("--rel-gap", "nan", "rel_gap", math.nan),
    ("--time-limit", "-1", "time_limit", -1.0),
    ("--time-limit", "nan", "time_limit", math.nan),
    ("--time-limit", "inf", "time_limit", math.inf),
    ("--threads", "-5", "threads", -5),
    ("--threads", "0", "threads", 0),
]


@pytest.mark.parametrize(("flag", "text", "name", "value"), BAD)
def test_the_api_refuses_the_option(flag, text, name, value):
    with pytest.raises(InputError) as raised:
        sourcing.solve(SOFT, **{name: value})
    (problem,) = raised.value.problems
    assert (problem.table, problem.field) == ("options", name)


@pytest.mark.parametrize(("flag", "text"), [(f, t) for f, t, _, _ in BAD[::3]])
@pytest.mark.parametrize("command", ["solve", "stress", "compare", "frontier"])
def test_the_cli_answers_a_usage_error(command, flag, text):
    done = run(command, str(SOFT), flag, text)
    assert done.returncode == 2, done.stderr
    assert f"Invalid value for '{flag}'" in done.stderr
    assert "Traceback" not in done.stderr


def test_good_options_pass_unchanged():
    """The edges that are allowed: a gap of 0 (prove the optimum), one thread, a limit of 0."""
    assert option_problem("rel_gap", 0.0) is None
    assert option_problem("threads", 1) is None
    assert option_problem("time_limit", 0.5) is None
    assert option_problem("time_limit", 0) is None  # stop at once: tests/test_cli.py exits 4
    assert option_problem("time_limit", None) is None
    assert SolverOptions(time_limit=10, rel_gap=0.0, threads=2).rel_gap == 0.0
    assert option_problem("time_limit", True) is not None  # a JSON true is not one second
    assert sourcing.solve(SOFT, rel_gap=0.0, threads=1, time_limit=60).objective == 4900
