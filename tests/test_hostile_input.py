"""Hostile input on the load path: every file, document and cell that once was read silently,
read without bound or crashed the loader is refused with a problem naming where, exit code 2.

Each test builds the small valid instance of :mod:`tests.test_input_errors` with one defect. The
decisions tested here are written in :mod:`sourcing.data.schema` (which number spellings a cell
accepts) and :mod:`sourcing.data.files` (the limits, special files, how documents are parsed).
Large inputs are made cheaply: a sparse file for the size limit, empty lines for the row limit,
one row object repeated for a document's table.
"""

from __future__ import annotations

import json
import os

import pytest

import sourcing
from sourcing import InputError
from sourcing.data.files import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_TABLE_ROWS,
    MAX_YAML_BYTES,
    parse_yaml,
)
from sourcing.data.numeric import MAX_NUMBER_CHARS
from sourcing.data.references import MAX_DUPLICATES_SHOWN
from tests.test_input_errors import (
    CSV,
    INSTANCE_YAML,
    check,
    document,
    edit,
    flat,
    only,
    problems_of,
    run_cli,
    write_instance,
)

# --- numbers: one spelling, whatever the file ---------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("1_000", ("must be a number written plainly", "'1_000'")),  # pydantic read 1000
        ("١٠٠", ("must be a number written plainly", "'١٠٠'")),  # Python reads 100
        ("0x10", ("must be a number", "'0x10'")),
        ('"1,000"', ("must be a number", "'1,000'")),  # a thousands separator (quoted)
        ("true", ("must be a number", "'true'")),
        ("1e3 t", ("must be a number", "'1e3 t'")),
    ],
)
def test_a_cell_that_is_not_plain_decimal_is_refused(tmp_path, cell, words):
    """AUS's capacity written ``1_000`` (or other digits, hex, a thousands separator, a word):
    pydantic alone read ``1_000`` as 1000; the cell is refused, naming row 2, 'capacity' and
    the text found. Text Python would read as a number (``1_000``, Arabic-Indic digits) is told
    how to write it."""
    folder = write_instance(tmp_path, **edit("supply", "AUS,100,50", f"AUS,{cell},50"))
    check(only(problems_of(folder)), "supply", 2, "capacity", *words)  # line 2 of supply.csv


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


@pytest.mark.parametrize("count", ["true", "1_000", "0x3"])
def test_a_rule_count_follows_the_same_spelling(tmp_path, count):
    """``count: 1_000`` (YAML 1.1 reads 1000), ``0x3`` (3) or ``true`` (1) in a model is refused."""
    model = tmp_path / "m.yaml"
    model.write_text(f"rules: [{{rule: min_suppliers, count: {count}}}]\n", encoding="utf-8")
    check(only(problems_of(write_instance(tmp_path / "t1"), model)), "model rules", 1, "count")


def test_a_huge_integer_in_a_mapping_is_refused_without_a_crash(tmp_path):
    """A rule given as a Python mapping with a 5,001-digit count: Python cannot even print that
    number; the problem names the field and says how long the number is."""
    model = {"rules": [{"rule": "min_suppliers", "count": 10**5000}]}
    problem = only(problems_of(write_instance(tmp_path), model))
    check(problem, "model rules", 1, "count", f"more than {MAX_NUMBER_CHARS} digits")


@pytest.mark.parametrize(("table", "field"), [("countries", "country"), ("supply", "period")])
def test_a_huge_integer_where_a_name_belongs_is_located(table, field):
    """A document given in Python with a 5,001-digit integer as a country or a period: pydantic
    turns numbers into names with str(), which Python refuses past 4,300 digits (a ValueError,
    exit 1); the problem names the table, row and field."""
    doc = document()
    doc[table][0][field] = 10**5000
    problem = only(problems_of(doc))
    check(problem, table, 1, field, f"more than {MAX_NUMBER_CHARS} digits")


def test_a_scenario_cut_of_true_is_refused(tmp_path):
    """A scenario's ``cut: true`` would close every selected offer; it is an error instead."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "changes: [{change: capacity, countries: [CHN], cut: true}]\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as raised:
        sourcing.validate(write_instance(tmp_path / "t1"), scenario=str(scenario))
    check(only(raised.value.problems), "scenario s.yaml changes", 1, "cut", "not true or false")


def test_yaml_reads_booleans_and_numbers_as_yaml_1_2_does():
    """YAML 1.1 (PyYAML's default) reads ``NO`` as false (Norway), ``010`` as 8, ``1_000`` as
    1000 and ``1:30`` as 90. Read as YAML 1.2: only true/false are booleans and only plain
    decimal is a number; the rest stays text, which a number field then refuses."""
    text = "a: [NO, yes, on, 010, 1_000, 0x10, '1:30', 1:30, 1e3, .5, -2, true, 2023-08-01]\n"
    values = parse_yaml(text)["a"]
    assert values[:3] == ["NO", "yes", "on"]
    assert values[3] == 10 and values[4:8] == ["1_000", "0x10", "1:30", "1:30"]
    assert values[8:12] == [1000.0, 0.5, -2, True]
    assert str(values[12]) == "2023-08-01"  # dates stay dates: scenarios use them


def test_transport_default_written_1_000_in_instance_yaml(tmp_path):
    """``transport_default: 1_000`` in instance.yaml: text under YAML 1.2, so refused where it
    stands instead of read as 1000."""
    text = INSTANCE_YAML.replace("transport_default: 10", "transport_default: 1_000")
    problem = only(problems_of(write_instance(tmp_path, text)))
    check(problem, "instance", None, "transport_default", "written plainly", "'1_000'")


# --- duplicate keys in documents ----------------------------------------------------------------


def test_a_key_twice_in_instance_yaml(tmp_path):
    """``unit`` given on line 4 and again on line 7: both parsers keep the last silently; the
    error names the key and both lines."""
    folder = write_instance(tmp_path, INSTANCE_YAML + "unit: kg\n")
    problem = only(problems_of(folder))
    check(problem, "instance", None, None, "instance.yaml", "duplicate key 'unit'")
    assert "first at line 4" in problem.message and "at line 7, column 1" in problem.message


def test_a_key_twice_in_a_row_of_a_json_instance(tmp_path):
    """A supply row with two prices (line 3 of the file): the error names the key and the line
    of the object that holds both."""
    rows = ['{"mineral": "li", "stage": "mining", "country": "AUS", "price": 50, "price": 5}']
    doc = {k: v for k, v in document().items() if k != "supply"}
    text = json.dumps(doc)[:-1] + ',\n"supply":\n[\n' + ",\n".join(rows) + "\n]}"
    path = tmp_path / "t1.json"
    path.write_text(text, encoding="utf-8")
    problem = only(problems_of(path))
    check(problem, "instance", None, None, "t1.json", "duplicate key 'price'", "at line 4")


def test_a_key_twice_in_a_model_and_in_a_scenario(tmp_path):
    """A rule with ``share`` twice, a scenario change with ``cut`` twice: both refused."""
    model = tmp_path / "m.yaml"
    model.write_text("rules:\n  - rule: max_country_share\n    share: 0.5\n    share: 0.9\n")
    check(
        only(problems_of(write_instance(tmp_path / "t1"), model)),
        "model",
        None,
        None,
        "duplicate key 'share' (first at line 3) at line 4",
    )
    scenario = tmp_path / "s.yaml"
    scenario.write_text("changes:\n- {change: capacity, cut: 0.5, cut: 1}\n", encoding="utf-8")
    with pytest.raises(InputError, match="duplicate key 'cut'"):
        sourcing.validate(tmp_path / "t1", scenario=str(scenario))


def test_a_yaml_merge_key_may_be_overridden():
    """``<<: *base`` then ``x: 2`` is YAML's way to override a merged key: not a duplicate."""
    assert parse_yaml("a: &a {x: 1, y: 1}\nb: {<<: *a, x: 2}\n")["b"] == {"x": 2, "y": 1}


# --- empty selectors ----------------------------------------------------------------------------


def test_an_empty_selector_list_in_a_model_is_an_error(tmp_path):
    """``minerals: []`` was dropped with a warning ("applies to no demanded mineral") and the
    plan ignored the rule: it is an error naming the model's rule and the field."""
    model = tmp_path / "m.yaml"
    model.write_text("rules: [{rule: max_country_share, share: 0.5, minerals: []}]\n")
    problem = only(problems_of(write_instance(tmp_path / "t1"), model))
    check(problem, "model rules", 1, "minerals", "empty list selects nothing")


@pytest.mark.parametrize("field", ["stages", "countries", "groups"])
def test_an_empty_selector_list_in_instance_rules_is_an_error(tmp_path, field):
    """The same in an instance's own ``rules``, for each selector."""
    rule = f"rules: [{{rule: exclude, groups: [FEOC], {field}: []}}]\n"
    if field == "groups":
        rule = "rules: [{rule: exclude, countries: [CHN], groups: []}]\n"
    problem = only(problems_of(write_instance(tmp_path, INSTANCE_YAML + rule)))
    check(problem, "instance rules", 1, field, "empty list selects nothing")


def test_an_empty_selector_list_in_a_scenario_is_an_error(tmp_path):
    """A scenario change with ``countries: []`` silently changed nothing; it is an error."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text("changes: [{change: capacity, countries: [], cut: 0.5}]\n")
    with pytest.raises(InputError) as raised:
        sourcing.validate(write_instance(tmp_path / "t1"), scenario=str(scenario))
    check(only(raised.value.problems), "scenario s.yaml changes", 1, "countries", "empty list")


@pytest.mark.parametrize("command", ["validate", "solve"])
def test_the_command_line_refuses_an_empty_selector_with_exit_2(tmp_path, command):
    """``sourcing solve`` exited 0 with a warning; both commands exit 2 with the same words."""
    model = tmp_path / "m.yaml"
    model.write_text("rules: [{rule: max_country_share, share: 0.5, minerals: []}]\n")
    done = run_cli(command, write_instance(tmp_path / "t1"), "--model", model)
    assert done.returncode == 2, done.stderr
    assert "model rules, row 1, field 'minerals': max_country_share: an empty list" in flat(
        done.stderr
    )


# --- size and row limits ------------------------------------------------------------------------


def test_a_table_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    """A supply.csv one byte over the limit (a sparse file: no disk, no time) is refused with
    its size and the limit; nothing of it is parsed."""
    folder = write_instance(tmp_path)
    with open(folder / "supply.csv", "ab") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    problem = only(problems_of(folder))
    size, limit = f"{MAX_FILE_BYTES + 1:,} bytes", f"at most {MAX_FILE_BYTES:,} bytes (100.0 MiB)"
    check(problem, "supply", None, None, f"supply.csv is {size}", limit)


def test_a_table_over_the_row_limit_is_refused_with_the_number_found(tmp_path):
    """A supply.csv of a million and two lines (its rows plus blank lines) is refused before the
    CSV is parsed: the lines are counted first, and a row takes at least one line."""
    folder = write_instance(tmp_path)
    with open(folder / "supply.csv", "ab") as handle:
        handle.write(b"\n" * (MAX_TABLE_ROWS + 2 - CSV["supply"].count("\n")))
    problem = only(problems_of(folder))
    check(problem, "supply", None, None, f"{MAX_TABLE_ROWS + 2:,} lines", f"{MAX_TABLE_ROWS:,}")


def test_a_document_table_over_the_row_limit_is_refused():
    """One supply row repeated a million and one times in a document (a YAML alias can do the
    same in a few bytes per row): refused by its count before any row is validated."""
    doc = document()
    doc["supply"] = doc["supply"][:1] * (MAX_TABLE_ROWS + 1)
    problem = only(problems_of(doc))
    check(problem, "supply", None, None, f"has {MAX_TABLE_ROWS + 1:,} rows")


def test_a_yaml_document_over_its_size_limit_is_refused(tmp_path):
    """YAML is built object by object (slow): an instance.yaml over its own, smaller limit is
    refused before it is parsed."""
    folder = write_instance(tmp_path)
    with open(folder / "instance.yaml", "ab") as handle:
        handle.truncate(MAX_YAML_BYTES + 1)
    problem = only(problems_of(folder))
    check(problem, "instance", None, None, "instance.yaml", "a YAML document", "(4.0 MiB)")


def test_duplicate_rows_are_listed_up_to_a_bound_and_the_rest_counted(tmp_path):
    """AUS's mining offer copied 1,000 times: the first copies are listed with their rows, and
    one more problem counts the rest, so a table of a million copies stays a short report."""
    copies = "li,mining,AUS,100,50\n" * 1000
    problems = problems_of(write_instance(tmp_path, supply=CSV["supply"] + copies))
    assert len(problems) == MAX_DUPLICATES_SHOWN + 1
    check(problems[0], "supply", 7, "mineral", "duplicate of row 2")  # lines of supply.csv
    more = 1000 - MAX_DUPLICATES_SHOWN
    check(problems[-1], "supply", None, "mineral", f"and {more:,} more rows that duplicate")


# --- deep and huge documents --------------------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 5000])
def test_deep_yaml_is_refused_with_its_line_and_column(tmp_path, depth):
    """instance.yaml with a key nested 51, 500 (once a RecursionError) or 5,000 levels deep
    (libyaml's own limit, 1,000, says "exceeded maximum nesting depth"): refused with the line
    and column, never a crash."""
    folder = write_instance(tmp_path, INSTANCE_YAML + f"x: {nested(depth)}\n")
    problem = only(problems_of(folder))
    check(problem, "instance", None, None, "instance.yaml", "nest", "at line 7, column")


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000, 100_000])
def test_deep_json_is_refused_with_its_line_and_column(tmp_path, depth):
    """A JSON instance with a key nested 51, 1,000 or 100,000 levels deep (past Python's
    recursion limit): refused at the column where it passes 50 levels, the document itself
    being the first (so the 50th bracket after ``"x": ``)."""
    text = json.dumps(document())[:-1] + ',\n"x": ' + nested(depth) + "}"
    path = tmp_path / "t1.json"
    path.write_text(text, encoding="utf-8")
    problem = only(problems_of(path))
    check(problem, "instance", None, None, f"nested more than {MAX_DEPTH} levels deep")
    assert f"at line 2, column {6 + MAX_DEPTH - 1}" in problem.message


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_a_5001_digit_number_is_refused_with_its_location(tmp_path, suffix):
    """``transport_default`` written with 5,001 digits: Python's int() refuses more than 4,300
    (a crash, exit 1, before); the reader refuses it with the number's length and place."""
    doc = {**document(), "transport_default": 0}
    text = json.dumps(doc).replace('"transport_default": 0', '"transport_default": ' + "9" * 5001)
    path = tmp_path / f"t1{suffix}"
    path.write_text(text, encoding="utf-8")  # JSON is YAML too
    problem = only(problems_of(path))
    check(problem, "instance", None, None, "a number of 5,001 digits", "at line 1, column")


@pytest.mark.parametrize(
    "value", ["!!int abc", "!!int 0x10", "!!bool maybe", "!!float x", "!!timestamp 2023-02-30"]
)
def test_a_yaml_tag_that_cannot_read_its_value_is_located(tmp_path, value):
    """An explicit tag PyYAML cannot apply raised ValueError, KeyError or AttributeError (exit 1);
    now it is a problem with the line and column."""
    folder = write_instance(tmp_path, INSTANCE_YAML + f"description2: {value}\n")
    check(only(problems_of(folder)), "instance", None, None, "instance.yaml", "at line 7")


@pytest.mark.parametrize("command", ["validate", "solve"])
def test_the_command_line_exits_2_on_a_deep_document(tmp_path, command):
    """``sourcing validate`` and ``solve`` on JSON nested 1,000 deep: exit 2 and the same
    message, where both said "internal error: RecursionError" (exit 1)."""
    path = tmp_path / "t1.json"
    path.write_text(json.dumps(document())[:-1] + ', "x": ' + nested(1000) + "}")
    done = run_cli(command, path)
    assert done.returncode == 2, done.stderr
    assert "instance: cannot read t1.json: nested more than 50 levels deep at line 1" in flat(
        done.stderr
    )
    assert "internal error" not in done.stderr


def test_the_python_api_raises_input_error_on_a_deep_yaml_model(tmp_path):
    """``sourcing.load`` and ``sourcing.solve`` raise InputError (not RecursionError) for a
    model file nested 500 deep."""
    model = tmp_path / "m.yaml"
    model.write_text(f"rules: {nested(500)}\n", encoding="utf-8")
    folder = write_instance(tmp_path / "t1")
    for call in (sourcing.load, sourcing.solve):
        with pytest.raises(InputError, match="m.yaml: nested more than 50 levels deep at line 1"):
            call(folder, model)


# --- special files ------------------------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_table_that_is_a_symlink_to_dev_zero_is_refused(tmp_path):
    """tariffs.csv → /dev/zero was read without end (10 GB in 20 s); it is refused unread."""
    folder = write_instance(tmp_path)
    (folder / "tariffs.csv").symlink_to("/dev/zero")
    check(only(problems_of(folder)), "tariffs", None, None, "tariffs.csv", "not a regular file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("name", ["supply.csv", "instance.yaml"])
def test_a_fifo_in_an_instance_folder_does_not_block(tmp_path, name):
    """A FIFO as a table or as instance.yaml blocked for ever waiting for a writer. Run in a
    child process with a timeout, so a regression fails instead of hanging the suite."""
    folder = write_instance(tmp_path)
    (folder / name).unlink()
    os.mkfifo(folder / name)
    done = run_cli("validate", folder)
    assert done.returncode == 2, done.stderr
    assert f"{name} is not a regular file" in flat(done.stderr)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("suffix", [".json", ".yaml", ".xlsx"])
def test_a_fifo_as_an_instance_file_or_model_is_refused(tmp_path, suffix):
    """A FIFO given as the instance (any suffix, a workbook too) or as the model: refused by
    name, where the instance was "no such file" and the model "no model file"."""
    fifo = tmp_path / f"pipe{suffix}"
    os.mkfifo(fifo)
    check(only(problems_of(fifo)), "instance", None, None, fifo.name, "not a regular file")
    if suffix == ".yaml":
        problem = only(problems_of(write_instance(tmp_path / "t1"), fifo))
        check(problem, "model", None, None, "pipe.yaml is not a regular file")


def test_a_folder_named_like_a_table_is_refused(tmp_path):
    """A folder called demand.csv is named as a folder, not read."""
    folder = write_instance(tmp_path, demand=None)
    (folder / "demand.csv").mkdir()
    check(only(problems_of(folder)), "demand", None, None, "demand.csv is a folder")


def test_a_symlink_to_a_regular_file_is_followed(tmp_path):
    """A table may be a symlink to a regular file elsewhere (shared data): it is read."""
    folder = write_instance(tmp_path / "t1")
    shared = tmp_path / "shared-supply.csv"
    (folder / "supply.csv").rename(shared)
    (folder / "supply.csv").symlink_to(shared)
    assert sourcing.validate(folder) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_benchmark_index_that_is_a_fifo_is_refused(tmp_path):
    """``sourcing bench --index`` reads a CSV too: a FIFO there is refused, not waited on."""
    from sourcing import bench

    os.mkfifo(tmp_path / "index.csv")
    with pytest.raises(InputError, match="index.csv is not a regular file"):
        bench.read_index(tmp_path / "index.csv")
