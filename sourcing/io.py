"""Load an instance (folder of CSVs, one JSON/YAML document, or a workbook) and a model file.

Both forms of an instance become the same plain document (``instance.yaml`` keys plus one list of
records per table) and are validated by one pydantic :class:`~sourcing.schema.Instance`. Every
problem is collected and raised together as an :class:`~sourcing.errors.InputError` naming the
table, row and field.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sourcing import references
from sourcing.errors import InputError, Problem
from sourcing.files import MAX_TABLE_ROWS, check_regular, read_bytes, read_document
from sourcing.messages import huge_integer, problem_from
from sourcing.schema import REQUIRED_TABLES, TABLES, Instance, ModelSpec, columns, required_columns

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
META_TABLE = "instance"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")  # one sheet per table: sourcing/workbook/instance.py

#: (table, row, field) already reported in a clearer way: pydantic's per-row errors there are
#: dropped (a missing column is reported once, not once per row; an empty row once, not per field).
Covered = set[tuple[str, int | None, str | None]]


def load_instance(source: str | Path | dict[str, Any] | Instance) -> Instance:
    """Read and validate an instance; raise :class:`InputError` listing every problem."""
    if isinstance(source, Instance):
        return source
    problems: list[Problem] = []
    covered: Covered = set()
    if isinstance(source, dict):
        document = _clean_document(source, problems, covered)
    else:
        path = Path(source)
        if path.is_dir():
            try:
                instance = _load_folder(path, problems, covered)
            except InputError as error:
                raise InputError([as_shown(p) for p in error.problems]) from None
            instance._header_rows = 1
            return instance
        elif not path.exists():
            raise InputError([Problem(META_TABLE, None, None, f"no such file or folder: {path}")])
        elif path.suffix.lower() in WORKBOOK_SUFFIXES:
            from sourcing.workbook import read_instance  # openpyxl only for a workbook

            check_regular(path, META_TABLE)  # a FIFO or a device is refused, not opened
            return read_instance(path)
        else:  # read_document refuses a FIFO, a device, or a file over the size limit
            document = _clean_document(read_document(path, META_TABLE), problems, covered)
    instance = _validate(document, problems, covered)
    problems += references.check_instance(instance)
    if problems:
        raise InputError(problems)
    return instance


def _load_folder(path: Path, problems: list[Problem], covered: Covered) -> Instance:
    document = _read_folder(path, problems, covered)
    instance = _validate(document, problems, covered)
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


def load_model(source: str | Path | dict[str, Any] | ModelSpec | None = None) -> ModelSpec:
    """A model by name (a file under ``models/``), by path, or as a mapping; default least-cost."""
    if source is None:
        return ModelSpec()
    if isinstance(source, ModelSpec):
        return source
    if isinstance(source, dict):
        document = source
    else:
        path = find_named(str(source), MODELS_DIR, "model", "bundled")
        document = read_document(path, "model")
        document.setdefault("name", path.stem)
    try:
        return ModelSpec.model_validate(document)
    except ValidationError as error:
        raise InputError([problem_from("model", e) for e in error.errors()]) from None
    except ValueError:  # an integer too long to become a name: see messages.huge_integer
        raise InputError([huge_integer("model", document)]) from None


def available_models() -> list[str]:
    return names_in(MODELS_DIR)


def names_in(folder: Path) -> list[str]:
    """The names of the YAML files bundled in ``folder`` (models/, scenarios/)."""
    return sorted(p.stem for p in folder.glob("*.yaml"))


def find_named(name: str, folder: Path, kind: str, shown_as: str) -> Path:
    """A file given by path, or by name under ``./<folder name>/`` or the bundled ``folder``;
    else an error listing the bundled names (models and scenarios are found alike)."""
    local = Path(folder.name) / f"{name}.yaml"
    for candidate in (Path(name), local, folder / f"{name}.yaml"):
        if candidate.exists() and not candidate.is_dir():  # read_document refuses a FIFO
            return candidate
    known = ", ".join(names_in(folder)) or "none"
    message = f"no {kind} file or name '{name}' ({shown_as}: {known})"
    raise InputError([Problem(kind, None, None, message)])


def _read_folder(folder: Path, problems: list[Problem], covered: Covered) -> dict[str, Any]:
    meta_path = folder / "instance.yaml"
    if not meta_path.exists():
        raise InputError([Problem(META_TABLE, None, None, f"{folder} has no instance.yaml")])
    document = read_document(meta_path, META_TABLE)
    for table in TABLES:
        if table in document:
            problems.append(
                Problem(
                    META_TABLE, None, table, f"table '{table}' belongs in {table}.csv, not here"
                )
            )
            document.pop(table)
        csv_path = folder / f"{table}.csv"
        if not csv_path.exists():
            if table in REQUIRED_TABLES:
                problems.append(
                    Problem(table, None, None, f"required table is missing: add {table}.csv")
                )
                covered.add((table, None, None))
                document[table] = []
            continue
        records = _read_csv(csv_path, table, problems, covered)
        if records is None:  # unreadable: reported; validate the rest as if it were empty
            covered.add((table, None, None))
            records = []
        document[table] = records
    extra = sorted(
        p.name for p in folder.glob("*.csv") if p.stem not in TABLES and not p.name.startswith(".")
    )
    for name in extra:
        problems.append(
            Problem(
                name.removesuffix(".csv"),
                None,
                None,
                f"unknown table {name} (known tables: {', '.join(TABLES)})",
            )
        )
    return document


def _read_csv(
    path: Path, table: str, problems: list[Problem], covered: Covered
) -> list[dict[str, str]] | None:
    """The rows of one CSV table as records of non-blank cells; ``None`` if it cannot be read.

    Rows are counted from 1 below the header, and a blank line is a row too, so every later row
    keeps its place (trailing blank lines are ignored); :func:`as_shown` turns them into the row
    a spreadsheet shows (the header is row 1) once the whole folder is checked. A file over the size
    limit, or of more than ``MAX_TABLE_ROWS`` rows, is refused (:mod:`sourcing.files`).
    """
    try:
        data = read_bytes(path, table)  # a regular file within the size limit
    except InputError as error:  # reported; the other tables are still read
        problems += error.problems
        return None
    rows = _csv_rows(data, path, table, problems)
    if rows is None:
        return None
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        needed = ", ".join(required_columns(table))
        problems.append(
            Problem(
                table,
                None,
                None,
                f"{path.name} is empty: its first line must name the columns ({needed})",
            )
        )
        return None
    header, body = rows[0], rows[1:]
    if len(header) == 1 and ";" in header[0]:  # a European Excel's "CSV": ';' between columns
        names = ", ".join(f"'{n}'" for n in header[0].split(";")[:3])
        problems.append(
            Problem(
                table,
                None,
                None,
                f"the columns of {path.name} are separated by ';' ({names}, ...), not by commas: "
                "save it as 'CSV UTF-8 (Comma delimited)', or replace each ';' by ','",
            )
        )
        return None
    kept = _known_columns(table, header, body, problems, covered)
    records = []
    for row, cells in enumerate(body, 1):
        if not any(cells):
            problems.append(Problem(table, row, None, "empty row: delete it or fill it in"))
            covered.add((table, row, None))
        elif len(cells) > len(header) and any(cells[len(header) :]):
            problems.append(
                Problem(
                    table,
                    row,
                    None,
                    f"{len(cells)} values, but the header names {len(header)} columns"
                    + _split_number_hint(cells),
                )
            )
        records.append({name: cells[pos] for pos, name in kept if pos < len(cells) and cells[pos]})
    return records


def _csv_rows(
    data: bytes, path: Path, table: str, problems: list[Problem]
) -> list[list[str]] | None:
    """The stripped cells of each line; ``None`` (reported) if the file has too many lines, is
    not UTF-8 text, or has a quote the CSV rules cannot read.

    The lines are counted before anything is parsed: a row takes at least one line, so a file
    of at most ``MAX_TABLE_ROWS`` + 1 lines has at most ``MAX_TABLE_ROWS`` rows below its header.
    """
    lines = data.count(b"\n") + (not data.endswith(b"\n") and bool(data))
    if lines > MAX_TABLE_ROWS + 1:
        problems.append(
            Problem(
                table,
                None,
                None,
                f"{path.name} has {lines:,} lines: a table may have at most "
                f"{MAX_TABLE_ROWS:,} rows below its header",
            )
        )
        return None
    # decoded as it is parsed: no second copy of a large file in memory
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    rows: list[list[str]] = []
    try:
        for cells in csv.reader(text, strict=True, skipinitialspace=True):
            rows.append(list(map(str.strip, cells)))
    except UnicodeDecodeError:
        try:
            data.decode("utf-8-sig")
            row = None  # pragma: no cover - the stream found an error the whole file has not
        except UnicodeDecodeError as error:
            row = data[: error.start].count(b"\n")
        problems.append(
            Problem(table, row, None, f"{path.name} is not UTF-8 text: save it as 'CSV UTF-8'")
        )
        return None
    except csv.Error as error:
        problems.append(
            Problem(table, len(rows), None, f"cannot read {path.name}: {error} (check the quotes)")
        )
        return None
    return rows


def _split_number_hint(cells: list[str]) -> str:
    """A decimal comma in an unquoted cell splits one number into two values ('3000,5' reads as
    '3000' and '5'): name the likely pair."""
    for left, right in zip(cells, cells[1:], strict=False):
        if left.lstrip("+-").isdigit() and right.isdigit() and len(right) != 3:
            return f" (a decimal comma? '{left},{right}' reads as two values: write {left}.{right})"
    return ""


def _known_columns(
    table: str, header: list[str], body: list[list[str]], problems: list[Problem], covered: Covered
) -> list[tuple[int, str]]:
    """The (position, name) of the columns to read. Unknown and missing columns are reported
    once, not once per row."""
    allowed = columns(table)
    kept: dict[str, int] = {}
    for pos, name in enumerate(header):
        if name == "":
            if any(len(cells) > pos and cells[pos] for cells in body):
                problems.append(
                    Problem(table, None, None, f"column {pos + 1} holds values but has no name")
                )
        elif name not in allowed:
            problems.append(Problem(table, None, name, _unknown_column(name, allowed)))
        elif name in kept:
            problems.append(Problem(table, None, name, "the column appears twice"))
        else:
            kept[name] = pos
    _missing_columns(table, set(kept), problems, covered)
    return [(pos, name) for name, pos in kept.items()]


def _unknown_column(name: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(name.lower(), allowed, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown column ({hint}allowed: {', '.join(allowed)})"


def _missing_columns(
    table: str, present: set[str], problems: list[Problem], covered: Covered
) -> None:
    for column in required_columns(table):
        if column not in present:
            problems.append(Problem(table, None, column, "required column is missing"))
            covered.add((table, None, column))


def _clean_document(
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
                Problem(
                    table, None, name, f"{_unknown_column(name, allowed)}; first in row {first}"
                )
            )
        if cleaned:
            _missing_columns(table, present, problems, covered)
        document[table] = cleaned
    return document


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _validate(document: dict[str, Any], problems: list[Problem], covered: Covered) -> Instance:
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
