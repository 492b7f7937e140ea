"""The slips a planner makes in the first hour, each answered by one message that names the fix.

The instance is tests/test_input_errors.py's: lithium mined in AUS, CHL, CHN and refined in
CHN or the USA for one plant. Row numbers are those a spreadsheet shows: the header is row 1,
so ``li,mining,CHL`` on line 3 of supply.csv is row 3, in a CSV file as in a workbook.
"""

from __future__ import annotations

import pytest

from sourcing.data.workbook import read_instance
from tests.test_input_errors import CSV, check, edit, only, problems_of, write_instance


def located(problems):
    return {(p.table, p.row, p.field): p.message for p in problems}


def test_every_problem_in_one_run(tmp_path):
    """A negative capacity (a cell pydantic refuses), a stage 'Refining', a country 'chn' and a
    site in an unknown country: four problems in the first run, not one and then three."""
    supply = (
        CSV["supply"]
        .replace("li,mining,AUS,100,50", "li,mining,AUS,-100,50")
        .replace("li,refining,USA,200,50", "li,Refining,USA,200,50")
        .replace("li,mining,CHN,100,40", "li,mining,chn,100,40")
    )
    folder = write_instance(tmp_path, supply=supply, sites="site,country\nplant,DEU\n")
    found = located(problems_of(folder))
    assert set(found) == {
        ("supply", 2, "capacity"),
        ("supply", 6, "stage"),
        ("supply", 4, "country"),
        ("sites", 2, "country"),
    }
    assert "did you mean 'refining'? names are case-sensitive" in found[("supply", 6, "stage")]
    assert "did you mean 'CHN'? names are case-sensitive" in found[("supply", 4, "country")]


def test_the_same_row_in_a_csv_file_and_in_a_workbook(tmp_path):
    """The same typo on line 5 of supply.csv (li,refining,CHN) is row 5 from the folder and
    row 5 from the workbook converted from it."""
    from sourcing.data.convert import write_instance as convert
    from sourcing.data.io import load_instance

    good = write_instance(tmp_path / "good")
    book = tmp_path / "t1.xlsx"
    convert(load_instance(good), book)
    folder = write_instance(
        tmp_path / "bad", **edit("supply", "li,refining,CHN", "li,refinning,CHN")
    )
    from_csv = only(problems_of(folder))
    check(from_csv, "supply", 5, "stage", "unknown stage", "'refinning'", "did you mean 'refining'")

    import openpyxl

    workbook = openpyxl.load_workbook(book)
    sheet = workbook["supply"]
    assert sheet.cell(row=5, column=2).value == "refining"
    sheet.cell(row=5, column=2).value = "refinning"
    workbook.save(book)
    with pytest.raises(Exception) as raised:
        read_instance(book)
    (from_book,) = raised.value.problems
    assert (from_book.table, from_book.row, from_book.field) == ("supply", 5, "stage")


def test_a_semicolon_separated_file(tmp_path):
    """A European Excel saves 'CSV' with ';' between columns: one message names the fix, not
    'unknown column mineral;site;quantity'."""
    folder = write_instance(tmp_path, demand="mineral;site;quantity\nli;plant;60\n")
    problem = only(problems_of(folder))
    check(problem, "demand", None, None, "separated by ';'", "CSV UTF-8 (Comma delimited)")


def test_a_decimal_comma_quoted_and_unquoted(tmp_path):
    quoted = write_instance(tmp_path / "q", **edit("supply", "AUS,100,50", 'AUS,"3000,5",50'))
    check(only(problems_of(quoted)), "supply", 2, "capacity", "write 3000.5, not 3000,5")
    bare = write_instance(tmp_path / "b", **edit("supply", "AUS,100,50", "AUS,3000,5,50"))
    check(only(problems_of(bare)), "supply", 2, None, "6 values", "decimal comma", "3000.5")


def test_a_share_written_as_a_percentage(tmp_path):
    model = {"name": "cap", "rules": [{"rule": "max_country_share", "share": 65}]}
    problem = only(problems_of(write_instance(tmp_path), model))
    check(problem, "model rules", 1, "share", "at most 1", "did you mean 0.65?")


def test_a_country_code_off_by_a_letter(tmp_path):
    folder = write_instance(tmp_path, **edit("supply", "li,mining,CHN", "li,mining,CNH"))
    check(
        only(problems_of(folder)), "supply", 4, "country", "unknown country", "did you mean 'CHN'?"
    )


def test_a_warning_names_the_same_row_from_a_folder_and_a_workbook(tmp_path):
    """A site no supplier can reach is a consistency warning (an error under --strict) on
    demand's second record: line 3 of demand.csv, row 3 of the demand sheet."""
    from sourcing.api import validate
    from sourcing.data.convert import write_instance as convert
    from sourcing.data.io import load_instance

    folder = write_instance(
        tmp_path / "f",
        INSTANCE_YAML_NO_DEFAULT,
        countries=CSV["countries"] + "DEU,Germany,EU,0\n",
        sites="site,country\nplant,USA\neu-plant,DEU\n",
        transport="from,to,cost\nAUS,CHN,5\nCHL,CHN,5\nCHN,CHN,0\nAUS,USA,5\nCHN,USA,5\n",
        demand="mineral,site,quantity\nli,plant,60\nli,eu-plant,10\n",
    )
    book = tmp_path / "b.xlsx"
    convert(load_instance(folder), book)
    for source in (folder, book):
        (warning,) = [w for w in validate(source) if "eu-plant" in w]
        assert warning.startswith("demand, row 3, field 'site'"), warning


INSTANCE_YAML_NO_DEFAULT = """\
name: t1
currency: USD
unit: t
stages: [mining, refining]
"""
