"""A generator of malformed instances: one planner's mistake, or one hostile input, at a time.

Each :class:`Case` starts from a valid folder instance (``instances/examples/least-cost-two-stage``
by default) and makes one change to it: a bad number, a misspelt name, a broken header, a
duplicated or blank row, a missing, empty or binary file, a CSV saved with semicolons, a broken
``instance.yaml``, or a JSON document with ``true`` for a price, a 5,001-digit number or 1,000
levels of nesting. ``must_refuse`` says whether the input is wrong for certain (then the engine
must answer an :class:`~sourcing.errors.InputError`); otherwise any clean answer will do.

The same generator serves the property test (``tests/test_malformed.py``, through hypothesis'
``st.randoms()``) and the figures of ``docs/reliability.md`` (``benchmarks/reliability.py``,
through a seeded :class:`random.Random`), so the corpus lives here as code, not as files.
"""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "instances" / "examples" / "least-cost-two-stage"

#: number cells no planner means as a number, or means as another one
BAD_NUMBERS = [
    "-5",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1_000",
    "0x10",
    "3000,5",
    "1,000",
    "true",
    "abc",
    "1e400",
    "9" * 5001,
    "12 t",
    "$40",
    "--1",
]
#: (table, numeric column) pairs of the base instance, each required or meaningful when given
NUMBER_CELLS = [
    ("supply", "price"),
    ("supply", "capacity"),
    ("demand", "quantity"),
    ("transport", "cost"),
    ("yields", "yield"),
]
#: (table, column) pairs that name something another table defines
NAME_CELLS = [
    ("supply", "mineral"),
    ("supply", "stage"),
    ("supply", "country"),
    ("demand", "mineral"),
    ("demand", "site"),
    ("transport", "from"),
    ("transport", "to"),
    ("sites", "country"),
    ("yields", "stage"),
]


@dataclass(frozen=True)
class Case:
    """One mistake: ``write`` lays the instance in a folder (or a file inside it) and returns
    the path to load."""

    kind: str
    what: str
    must_refuse: bool
    write: Callable[[Path], Path]

    def __str__(self) -> str:
        return f"{self.kind}: {self.what}"


def read_table(folder: Path, table: str) -> list[list[str]]:
    text = (folder / f"{table}.csv").read_text(encoding="utf-8")
    return [row for row in csv.reader(io.StringIO(text))]


def write_table(folder: Path, table: str, rows: list[list[str]], delimiter: str = ",") -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    (folder / f"{table}.csv").write_text(buffer.getvalue(), encoding="utf-8")


def _copy(base: Path, folder: Path) -> Path:
    target = folder / "instance"
    shutil.copytree(base, target, ignore=shutil.ignore_patterns("*.md", "*.json", "model.yaml"))
    return target


def _cell_case(rng: random.Random, base: Path, table: str, column: str, value: str, kind: str):
    rows = read_table(base, table)
    row = rng.randrange(1, len(rows))
    what = f"{table} row {row}, {column} = {value[:20]!r}"

    def write(folder: Path) -> Path:
        target = _copy(base, folder)
        table_rows = read_table(target, table)
        table_rows[row][table_rows[0].index(column)] = value
        write_table(target, table, table_rows)
        return target

    return Case(kind, what, True, write)


def bad_number(rng: random.Random, base: Path = BASE) -> Case:
    table, column = rng.choice(NUMBER_CELLS)
    value = rng.choice(BAD_NUMBERS)
    return _cell_case(rng, base, table, column, value, "number")


def bad_name(rng: random.Random, base: Path = BASE) -> Case:
    table, column = rng.choice(NAME_CELLS)
    rows = read_table(base, table)
    original = rng.choice(rows[1:])[rows[0].index(column)]
    value = rng.choice(
        [
            original.lower() if original != original.lower() else original.upper(),  # case
            original[:-1] + chr((ord(original[-1]) - 64) % 26 + 65),  # one letter off
            original + "X",
            ":x:",
            "[bold]x",
        ]
    )
    return _cell_case(rng, base, table, column, value, "name")


def bad_header(rng: random.Random, base: Path = BASE) -> Case:
    table = rng.choice(["supply", "demand", "transport", "sites"])
    rows = read_table(base, table)
    position = rng.randrange(len(rows[0]))
    change = rng.choice(["misspell", "drop", "repeat"])
    what = f"{table}: {change} column {rows[0][position]!r}"

    def write(folder: Path) -> Path:
        target = _copy(base, folder)
        table_rows = read_table(target, table)
        if change == "misspell":
            table_rows[0][position] = table_rows[0][position][::-1] + "_"
        elif change == "drop":
            table_rows = [r[:position] + r[position + 1 :] for r in table_rows]
        else:
            table_rows = [r + [r[position]] for r in table_rows]
        write_table(target, table, table_rows)
        return target

    from sourcing.data.schema import required_columns

    # dropping an optional column (capacity: all unlimited) is a different instance, not an error
    must_refuse = change != "drop" or rows[0][position] in required_columns(table)
    return Case("header", what, must_refuse, write)


def bad_row(rng: random.Random, base: Path = BASE) -> Case:
    table = rng.choice(["supply", "demand", "transport", "sites", "countries"])
    change = rng.choice(["duplicate", "blank", "extra cells"])
    what = f"{table}: a {change} row"

    def write(folder: Path) -> Path:
        target = _copy(base, folder)
        table_rows = read_table(target, table)
        at = rng.randrange(1, len(table_rows))
        if change == "duplicate":
            table_rows.insert(at, list(table_rows[at]))
        elif change == "blank":
            table_rows.insert(at, [])
        else:
            table_rows[at] = table_rows[at] + ["surplus", "cells"]
        write_table(target, table, table_rows)
        return target

    return Case("row", what, True, write)


def bad_file(rng: random.Random, base: Path = BASE) -> Case:
    table = rng.choice(["supply", "demand", "minerals", "countries"])
    change = rng.choice(["missing", "empty", "binary", "latin-1", "semicolons"])
    what = f"{table}.csv: {change}"

    def write(folder: Path) -> Path:
        target = _copy(base, folder)
        path = target / f"{table}.csv"
        if change == "missing":
            path.unlink()
        elif change == "empty":
            path.write_bytes(b"")
        elif change == "binary":
            path.write_bytes(bytes(rng.randrange(256) for _ in range(512)))
        elif change == "latin-1":
            path.write_bytes(path.read_bytes() + "li,Lithium,t\u00e9\n".encode("latin-1"))
        else:
            write_table(target, table, read_table(target, table), delimiter=";")
        return target

    # a binary file of random bytes may, once in a blue moon, decode: it is still no table
    return Case("file", what, True, write)


def bad_document(rng: random.Random, base: Path = BASE) -> Case:
    """instance.yaml broken in one way."""
    change = rng.choice(
        ["stages a number", "no stages", "unknown key", "duplicate key", "deep", "a list"]
    )
    what = f"instance.yaml: {change}"

    def write(folder: Path) -> Path:
        target = _copy(base, folder)
        path = target / "instance.yaml"
        meta = yaml.safe_load(path.read_text(encoding="utf-8"))
        if change == "stages a number":
            meta["stages"] = 5
        elif change == "no stages":
            meta["stages"] = []
        elif change == "unknown key":
            meta["stagez"] = ["mining"]
        if change == "duplicate key":
            text = path.read_text(encoding="utf-8") + "currency: EUR\n"
        elif change == "deep":
            text = yaml.safe_dump(meta) + "description: " + "[" * 500 + "]" * 500 + "\n"
        elif change == "a list":
            text = "- name: x\n- stages: [a]\n"
        else:
            text = yaml.safe_dump(meta)
        path.write_text(text, encoding="utf-8")
        return target

    return Case("instance.yaml", what, True, write)


def bad_json(rng: random.Random, base: Path = BASE) -> Case:
    """The same instance as one JSON document, broken in one way."""
    change = rng.choice(["price true", "deep", "huge number", "duplicate key", "price text"])
    what = f"JSON document: {change}"

    def write(folder: Path) -> Path:
        from sourcing.data.convert import document_of
        from sourcing.data.io import load_instance

        document = document_of(load_instance(base))
        if change == "price true":
            document["supply"][0]["price"] = True
        elif change == "price text":
            document["supply"][0]["price"] = "1_000"
        text = json.dumps(document)
        if change == "deep":
            text = text[:-1] + ', "description": ' + "[" * 1000 + "]" * 1000 + "}"
        elif change == "huge number":
            text = text.replace('"price": 40', '"price": ' + "9" * 5001, 1)
        elif change == "duplicate key":
            text = text[:-1] + ', "currency": "EUR"}'
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "instance.json"
        path.write_text(text, encoding="utf-8")
        return path

    return Case("json", what, True, write)


GENERATORS = [bad_number, bad_name, bad_header, bad_row, bad_file, bad_document, bad_json]


def case(rng: random.Random, base: Path = BASE) -> Case:
    """One malformed input, drawn with ``rng``."""
    return rng.choice(GENERATORS)(rng, base)


def many_periods() -> dict:
    """A hostile request body of 1 MB: 1,000 supply rows without a period and 100,000 listed
    periods, so 10^8 offers by the rule that an undated row applies in every period (issue 16,
    item 8). Shared by tests/test_service_hostile.py and benchmarks/service_hostile.py."""
    countries = [f"C{i:04d}" for i in range(1000)]
    return {
        "name": "many-periods",
        "stages": ["mining"],
        "periods": [f"p{i}" for i in range(100_000)],
        "minerals": [{"mineral": "lithium"}],
        "countries": [{"country": c} for c in countries],
        "supply": [
            {"mineral": "lithium", "stage": "mining", "country": c, "price": 1} for c in countries
        ],
        "demand": [{"mineral": "lithium", "period": "p0", "quantity": 1}],
    }


def head(method: str, path: str, length: int | None, token: str | None = None) -> bytes:
    """A request's line and headers, as a client would send them before its body (the hostile
    service tests and benchmarks/service_hostile.py send bodies short, slow or not at all)."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()
