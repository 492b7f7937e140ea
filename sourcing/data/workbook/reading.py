"""Opening an instance workbook: bounded before anything is parsed, formulas read as their results.

**Bounds.** An ``.xlsx`` file is a zip of XML parts which openpyxl inflates and parses (the shared
strings all at once, each sheet row by row), so a small file can hold a lot: a 2.6 MB workbook
whose ``sharedStrings.xml`` inflates to 1.1 GB, or a 28 MB one of 2 million rows, ran for minutes
and took gigabytes. Before openpyxl reads a byte of XML:

* the file is a zip whose directory is at most :data:`MAX_DIRECTORY_BYTES` (a workbook's is a few
  kB; 300,000 empty parts in a 26 MB file take 300 MB and 4 s just to be listed);
* every part is stored or deflated (as spreadsheets write them: another method may inflate
  without a bound in one step) and all of them inflate to at most :data:`MAX_INFLATED_BYTES`.
  These are the sizes the zip's directory declares; zipfile never inflates a part past its
  declared size (a part that would fails its CRC check), so they are a true bound;
* each sheet has at most :data:`MAX_SHEET_ROWS` rows, counted in its inflated XML by a regular
  expression (no parsing).

While a sheet is read, the same bounds hold row by row (a row's number can jump, a cell can sit in
column XFD) and a row may not reach past column :data:`MAX_SHEET_COLUMNS`. The sheet's declared
extent (``<dimension>``) is ignored: openpyxl would otherwise drop, without a word, every row and
column outside it. XML entity declarations (which expand one cell into gigabytes inside the bound)
are refused by defusedxml, which openpyxl uses when it is installed (a dependency of this package).

The limits are generous for real use: the largest table known to the project (OR-Library capb's
100,000 lanes, 60 times the largest bundled one) is 16 MB of XML and reads in 8 s of CPU on the
shared 2-core test machine; at the limits reading takes about 25 s and 300 MB there
(``benchmarks/hostile_workbooks.py``). A longer table belongs in a CSV file.

**Formulas.** openpyxl computes nothing: a formula cell holds its formula and, if a spreadsheet
program saved the file, its result. The file is read with ``data_only=False`` (formulas seen), and
a sheet that holds formulas a second time with ``data_only=True`` for their results (the cheapest
correct way: a file without formulas is read once). A saved result is used; a saved Excel error
(``#DIV/0!``) is an error; no saved result (a file written by a program such as openpyxl) leaves
the cell unreadable, to be reported with its formula: read as blank, a capacity would be unlimited.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from functools import partial
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from openpyxl.reader.excel import ExcelReader

from sourcing.data.workbook.sheets import Cell, read_rows, with_results
from sourcing.errors import InputError, Problem

MAX_INFLATED_BYTES = 32 * 2**20  # every part of the file, inflated
MAX_SHEET_ROWS = 200_000  # rows of one sheet, the header included (Excel's own limit: 1,048,576)
MAX_SHEET_COLUMNS = 100  # columns of one sheet (the widest table has 15)
MAX_DIRECTORY_BYTES = 2**20  # the zip's list of parts
#: the start tag of a row, with or without a namespace prefix (``<row ...>``, ``<x:row/>``)
ROW_TAG = re.compile(rb"<(?:[^\s<>/:!?]+:)?row[\s/>]")
#: what openpyxl and zipfile raise on a damaged part, as the file is read
DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    ParseError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
)


class BoundedWorkbook:
    """The sheets of one workbook file, each read once, formulas replaced by their results.

    Problems with the whole file are reported under ``table`` (the ``instance`` sheet, as a
    folder's are under its ``instance.yaml``).
    """

    def __init__(self, path: Path, table: str):
        self.path, self.table = path, table
        check_archive(path, table)
        self._files: list[Any] = []  # ours to close: openpyxl may leave parts of them open
        self.book = self._load(data_only=False)
        self.results: Any = None  # the file with data_only=True, opened at the first formula
        self.sheetnames: list[str] = list(self.book.sheetnames)
        self._rows: dict[str, list[tuple[int, list[Cell]]]] = {}

    def rows(self, name: str) -> list[tuple[int, list[Cell]]]:
        """(row as Excel shows it, cells) of a sheet; see :func:`read_rows`."""
        if name not in self._rows:
            rows = self._read(name, self.book, lambda sheet: list(read_rows(sheet, *_BOUNDS)))
            if any(cell.formula is not None for _, cells in rows for cell in cells):
                if self.results is None:
                    self.results = self._load(data_only=True)
                rows = self._read(name, self.results, partial(with_results, rows))
            self._rows[name] = rows
        return self._rows[name]

    def _read(self, name: str, book: Any, read: Any) -> Any:
        sheet = book[name]
        sheet.reset_dimensions()  # read every row and column, whatever <dimension> says
        try:
            return read(sheet)
        except DAMAGED as error:
            raise InputError([_damaged(name, self.path, error)]) from None

    def _load(self, data_only: bool) -> Any:
        """The workbook in read-only mode (sheets parsed as they are read), or an InputError.
        The file is opened here, and closed here: openpyxl leaves a part open when it fails."""
        file = self.path.open("rb")
        self._files.append(file)
        try:
            reader = _BoundedReader(file, read_only=True, data_only=data_only)
            reader.read()
            return reader.wb
        except InputError:
            file.close()
            raise
        except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
            file.close()
            message = f"cannot read {self.path.name}: {_why(error)}"
        raise InputError([Problem(self.table, None, None, message)])

    def close(self) -> None:
        for book in (self.book, self.results):
            if book is not None:
                book.close()
        for file in self._files:
            file.close()

    def __enter__(self) -> BoundedWorkbook:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


_BOUNDS = (MAX_SHEET_ROWS, MAX_SHEET_COLUMNS)


def check_archive(path: Path, table: str) -> None:
    """Refuse a file that is no zip, or whose parts could not be read within the bounds."""

    def refuse(message: str) -> InputError:
        return InputError([Problem(table, None, None, f"cannot read {path.name}: {message}")])

    if not path.is_file():  # a FIFO would block, a device never end
        raise refuse("not a regular file")
    try:
        with path.open("rb") as file:
            # The end record (where the directory is, its size), read with zipfile's private
            # _EndRecData and _ECD_* indices: not in typeshed, hence the ignores
            end = zipfile._EndRecData(file)  # type: ignore[attr-defined]  # private
            if end is None:
                raise refuse("not an Excel .xlsx workbook (not a zip file)")
            directory = end[zipfile._ECD_SIZE]  # type: ignore[attr-defined]  # private, see above
            if directory > MAX_DIRECTORY_BYTES:
                parts = end[zipfile._ECD_ENTRIES_TOTAL]  # type: ignore[attr-defined]  # private
                raise refuse(
                    f"its zip directory lists {parts:,} parts in {directory:,} bytes; a workbook "
                    f"lists a few dozen, and at most {MAX_DIRECTORY_BYTES:,} bytes of it are read"
                )
            with zipfile.ZipFile(file) as archive:
                parts = archive.infolist()
    except OSError as error:
        raise refuse(error.strerror or str(error)) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise refuse(f"not an Excel .xlsx workbook ({error})") from None
    methods = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
    for part in parts:
        if part.compress_type not in methods:
            raise refuse(
                f"part {part.filename} is compressed with method {part.compress_type}; "
                "spreadsheets store or deflate every part"
            )
    inflated = sum(part.file_size for part in parts)
    if inflated > MAX_INFLATED_BYTES:
        largest = max(parts, key=lambda part: part.file_size)
        raise refuse(
            f"its parts inflate to {inflated:,} bytes ({largest.filename} alone "
            f"{largest.file_size:,}); at most {MAX_INFLATED_BYTES:,} bytes are read from a "
            "workbook: keep tables this large in CSV files"
        )


class _BoundedReader(ExcelReader):
    """openpyxl's reader, counting each sheet's rows in its raw XML before the sheet is opened
    (openpyxl reads a sheet's whole XML at once when it declares no extent)."""

    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target in self.valid_files:
                rows = count_rows(self.archive, rel.target)
                if rows > MAX_SHEET_ROWS:
                    message = (
                        f"the sheet has {rows:,} rows; at most {MAX_SHEET_ROWS:,} are read from a "
                        "workbook sheet: keep a table this long in a CSV file"
                    )
                    raise InputError([Problem(sheet.name, None, None, message)])
        super().read_worksheets()


def count_rows(archive: zipfile.ZipFile, member: str) -> int:
    """The row start tags in a sheet's XML, read in chunks. Text cannot hold a raw ``<``, so each
    is a row element; a tag cut at a chunk's end is carried to the next chunk."""
    count = 0
    carry = b""
    with archive.open(member) as part:
        while chunk := part.read(2**20):
            data = carry + chunk
            cut = data.rfind(b"<", max(len(data) - _LONGEST_TAG, 0))
            cut = len(data) if cut < 0 else cut
            count += len(ROW_TAG.findall(data, 0, cut))
            carry = data[cut:]
    return count + len(ROW_TAG.findall(carry))


_LONGEST_TAG = 256  # a row tag with a longer prefix, cut at a chunk's end, is not counted here
# (at most one per MiB; the rows are counted again as the sheet is read)


def _why(error: Exception) -> str:
    if isinstance(error, OSError):
        return error.strerror or str(error)
    cause = error.__cause__ or error  # openpyxl wraps the parser's error in a ValueError
    reason = f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
    if isinstance(error, (zipfile.BadZipFile, KeyError, ValueError)):
        return f"not an Excel .xlsx workbook ({reason})"
    return f"the file is damaged ({reason})"


def _damaged(sheet: str, path: Path, error: Exception) -> Problem:
    reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return Problem(sheet, None, None, f"cannot read the sheet: {path.name} is damaged ({reason})")
