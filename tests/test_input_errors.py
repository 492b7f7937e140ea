"""Bad input gets a clear error naming the table, row and field: never a traceback, never a plan.

Each test builds the small valid instance below with exactly one defect and checks the
:class:`~sourcing.InputError` it raises: which table, row and field it names, and that the
message is written for a planner (no validator jargon). The folder form (CSV files) and the
document form (one JSON/YAML file, or a dict) are both covered, then the command line (exit code
2, no traceback), then a fuzz test of random cell mutations.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sourcing
from sourcing import InputError, Plan, Problem

# --- the valid instance: mining then refining of lithium, delivered to one plant in the USA ----

INSTANCE_YAML = """\
name: t1
description: test
currency: USD
unit: t
stages: [mining, refining]
transport_default: 10
"""

CSV = {
    "minerals": "mineral,name,unit\nli,Lithium,t\n",
    "countries": (
        "country,name,groups,risk\n"
        "AUS,Australia,FTA,0.1\n"
        "CHL,Chile,FTA,0.2\n"
        "CHN,China,FEOC,0.8\n"
        "USA,United States,US,0\n"
    ),
    "supply": (
        "mineral,stage,country,capacity,price\n"
        "li,mining,AUS,100,50\n"
        "li,mining,CHL,100,60\n"
        "li,mining,CHN,100,40\n"
        "li,refining,CHN,200,20\n"
        "li,refining,USA,200,50\n"
    ),
    "yields": "mineral,stage,yield\nli,refining,0.5\n",
    "sites": "site,country\nplant,USA\n",
    "demand": "mineral,site,quantity\nli,plant,60\n",
}

#: Words of the validation library a planner should never have to read.
JARGON = ("Input should", "Value error", "validation error", "pydantic", "Traceback", "dict_type")


def write_instance(folder: Path, yaml_text: str = INSTANCE_YAML, **tables: str | None) -> Path:
    """The valid instance in ``folder``, with ``tables`` replaced (``None`` removes a file)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "instance.yaml").write_text(yaml_text, encoding="utf-8")
    for name, text in {**CSV, **tables}.items():
        if text is not None:
            (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def edit(table: str, old: str, new: str) -> dict[str, str]:
    """The ``table`` CSV with its first ``old`` replaced by ``new``."""
    text = CSV[table]
    assert old in text, f"{old!r} not in {table}"
    return {table: text.replace(old, new, 1)}


def document() -> dict:
    """The same instance as one document (the JSON/YAML form), numbers as numbers."""
    tables = {}
    for name, text in CSV.items():
        rows = list(csv.DictReader(io.StringIO(text)))
        for row in rows:
            for key, value in row.items():
                try:
                    row[key] = float(value)
                except ValueError:
                    pass
        tables[name] = rows
    return {**yaml.safe_load(INSTANCE_YAML), **tables}


def problems_of(source, model=None) -> list[Problem]:
    with pytest.raises(InputError) as raised:
        sourcing.validate(source, model)
    problems = raised.value.problems
    assert problems, "an InputError must list its problems"
    for problem in problems:
        assert isinstance(problem, Problem)
        for word in JARGON:
            assert word not in problem.message, f"jargon in: {problem}"
    return problems


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def check(problem: Problem, table: str, row: int | None, field: str | None, *words: str) -> None:
    assert (problem.table, problem.row, problem.field) == (table, row, field), str(problem)
    for word in words:
        assert word.lower() in problem.message.lower(), f"{word!r} not in: {problem}"


def test_the_fixture_is_valid(tmp_path):
    assert sourcing.validate(write_instance(tmp_path)) == []
    assert sourcing.validate(document()) == []


# --- unknown names ------------------------------------------------------------------------------

UNKNOWN_NAMES = [
    # (CSV table, old text, new text, row, field, words in the message)
    ("supply", "li,mining,CHL", "cu,mining,CHL", 3, "mineral", ("unknown mineral", "'cu'")),
    ("demand", "li,plant", "cu,plant", 2, "mineral", ("unknown mineral", "'cu'")),
    ("yields", "li,refining", "cu,refining", 2, "mineral", ("unknown mineral", "'cu'")),
    ("supply", "li,mining,CHL", "li,mining,PER", 3, "country", ("unknown country", "'PER'")),
    ("sites", "plant,USA", "plant,DEU", 2, "country", ("unknown country", "'DEU'")),
    ("demand", "li,plant", "li,depot", 2, "site", ("unknown site", "'depot'")),
    (
        "supply",
        "li,refining,USA",
        "li,smelting,USA",
        6,
        "stage",
        ("unknown stage", "'smelting'", "mining, refining"),
    ),
    ("yields", "li,refining", "li,smelting", 2, "stage", ("unknown stage", "'smelting'")),
]


@pytest.mark.parametrize(("table", "old", "new", "row", "field", "words"), UNKNOWN_NAMES)
def test_unknown_name(tmp_path, table, old, new, row, field, words):
    problem = only(problems_of(write_instance(tmp_path, **edit(table, old, new))))
    check(problem, table, row, field, *words)


def test_unknown_mineral_in_transport(tmp_path):
    folder = write_instance(
        tmp_path, transport="from,to,cost,mineral\nAUS,USA,5,li\nCHL,USA,5,cu\n"
    )
    check(only(problems_of(folder)), "transport", 3, "mineral", "unknown mineral", "'cu'")


def test_unknown_country_in_transport(tmp_path):
    folder = write_instance(tmp_path, transport="from,to,cost\nAUS,USA,5\nCHL,GER,5\n")
    check(only(problems_of(folder)), "transport", 3, "to", "unknown country", "'GER'")


def test_unknown_mineral_in_tariffs(tmp_path):
    folder = write_instance(tmp_path, tariffs="mineral,origin,destination,rate\nco,CHN,USA,0.25\n")
    check(only(problems_of(folder)), "tariffs", 2, "mineral", "unknown mineral", "'co'")


@pytest.mark.parametrize(
    ("row_text", "field", "name"),
    [
        ("li,RUS,USA,0.25", "origin", "RUS"),
        ("li,CHN,USX,0.25", "destination", "USX"),
    ],
)
def test_unknown_country_in_tariffs(tmp_path, row_text, field, name):
    folder = write_instance(tmp_path, tariffs=f"mineral,origin,destination,rate\n{row_text}\n")
    check(only(problems_of(folder)), "tariffs", 2, field, "unknown country", f"'{name}'")


def test_unknown_mineral_in_the_document_form():
    doc = document()
    doc["demand"][0]["mineral"] = "ni"
    check(only(problems_of(doc)), "demand", 1, "mineral", "unknown mineral", "'ni'")


def test_names_are_case_sensitive(tmp_path):
    folder = write_instance(tmp_path, **edit("supply", "li,mining,AUS", "LI,mining,AUS"))
    check(only(problems_of(folder)), "supply", 2, "mineral", "unknown mineral", "'LI'")


# --- numbers ------------------------------------------------------------------------------------

BAD_NUMBERS = [
    # (table, old, new, row, field, words)
    ("supply", "AUS,100,50", "AUS,-100,50", 2, "capacity", ("at least 0", "-100")),
    ("supply", "CHL,100,60", "CHL,100,-60", 3, "price", ("at least 0", "-60")),
    ("demand", "plant,60", "plant,-60", 2, "quantity", ("at least 0", "-60")),
    ("supply", "AUS,100,50", "AUS,nan,50", 2, "capacity", ("finite",)),
    ("supply", "AUS,100,50", "AUS,NaN,50", 2, "capacity", ("finite",)),
    ("supply", "CHN,100,40", "CHN,100,inf", 4, "price", ("finite",)),
    ("demand", "plant,60", "plant,-Infinity", 2, "quantity", ("finite",)),
    ("supply", "AUS,100,50", "AUS,1e400,50", 2, "capacity", ("finite",)),
    ("supply", "AUS,100,50", "AUS,1e300,50", 2, "capacity", ("at most",)),
    ("supply", "CHN,100,40", "CHN,100,cheap", 4, "price", ("must be a number", "cheap")),
    ("demand", "plant,60", "plant,60 t", 2, "quantity", ("must be a number",)),
    ("supply", "AUS,100,50", "AUS,1.000.000,50", 2, "capacity", ("must be a number",)),
    ("yields", "0.5", "0", 2, "yield", ("at least",)),
    ("yields", "0.5", "-0.5", 2, "yield", ("at least",)),
    ("countries", "FTA,0.1", "FTA,1.5", 2, "risk", ("at most 1", "1.5")),
    ("countries", "FEOC,0.8", "FEOC,-0.2", 4, "risk", ("at least 0",)),
    ("countries", "FEOC,0.8", "FEOC,high", 4, "risk", ("must be a number", "high")),
]


@pytest.mark.parametrize(("table", "old", "new", "row", "field", "words"), BAD_NUMBERS)
def test_bad_number(tmp_path, table, old, new, row, field, words):
    problem = only(problems_of(write_instance(tmp_path, **edit(table, old, new))))
    check(problem, table, row, field, *words)


def test_empty_required_cell(tmp_path):
    folder = write_instance(tmp_path, **edit("supply", "CHL,100,60", "CHL,100,"))
    check(only(problems_of(folder)), "supply", 3, "price", "required")


def test_negative_transport_default(tmp_path):
    text = INSTANCE_YAML.replace("transport_default: 10", "transport_default: -10")
    check(
        only(problems_of(write_instance(tmp_path, text))),
        "instance",
        None,
        "transport_default",
        "at least 0",
    )


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (-5.0, ("at least 0",)),
        (float("nan"), ("finite",)),
        (float("inf"), ("finite",)),
        ("lots", ("must be a number", "lots")),
    ],
)
def test_bad_number_in_the_document_form(value, words):
    doc = document()
    doc["supply"][3]["capacity"] = value
    check(only(problems_of(doc)), "supply", 4, "capacity", *words)


def test_nan_in_a_json_file(tmp_path):
    doc = document()
    doc["demand"][0]["quantity"] = float("nan")
    path = tmp_path / "t1.json"
    path.write_text(json.dumps(doc), encoding="utf-8")  # json writes the NaN token
    assert "NaN" in path.read_text()
    check(only(problems_of(path)), "demand", 1, "quantity", "finite")


# --- duplicate keys -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "text", "row", "field"),
    [
        ("supply", CSV["supply"] + "li,mining,AUS,5,55\n", 7, "mineral"),
        ("minerals", CSV["minerals"] + "li,Lithium again,t\n", 3, "mineral"),
        ("countries", CSV["countries"] + "CHL,Chile again,FTA,0.3\n", 6, "country"),
        ("demand", CSV["demand"] + "li,plant,10\n", 3, "mineral"),
        ("yields", CSV["yields"] + "li,refining,0.6\n", 3, "mineral"),
        ("sites", CSV["sites"] + "plant,AUS\n", 3, "site"),
    ],
)
def test_duplicate_key(tmp_path, table, text, row, field):
    check(
        only(problems_of(write_instance(tmp_path, **{table: text}))),
        table,
        row,
        field,
        "duplicate of row",
    )


def test_duplicate_transport_lane(tmp_path):
    folder = write_instance(tmp_path, transport="from,to,cost\nAUS,USA,5\nCHL,USA,6\nAUS,USA,7\n")
    check(only(problems_of(folder)), "transport", 4, "from", "duplicate of row 2")


def test_duplicate_in_the_document_form():
    doc = document()
    doc["minerals"].append({"mineral": "li", "name": "Lithium"})
    check(only(problems_of(doc)), "minerals", 2, "mineral", "duplicate of row 1")


# --- stages, periods, yields --------------------------------------------------------------------


def test_period_not_in_periods(tmp_path):
    folder = write_instance(
        tmp_path,
        INSTANCE_YAML + "periods: [2025, 2026]\n",
        demand="mineral,site,quantity,period\nli,plant,60,2025\nli,plant,60,2027\n",
    )
    check(only(problems_of(folder)), "demand", 3, "period", "unknown period", "'2027'")


def test_numeric_periods_in_yaml_match_the_csv(tmp_path):
    """``periods: [2025, 2026]`` in YAML are numbers; the CSV's '2025' is text: they match."""
    folder = write_instance(
        tmp_path,
        INSTANCE_YAML + "periods: [2025, 2026]\n",
        demand="mineral,site,quantity,period\nli,plant,60,2025\nli,plant,60,2026\n",
    )
    assert sourcing.validate(folder) == []


def test_period_without_periods(tmp_path):
    folder = write_instance(tmp_path, demand="mineral,site,quantity,period\nli,plant,60,2025\n")
    check(only(problems_of(folder)), "demand", 2, "period", "periods")


def test_yield_for_the_first_stage(tmp_path):
    folder = write_instance(
        tmp_path, yields="mineral,stage,yield\nli,refining,0.5\nli,mining,0.9\n"
    )
    check(only(problems_of(folder)), "yields", 3, "stage", "first stage")


def test_repeated_stage_names(tmp_path):
    text = INSTANCE_YAML.replace("[mining, refining]", "[mining, refining, mining]")
    check(only(problems_of(write_instance(tmp_path, text))), "instance", None, "stages", "unique")


def test_no_stages(tmp_path):
    text = INSTANCE_YAML.replace("[mining, refining]", "[]")
    check(
        only(problems_of(write_instance(tmp_path, text))), "instance", None, "stages", "at least 1"
    )


# --- rules --------------------------------------------------------------------------------------


@pytest.mark.parametrize("share", [1.5, -0.1, "nan"])
def test_rule_share_outside_0_1_in_a_model_dict(tmp_path, share):
    model = {
        "rules": [
            {"rule": "exclude", "countries": ["CHN"]},
            {"rule": "max_country_share", "share": float(share)},
        ]
    }
    problem = only(problems_of(write_instance(tmp_path), model))
    check(problem, "model rules", 2, "share", "max_country_share")
    assert (
        "at most 1" in problem.message
        or "at least 0" in problem.message
        or "finite" in problem.message
    )


def test_rule_share_outside_0_1_in_a_model_file(tmp_path):
    path = tmp_path / "capped.yaml"
    path.write_text(
        "description: capped\nrules:\n  - rule: top_share\n    k: 2\n    share: 120\n",
        encoding="utf-8",
    )
    problem = only(problems_of(write_instance(tmp_path / "t1"), path))
    check(problem, "model rules", 1, "share", "top_share", "at most 1", "120")


def test_rule_share_outside_0_1_in_the_instance(tmp_path):
    text = INSTANCE_YAML + "rules:\n  - rule: group_share\n    groups: [FTA]\n    min: 1.2\n"
    check(
        only(problems_of(write_instance(tmp_path, text))), "instance rules", 1, "min", "at most 1"
    )


@pytest.mark.parametrize(
    ("selector", "names", "what"),
    [
        ("minerals", ["co"], "mineral"),
        ("stages", ["smelting"], "stage"),
        ("countries", ["RUS"], "country"),
        ("groups", ["EU"], "group"),
    ],
)
def test_rule_naming_nothing_that_exists(tmp_path, selector, names, what):
    rule = {"rule": "exclude", "countries": ["CHN"], selector: names}
    problem = only(problems_of(write_instance(tmp_path), {"rules": [rule]}))
    check(problem, "model rules", 1, selector, f"unknown {what}", f"'{names[0]}'")


def test_rule_exempting_an_unknown_group(tmp_path):
    rule = {"rule": "max_country_share", "share": 0.5, "exempt": ["EU"]}
    check(
        only(problems_of(write_instance(tmp_path), {"rules": [rule]})),
        "model rules",
        1,
        "exempt",
        "'EU'",
    )


def test_group_share_with_neither_min_nor_max(tmp_path):
    model = {"rules": [{"rule": "group_share", "groups": ["FTA"]}]}
    check(
        only(problems_of(write_instance(tmp_path), model)),
        "model rules",
        1,
        "min",
        "'min' and/or 'max'",
    )


def test_min_suppliers_whose_shares_exceed_100_percent(tmp_path):
    model = {"rules": [{"rule": "min_suppliers", "count": 3, "min_share": 0.4}]}
    check(
        only(problems_of(write_instance(tmp_path), model)), "model rules", 1, "count", "exceed 100%"
    )


def test_unknown_rule_type(tmp_path):
    model = {"rules": [{"rule": "max_country_shares", "share": 0.5}]}
    check(
        only(problems_of(write_instance(tmp_path), model)),
        "model rules",
        1,
        "rule",
        "unknown rule",
        "max_country_shares",
        "max_country_share",
    )


def test_rule_without_a_type(tmp_path):
    check(
        only(problems_of(write_instance(tmp_path), {"rules": [{"share": 0.5}]})),
        "model rules",
        1,
        "rule",
        "'rule' is required",
    )


def test_rule_with_an_unknown_parameter(tmp_path):
    model = {"rules": [{"rule": "max_country_share", "share": 0.5, "shares": 0.4}]}
    check(
        only(problems_of(write_instance(tmp_path), model)),
        "model rules",
        1,
        "shares",
        "unknown key",
        "share",
    )


def test_unknown_model_name(tmp_path):
    check(
        only(problems_of(write_instance(tmp_path), "no-such-model")),
        "model",
        None,
        None,
        "no-such-model",
    )


# --- columns, tables, files ---------------------------------------------------------------------


def test_unknown_column_is_reported_once(tmp_path):
    text = (
        "\n".join(
            line + (",notes" if i == 0 else ",x")
            for i, line in enumerate(CSV["supply"].splitlines())
        )
        + "\n"
    )
    check(
        only(problems_of(write_instance(tmp_path, supply=text))),
        "supply",
        None,
        "notes",
        "unknown column",
        "allowed",
    )


def test_misspelt_column_is_reported_once_not_per_row(tmp_path):
    folder = write_instance(tmp_path, **edit("supply", "capacity,price", "capacity,prize"))
    problems = problems_of(folder)
    assert len(problems) == 2, "\n".join(map(str, problems))
    check(problems[0], "supply", None, "prize", "unknown column", "did you mean 'price'")
    check(problems[1], "supply", None, "price", "required column is missing")


def test_missing_required_column(tmp_path):
    text = "\n".join(line.rsplit(",", 1)[0] for line in CSV["demand"].splitlines()) + "\n"
    check(
        only(problems_of(write_instance(tmp_path, demand=text))),
        "demand",
        None,
        "quantity",
        "required column is missing",
    )


def test_column_named_twice(tmp_path):
    folder = write_instance(tmp_path, **edit("supply", "capacity,price", "price,price"))
    check(only(problems_of(folder)), "supply", None, "price", "twice")


def test_unknown_column_in_the_document_form_is_reported_once():
    doc = document()
    for row in doc["supply"]:
        row["notes"] = "x"
    check(only(problems_of(doc)), "supply", None, "notes", "unknown column")


@pytest.mark.parametrize("table", ["minerals", "countries", "supply", "demand"])
def test_missing_required_table(tmp_path, table):
    check(
        only(problems_of(write_instance(tmp_path, **{table: None}))),
        table,
        None,
        None,
        "required table",
        f"{table}.csv",
    )


@pytest.mark.parametrize("table", ["supply", "demand"])
def test_required_table_with_no_rows(tmp_path, table):
    header = CSV[table].splitlines()[0] + "\n"
    check(
        only(problems_of(write_instance(tmp_path, **{table: header}))), table, None, None, "no rows"
    )


def test_empty_csv_file(tmp_path):
    check(
        only(problems_of(write_instance(tmp_path, demand=""))),
        "demand",
        None,
        None,
        "empty",
        "mineral, quantity",
    )


def test_missing_required_table_in_the_document_form():
    doc = document()
    del doc["countries"]
    check(only(problems_of(doc)), "countries", None, None, "required table")


def test_unknown_csv_file(tmp_path):
    folder = write_instance(tmp_path)
    (folder / "suppliers.csv").write_text("mineral\nli\n", encoding="utf-8")
    check(only(problems_of(folder)), "suppliers", None, None, "unknown table", "supply")


def test_table_in_instance_yaml_of_a_folder(tmp_path):
    folder = write_instance(tmp_path, INSTANCE_YAML + "demand: []\n")
    check(only(problems_of(folder)), "instance", None, "demand", "demand.csv")


def test_unknown_key_in_instance_yaml(tmp_path):
    folder = write_instance(tmp_path, INSTANCE_YAML + "stage: [mining]\n")
    check(only(problems_of(folder)), "instance", None, "stage", "unknown key", "stages")


def test_malformed_yaml(tmp_path):
    folder = write_instance(tmp_path, "name: t1\nstages: [mining, refining\n")
    problem = only(problems_of(folder))
    check(problem, "instance", None, None, "instance.yaml", "line")
    assert "\n" not in problem.message


def test_malformed_json(tmp_path):
    path = tmp_path / "t1.json"
    path.write_text('{"name": "t1", "stages": ["mining",]}', encoding="utf-8")
    check(only(problems_of(path)), "instance", None, None, "t1.json", "line 1")


def test_yaml_that_is_not_a_mapping(tmp_path):
    check(
        only(problems_of(write_instance(tmp_path, "- t1\n- mining\n"))),
        "instance",
        None,
        None,
        "mapping",
    )


def test_malformed_model_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("rules: [{rule: exclude, countries: [CHN]\n", encoding="utf-8")
    check(only(problems_of(write_instance(tmp_path / "t1"), path)), "model", None, None, "bad.yaml")


def test_instance_path_that_does_not_exist(tmp_path):
    check(only(problems_of(tmp_path / "nowhere")), "instance", None, None, "no such file")


def test_folder_without_instance_yaml(tmp_path):
    folder = write_instance(tmp_path)
    (folder / "instance.yaml").unlink()
    check(only(problems_of(folder)), "instance", None, None, "instance.yaml")


# --- CSV layout: rows must keep the numbers a spreadsheet shows --------------------------------


def test_blank_line_keeps_the_row_numbers(tmp_path):
    """A blank line is a row: the blank line is line 3 of supply.csv and the negative capacity
    below it line 4; each is reported by the row a spreadsheet shows (the header is row 1)."""
    text = CSV["supply"].replace("li,mining,CHL,100", "\nli,mining,CHL,-100")
    problems = problems_of(write_instance(tmp_path, supply=text))
    assert [(p.table, p.row, p.field) for p in problems] == [
        ("supply", 3, None),
        ("supply", 4, "capacity"),
    ]
    assert "empty row" in problems[0].message


def test_trailing_blank_lines_and_empty_rows_are_ignored(tmp_path):
    folder = write_instance(tmp_path, supply=CSV["supply"] + "\n,,,,\n\n")
    assert sourcing.validate(folder) == []


def test_row_with_too_many_values(tmp_path):
    folder = write_instance(tmp_path, supply=CSV["supply"] + "li,mining,USA,10,70,oops\n")
    check(only(problems_of(folder)), "supply", 7, None, "6 values", "5 columns")


def test_row_with_too_few_values(tmp_path):
    folder = write_instance(tmp_path, supply=CSV["supply"] + "li,mining,USA\n")
    check(only(problems_of(folder)), "supply", 7, "price", "required")


def test_unterminated_quote(tmp_path):
    folder = write_instance(tmp_path, supply=CSV["supply"] + '"li,mining,USA,10,70\n')
    check(only(problems_of(folder)), "supply", 7, None, "quote")


def test_file_that_is_not_utf8(tmp_path):
    folder = write_instance(tmp_path)
    (folder / "countries.csv").write_bytes(
        CSV["countries"].replace("Chile", "Chilé").encode("latin-1")
    )
    check(only(problems_of(folder)), "countries", 3, None, "UTF-8")


def test_byte_order_mark_is_accepted(tmp_path):
    folder = write_instance(tmp_path)
    (folder / "supply.csv").write_bytes(b"\xef\xbb\xbf" + CSV["supply"].encode())
    assert sourcing.validate(folder) == []


def test_spaces_around_cells_are_ignored(tmp_path):
    folder = write_instance(
        tmp_path, **edit("supply", "li,mining,AUS,100,50", " li , mining, AUS ,100 , 50")
    )
    assert sourcing.validate(folder) == []


def test_every_problem_is_listed_at_once(tmp_path):
    folder = write_instance(
        tmp_path,
        **edit("supply", "AUS,100,50", "AUS,-100,50"),
        demand="mineral,site,quantity\nli,plant,abc\n",
        countries=CSV["countries"] + "AUS,Australia again,FTA,0.1\n",
    )
    found = {(p.table, p.row, p.field) for p in problems_of(folder)}
    # the cell problems and the cross-table duplicate (AUS again, line 6) in the same run:
    # issue 17 found that the duplicate only showed once the cells were fixed
    assert found == {
        ("supply", 2, "capacity"),
        ("demand", 2, "quantity"),
        ("countries", 6, "country"),
    }


def test_problem_text_names_table_row_and_field(tmp_path):
    folder = write_instance(tmp_path, **edit("supply", "CHN,100,40", "CHN,100,-40"))
    with pytest.raises(InputError) as raised:
        sourcing.solve(folder)
    text = str(raised.value)
    assert "supply, row 4, field 'price'" in text  # line 4 of supply.csv


# --- the command line ---------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sourcing.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def flat(text: str) -> str:
    """Whitespace collapsed: the console wraps long lines."""
    return " ".join(text.split())


@pytest.mark.parametrize("command", ["validate", "solve"])
def test_cli_bad_cell_exits_2_naming_the_cell(tmp_path, command):
    folder = write_instance(tmp_path, **edit("supply", "CHN,100,40", "CHN,100,-40"))
    done = run_cli(command, folder)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "supply, row 4, field 'price'" in flat(done.stderr)
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (("validate", "{folder}", "--model", "no-such-model"), "model"),
        (("solve", "{folder}/../nowhere"), "no such file"),
        (("validate", "{folder}", "--model", "{model}"), "model rules, row 1, field 'share'"),
    ],
)
def test_cli_other_bad_inputs_exit_2(tmp_path, args, where):
    folder = write_instance(tmp_path / "t1")
    model = tmp_path / "m.yaml"
    model.write_text("rules: [{rule: max_country_share, share: 2}]\n", encoding="utf-8")
    done = run_cli(*(a.format(folder=folder, model=model) for a in args))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert where in flat(done.stderr)


def test_cli_unknown_column_exits_2(tmp_path):
    folder = write_instance(tmp_path, **edit("demand", "quantity", "qty"))
    done = run_cli("validate", folder)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    stderr = flat(done.stderr)
    assert "demand, field 'qty': unknown column" in stderr
    assert "demand, field 'quantity': required column is missing" in stderr
    assert stderr.count("demand") == 2 + stderr.count("demand.csv")


def test_cli_cell_text_that_looks_like_markup(tmp_path):
    folder = write_instance(tmp_path, **edit("supply", "AUS,100,50", "AUS,[/x],50"))
    done = run_cli("validate", folder)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "[/x]" in done.stderr


def test_cli_strict_turns_warnings_into_errors(tmp_path):
    # mining needs 190 / 0.5 = 380 t but offers 300: one warning
    folder = write_instance(tmp_path, **edit("demand", "plant,60", "plant,190"))
    plain = run_cli("validate", folder)
    assert plain.returncode == 0, plain.stderr
    assert "warning" in plain.stderr and "capacity" in plain.stderr
    assert "valid, 1 warning" in plain.stdout
    strict = run_cli("validate", "--strict", folder)
    assert strict.returncode == 2, strict.stderr
    assert "Traceback" not in strict.stderr
    assert "supply, field 'capacity'" in flat(strict.stderr)
    assert "below" in strict.stderr


def test_valid_instance_exits_0(tmp_path):
    done = run_cli("validate", write_instance(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


# --- fuzz: random mutations load or raise InputError, and what loads solves ---------------------


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


ODD_CELLS = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "nan",
            "inf",
            "-inf",
            "NaN",
            "1e400",
            "-0",
            "1e12",
            "1e13",
            "0",
            "1e-7",
            "TRUE",
            "null",
            "li",
            "AUS",
            "mining",
            "refining",
            "plant",
            "2025",
            '"',
            ",",
            "\n",
            "[/x]",
            "0x10",
            "1_000",
            "١٢",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=-1e15, max_value=1e15).map(lambda x: f"{x:g}"),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)


@st.composite
def mutations(draw):
    tables = {name: parse(text) for name, text in CSV.items()}
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(tables)))
        rows = tables[name]
        kind = draw(
            st.sampled_from(
                ["cell", "cell", "cell", "drop column", "drop row", "copy row", "header"]
            )
        )
        if kind == "cell" and len(rows) > 1:
            r = draw(st.integers(1, len(rows) - 1))
            if rows[r]:  # a row left with no cell by dropped columns has none to change
                c = draw(st.integers(0, len(rows[r]) - 1))
                rows[r][c] = draw(ODD_CELLS)
        elif kind == "drop column" and rows and rows[0]:
            c = draw(st.integers(0, len(rows[0]) - 1))
            for row in rows:
                del row[c : c + 1]
        elif kind == "drop row" and len(rows) > 1:
            del rows[draw(st.integers(1, len(rows) - 1))]
        elif kind == "copy row" and len(rows) > 1:
            rows.append(list(rows[draw(st.integers(1, len(rows) - 1))]))
        elif kind == "header" and rows and rows[0]:
            rows[0][draw(st.integers(0, len(rows[0]) - 1))] = draw(ODD_CELLS)
    return tables


def write_rows(folder: Path, tables: dict[str, list[list[str]]]) -> None:
    write_instance(folder)
    for name, rows in tables.items():
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        (folder / f"{name}.csv").write_text(buffer.getvalue(), encoding="utf-8")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_fuzz_mutated_cells_load_or_raise_input_error(tables):
    with tempfile.TemporaryDirectory() as folder:
        write_rows(Path(folder), tables)
        try:
            instance = sourcing.load_instance(folder)
        except InputError as error:
            assert error.problems
            for problem in error.problems:
                assert problem.table and problem.message
                assert problem.row is None or problem.row >= 0
            return
        plan = sourcing.solve(instance)
        assert isinstance(plan, Plan)
        if plan.objective is not None:
            assert math.isfinite(plan.objective)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["supply", "demand", "countries", "yields"]), st.data())
def test_fuzz_document_values_load_or_raise_input_error(table, data):
    doc = copy.deepcopy(document())
    row = data.draw(st.sampled_from(doc[table]))
    key = data.draw(st.sampled_from(sorted(row) + ["extra"]))
    row[key] = data.draw(
        st.one_of(
            ODD_CELLS,
            st.none(),
            st.floats(),
            st.integers(),
            st.booleans(),
            st.lists(st.integers(), max_size=2),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        )
    )
    try:
        instance = sourcing.load_instance(doc)
    except InputError as error:
        assert error.problems
        return
    assert isinstance(sourcing.solve(instance), Plan)
