"""Hostile input on the load path: every file, document and cell that once was read silently,
read without bound or crashed the loader is refused with a problem naming where, exit code 2.

Each test builds the small valid instance of :mod:`tests.test_input_errors` with one defect. The
decisions tested here are written in :mod:`sourcing.schema` (which number spellings a cell
accepts) and :mod:`sourcing.files` (the limits, special files, how documents are parsed).
Large inputs are made cheaply: a sparse file for the size limit, empty lines for the row limit,
one row object repeated for a document's table.
"""

from __future__ import annotations

import json

import pytest

import sourcing
from sourcing import InputError
from sourcing.numeric import MAX_NUMBER_CHARS
from tests.test_input_errors import (
    check,
    document,
    edit,
    only,
    problems_of,
    write_instance,
)

# --- numbers: one spelling, whatever the file ---------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("1_000", "'1_000'"),  # Python's float() reads 1000: a planner meant something else
        ("0x10", "'0x10'"),
        ('"1,000"', "'1,000'"),  # a thousands separator (quoted, so one cell)
        ("١٠٠", "'١٠٠'"),  # Arabic-Indic digits
        ("true", "'true'"),
        ("1e3 t", "'1e3 t'"),
    ],
)
def test_a_cell_that_is_not_plain_decimal_is_refused(tmp_path, cell, shown):
    """AUS's capacity written ``1_000`` (or hex, a thousands separator, other digits, a word):
    pydantic alone would read ``1_000`` as 1000; the cell is refused, naming row 1, 'capacity',
    and the text found."""
    folder = write_instance(tmp_path, **edit("supply", "AUS,100,50", f"AUS,{cell},50"))
    problem = only(problems_of(folder))
    check(problem, "supply", 1, "capacity", "must be a number written plainly", shown)


@pytest.mark.parametrize(("cell", "value"), [("1e2", 100.0), ("+100", 100.0), ("100.", 100.0)])
def test_plain_decimal_cells_are_read(tmp_path, cell, value):
    """Sign, decimal point and exponent are plain decimal: ``1e2`` is AUS's capacity of 100."""
    folder = write_instance(tmp_path, **edit("supply", "AUS,100,50", f"AUS,{cell},50"))
    assert sourcing.load_instance(folder).supply[0]["capacity"] == value


def test_a_json_true_is_not_a_price(tmp_path):
    """``"price": true`` in a JSON instance was read as a price of 1.0; now it names the cell."""
    doc = document()
    doc["supply"][0]["price"] = True
    path = tmp_path / "t1.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    check(only(problems_of(path)), "supply", 1, "price", "not true or false", "(got true)")


def test_a_rule_share_of_true_is_refused(tmp_path):
    """A model's ``share: true`` was a 100% cap; it names the model's rule and its field."""
    model = tmp_path / "m.yaml"
    model.write_text("rules: [{rule: max_country_share, share: true}]\n", encoding="utf-8")
    problem = only(problems_of(write_instance(tmp_path / "t1"), model))
    check(problem, "model rules", 1, "share", "max_country_share", "not true or false")


@pytest.mark.parametrize("count", ["true", "2.5"])
def test_a_rule_count_follows_the_same_spelling(tmp_path, count):
    """``count: true`` (pydantic reads 1) or ``2.5`` in a model is refused."""
    model = tmp_path / "m.yaml"
    model.write_text(f"rules: [{{rule: min_suppliers, count: {count}}}]\n", encoding="utf-8")
    check(only(problems_of(write_instance(tmp_path / "t1"), model)), "model rules", 1, "count")


def test_a_huge_integer_in_a_mapping_is_refused_without_a_crash(tmp_path):
    """A rule given as a Python mapping with a 5,001-digit count: Python cannot even print that
    number; the problem names the field and says how long the number is."""
    model = {"rules": [{"rule": "min_suppliers", "count": 10**5000}]}
    problem = only(problems_of(write_instance(tmp_path), model))
    check(problem, "model rules", 1, "count", f"more than {MAX_NUMBER_CHARS} digits")


def test_a_scenario_cut_of_true_is_refused(tmp_path):
    """A scenario's ``cut: true`` would close every selected offer; it is an error instead."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "changes: [{change: capacity, countries: [CHN], cut: true}]\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as raised:
        sourcing.validate(write_instance(tmp_path / "t1"), scenario=str(scenario))
    check(only(raised.value.problems), "scenario s.yaml changes", 1, "cut", "not true or false")
