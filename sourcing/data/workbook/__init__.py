"""Excel workbooks in and out, for planners who live in spreadsheets.

- :func:`read_instance` / :func:`write_instance`: an instance as one sheet per table (the CSV
  columns), read with errors named by sheet, row as Excel shows it, and column.
- A plan as a workbook is an output: :mod:`sourcing.results.workbook` writes it, with the helpers
  of :mod:`.sheets`.

openpyxl is imported only by these modules, and only when a workbook is read or written.
"""

from sourcing.data.workbook.instance import SHEETS, read_instance, write_instance

__all__ = ["SHEETS", "read_instance", "write_instance"]
