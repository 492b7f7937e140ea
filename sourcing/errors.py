"""Errors a planner reads: every problem names the table, the row and the field.

Loading never stops at the first problem: it collects them all into one :class:`InputError`,
so a planner fixes a spreadsheet in one pass instead of one error per run.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input.

    ``table`` is the CSV file name without ``.csv`` (or ``instance`` / ``model`` for the YAML
    documents); ``row`` is the row a spreadsheet shows for a CSV file or a workbook sheet (the
    header is row 1, so the first record is row 2, the CSV file's line 2), and the record's
    position from 1 in a JSON/YAML document's list; ``field`` is the column or key.
    """

    table: str
    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.table
        if self.row is not None:
            where += f", row {self.row}"
        if self.field is not None:
            where += f", field '{self.field}'"
        return f"{where}: {self.message}"


class SourcingError(Exception):
    """Base class of every error the engine raises on purpose."""


class InputError(SourcingError):
    """The instance or model is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the input:\n{shown}{more}")
