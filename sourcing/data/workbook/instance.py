"""An instance as a workbook: one sheet per table, with the same columns as the CSV files.

Sheets:
    instance      two columns ``key`` and ``value``: the ``instance.yaml`` keys (``name``,
                  ``description``, ``currency``, ``unit``, ``stages``, ``periods``,
                  ``transport_default``); a list is one cell, ``;``-separated (``mining;refining``)
    rules         the instance's own rules (contract terms), one row per rule: ``rule``, ``name``,
                  the parameters of every rule type, then the selectors; lists ``;``-separated
    minerals, countries, supply, yields, transport, tariffs, sites, demand
                  the tables, one header row naming the columns, then one row per record

A blank cell means "not given", as in a CSV file; a formula reads as the result the file saved
with it, and one without a saved result is an error (:mod:`sourcing.data.workbook.reading`, which
also bounds what is read from a file before parsing it); an empty sheet of another name (Excel's
``Sheet1``) is ignored, one with content is an error (as an unknown CSV file is). Reading
collects every problem and reports it by sheet, row as Excel shows it (the header is row 1) and
column; the records then go through the same validation as every other form
(:func:`sourcing.data.documents.validate_document`), whose row numbers are translated to Excel's.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, get_args, get_origin

from sourcing.data.documents import validate_document
from sourcing.data.rule_specs import Rule
from sourcing.data.schema import TABLES, Instance, columns, required_columns
from sourcing.data.workbook.reading import BoundedWorkbook
from sourcing.data.workbook.sheets import Cell, write_sheet
from sourcing.errors import InputError, Problem

META_SHEET = "instance"
RULES_SHEET = "rules"
SHEETS = [META_SHEET, RULES_SHEET, *TABLES]
META_KEYS = [k for k in Instance.model_fields if k not in TABLES and k != "rules"]
LIST_SEPARATOR = ";"


def _rule_columns() -> tuple[list[str], set[str]]:
    """Every rule parameter once (type and name first, selectors last) and which are lists."""
    names: dict[str, bool] = {}
    selectors = ["minerals", "stages", "countries", "groups"]
    for cls in get_args(get_args(Rule)[0]):
        for field, info in cls.model_fields.items():
            kinds = [info.annotation, *get_args(info.annotation)]
            names.setdefault(field, any(get_origin(k) is list for k in kinds))
    order = ["rule", "name"] + [n for n in names if n not in ("rule", "name", *selectors)]
    return order + selectors, {n for n, is_list in names.items() if is_list}


RULE_COLUMNS, LIST_FIELDS = _rule_columns()
LIST_KEYS = {"stages", "periods"}


# --- writing -----------------------------------------------------------------------------------


def add_instance_sheets(book: Any, instance: Instance, prefix: str = "") -> None:
    """Append the instance's sheets to a write-only workbook (``prefix`` before each name)."""
    meta = instance.model_dump(include=set(META_KEYS), exclude_none=True)
    write_sheet(
        book,
        prefix + META_SHEET,
        ["key", "value"],
        [[key, _cell_of(meta[key])] for key in META_KEYS if key in meta],
    )
    add_rules_sheet(book, prefix + RULES_SHEET, instance.rules)
    for table in TABLES:
        names = columns(table)
        records = getattr(instance, table)
        write_sheet(book, prefix + table, names, [[r.get(c) for c in names] for r in records])


def add_rules_sheet(book: Any, title: str, rules: list[Any]) -> None:
    """One row per rule: its type, name, parameters and selectors (lists ``;``-separated)."""
    dumped = [rule.model_dump(exclude_none=True) for rule in rules]
    rows = [[_cell_of(rule.get(c)) for c in RULE_COLUMNS] for rule in dumped]
    write_sheet(book, title, RULE_COLUMNS, rows)


def write_instance(instance: Instance, path: str | Path) -> None:
    """Write ``instance`` as a workbook that :func:`read_instance` reads back unchanged."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    add_instance_sheets(book, instance)
    book.save(path)


def _cell_of(value: Any) -> Any:
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value) if value else None
    return value


# --- reading -----------------------------------------------------------------------------------


class _Reader:
    """Collects the document and every problem of one workbook, and where each record came
    from (its row as Excel shows it) to translate the validation's row numbers."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[Problem] = []
        self.document: dict[str, Any] = {}
        self.rows: dict[str, list[int]] = {}  # sheet -> Excel row of each record
        self.key_rows: dict[str, int] = {}  # instance key -> its Excel row
        self.reported: set[tuple[str, int | None, str | None]] = set()
        self.headers: dict[str, set[str]] = {}  # sheet -> the columns its header names

    def problem(self, sheet: str, row: int | None, field: str | None, message: str) -> None:
        self.problems.append(Problem(sheet, row, field, message))
        self.reported.add((sheet, row, field))

    def read(self, book: BoundedWorkbook) -> None:
        names = book.sheetnames
        for name in names:
            if name not in SHEETS and any(cells for _, cells in book.rows(name)):
                close = difflib.get_close_matches(name.strip().lower(), SHEETS, n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                self.problem(name, None, None, f"unknown sheet ({hint}known: {', '.join(SHEETS)})")
        if META_SHEET not in names:
            self.problem(
                META_SHEET,
                None,
                None,
                f"the workbook has no sheet '{META_SHEET}' (key and value columns: "
                f"{', '.join(META_KEYS)})",
            )
        else:
            self._meta(book.rows(META_SHEET))
        if RULES_SHEET in names:
            records = self._table(book.rows(RULES_SHEET), RULES_SHEET, RULE_COLUMNS, ["rule"])
            self.document["rules"] = [
                {k: _split(v) if k in LIST_FIELDS else v for k, v in r.items()} for r in records
            ]
        for table in TABLES:
            if table in names:
                self.document[table] = self._table(
                    book.rows(table), table, columns(table), required_columns(table)
                )

    def _meta(self, rows: list[tuple[int, list[Cell]]]) -> None:
        for number, cells in rows:
            values = [c.value for c in cells]
            if number == 1 and [str(v).lower() for v in values[:2]] == ["key", "value"]:
                continue  # the header
            if all(c.blank for c in cells):
                continue
            key, value = (cells + [Cell(None), Cell(None)])[:2]
            if key.error:
                self.problem(META_SHEET, number, None, _error_cell(key, 0, number))
                continue
            if value.error and key.value is not None:
                name = str(key.value)  # the key's later "required" problem is this one
                self.key_rows.setdefault(name, number)
                self.problem(META_SHEET, number, name, _error_cell(value, 1, number))
                continue
            if key.value is None:
                self.problem(META_SHEET, number, None, "a value without a key in column A")
                continue
            name = str(key.value)
            if name in self.key_rows:
                self.problem(META_SHEET, number, name, f"duplicate of row {self.key_rows[name]}")
                continue
            self.key_rows[name] = number
            if value.value is not None:
                self.document[name] = _split(value.value) if name in LIST_KEYS else value.value

    def _table(
        self,
        rows: list[tuple[int, list[Cell]]],
        table: str,
        allowed: list[str],
        required: list[str],
    ) -> list[dict[str, Any]]:
        self.rows[table] = []
        if not rows or not rows[0][1]:
            what = "is empty" if not rows else "has no header in row 1"
            needed = ", ".join(required)
            self.problem(table, None, None, f"sheet {what}: row 1 must name the columns ({needed})")
            return []
        kept = self._header(table, rows[0][1], rows[1:], allowed)
        records: list[dict[str, Any]] = []
        for number, cells in rows[1:]:
            self.rows[table].append(number)
            if all(c.blank for c in cells):
                self.problem(table, number, None, "empty row: delete it or fill it in")
                records.append({})
                continue
            record = {}
            for pos, name in kept:
                cell = cells[pos] if pos < len(cells) else Cell(None)
                if cell.error:
                    self.problem(table, number, name, _error_cell(cell, pos, number))
                elif cell.value is not None:
                    record[name] = cell.value
            records.append(record)
        return records

    def _header(
        self, table: str, header: list[Cell], body: list[tuple[int, list[Cell]]], allowed: list[str]
    ) -> list[tuple[int, str]]:
        """The (position, name) of the columns to read; unknown, unnamed and repeated columns
        are reported once, not once per row."""
        kept: dict[str, int] = {}
        for pos, cell in enumerate(header):
            letter = _letter(pos)
            if cell.error and cell.formula is not None:  # a name that is a formula's result
                self.problem(table, 1, None, _error_cell(cell, pos, 1))
                continue
            if cell.value is None or cell.error:
                if any(pos < len(c) and not c[pos].blank for _, c in body):
                    self.problem(table, 1, None, f"column {letter} holds values but has no name")
                continue
            name = str(cell.value)
            if name not in allowed:
                close = difflib.get_close_matches(name.lower(), allowed, n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                self.problem(
                    table, 1, name, f"unknown column {letter} ({hint}allowed: {', '.join(allowed)})"
                )
            elif name in kept:
                first = _letter(kept[name])
                self.problem(table, 1, name, f"column {letter} repeats column {first}")
            else:
                kept[name] = pos
        self.headers[table] = set(kept)
        width = len(header)
        for _, cells in body:
            extra = [i for i in range(width, len(cells)) if not cells[i].blank]
            if extra:
                self.problem(
                    table, 1, None, f"column {_letter(extra[0])} holds values but has no name"
                )
                break
        return [(pos, name) for name, pos in kept.items()]

    def located(self, problem: Problem) -> Problem:
        """A validation problem with its row as Excel shows it (and ``row N`` in the message)."""
        sheet = RULES_SHEET if problem.table == f"{META_SHEET} rules" else problem.table
        rows = self.rows.get(sheet)
        if sheet == META_SHEET and problem.field is not None:
            key = problem.field.split(".")[0]
            return Problem(sheet, self.key_rows.get(key), problem.field, problem.message)
        header = self.headers.get(sheet, set())
        if problem.row is None and problem.field in header and "missing" in problem.message:
            # the column is there, its cells are blank
            message = "every cell of the column is blank: a value is required in each row"
            return Problem(sheet, None, problem.field, message)
        if rows is None or problem.row is None:
            return Problem(sheet, problem.row, problem.field, problem.message)

        def excel(n: int) -> int:
            return rows[n - 1] if 0 < n <= len(rows) else n + 1

        message = re.sub(r"\brow (\d+)\b", lambda m: f"row {excel(int(m[1]))}", problem.message)
        return Problem(sheet, excel(problem.row), problem.field, message)

    def is_reported(self, problem: Problem) -> bool:
        """Whether the reader already said this (an empty row, an error cell, a sheet)."""
        table, row, field = problem.table, problem.row, problem.field
        return (
            (table, row, field) in self.reported
            or (table, row, None) in self.reported
            or (table, None, None) in self.reported
            # a column seen as missing because its only values were error cells
            or (row is None and any(t == table and f == field for t, _, f in self.reported))
        )


def read_instance(path: str | Path) -> Instance:
    """Read and validate an instance workbook; raise :class:`InputError` naming every problem
    by sheet, row as Excel shows it, and column."""
    path = Path(path)
    reader = _Reader(path)
    with BoundedWorkbook(path, META_SHEET) as book:
        reader.read(book)
    try:
        instance = validate_document(reader.document)
    except InputError as error:
        found = [reader.located(p) for p in error.problems]
        found = [p for p in found if not reader.is_reported(p)]
        raise InputError(_in_sheet_order(reader.problems + found)) from None
    if reader.problems:
        raise InputError(_in_sheet_order(reader.problems))
    instance._header_rows = 1  # later warnings name Excel's rows too (the header is row 1)
    return instance


def _in_sheet_order(problems: list[Problem]) -> list[Problem]:
    order = {name: i for i, name in enumerate(SHEETS)}
    return sorted(problems, key=lambda p: (order.get(p.table, -1), p.row or 0))


def _split(value: Any) -> list[str]:
    return [part.strip() for part in str(value).split(LIST_SEPARATOR) if part.strip()]


def _error_cell(cell: Cell, pos: int, row: int) -> str:
    """Why a cell cannot be read: an Excel error value, or a formula without a saved result."""
    if cell.formula is None:
        return f"the cell holds the Excel error {cell.value}: correct the formula or type a value"
    where = f"cell {_letter(pos)}{row}"
    if cell.value is not None:
        return (
            f"{where} holds the formula {cell.formula}, whose result is the Excel error "
            f"{cell.value}: correct the formula or type a value"
        )
    return (
        f"{where} holds the formula {cell.formula} but the file has no saved result for it "
        "(the program that wrote the file computes no formulas): open and save it in Excel or "
        "LibreOffice, or type the value"
    )


def _letter(pos: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(pos + 1)
