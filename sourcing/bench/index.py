"""The benchmark index: which (instance, model) pairs are checked, and against what record.

``instances/index.csv`` lists what is checked, one row per (instance, model):

    name               instance folder under instances/ (ladder/… and orlib/capa…, capb… are
                       written on demand by :mod:`sourcing.bench.ladder` and
                       instances/orlib/convert.py)
    tier               small (seconds; run in CI) | medium (a minute) | large (minutes, GBs)
    model              a bundled model name or a model file path relative to the repository
    expected_objective the optimum to reproduce (blank when the expected status is infeasible)
    tolerance          relative tolerance on the objective
    source             published | hand-derived | recorded (by whom and how: see the notes)
    expected_status    optimal (default) | infeasible
    time_limit         seconds (blank: none)
    rel_gap            the MIP relative gap to solve to (blank: the engine's default, 1e-4);
                       0 where the row records the proven optimum of a MIP (see below)
    notes              where the expected value comes from

Each run happens in a fresh child process (forked), so its peak resident memory is its own and a
crash or a runaway solve cannot take the others down. A run passes when the solver proves the
expected status and the objective is within ``tolerance`` of the expected value, relatively:
|objective − expected| ≤ tolerance × max(1, |expected|).

A MIP is solved to a relative gap (1e-4 by default): any plan within the gap of the optimum is a
right answer, so a MIP row checked at the default gap carries a tolerance of at least 1e-4. A
tighter tolerance needs the proven optimum: the row records the optimum proven at rel_gap 0, is
solved at rel_gap 0, and its notes say so ("proven optimum at rel-gap 0");
``tests/test_scaling.py`` holds the index to this, finding the MIP rows with :func:`is_mip`.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import math
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sourcing.bench import ladder
from sourcing.data.files import read_bytes
from sourcing.errors import InputError, Problem
from sourcing.model.rules.kind import kind_of, kinds

ROOT = Path(__file__).resolve().parents[2]


INSTANCES = ROOT / "instances"


INDEX = INSTANCES / "index.csv"


TIERS = ("small", "medium", "large")


SOURCES = ("published", "hand-derived", "recorded")


STATUSES = ("optimal", "infeasible")


#: OR-Library files too large to bundle converted: bundled gzipped, converted on first use.
ORLIB_ON_DEMAND = {
    "orlib/capa-uncap": ("capa", ["--uncapacitated"]),
    "orlib/capb-uncap": ("capb", ["--uncapacitated"]),
    "orlib/capb-8000": ("capb", ["--capacity", "8000"]),
}


@dataclass(frozen=True)
class Entry:
    """One row of instances/index.csv."""

    name: str
    tier: str
    model: str
    expected_objective: float | None
    tolerance: float
    source: str
    expected_status: str = "optimal"
    time_limit: float | None = None
    rel_gap: float | None = None
    notes: str = ""


def read_index(path: Path = INDEX) -> list[Entry]:
    """The entries of an index file; every bad cell is reported with its row and column."""
    table = path.name
    try:  # read_bytes refuses a FIFO, a device or a file over the size limit
        text = read_bytes(path, table).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError([Problem(table, None, None, f"{path} is not UTF-8 text")]) from None
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    header = rows[0].keys() if rows else []
    needed = ("name", "tier", "model", "expected_objective", "tolerance", "source")
    missing = [c for c in needed if c not in header]
    if missing:
        raise InputError([Problem(table, None, c, "column is missing") for c in missing])
    problems: list[Problem] = []
    entries: list[Entry] = []
    seen: set[tuple[str, str]] = set()
    for number, row in enumerate(rows, start=2):  # row 1 is the header, as a spreadsheet shows

        def bad(column: str, message: str, number: int = number) -> None:
            problems.append(Problem(table, number, column, message))

        def number_in(column: str, required: bool, row: dict = row) -> float | None:
            text = (row.get(column) or "").strip()
            if not text:
                if required:
                    bad(column, "is empty")
                return None
            try:
                value = float(text)
            except ValueError:
                bad(column, f"'{text}' is not a number")
                return None
            if not math.isfinite(value) or value < 0:
                bad(column, f"{text} must be a finite number ≥ 0")
                return None
            return value

        name, model = (row.get("name") or "").strip(), (row.get("model") or "").strip()
        tier, source = (row.get("tier") or "").strip(), (row.get("source") or "").strip()
        status = (row.get("expected_status") or "").strip() or "optimal"
        if not name:
            bad("name", "is empty")
        if not model:
            bad("model", "is empty")
        if tier not in TIERS:
            bad("tier", f"'{tier}' is not one of {', '.join(TIERS)}")
        if source not in SOURCES:
            bad("source", f"'{source}' is not one of {', '.join(SOURCES)}")
        if status not in STATUSES:
            bad("expected_status", f"'{status}' is not one of {', '.join(STATUSES)}")
        expected = number_in("expected_objective", required=status == "optimal")
        tolerance = number_in("tolerance", required=True)
        time_limit = number_in("time_limit", required=False)
        rel_gap = number_in("rel_gap", required=False)
        if rel_gap is not None and rel_gap >= 1:
            bad("rel_gap", f"{rel_gap:g} must be below 1 (a relative gap)")
            rel_gap = None
        if (name, model) in seen:
            bad("name", f"'{name}' under model '{model}' is listed twice")
        seen.add((name, model))
        entries.append(
            Entry(
                name=name,
                tier=tier,
                model=model,
                expected_objective=expected,
                tolerance=tolerance if tolerance is not None else 0.0,
                source=source,
                expected_status=status,
                time_limit=time_limit,
                rel_gap=rel_gap,
                notes=(row.get("notes") or "").strip(),
            )
        )
    if problems:
        raise InputError(problems)
    return entries


#: Rules that add binaries (their :class:`~sourcing.model.rules.kind.RuleKind` says ``integer``).
INTEGER_RULES = tuple(kind.name for kind in kinds() if kind.integer)


def is_mip(entry: Entry) -> bool:
    """Whether the entry's model is a MIP, told from its data without building it: a rule that
    counts suppliers, or offers with a fixed cost or a minimum quantity (a contract binary each,
    sourcing.model.contracts). Generated instances are known by their generator: a ladder rung has
    fixed costs when :data:`sourcing.bench.ladder.RUNGS` says it is a MIP rung, and the OR-Library's
    facility-location instances always have them (an opening cost per facility)."""
    from sourcing.data.io import load_instance, load_model

    rules = list(load_model(model_argument(entry.model)).rules)
    if entry.name.startswith("ladder/"):
        contracts = ladder.RUNGS[entry.name.removeprefix("ladder/")].mip
    elif entry.name in ORLIB_ON_DEMAND:
        contracts = True
    else:
        instance = load_instance(INSTANCES / entry.name)
        rules += instance.rules
        contracts = any(
            r.get("fixed_cost", 0) > 0 or r.get("min_quantity", 0) > 0 for r in instance.supply
        )
    return contracts or any(kind_of(rule).integer for rule in rules)


#: What the notes of a MIP row checked tighter than the gap must say.
PROVEN = "proven optimum at rel-gap 0"


def unproven_mip_rows(entries: Iterable[Entry], path: Path = INDEX) -> list[Problem]:
    """The MIP rows whose tolerance is below the gap (:data:`sourcing.solver.OPTIMAL_GAP`) but
    which neither record the optimum proven at rel_gap 0 nor are solved at rel_gap 0: a plan
    within the gap of the optimum is a right answer, which such a row would call a mismatch."""
    from sourcing.solver import OPTIMAL_GAP

    problems = []
    for number, entry in enumerate(entries, start=2):  # row 1 is the header
        if entry.expected_status != "optimal" or entry.tolerance >= OPTIMAL_GAP:
            continue
        if (entry.rel_gap != 0 or PROVEN not in entry.notes) and is_mip(entry):
            message = (
                f"{entry.name} under {entry.model} is a MIP, solved to a relative gap of "
                f"{entry.rel_gap if entry.rel_gap is not None else OPTIMAL_GAP:g}: give it a "
                f"tolerance of at least {OPTIMAL_GAP:g}, or record the optimum proven at rel-gap 0 "
                f"with rel_gap 0 and '{PROVEN}' in its notes"
            )
            problems.append(Problem(path.name, number, "tolerance", message))
    return problems


def select(
    entries: Iterable[Entry], tier: str | None = "small", patterns: Iterable[str] = ()
) -> list[Entry]:
    """Entries of ``tier`` (all tiers for ``None`` or "all") whose name matches any pattern."""
    patterns = list(patterns)
    chosen = [
        e
        for e in entries
        if tier in (None, "all", e.tier)
        and (not patterns or any(fnmatch.fnmatchcase(e.name, p) for p in patterns))
    ]
    return chosen


def instance_folder(name: str) -> Path:
    """The folder of instance ``name``, written first when it is generated on demand."""
    if name.startswith("ladder/"):
        return ladder.ensure(name.removeprefix("ladder/"))
    folder = INSTANCES / name
    if name in ORLIB_ON_DEMAND and not (folder / "instance.yaml").exists():
        stem, options = ORLIB_ON_DEMAND[name]
        source = INSTANCES / "orlib" / "source" / f"{stem}.txt.gz"
        command = [sys.executable, str(INSTANCES / "orlib" / "convert.py"), str(source)]
        command += [str(folder), *options, "--name", folder.name, "--force"]
        subprocess.run(command, check=True, capture_output=True)
    return folder


def model_argument(model: str) -> str | Path:
    """A bundled model's name as is; a path relative to the repository as a path."""
    if "/" in model or model.endswith((".yaml", ".yml", ".json")):
        return ROOT / model
    return model
