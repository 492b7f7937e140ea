"""Write an instance in any form the loader reads: a folder of CSVs, a JSON or YAML document, or
a workbook. Each writer is lossless: loading what it wrote gives an equal :class:`Instance`.

The form is chosen by the output's name: ``.json``, ``.yaml``/``.yml``, ``.xlsx``, otherwise a
folder (``instance.yaml`` plus one CSV per table that has rows).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import yaml

from sourcing.data.schema import REQUIRED_TABLES, TABLES, Instance, columns
from sourcing.errors import InputError, Problem

FORMS = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".xlsx": "workbook"}


def form_of(out: Path) -> str:
    """``json``, ``yaml``, ``workbook`` or ``folder``, from the output's name."""
    if out.suffix.lower() in FORMS:
        return FORMS[out.suffix.lower()]
    if out.suffix:
        known = ", ".join(FORMS)
        message = f"write a folder (no suffix) or one of {known}, not '{out.suffix}'"
        raise InputError([Problem("command line", None, "out", message)])
    return "folder"


def document_of(instance: Instance) -> dict[str, Any]:
    """The document form: the ``instance.yaml`` keys, ``rules``, then one list per table.

    Defaults and blanks are left out, so the document holds what the planner wrote."""
    meta = instance.model_dump(exclude=set(TABLES) | {"rules"}, exclude_none=True)
    document: dict[str, Any] = {k: v for k, v in meta.items() if v != ""}
    if instance.rules:
        document["rules"] = [
            rule.model_dump(exclude_none=True, exclude_defaults=True) | {"rule": rule.rule}
            for rule in instance.rules
        ]
    for table in TABLES:
        records = getattr(instance, table)
        if records or table in REQUIRED_TABLES:
            document[table] = [dict(r) for r in records]
    return document


def write_instance(instance: Instance, out: str | Path, force: bool = False) -> str:
    """Write ``instance`` to ``out`` in the form its name asks for; return that form.

    An existing file, or a folder that is not empty, is refused unless ``force``: a converted
    instance never silently replaces a planner's data."""
    out = Path(out)
    form = form_of(out)
    if form != "folder" and out.exists() and not force:
        what = "a folder" if out.is_dir() else "a file"
        message = f"{out} exists ({what}): choose a new name, or add --force to replace it"
        raise InputError([Problem("command line", None, "out", message)])
    if form == "workbook":
        from sourcing.data.workbook import write_instance as write_workbook

        write_workbook(instance, out)
    elif form == "json":
        out.write_text(json.dumps(document_of(instance), indent=2) + "\n", encoding="utf-8")
    elif form == "yaml":
        out.write_text(_yaml(document_of(instance)), encoding="utf-8")
    else:
        _write_folder(instance, out, force)
    return form


def _yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _write_folder(instance: Instance, folder: Path, force: bool = False) -> None:
    """With ``force``, an existing folder's instance files are replaced, and the CSV of any
    table this instance lacks is removed, so that loading the folder gives this instance."""
    if folder.exists() and not folder.is_dir():
        message = f"{folder} exists and is a file, not a folder: choose a new folder"
        raise InputError([Problem("command line", None, "out", message)])
    if folder.exists() and any(folder.iterdir()) and not force:
        message = (
            f"{folder} exists and is not an empty folder: choose a new folder, or add --force "
            "to replace the instance in it"
        )
        raise InputError([Problem("command line", None, "out", message)])
    document = document_of(instance)
    tables = {t: document.pop(t) for t in TABLES if t in document}
    folder.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        if table not in tables:
            (folder / f"{table}.csv").unlink(missing_ok=True)
    (folder / "instance.yaml").write_text(_yaml(document), encoding="utf-8")
    for table, records in tables.items():
        (folder / f"{table}.csv").write_text(_csv(table, records), encoding="utf-8")


def _csv(table: str, records: list[dict[str, Any]]) -> str:
    """One table as CSV: the columns some record uses, in the schema's order."""
    used = {k for r in records for k in r}
    names = [c for c in columns(table) if c in used] or columns(table)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for record in records:
        writer.writerow([_text(record.get(c)) for c in names])
    return buffer.getvalue()


def _text(value: Any) -> str:
    """A cell's text: blank for not given; a float in the fewest digits that read back equal."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)
