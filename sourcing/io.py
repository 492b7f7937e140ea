"""Load an instance (folder of CSVs, or one JSON/YAML document) and a model file.

Both forms of an instance become the same plain document (``instance.yaml`` keys plus one list of
records per table) and are validated by one pydantic :class:`~sourcing.schema.Instance`. Every
problem is collected and raised together as an :class:`~sourcing.errors.InputError` naming the
table, row and field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import ValidationError

from sourcing import references
from sourcing.errors import InputError, Problem
from sourcing.schema import REQUIRED_TABLES, TABLES, Instance, ModelSpec, columns, required_columns

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
META_TABLE = "instance"


def load_instance(source: str | Path | dict[str, Any] | Instance) -> Instance:
    """Read and validate an instance; raise :class:`InputError` listing every problem."""
    if isinstance(source, Instance):
        return source
    problems: list[Problem] = []
    if isinstance(source, dict):
        document = _clean_document(source, problems)
    else:
        path = Path(source)
        if path.is_dir():
            document = _read_folder(path, problems)
        elif path.is_file():
            document = _clean_document(_read_document(path, META_TABLE), problems)
        else:
            raise InputError([Problem(META_TABLE, None, None, f"no such file or folder: {path}")])
    instance = _validate(document, problems)
    problems += references.check_instance(instance)
    if problems:
        raise InputError(problems)
    return instance


def load_model(source: str | Path | dict[str, Any] | ModelSpec | None = None) -> ModelSpec:
    """A model by name (a file under ``models/``), by path, or as a mapping; default least-cost."""
    if source is None:
        return ModelSpec()
    if isinstance(source, ModelSpec):
        return source
    if isinstance(source, dict):
        document = source
    else:
        path = _find_model(str(source))
        document = _read_document(path, "model")
        document.setdefault("name", path.stem)
    try:
        return ModelSpec.model_validate(document)
    except ValidationError as error:
        raise InputError([_problem("model", e) for e in error.errors()]) from None


def available_models() -> list[str]:
    return sorted(p.stem for p in MODELS_DIR.glob("*.yaml"))


def _find_model(name: str) -> Path:
    candidates = [Path(name), Path("models") / f"{name}.yaml", MODELS_DIR / f"{name}.yaml"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    known = ", ".join(available_models()) or "none"
    raise InputError([Problem("model", None, None, f"no model file or name '{name}' (bundled: {known})")])


def _read_document(path: Path, table: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as error:
        raise InputError([Problem(table, None, None, f"cannot read {path.name}: {error}")]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError([Problem(table, None, None, f"{path.name} must hold a mapping of keys")])
    return data


def _read_folder(folder: Path, problems: list[Problem]) -> dict[str, Any]:
    meta_path = folder / "instance.yaml"
    if not meta_path.is_file():
        raise InputError([Problem(META_TABLE, None, None, f"{folder} has no instance.yaml")])
    document = _read_document(meta_path, META_TABLE)
    for table in TABLES:
        if table in document:
            problems.append(
                Problem(META_TABLE, None, table, f"table '{table}' belongs in {table}.csv, not here")
            )
            document.pop(table)
        csv_path = folder / f"{table}.csv"
        if not csv_path.is_file():
            continue
        try:
            frame = pd.read_csv(
                csv_path, dtype=str, keep_default_na=False, skipinitialspace=True, comment=None
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            problems.append(Problem(table, None, None, f"cannot read {csv_path.name}: {error}"))
            continue
        frame.columns = [str(c).strip() for c in frame.columns]
        frame = _known_columns(table, frame, problems)
        document[table] = [
            {key: value.strip() for key, value in record.items() if value.strip() != ""}
            for record in frame.to_dict("records")
        ]
    extra = sorted(
        p.name for p in folder.glob("*.csv") if p.stem not in TABLES and not p.name.startswith(".")
    )
    for name in extra:
        problems.append(
            Problem(name.removesuffix(".csv"), None, None,
                    f"unknown table {name} (known tables: {', '.join(TABLES)})")
        )
    return document


def _known_columns(table: str, frame: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """Report unknown and missing columns once, not once per row."""
    allowed = columns(table)
    for column in frame.columns:
        if column not in allowed:
            problems.append(
                Problem(table, None, column, f"unknown column (allowed: {', '.join(allowed)})")
            )
    if len(set(frame.columns)) != len(frame.columns):
        problems.append(Problem(table, None, None, "a column name appears twice"))
    for column in required_columns(table):
        if column not in frame.columns:
            problems.append(Problem(table, None, column, "required column is missing"))
    frame = frame.loc[:, ~frame.columns.duplicated()]
    return frame[[c for c in frame.columns if c in allowed]]


def _clean_document(data: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    """Drop null cells (a JSON service may send ``null`` for 'not given')."""
    document = dict(data)
    for table in TABLES:
        rows = document.get(table)
        if isinstance(rows, list):
            document[table] = [
                {k: v for k, v in row.items() if not _is_blank(v)} if isinstance(row, dict) else row
                for row in rows
            ]
    return document


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _validate(document: dict[str, Any], problems: list[Problem]) -> Instance:
    for table in REQUIRED_TABLES:
        if table not in document:
            problems.append(Problem(table, None, None, f"required table '{table}' is missing"))
            document[table] = []
    try:
        instance = Instance.model_validate(document)
    except ValidationError as error:
        problems += [_problem(META_TABLE, e) for e in error.errors()]
        raise InputError(problems) from None
    if problems:
        raise InputError(problems)
    return instance


def _problem(default_table: str, error: Any) -> Problem:
    """Turn a pydantic error location into (table, row, field)."""
    loc = list(error["loc"])
    message = error["msg"]
    if "input" in error and error["type"] not in ("missing",) and not isinstance(
        error["input"], (dict, list)
    ):
        message += f" (got {error['input']!r})"
    if loc and loc[0] in TABLES and len(loc) >= 2 and isinstance(loc[1], int):
        field = str(loc[2]) if len(loc) > 2 else None
        return Problem(str(loc[0]), loc[1] + 1, field, message)
    if loc and loc[0] == "rules" and len(loc) >= 2 and isinstance(loc[1], int):
        field = ".".join(str(x) for x in loc[3:]) or None
        rule = f" ({loc[2]})" if len(loc) > 2 else ""
        return Problem(f"{default_table} rules", loc[1] + 1, field, message + rule)
    field = ".".join(str(x) for x in loc) or None
    return Problem(default_table, None, field, message)


def dump_instance(instance: Instance) -> dict[str, Any]:
    """The instance as one JSON-able document (the service form)."""
    return instance.model_dump(mode="json", exclude_none=True)
