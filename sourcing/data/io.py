"""Load an instance (folder of CSVs, one JSON/YAML document, or a workbook) and a model file.

Both forms of an instance become the same plain document (``instance.yaml`` keys plus one list of
records per table) and are validated by one pydantic :class:`~sourcing.data.schema.Instance`. Every
problem is collected and raised together as an :class:`~sourcing.errors.InputError` naming the
table, row and field.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sourcing.data.documents import (
    META_TABLE,
    Covered,
    as_shown,
    checked,
    missing_columns,
    unknown_column,
    validate_document,
)
from sourcing.data.files import MAX_TABLE_ROWS, check_regular, read_bytes, read_document
from sourcing.data.messages import huge_integer, problem_from
from sourcing.data.schema import (
    REQUIRED_TABLES,
    TABLES,
    Instance,
    ModelSpec,
    columns,
    required_columns,
)
from sourcing.errors import InputError, Problem

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")  # one sheet per table: sourcing/data/workbook/instance.py


def load_instance(source: str | Path | dict[str, Any] | Instance) -> Instance:
    """Read and validate an instance; raise :class:`InputError` listing every problem.

    The readers only read; :mod:`sourcing.data.documents` validates, the same for every form."""
    if isinstance(source, Instance):
        return source
    if isinstance(source, dict):
        return validate_document(source)
    path = Path(source)
    if path.is_dir():
        problems: list[Problem] = []
        covered: Covered = set()
        try:
            instance = checked(_read_folder(path, problems, covered), problems, covered)
        except InputError as error:
            raise InputError([as_shown(p) for p in error.problems]) from None
        instance._header_rows = 1
        return instance
    if not path.exists():
        raise InputError([Problem(META_TABLE, None, None, f"no such file or folder: {path}")])
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        from sourcing.data.workbook import read_instance  # openpyxl only for a workbook

        check_regular(path, META_TABLE)  # a FIFO or a device is refused, not opened
        return read_instance(path)
    # read_document refuses a FIFO, a device, or a file over the size limit
    return validate_document(read_document(path, META_TABLE))


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
        document = _extensions_beside(document, path)
    try:
        return ModelSpec.model_validate(document)
    except ValidationError as error:
        raise InputError([problem_from("model", e) for e in error.errors()]) from None
    except ValueError:  # an integer too long to become a name: see messages.huge_integer
        raise InputError([huge_integer("model", document)]) from None


def _extensions_beside(document: dict[str, Any], path: Path) -> dict[str, Any]:
    """A model file's ``extensions``, each relative to the model file (an absolute path kept)."""
    extensions = document.get("extensions")
    if not isinstance(extensions, list):
        return document  # absent, or not a list: the schema says what is wrong
    beside = [str(path.parent / e) if isinstance(e, str) else e for e in extensions]
    return {**document, "extensions": beside}


def with_extensions(spec: ModelSpec, files: list[str] | None) -> ModelSpec:
    """``spec`` with the extension ``files`` (``--extend``) after its own."""
    if not files:
        return spec
    return spec.model_copy(update={"extensions": [*spec.extensions, *map(str, files)]})


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
    limit, or of more than ``MAX_TABLE_ROWS`` rows, is refused (:mod:`sourcing.data.files`).
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
            problems.append(Problem(table, None, name, unknown_column(name, allowed)))
        elif name in kept:
            problems.append(Problem(table, None, name, "the column appears twice"))
        else:
            kept[name] = pos
    missing_columns(table, set(kept), problems, covered)
    return [(pos, name) for name, pos in kept.items()]
