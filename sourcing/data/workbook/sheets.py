"""Sheets as a planner meets them: one header row, frozen, then one row per record.

Writing: numbers stay numbers (a number format shows them, the value is never text), blank for
"not given" (NaN, infinite), bold frozen header, columns as wide as their content. Reading: the
cells of each row as Python values, with their row number as Excel shows it, the cells Excel
itself marks as errors (``#N/A``, ``#DIV/0!`` ...) told apart from text, and formulas told apart
from values (:mod:`sourcing.data.workbook.reading` replaces them by their saved results).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook

from sourcing.errors import InputError, Problem

#: Excel's number formats by kind of column; the cell keeps the full value.
MONEY = "#,##0.00"
AMOUNT = "#,##0.00"
PERCENT = "0.0%"
WHOLE = "#,##0"
WIDTH = (8, 60)  # the narrowest and widest column, in characters


@dataclass(frozen=True)
class Formatted:
    """A value with its own number format, for a column that mixes kinds (a summary)."""

    value: Any
    number_format: str


def write_sheet(
    book: Workbook,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    formats: Sequence[str | None] | None = None,
) -> None:
    """Append a sheet to a write-only workbook: ``header`` in bold and frozen, then ``rows``.

    ``formats`` gives each column's Excel number format (``None``: Excel's General). Text that
    Excel would read as a formula (starting with ``=``) is written as text.
    """
    rows = [[v if isinstance(v, Formatted) else _plain(v) for v in row] for row in rows]
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    for pos, name in enumerate(header):
        width = max([len(str(name))] + [_shown_width(row[pos]) for row in rows if pos < len(row)])
        letter = get_column_letter(pos + 1)
        sheet.column_dimensions[letter].width = min(max(width + 2, WIDTH[0]), WIDTH[1])
    bold = Font(bold=True)
    head = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=str(name))
        cell.font = bold
        cell.alignment = Alignment(wrap_text=False)
        head.append(cell)
    sheet.append(head)
    formats = list(formats or [])
    for row in rows:
        cells: list[Any] = []
        for pos, value in enumerate(row):
            fmt = formats[pos] if pos < len(formats) else None
            if isinstance(value, Formatted):
                value, fmt = _plain(value.value), value.number_format
            if isinstance(value, float) and float(f"{value:.16g}") != value:
                # openpyxl writes 16 digits; some doubles need 17 to read back equal. A numeric
                # cell whose text is the shortest exact form (openpyxl writes text as given).
                cell = WriteOnlyCell(sheet, value=repr(value))
                cell.data_type = "n"
                if fmt is not None:
                    cell.number_format = fmt
                cells.append(cell)
            elif isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text, not a formula
                cells.append(cell)
            elif fmt is not None and isinstance(value, (int, float)):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = fmt
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)


def _plain(value: Any) -> Any:
    """A value openpyxl writes as it is: Python numbers, text, or ``None`` for blank."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, (int, float)) or hasattr(value, "dtype"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return str(value)
        if not math.isfinite(number):
            return None
        if "bool" in str(getattr(value, "dtype", "")):
            return bool(value)
        integral = isinstance(value, int) or "int" in str(getattr(value, "dtype", ""))
        return int(value) if integral else number
    if value != value:  # pandas' NA and NaT
        return None
    return str(value)


def _shown_width(value: Any) -> int:
    if isinstance(value, Formatted):
        value = _plain(value.value)
    if value is None:
        return 0
    if isinstance(value, float):
        return len(f"{value:,.2f}")
    if isinstance(value, int):
        return len(f"{value:,}")
    return max(len(line) for line in str(value).splitlines()) if str(value) else 0


@dataclass(frozen=True)
class Cell:
    """One cell read back: its value (text stripped, ``None`` if blank), whether Excel marks it as
    an error value such as ``#N/A``, and its formula (``=20*2``) when it holds one.

    A formula cell read without its result has ``value`` None; one whose result is unknown (the
    file holds none) has ``value`` None and ``error`` set: it is not blank, it is unreadable.
    """

    value: Any
    error: bool = False
    formula: str | None = None

    @property
    def blank(self) -> bool:
        return self.value is None and not self.error and self.formula is None


def read_rows(
    sheet: Any, max_rows: int | None = None, max_columns: int | None = None
) -> Iterator[tuple[int, list[Cell]]]:
    """(row number as Excel shows it, cells) for every row from the first, blank ones included;
    trailing blank rows are dropped.

    Reading stops with an :class:`InputError` at the first row past ``max_rows`` or with a cell
    past column ``max_columns``: a sheet is read in bounded time whatever its file declares.
    """
    pending: list[tuple[int, list[Cell]]] = []
    for number, raw in enumerate(sheet.iter_rows(min_row=1, min_col=1), 1):
        if max_rows is not None and number > max_rows:
            raise InputError([Problem(sheet.title, number, None, _too_long(max_rows))])
        if max_columns is not None and len(raw) > max_columns:
            raise InputError([Problem(sheet.title, number, None, _too_wide(max_columns, len(raw)))])
        last = len(raw)
        while last and raw[last - 1].value is None:  # trailing blanks: not even converted
            last -= 1
        cells = [_read_cell(cell) for cell in raw[:last]]
        pending.append((number, cells))
        if cells:
            yield from pending
            pending = []


def _too_long(max_rows: int) -> str:
    return (
        f"the sheet goes on past row {max_rows:,}, the most read from a workbook sheet: "
        "delete the rows below the table, or keep a table this long in a CSV file"
    )


def _too_wide(max_columns: int, width: int) -> str:
    return (
        f"a cell in column {get_column_letter(width)} is past column "
        f"{get_column_letter(max_columns)} ({max_columns}), the widest read from a workbook "
        "sheet: delete the cells right of the table"
    )


def _read_cell(cell: Any) -> Cell:
    value = cell.value
    if value is None:
        return Cell(None)
    kind = getattr(cell, "data_type", None)
    if kind == "e":
        return Cell(str(value), error=True)
    if kind == "f":  # read with data_only=False: the formula (an array formula's is its text)
        text = value if isinstance(value, str) else getattr(value, "text", None) or str(value)
        return Cell(None, formula=text)
    if isinstance(value, bool):
        return Cell("TRUE" if value else "FALSE")
    if isinstance(value, dt.datetime):
        midnight = value.time() == dt.time()
        return Cell(value.date().isoformat() if midnight else value.isoformat())
    if isinstance(value, (dt.date, dt.time)):
        return Cell(value.isoformat())
    if isinstance(value, str):
        value = value.strip()
        return Cell(value or None)
    return Cell(value)


def with_results(rows: list[tuple[int, list[Cell]]], results: Any) -> list[tuple[int, list[Cell]]]:
    """``rows`` with each formula cell replaced by its result saved in the file, read from
    ``results`` (the same sheet opened with ``data_only=True``, iterated once up to the last
    formula). A saved empty text (``=IF(A2>0,"x","")``) is a blank; no saved result at all (a
    file written by a program that computes nothing, such as openpyxl) leaves the cell
    unreadable: ``value`` None, ``error`` set, its formula kept for the message."""
    wanted = {
        number: [pos for pos, cell in enumerate(cells) if cell.formula is not None]
        for number, cells in rows
    }
    wanted = {number: spots for number, spots in wanted.items() if spots}
    if not wanted:
        return rows
    saved: dict[tuple[int, int], Any] = {}
    last = max(wanted)
    for number, raw in enumerate(results.iter_rows(min_row=1, max_row=last, min_col=1), 1):
        for pos in wanted.get(number, ()):
            if pos < len(raw):
                saved[(number, pos)] = raw[pos]
    out = []
    for number, cells in rows:
        if number in wanted:
            cells = list(cells)
            for pos in wanted[number]:
                cells[pos] = _result(cells[pos].formula, saved.get((number, pos)))
        out.append((number, cells))
    return out


def _result(formula: str | None, raw: Any) -> Cell:
    value = getattr(raw, "value", None)
    if value is None:
        if getattr(raw, "data_type", None) == "str":  # the formula's saved result is ""
            return Cell(None)
        return Cell(None, error=True, formula=formula)
    read = _read_cell(raw)
    return Cell(read.value, read.error, formula)
