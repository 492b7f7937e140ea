"""Excel in and out, as a planner meets it.

- ``solve --out plan.xlsx``: every sheet is there, every number is a number cell (formatted,
  never text), headers carry the plan's units, header rows are frozen; each table sheet holds
  exactly the plan's DataFrame, row for row.
- An instance read from a workbook (one sheet per table, the CSV columns) is the same instance;
  ``sourcing convert`` goes folder → xlsx → json → folder without loss for every bundled instance.
- A bad workbook gets an InputError naming the sheet, the row as Excel shows it (header = row 1)
  and the column; never a traceback.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import sourcing
from sourcing import InputError, Problem
from sourcing.bench import ORLIB_ON_DEMAND
from sourcing.data.convert import document_of
from sourcing.data.convert import write_instance as convert_to
from sourcing.data.io import load_instance
from sourcing.data.workbook import SHEETS, read_instance, write_instance
from sourcing.results.columns import header_of
from sourcing.results.workbook import PLAN_SHEETS, plan_tables, write_plan
from tests.conftest import DEMO, INSTANCES
from tests.test_cli import run

TWO_STAGE = INSTANCES / "examples" / "least-cost-two-stage"
#: every instance folder bundled under instances/ (the ladder's and capa/capb are generated on
#: demand, not bundled: a checkout where `sourcing bench` has run holds them too)
BUNDLED = sorted(
    p.parent
    for p in INSTANCES.rglob("instance.yaml")
    if "ladder" not in p.relative_to(INSTANCES).parts
    and p.parent.relative_to(INSTANCES).as_posix() not in ORLIB_ON_DEMAND
)


def read_sheet(book, name: str) -> tuple[list[str], list[list]]:
    rows = [list(r) for r in book[name].iter_rows(values_only=True)]
    return [str(h) for h in rows[0]], rows[1:]


# --- the plan as a workbook ------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_workbook(tmp_path_factory) -> tuple[openpyxl.Workbook, sourcing.Plan]:
    """``sourcing solve battery-demo --model eu-crma --out plan.xlsx``, and the same plan."""
    out = tmp_path_factory.mktemp("plan") / "plan.xlsx"
    done = run("solve", str(DEMO), "--model", "eu-crma", "--out", str(out))
    assert done.returncode == 0, done.stderr
    # the plan went to the workbook; stdout says where, as `report` does (issue 17)
    assert done.stdout == f"wrote {out} (xlsx)\n"
    return openpyxl.load_workbook(out), sourcing.solve(DEMO, model="eu-crma")


def test_plan_workbook_has_every_sheet_in_order(demo_workbook):
    book, _ = demo_workbook
    inputs = ["input " + s for s in SHEETS]
    assert book.sheetnames == PLAN_SHEETS + inputs + ["model", "model rules"]


def test_summary_holds_status_cost_components_and_rules_as_numbers(demo_workbook):
    book, plan = demo_workbook
    header, rows = read_sheet(book, "summary")
    assert header == ["item", "value"]
    summary = {item: value for item, value in rows}
    assert summary["termination condition"] == "optimal"
    assert summary["solution status"] == "optimal"
    assert summary["rules applied"] == "crma_single_country_cap"
    # the README's worked example: 13,809,525 USD under eu-crma
    assert summary["total cost (USD)"] == pytest.approx(13_809_525.0, rel=1e-12)
    # the total is stated once, as "total cost" (issue 17: not also as "cost: total")
    assert summary["total cost (USD)"] == pytest.approx(plan.costs["total"], rel=1e-12)
    assert "cost: total (USD)" not in summary
    for component in ("purchase", "processing", "transport", "tariffs"):
        value = summary[f"cost: {component} (USD)"]
        assert isinstance(value, (int, float)), component  # a number cell, not text
        assert value == pytest.approx(plan.costs[component], rel=1e-12)
    assert summary["unmet demand (t)"] == 0
    total_cell = next(r for r in book["summary"].iter_rows() if r[0].value == "total cost (USD)")
    assert total_cell[1].data_type == "n" and total_cell[1].number_format == "#,##0.00"


def test_each_table_sheet_is_the_plans_table_row_for_row(demo_workbook):
    book, plan = demo_workbook
    for sheet, frame in plan_tables(plan).items():
        header, rows = read_sheet(book, sheet)
        assert header == [header_of(sheet, str(c), "USD", "t") for c in frame.columns], sheet
        assert len(rows) == len(frame), sheet
        for got, want in zip(rows, frame.itertuples(index=False), strict=True):
            for cell, value in zip(got, want, strict=True):
                if isinstance(value, float) and math.isnan(value):
                    assert cell is None
                elif isinstance(value, (int, float)):
                    assert isinstance(cell, (int, float)), (sheet, cell)
                    assert cell == pytest.approx(value, rel=1e-12, abs=1e-12)
                else:
                    assert cell == (None if value is None else str(value))


def test_headers_carry_units_and_numbers_their_formats(demo_workbook):
    book, _ = demo_workbook
    shares_header, _ = read_sheet(book, "shares")
    assert shares_header == [
        "mineral",
        "stage",
        "country",
        "quantity (t)",
        "share (%)",
        "value (USD)",
        "stage_volume (t)",
        "hhi (0-10,000)",
    ]
    flows_header, _ = read_sheet(book, "flows")
    assert "price (USD/t)" in flows_header and "unit_cost (USD/t)" in flows_header
    assert read_sheet(book, "duals_demand")[0][-1] == "marginal_cost (USD/t)"
    assert read_sheet(book, "duals_capacity")[0][-1] == "value (USD/t)"  # per unit of capacity
    # COD mines 65% of the cobalt: 117 of 180 t; the cell holds 0.65 and shows 65.0%
    row = next(r for r in book["shares"].iter_rows(min_row=2) if r[2].value == "COD")
    assert row[4].value == pytest.approx(117 / 180) and row[4].number_format == "0.0%"
    assert row[3].value == 117 and row[3].data_type == "n"


def test_header_rows_are_frozen_and_columns_sized_to_their_content(demo_workbook):
    book, _ = demo_workbook
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet["A1"].font.bold, sheet.title
    flows = book["flows"]
    widths = {c.value: flows.column_dimensions[c.column_letter].width for c in flows[1]}
    assert widths["unit_cost (USD/t)"] >= len("unit_cost (USD/t)")
    assert 8 <= widths["stage"] < widths["unit_cost (USD/t)"]


def test_input_sheets_echo_the_instance(demo_workbook):
    book, _ = demo_workbook
    instance = load_instance(DEMO)
    for table in ("supply", "demand", "countries"):
        header, rows = read_sheet(book, f"input {table}")
        records = [{k: v for k, v in zip(header, r, strict=True) if v is not None} for r in rows]
        assert records == getattr(instance, table)
    _, meta = read_sheet(book, "input instance")
    assert dict(meta)["stages"] == "mining;refining"
    _, model = read_sheet(book, "model rules")
    assert model[0][:3] == ["max_country_share", "crma_single_country_cap", 0.65]


def test_an_infeasible_plan_says_why_in_its_summary(tmp_path):
    out = tmp_path / "plan.xlsx"
    done = run("solve", str(INSTANCES / "examples" / "infeasible-capacity"), "--out", str(out))
    assert done.returncode == 3
    book = openpyxl.load_workbook(out)
    why = [v for item, v in read_sheet(book, "summary")[1] if item == "why there is no plan"]
    assert why[0] == "li: 20 t of the 70 t demanded at site 'plant' cannot be covered."
    header, rows = read_sheet(book, "infeasible_uncovered")
    assert header[:2] == ["mineral", "site"] and rows[0][:2] == ["li", "plant"]


def test_xlsx_format_needs_a_file(tmp_path):
    done = run("solve", str(DEMO), "--format", "xlsx")
    assert done.returncode == 2
    assert "command line, field 'out': a workbook needs --out FILE.xlsx" in done.stderr


# --- an instance as a workbook: round trips --------------------------------------------------


def model_of(folder: Path) -> Path | None:
    return folder / "model.yaml" if (folder / "model.yaml").is_file() else None


@pytest.mark.parametrize("folder", BUNDLED, ids=lambda p: p.name)
def test_folder_to_xlsx_to_json_to_folder_is_the_same_instance(folder, tmp_path):
    """What ``sourcing convert`` does (in process: one command-line run is tested below)."""
    original = load_instance(folder)
    chain = [folder, tmp_path / "in.xlsx", tmp_path / "in.json", tmp_path / "out"]
    for source, out in zip(chain, chain[1:], strict=False):
        convert_to(load_instance(source), out)
    returned = load_instance(tmp_path / "out")
    assert returned.model_dump() == original.model_dump()
    before = sourcing.solve(original, model_of(folder))
    after = sourcing.solve(returned, model_of(folder))
    assert after.solution_status == before.solution_status
    if before.objective is not None:
        assert after.objective == pytest.approx(before.objective, rel=1e-9)


def test_convert_on_the_command_line(tmp_path):
    chain = [DEMO, tmp_path / "demo.xlsx", tmp_path / "demo.json", tmp_path / "demo"]
    for source, out in zip(chain, chain[1:], strict=False):
        done = run("convert", str(source), str(out))
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"wrote {out}")
    assert load_instance(tmp_path / "demo").model_dump() == load_instance(DEMO).model_dump()
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == sorted(
        p.name for p in DEMO.iterdir() if p.suffix in (".csv", ".yaml")
    )


def test_every_form_reads_back_the_same_instance_rules_and_all(tmp_path):
    document = document_of(load_instance(DEMO))
    document["periods"] = ["2026", "2027"]
    document["transport_default"] = 0.1 + 0.2  # needs 17 digits to read back equal
    document["rules"] = [
        {
            "rule": "max_country_share",
            "share": 0.5,
            "exempt": ["EU", "USA"],
            "minerals": ["cobalt"],
        },
        {"rule": "min_suppliers", "name": "two", "count": 2, "stages": ["mining", "refining"]},
    ]
    document["supply"][0]["period"] = "2026"
    document["countries"][0]["name"] = "=not a formula"
    instance = load_instance(document)
    for name in ("i.xlsx", "i.json", "i.yaml", "i.yml", "folder"):
        assert convert_to(instance, tmp_path / name)
        assert load_instance(tmp_path / name).model_dump() == instance.model_dump(), name
    book = openpyxl.load_workbook(tmp_path / "i.xlsx")
    rules_header, rules = read_sheet(book, "rules")
    rule = dict(zip(rules_header, rules[0], strict=True))
    assert rule["exempt"] == "EU;USA" and rule["share"] == 0.5
    assert book["countries"]["B2"].data_type == "s"  # text, as written
    assert book["supply"]["E2"].data_type == "n"  # a price is a number cell
    default = next(r for r in book["instance"].iter_rows() if r[0].value == "transport_default")
    assert default[1].data_type == "n" and default[1].value == 0.30000000000000004


def test_convert_refuses_an_unknown_suffix_and_a_full_folder(tmp_path):
    done = run("convert", str(DEMO), str(tmp_path / "demo.txt"))
    assert done.returncode == 2
    assert "field 'out'" in done.stderr and "'.txt'" in done.stderr
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    done = run("convert", str(DEMO), str(tmp_path / "full"))
    assert done.returncode == 2
    assert "exists and is not an empty folder" in done.stderr
    assert (tmp_path / "full" / "notes.txt").read_text() == "mine"


def test_solve_reads_a_workbook_instance(tmp_path):
    write_instance(load_instance(TWO_STAGE), tmp_path / "two-stage.xlsx")
    done = run("solve", str(tmp_path / "two-stage.xlsx"), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["objective"] == pytest.approx(8150)  # the README's derivation


# --- bad workbooks ---------------------------------------------------------------------------


@pytest.fixture
def workbook(tmp_path) -> Path:
    """The two-stage worked example as a workbook, to spoil one cell at a time."""
    path = tmp_path / "two-stage.xlsx"
    write_instance(load_instance(TWO_STAGE), path)
    return path


def spoil(path: Path, change) -> Path:
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(path)
    return path


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        read_instance(path)
    return caught.value.problems


def test_a_text_price_is_named_by_sheet_excel_row_and_column(workbook):
    # supply sheet: header in row 1, CHL's mining offer in row 3; price is column E
    spoil(workbook, lambda b: b["supply"].__setitem__("E3", "thirty"))
    assert problems_of(workbook) == [
        Problem("supply", 3, "price", "must be a number (got 'thirty')")
    ]


def test_load_instance_reads_workbooks_with_the_same_errors(workbook):
    spoil(workbook, lambda b: b["supply"].__setitem__("D3", -50))
    with pytest.raises(InputError) as caught:
        sourcing.load_instance(workbook)
    assert [str(p) for p in caught.value.problems] == [
        "supply, row 3, field 'capacity': must be at least 0 (got -50)"
    ]


def test_a_missing_sheet_is_named(workbook):
    spoil(workbook, lambda b: b.remove(b["supply"]))
    problems = problems_of(workbook)
    assert [(p.table, p.row, p.field) for p in problems] == [("supply", None, None)]
    assert "missing" in problems[0].message


def test_an_excel_error_cell_is_reported_once(workbook):
    def change(book):
        book["supply"]["E3"] = "#DIV/0!"  # Excel's error values are cells of their own type
        book["demand"]["C2"] = "#N/A"  # the only quantity of the column

    spoil(workbook, change)
    advice = "correct the formula or type a value"
    assert problems_of(workbook) == [
        Problem("supply", 3, "price", f"the cell holds the Excel error #DIV/0!: {advice}"),
        Problem("demand", 2, "quantity", f"the cell holds the Excel error #N/A: {advice}"),
    ]


def test_unknown_sheets_and_columns_and_empty_rows(workbook):
    def change(book):
        book.create_sheet("Sheet1")  # empty: ignored
        book.create_sheet("README")["A1"] = "my notes"
        book["supply"]["F1"] = "prize"
        book["supply"]["F2"] = 1
        book["countries"].insert_rows(3)  # a blank row 3 between AUS and CHL (now row 4)

    spoil(workbook, change)
    found = {(p.table, p.row, p.field): p.message for p in problems_of(workbook)}
    assert found[("README", None, None)].startswith("unknown sheet (known: instance, rules")
    assert found[("supply", 1, "prize")].startswith("unknown column F (did you mean 'price'?")
    assert found[("countries", 3, None)] == "empty row: delete it or fill it in"
    assert len(found) == 3  # nothing else: no per-field errors for the empty row


def test_a_duplicate_names_both_rows_as_excel_shows_them(workbook):
    spoil(workbook, lambda b: b["countries"].__setitem__("A6", "AUS"))  # row 2 is AUS
    assert problems_of(workbook) == [
        Problem("countries", 6, "country", "duplicate of row 2 (country=AUS)")
    ]


def test_instance_sheet_problems_point_at_the_key(workbook):
    def change(book):
        sheet = book["instance"]
        for row in sheet.iter_rows(min_row=2):
            if row[0].value == "currency":
                row[0].value = "currncy"  # a typo in row 4
            if row[0].value == "stages":
                row[1].value = None

    spoil(workbook, change)
    found = {(p.table, p.row, p.field): p.message for p in problems_of(workbook)}
    assert set(found) == {("instance", 4, "currncy"), ("instance", 6, "stages")}
    assert found[("instance", 4, "currncy")].startswith("unknown key (allowed: name, description")


def test_a_bad_rule_row_names_the_rules_sheet(workbook):
    def change(book):
        book["rules"].append(["max_country_share", None, 1.5])

    spoil(workbook, change)
    [problem] = problems_of(workbook)
    assert (problem.table, problem.row, problem.field) == ("rules", 2, "share")
    assert problem.message.startswith("max_country_share: must be at most 1")


def test_a_blank_required_column_and_a_file_that_is_no_workbook(workbook, tmp_path):
    def change(book):
        for row in book["demand"].iter_rows(min_row=2):
            row[2].value = None

    spoil(workbook, change)
    assert problems_of(workbook) == [
        Problem(
            "demand",
            None,
            "quantity",
            "every cell of the column is blank: a value is required in each row",
        )
    ]
    fake = tmp_path / "fake.xlsx"
    fake.write_text("mineral,stage\n")
    [problem] = problems_of(fake)
    assert problem.message.startswith("cannot read fake.xlsx: not an Excel .xlsx workbook")


def test_the_command_line_names_the_cell_without_a_traceback(workbook):
    spoil(workbook, lambda b: b["supply"].__setitem__("E3", "thirty"))
    done = run("solve", str(workbook))
    assert done.returncode == 2
    assert "supply, row 3, field 'price': must be a number (got 'thirty')" in done.stderr
    assert "Traceback" not in done.stderr


def test_written_plan_without_input_has_only_the_plan_sheets(tmp_path):
    plan = sourcing.solve(TWO_STAGE)
    write_plan(plan, tmp_path / "p.xlsx")
    book = openpyxl.load_workbook(tmp_path / "p.xlsx")
    assert book.sheetnames == PLAN_SHEETS
    frame = pd.read_excel(tmp_path / "p.xlsx", sheet_name="flows")
    # the worked example: 50 t of Chilean and 30 t of Australian ore to the USA, 40 t refined on
    assert sorted(frame["quantity (t)"]) == [30, 40, 50]
