"""Excel workbooks in and out, for planners who live in spreadsheets.

- :func:`read_instance` / :func:`write_instance`: an instance as one sheet per table (the CSV
  columns), read with errors named by sheet, row as Excel shows it, and column.
- :func:`write_plan`: a plan as a workbook: summary, flows, supply by country and stage, duals,
  and the input it was solved from.

openpyxl is imported only here, and only when a workbook is read or written.
"""

from sourcing.workbook.instance import SHEETS, read_instance, write_instance
from sourcing.workbook.plan import PLAN_SHEETS, write_plan, write_table

__all__ = ["PLAN_SHEETS", "SHEETS", "read_instance", "write_instance", "write_plan", "write_table"]
