"""The plan's JSON made a column at a time (sourcing.results.rounding.records) is, value for
value, what rounding a copy of each table and making each row's values plain gives: the
tables' own way (``tidy_frame``, then ``to_dict("records")`` through ``_jsonable``)."""

from __future__ import annotations

import json

import pytest

import sourcing
from sourcing.results.plan import _jsonable, _tidy
from tests.conftest import DEMO, INSTANCES

CASES = [
    (DEMO, "eu-crma"),  # sites, duals of a rule
    (INSTANCES / "examples" / "periods", None),  # periods kept
    (INSTANCES / "examples" / "soft-demand", None),  # shortfall rows, penalties
    (INSTANCES / "examples" / "stockpile-ban", None),  # the stock table
    (INSTANCES / "examples" / "infeasible-capacity", None),  # no plan: empty tables
]


@pytest.mark.parametrize(("instance", "model"), CASES, ids=lambda c: getattr(c, "name", c))
@pytest.mark.parametrize("full", [False, True])
def test_json_is_the_tables_made_plain_row_by_row(instance, model, full: bool) -> None:
    plan = sourcing.solve(instance, model)
    by_rows = {
        name: _jsonable(getattr(plan, name) if full else _tidy(name, getattr(plan, name)))
        for name in type(plan).model_fields
    }
    assert plan.to_dict(full) == by_rows
    assert json.dumps(plan.to_dict(full)) == json.dumps(by_rows)
    assert plan.to_dict(full)["flows"] or plan.solution_status.value == "no_solution"
