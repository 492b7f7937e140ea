"""Malformed input, generated (tests/malformed.py): never a traceback, never a silent guess.

For each generated mistake, ``sourcing.validate`` either accepts the input (where the change
leaves a valid instance) or raises an :class:`InputError` whose every problem names its table
and says what is wrong. Any other exception is a crash (exit 1 at the command line) and fails.
A mistake that is wrong for certain (``must_refuse``) must be refused.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sourcing.api import validate
from sourcing.errors import InputError
from tests import malformed


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.randoms(use_true_random=False))
def test_a_malformed_instance_is_refused_cleanly(tmp_path_factory, rng: random.Random):
    case = malformed.case(rng)
    folder = tmp_path_factory.mktemp("case")
    path = case.write(folder)
    try:
        validate(path)
    except InputError as error:
        assert error.problems, case
        for problem in error.problems:
            assert problem.table and problem.message, (case, problem)
        return
    assert not case.must_refuse, f"accepted: {case}"


def test_every_generator_makes_a_refused_case(tmp_path):
    """Each kind of mistake, drawn once with a fixed seed, is refused with a located message."""
    rng = random.Random(20261201)
    for generate in malformed.GENERATORS:
        case = generate(rng)
        path = case.write(tmp_path / case.kind.replace(".", "_"))
        if not case.must_refuse:
            continue
        try:
            validate(path)
        except InputError as error:
            assert all(p.table for p in error.problems)
        else:
            raise AssertionError(f"accepted: {case}")
