"""Sheets as a planner meets them: one header row, frozen, then one row per record.

Writing: numbers stay numbers (a number format shows them, the value is never text), blank for
"not given" (NaN, infinite), bold frozen header, columns as wide as their content. Reading: the
cells of each row as Python values, with their row number as Excel shows it, and the cells
Excel itself marks as errors (``#N/A``, ``#DIV/0!`` ...) told apart from text.
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
    """One cell read back: its value (text stripped, ``None`` if blank) and whether Excel marks
    it as an error value such as ``#N/A``."""

    value: Any
    error: bool = False


def read_rows(sheet: Any) -> Iterator[tuple[int, list[Cell]]]:
    """(row number as Excel shows it, cells) for every row from the first, blank ones included;
    trailing blank rows are dropped."""
    pending: list[tuple[int, list[Cell]]] = []
    for number, raw in enumerate(sheet.iter_rows(min_row=1, min_col=1), 1):
        cells = [_read_cell(cell) for cell in raw]
        while cells and cells[-1].value is None and not cells[-1].error:
            cells.pop()
        pending.append((number, cells))
        if cells:
            yield from pending
            pending = []


def _read_cell(cell: Any) -> Cell:
    value = cell.value
    if value is None:
        return Cell(None)
    if getattr(cell, "data_type", None) == "e":
        return Cell(str(value), error=True)
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
