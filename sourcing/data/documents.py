"""Validation in one place: a document (``instance.yaml`` keys plus one list of records per
table), from whichever reader, becomes an :class:`~sourcing.data.schema.Instance` or an
:class:`~sourcing.errors.InputError` naming every problem by table, row and field.

The readers (:mod:`sourcing.data.io` for folders and JSON/YAML files, :mod:`sourcing.data.workbook`
for workbooks) only read; each hands its document here, so no reader imports another.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from pydantic import ValidationError

from sourcing.data import references
from sourcing.data.files import MAX_TABLE_ROWS
from sourcing.data.messages import huge_integer, problem_from
from sourcing.data.schema import REQUIRED_TABLES, TABLES, Instance, columns, required_columns
from sourcing.errors import InputError, Problem

META_TABLE = "instance"

#: (table, row, field) already reported in a clearer way: pydantic's per-row errors there are
#: dropped (a missing column is reported once, not once per row; an empty row once, not per field).
Covered = set[tuple[str, int | None, str | None]]


def validate_document(document: dict[str, Any]) -> Instance:
    """An instance from a plain document (the JSON/YAML form, or what a reader produced), or an
    :class:`InputError` listing every problem, cell and cross-table problems alike."""
    problems: list[Problem] = []
    covered: Covered = set()
    return checked(clean_document(document, problems, covered), problems, covered)


def checked(document: dict[str, Any], problems: list[Problem], covered: Covered) -> Instance:
    """The instance of a cleaned ``document``, with the problems a reader already found; raise
    them all, with the cross-table ones (:mod:`sourcing.data.references`), if there are any."""
    instance = validate(document, problems, covered)
    problems += references.check_instance(instance)
    if problems:
        raise InputError(problems)
    return instance


def as_shown(problem: Problem, header_rows: int = 1) -> Problem:
    """A problem located by the row a spreadsheet shows for a table with a header row: the
    first record is row 2, as in Excel and in a text editor's line numbers. ``row N`` in the
    message (``duplicate of row 3``) moves with it. The YAML documents keep their numbering
    (a rule's position in its list)."""
    if problem.table not in TABLES or not header_rows:
        return problem
    row = None if problem.row is None else problem.row + header_rows
    message = re.sub(r"\brow (\d+)\b", lambda m: f"row {int(m[1]) + header_rows}", problem.message)
    return Problem(problem.table, row, problem.field, message)


def unknown_column(name: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(name.lower(), allowed, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown column ({hint}allowed: {', '.join(allowed)})"


def missing_columns(
    table: str, present: set[str], problems: list[Problem], covered: Covered
) -> None:
    for column in required_columns(table):
        if column not in present:
            problems.append(Problem(table, None, column, "required column is missing"))
            covered.add((table, None, column))


def clean_document(
    data: dict[str, Any], problems: list[Problem], covered: Covered
) -> dict[str, Any]:
    """Drop null cells (a JSON service may send ``null`` for 'not given'); report unknown and
    missing columns once per table, as for a CSV file."""
    document = dict(data)
    for table in TABLES:
        rows = document.get(table)
        if not isinstance(rows, list):
            continue
        if len(rows) > MAX_TABLE_ROWS:
            problems.append(
                Problem(
                    table,
                    None,
                    None,
                    f"has {len(rows):,} rows: a table may have at most {MAX_TABLE_ROWS:,}",
                )
            )
            covered.add((table, None, None))
            document[table] = []
            continue
        allowed = columns(table)
        unknown: dict[str, int] = {}
        present: set[str] = set()
        cleaned = []
        for i, row in enumerate(rows, 1):
            if isinstance(row, dict):
                for key in row:
                    if key not in allowed:
                        unknown.setdefault(str(key), i)
                row = {k: v for k, v in row.items() if k in allowed and not _is_blank(v)}
                present |= set(row)
            cleaned.append(row)
        for name, first in unknown.items():
            problems.append(
                Problem(table, None, name, f"{unknown_column(name, allowed)}; first in row {first}")
            )
        if cleaned:
            missing_columns(table, present, problems, covered)
        document[table] = cleaned
    return document


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def validate(document: dict[str, Any], problems: list[Problem], covered: Covered) -> Instance:
    for table in REQUIRED_TABLES:
        if table not in document:
            problems.append(Problem(table, None, None, f"required table '{table}' is missing"))
            covered.add((table, None, None))
            document[table] = []
    try:
        instance = Instance.model_validate(document)
    except ValidationError as error:
        found = (problem_from(META_TABLE, e) for e in error.errors())
        problems += [p for p in found if not _is_covered(p, covered)]
        problems += [
            p for p in _references_past(document, error, problems) if not _is_covered(p, covered)
        ]
        raise InputError(problems) from None
    except ValueError:  # an integer too long to become a name: see messages.huge_integer
        raise InputError([*problems, huge_integer(META_TABLE, document)]) from None
    if problems:
        raise InputError(problems)
    return instance


def _references_past(
    document: dict[str, Any], error: ValidationError, found: list[Problem]
) -> list[Problem]:
    """The cross-table problems of a document some of whose cells were refused, so that a
    planner sees every problem in one run: each refused cell is set aside (an optional one
    dropped, a required number read as 0, a required name as given), the rest validated again
    and checked by :func:`references.check_instance`. Problems at a place already reported are
    not repeated. Nothing comes back when the document's own keys (stages, periods, rules) were
    refused: the tables cannot be checked against them."""
    patched = {k: list(v) if isinstance(v, list) else v for k, v in document.items()}
    set_aside: set[tuple[str, int, str]] = set()
    stand_ins: set[str] = set()
    for e in error.errors():
        loc = e["loc"]
        if not loc or loc[0] not in TABLES:
            if loc and loc[0] == "rules":
                patched["rules"] = []  # the model's rules are checked on their own
                continue
            return []
        if len(loc) == 1 and e["type"] == "too_short":  # an empty or unreadable table
            required = TABLES[loc[0]].__required_keys__
            numbers = _NUMBERS.get(loc[0], set())
            patched[loc[0]] = [{k: 0 if k in numbers else "?" for k in required}]
            stand_ins.add(loc[0])  # nothing of it to report: it stands in for what is missing
            continue
        if len(loc) < 3 or not isinstance(loc[1], int):
            return []
        table, at, field = loc[0], loc[1], str(loc[2])
        row = patched[table][at]
        if not isinstance(row, dict):
            return []
        row = dict(row)
        if field not in TABLES[table].__required_keys__:
            row.pop(field, None)
        elif field in _NUMBERS.get(table, ()):
            row[field] = 0
        else:
            row[field] = str(row.get(field, "?"))[:100]
            set_aside.add((table, at + 1, field))  # not to be reported again as unknown
        patched[table][at] = row
    if stand_ins & {"minerals", "countries", "sites"}:
        return []  # names cannot be checked against a table that is missing
    try:
        instance = Instance.model_validate(patched)
    except (ValidationError, ValueError):
        return []
    seen = {(p.table, p.row, p.field) for p in found} | set_aside
    return [
        p
        for p in references.check_instance(instance)
        if (p.table, p.row, p.field) not in seen and p.table not in stand_ins
    ]


#: the number columns of each table (a refused required number is read as 0 to check the rest)
_NUMBERS = {
    table: {
        name
        for name, kind in row.__annotations__.items()
        if "float" in str(kind) or "Quantity" in str(kind) or "Factor" in str(kind)
    }
    for table, row in TABLES.items()
}


def _is_covered(problem: Problem, covered: Covered) -> bool:
    return (
        (problem.table, None, problem.field) in covered  # a missing column, or an unread table
        or (problem.table, problem.row, None) in covered  # an empty row
    )
