"""Workbooks that would read wrong or never finish: each is refused with a message naming the
sheet, the row as Excel shows it and the column, before anything costly is parsed (issue 16,
items 2 and 9). The hostile files are made on the fly by ``tests/hostile_workbooks.py``, a few kB
on disk each, however large they inflate.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sourcing import InputError, Instance, Problem
from sourcing.data.io import load_instance
from sourcing.data.workbook import read_instance
from sourcing.data.workbook.reading import (
    MAX_DIRECTORY_BYTES,
    MAX_INFLATED_BYTES,
    MAX_SHEET_COLUMNS,
    MAX_SHEET_ROWS,
    BoundedWorkbook,
)
from tests.hostile_workbooks import (
    TWO_STAGE,
    base_workbook,
    lie_about_size,
    many_rows,
    replace_in_sheet,
    rewrite,
    shared_strings_bomb,
)
from tests.test_cli import run
from tests.test_input_errors import write_instance


@pytest.fixture
def base(tmp_path) -> Path:
    """The two-stage worked example as a workbook: supply row 3 is CHL's mining offer, whose
    capacity (50) is cell D3."""
    return base_workbook(tmp_path / "two-stage.xlsx")


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        read_instance(path)
    return caught.value.problems


def with_formula(path: Path, cell: str, formula: str, sheet: str = "supply") -> Path:
    """``path`` with ``formula`` typed into ``cell`` by openpyxl, which saves no result."""
    book = openpyxl.load_workbook(path)
    book[sheet][cell] = formula
    book.save(path)
    return path


def capacity_of_chl_mining(instance: Instance) -> float | None:
    [row] = [r for r in instance.supply if r["country"] == "CHL" and r["stage"] == "mining"]
    return row.get("capacity")


# --- item 2: a formula is read as its saved result, never as a blank -----------------------


@pytest.mark.parametrize("formula", ["=20*2", "=1/0"])
def test_a_formula_without_a_saved_result_is_refused_naming_its_cell(base, formula):
    """openpyxl writes ``=20*2`` into the capacity cell D3 without a result (it computes
    nothing). Read as blank, the capacity would be unlimited; it is refused, naming the sheet,
    the row, the column and the formula."""
    with_formula(base, "D3", formula)
    assert problems_of(base) == [
        Problem(
            "supply",
            3,
            "capacity",
            f"cell D3 holds the formula {formula} but the file has no saved result for it (the "
            "program that wrote the file computes no formulas): open and save it in Excel or "
            "LibreOffice, or type the value",
        )
    ]


def test_a_formula_reads_as_the_result_saved_with_it(base, tmp_path):
    """A file saved by a spreadsheet program keeps each formula's result (``<v>40</v>``): the
    capacity is that result, 40, and the instance is otherwise the folder's."""
    with_formula(base, "D3", "=20*2")
    saved = replace_in_sheet(
        base, tmp_path / "saved.xlsx", "supply", b"<f>20*2</f><v />", b"<f>20*2</f><v>40</v>"
    )
    instance = read_instance(saved)
    assert capacity_of_chl_mining(instance) == 40
    folder = load_instance(TWO_STAGE)
    assert capacity_of_chl_mining(folder) == 50  # what the cell held before
    assert instance.demand == folder.demand and len(instance.supply) == len(folder.supply)


def test_a_saved_excel_error_result_is_refused_with_its_formula(base, tmp_path):
    """Excel saves ``=1/0`` with its result ``#DIV/0!`` (an error cell, ``t="e"``): the cell is
    refused, naming the formula and the error it gives."""
    with_formula(base, "D3", "=1/0")
    saved = replace_in_sheet(
        base,
        tmp_path / "saved.xlsx",
        "supply",
        b'<c r="D3"><f>1/0</f><v />',
        b'<c r="D3" t="e"><f>1/0</f><v>#DIV/0!</v>',
    )
    assert problems_of(saved) == [
        Problem(
            "supply",
            3,
            "capacity",
            "cell D3 holds the formula =1/0, whose result is the Excel error #DIV/0!: correct "
            "the formula or type a value",
        )
    ]


def test_a_saved_empty_text_result_is_a_blank_cell(base, tmp_path):
    """A formula whose saved result is empty text (``=IF(A1="","",1)``, ``t="str"`` with an empty
    value) shows a blank cell in the spreadsheet, and is read as one: no capacity given. This is
    a result the file holds, not a guess."""
    with_formula(base, "D3", '=IF(A1="","",1)')
    saved = replace_in_sheet(
        base,
        tmp_path / "saved.xlsx",
        "supply",
        b'<c r="D3"><f>IF(A1="","",1)</f><v />',
        b'<c r="D3" t="str"><f>IF(A1="","",1)</f><v></v>',
    )
    assert capacity_of_chl_mining(read_instance(saved)) is None


def test_a_formula_in_the_instance_sheet_points_at_its_key_row(base):
    """The ``instance`` sheet's value cells are read the same way: a ``name`` typed as a formula
    without a result is refused at its row, B2."""
    with_formula(base, "B2", '="two"&"-stage"', sheet="instance")
    [problem] = problems_of(base)
    assert (problem.table, problem.row, problem.field) == ("instance", 2, "name")
    assert problem.message.startswith('cell B2 holds the formula ="two"&"-stage" but the file')


def test_a_workbook_without_formulas_is_read_once(base):
    """Results are read (a second pass over a sheet) only when the sheet holds a formula: the
    bundled kind of workbook, written by ``sourcing convert``, is parsed once."""
    with BoundedWorkbook(base, "instance") as book:
        for name in book.sheetnames:
            book.rows(name)
        assert book.results is None


def test_validate_exits_2_on_a_formula_cell(base):
    """On the command line: exit 2 and the cell named on stderr, no traceback."""
    with_formula(base, "D3", "=20*2")
    done = run("validate", str(base))
    assert done.returncode == 2, done.stdout
    assert "supply, row 3, field 'capacity': cell D3 holds the formula =20*2" in done.stderr
    assert "Traceback" not in done.stderr


# --- item 9: bounded before parsing -----------------------------------------------------------


def never_parsed(monkeypatch) -> None:
    """Make any XML parsing by openpyxl fail the test."""

    def parse(*_args, **_kwargs):
        raise AssertionError("openpyxl was asked to parse the file")

    monkeypatch.setattr("openpyxl.reader.excel.ExcelReader.read", parse)
    monkeypatch.setattr("openpyxl.worksheet._reader.WorkSheetParser.__init__", parse)


def test_a_shared_strings_bomb_is_refused_from_the_zip_directory(base, tmp_path, monkeypatch):
    """A workbook of a few kB whose ``sharedStrings.xml`` inflates past the limit (issue 16: 2.6 MB
    inflating to 1.1 GB ran for minutes) is refused from the sizes its zip directory declares,
    before openpyxl reads a byte; the message gives what was found and the limit."""
    bomb = shared_strings_bomb(base, tmp_path / "bomb.xlsx", MAX_INFLATED_BYTES + 2**20)
    assert bomb.stat().st_size < 200_000
    never_parsed(monkeypatch)
    [problem] = problems_of(bomb)
    assert (problem.table, problem.row, problem.field) == ("instance", None, None)
    assert problem.message.startswith("cannot read bomb.xlsx: its parts inflate to 3")
    assert "xl/sharedStrings.xml alone 3" in problem.message
    assert f"at most {MAX_INFLATED_BYTES:,} bytes are read" in problem.message


def test_a_zip_that_understates_a_part_size_is_refused(base, tmp_path):
    """The declared sizes are a true bound: a zip whose directory declares 1,000 bytes for a
    shared-strings part that inflates to 4 MB is read only to 1,000 bytes, then fails its
    checksum (or its XML ends early), and is refused as damaged."""
    bomb = shared_strings_bomb(base, tmp_path / "liar.xlsx", 4 * 2**20)
    lie_about_size(bomb, "xl/sharedStrings.xml", 1_000)
    with zipfile.ZipFile(bomb) as archive:
        assert archive.getinfo("xl/sharedStrings.xml").file_size == 1_000
    [problem] = problems_of(bomb)
    assert problem.message.startswith("cannot read liar.xlsx: not an Excel .xlsx workbook (")


def test_two_million_rows_are_counted_not_parsed(base, tmp_path, monkeypatch):
    """Issue 16: a workbook of 2 million rows ran for minutes. Here they are empty (``<row/>``,
    12 MB inflated, within the size bound): the rows are counted in the raw XML of the sheet,
    and it is refused naming the sheet, the count and the limit, before openpyxl parses any
    sheet."""
    long = many_rows(base, tmp_path / "long.xlsx", "transport", 2_000_000, b"<row/>")
    monkeypatch.setattr(
        "openpyxl.worksheet._reader.WorkSheetParser.__init__",
        lambda *a, **k: pytest.fail("a sheet was parsed"),
    )
    assert problems_of(long) == [
        Problem(
            "transport",
            None,
            None,
            f"the sheet has 2,000,000 rows; at most {MAX_SHEET_ROWS:,} are read from a workbook "
            "sheet: keep a table this long in a CSV file",
        )
    ]


def test_a_row_number_far_down_stops_the_reading_at_the_limit(base, tmp_path):
    """A sheet of a few rows whose second row claims to be row 900,000 (``<row r="900000">``):
    openpyxl would hand back 899,998 blank rows first. Reading stops at the first row past the
    limit, named."""
    far = replace_in_sheet(
        base, tmp_path / "far.xlsx", "transport", b'<row r="2">', b'<row r="900000">'
    )
    assert problems_of(far) == [
        Problem(
            "transport",
            MAX_SHEET_ROWS + 1,
            None,
            f"the sheet goes on past row {MAX_SHEET_ROWS:,}, the most read from a workbook "
            "sheet: delete the rows below the table, or keep a table this long in a CSV file",
        )
    ]


def test_a_cell_in_the_last_column_of_excel_is_refused(base, tmp_path):
    """A cell in column XFD (16,384) would make every row 16,384 cells wide; it is refused at its
    row, naming its column and the widest read."""
    wide = replace_in_sheet(base, tmp_path / "wide.xlsx", "transport", b'<c r="C2"', b'<c r="XFD2"')
    assert MAX_SHEET_COLUMNS == 100
    assert problems_of(wide) == [
        Problem(
            "transport",
            2,
            None,
            "a cell in column XFD is past column CV (100), the widest read from a workbook "
            "sheet: delete the cells right of the table",
        )
    ]


def test_a_declared_extent_smaller_than_the_sheet_loses_nothing(base, tmp_path):
    """A sheet whose ``<dimension>`` says A1:E3 but which holds rows 1-6 and columns A-H: openpyxl
    alone drops every row and column outside (CHL's refining offer vanished, and only warnings
    said so). Every cell is read; the instance is the folder's."""
    small = replace_in_sheet(
        base,
        tmp_path / "small.xlsx",
        "supply",
        b"<sheetViews>",
        b'<dimension ref="A1:E3"/><sheetViews>',
    )
    assert read_instance(small) == load_instance(TWO_STAGE)


def test_files_that_are_no_workbook_are_refused_naming_the_file(base, tmp_path):
    """Text named .xlsx, a workbook cut in half, and one whose bytes are overwritten in the
    middle: each is refused with a message naming the file and what is wrong with it; on the
    command line, exit 2 and no traceback."""
    text = tmp_path / "text.xlsx"
    text.write_text("mineral,stage\n")
    data = base.read_bytes()
    middle = len(data) // 2
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(data[:middle])
    garbled = tmp_path / "garbled.xlsx"
    garbled.write_bytes(data[:middle] + b"\xff" * 64 + data[middle + 64 :])
    # overwritten bytes inside a compressed part are found either by the part's checksum or,
    # first, by the decompressor: which depends on where the middle of the file falls (the
    # sheets an instance workbook holds moved it when issue 13 added two tables)
    for path, why in [
        (text, ("not an Excel .xlsx workbook (not a zip file)",)),
        (cut, ("not an Excel .xlsx workbook (not a zip file)",)),
        (
            garbled,
            (
                "not an Excel .xlsx workbook (BadZipFile: Bad CRC-32 for file 'xl/",
                "the file is damaged (error: Error -3 while decompressing data",
            ),
        ),
    ]:
        [problem] = problems_of(path)
        assert problem.message.startswith(tuple(f"cannot read {path.name}: {w}" for w in why))
    done = run("validate", str(garbled))
    assert done.returncode == 2, done.stdout
    [problem] = problems_of(garbled)  # the same message on the command line, exit 2
    assert f"instance: {problem.message}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_fifo_named_like_a_workbook_is_refused_without_blocking(tmp_path):
    """A FIFO named ``plan.xlsx`` would block the reader forever, waiting for a writer. Only a
    regular file is opened."""
    fifo = tmp_path / "plan.xlsx"
    os.mkfifo(fifo)
    assert problems_of(fifo) == [
        Problem("instance", None, None, "cannot read plan.xlsx: not a regular file")
    ]


def test_a_zip_directory_of_thousands_of_parts_is_refused_before_it_is_listed(tmp_path):
    """6,000 empty parts with long names: a directory of about 1.4 MB (300,000 such parts took
    300 MB and 4 s just to list). The end record gives the directory's size, which is refused
    before zipfile reads it."""
    path = tmp_path / "parts.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(6_000):
            archive.writestr(f"xl/{i:0>180}.xml", b"")
    [problem] = problems_of(path)
    assert problem.message.startswith("cannot read parts.xlsx: its zip directory lists 6,000 parts")
    assert f"at most {MAX_DIRECTORY_BYTES:,} bytes of it are read" in problem.message


def test_a_part_compressed_with_bzip2_is_refused(base, tmp_path):
    """Spreadsheets store or deflate their parts; bzip2 can inflate far more from one read, so a
    part compressed another way is refused by name."""
    other = rewrite(base, tmp_path / "bzip2.xlsx", method=zipfile.ZIP_BZIP2)
    [problem] = problems_of(other)
    assert "is compressed with method 12; spreadsheets store or deflate every part" in str(problem)


def test_an_xml_entity_is_refused(base, tmp_path):
    """An entity declared in a sheet can expand one cell into gigabytes within the size bound
    ("billion laughs"). defusedxml, which openpyxl uses when installed, refuses the declaration."""
    laughs = b'<!DOCTYPE worksheet [<!ENTITY a "CHL">]><worksheet'
    bomb = replace_in_sheet(base, tmp_path / "laughs.xlsx", "supply", b"<worksheet", laughs)
    [problem] = problems_of(bomb)
    assert "EntitiesForbidden" in problem.message


# --- a corpus of damaged files: refused or read, never a crash --------------------------------

XMLISH = st.text(alphabet='<>/="&;#x0129 rcvfAZ:!?-', max_size=24)


@st.composite
def damaged(draw, clean: bytes) -> bytes:
    """A workbook damaged one of three ways: bytes of the file overwritten, the file cut short,
    or a slice of one part's XML replaced by XML-ish text (and the zip rewritten correctly, so
    the damage reaches the parsers)."""
    how = draw(st.sampled_from(["bytes", "cut", "xml"]))
    if how == "cut":
        return clean[: draw(st.integers(0, len(clean) - 1))]
    if how == "bytes":
        data = bytearray(clean)
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    with zipfile.ZipFile(io.BytesIO(clean)) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    name = draw(st.sampled_from(sorted(parts)))
    text = parts[name]
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, min(len(text), start + 64)))
    parts[name] = text[:start] + draw(XMLISH).encode() + text[end:]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, data in parts.items():
            archive.writestr(part, data)
    return out.getvalue()


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> bytes:
    return base_workbook(tmp_path_factory.mktemp("clean") / "clean.xlsx").read_bytes()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_damaged_workbook_is_refused_or_read_never_a_crash(clean, data):
    """Whatever the damage, reading gives an instance or an InputError (exit 2 on the command
    line): never another exception (exit 1, "internal error")."""
    spoiled = data.draw(damaged(clean))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "damaged.xlsx"
        path.write_bytes(spoiled)
        try:
            assert isinstance(read_instance(path), Instance)
        except InputError as error:
            assert error.problems and all(isinstance(p, Problem) for p in error.problems)


# --- item 5: a tariff is a border measure -----------------------------------------------------


def test_a_tariff_from_a_country_to_itself_is_refused(tmp_path):
    """China mines and refines lithium: the move from its mines to its refineries is domestic.
    A tariff row CHN → CHN was charged on that move, taxing China's own trade. A tariff is
    charged where material crosses a border, so the row is refused, naming its row and fields
    (no bundled instance, scenario or model has one; scenario tariff changes already skip such
    pairs)."""
    folder = write_instance(
        tmp_path, tariffs="mineral,origin,destination,rate\nli,CHN,USA,0.1\nli,CHN,CHN,0.25\n"
    )
    with pytest.raises(InputError) as caught:
        load_instance(folder)
    assert caught.value.problems == [
        Problem(
            "tariffs",
            3,  # line 3 of tariffs.csv, the row a spreadsheet shows
            "destination",
            "the origin and the destination are both 'CHN': a tariff applies where material "
            "crosses a border, never within one country (a domestic levy belongs in the price)",
        )
    ]


def test_a_domestic_tariff_in_a_workbook_is_named_at_its_excel_row(base):
    """The same rule in a workbook: the tariffs sheet's first record is Excel row 2."""
    book = openpyxl.load_workbook(base)
    assert [cell.value for cell in book["tariffs"][1]][:3] == ["mineral", "origin", "destination"]
    book["tariffs"].append([None, "AUS", "AUS", 0.1])  # every mineral, AUS -> AUS, 10%
    book.save(base)
    [problem] = problems_of(base)
    assert (problem.table, problem.row, problem.field) == ("tariffs", 2, "destination")
    assert problem.message.startswith("the origin and the destination are both 'AUS'")
