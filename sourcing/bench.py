"""``sourcing bench``: solve the benchmark instances and check each optimum against its record.

``instances/index.csv`` lists what is checked, one row per (instance, model):

    name               instance folder under instances/ (ladder/… and orlib/capa…, capb… are
                       written on demand by :mod:`sourcing.ladder` and instances/orlib/convert.py)
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
import json
import math
import multiprocessing
import platform
import resource
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sourcing import ladder
from sourcing.errors import InputError, Problem
from sourcing.files import read_bytes
from sourcing.rules.kind import kind_of, kinds

ROOT = Path(__file__).resolve().parent.parent
INSTANCES = ROOT / "instances"
INDEX = INSTANCES / "index.csv"
TIERS = ("small", "medium", "large")
SOURCES = ("published", "hand-derived", "recorded")
STATUSES = ("optimal", "infeasible")
#: The phases a planner's solve goes through, as ``sourcing bench`` reports them.
PHASES = ("load", "build", "handoff", "solve", "extract")
#: plan.stats["seconds"] keys folded into each reported phase.
PHASE_PARTS = {
    "load": ("load",),
    "build": ("index", "check", "build"),
    "handoff": ("handoff",),
    "solve": ("solve",),
    "extract": ("duals", "extract", "explain"),
}
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


@dataclass
class Run:
    """What one solve of one entry gave, and whether it matches the record."""

    instance: str
    model: str
    tier: str
    repeat: int
    model_name: str = ""  # the name inside the model file (the entry may give a path)
    termination_condition: str = "error"
    solution_status: str = "no_solution"
    objective: float | None = None
    expected_objective: float | None = None
    expected_status: str = "optimal"
    tolerance: float = 0.0
    source: str = ""
    rel_gap: float | None = None
    relative_error: float | None = None
    ok: bool = False
    problem: str = ""
    variables: int | None = None
    integer_variables: int | None = None
    constraints: int | None = None
    nonzeros: int | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    peak_memory_mb: float | None = None


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


#: Rules that add binaries (their :class:`~sourcing.rules.kind.RuleKind` says ``integer``).
INTEGER_RULES = tuple(kind.name for kind in kinds() if kind.integer)


def is_mip(entry: Entry) -> bool:
    """Whether the entry's model is a MIP, told from its data without building it: a rule that
    counts suppliers, or offers with a fixed cost or a minimum quantity (a contract binary each,
    sourcing.contracts). Generated instances are known by their generator: a ladder rung has
    fixed costs when :data:`sourcing.ladder.RUNGS` says it is a MIP rung, and the OR-Library's
    facility-location instances always have them (an opening cost per facility)."""
    from sourcing.io import load_instance, load_model

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
    """The MIP rows whose tolerance is below the gap (:data:`sourcing.solve.OPTIMAL_GAP`) but
    which neither record the optimum proven at rel_gap 0 nor are solved at rel_gap 0: a plan
    within the gap of the optimum is a right answer, which such a row would call a mismatch."""
    from sourcing.solve import OPTIMAL_GAP

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


def run_entry(entry: Entry, repeat: int = 1) -> Run:
    """Solve ``entry`` in this process and compare it with its record."""
    from sourcing.api import solve

    run = Run(
        instance=entry.name,
        model=entry.model,
        tier=entry.tier,
        repeat=repeat,
        expected_objective=entry.expected_objective,
        expected_status=entry.expected_status,
        tolerance=entry.tolerance,
        source=entry.source,
        rel_gap=entry.rel_gap,
    )
    try:
        folder = instance_folder(entry.name)
        plan = solve(
            folder,
            model_argument(entry.model),
            time_limit=entry.time_limit,
            rel_gap=entry.rel_gap,
        )
    except InputError as error:
        run.problem = f"invalid input: {error}"
        return run
    stats = plan.stats
    run.termination_condition = plan.termination_condition.value
    run.solution_status = plan.solution_status.value
    run.objective = plan.objective
    run.model_name = plan.model
    run.variables, run.constraints = stats["variables"], stats["constraints"]
    run.integer_variables, run.nonzeros = stats["integer_variables"], stats["nonzeros"]
    run.seconds = {
        phase: sum(stats["seconds"].get(part, 0.0) for part in parts)
        for phase, parts in PHASE_PARTS.items()
    }
    run.seconds["total"] = stats["seconds"]["total"]
    judge(run)
    return run


def judge(run: Run) -> None:
    """Set ``ok``, ``relative_error`` and ``problem`` of a finished run."""
    if run.expected_status == "infeasible":
        run.ok = run.termination_condition == "infeasible"
        if not run.ok:
            run.problem = f"expected infeasible, got {run.termination_condition}"
        return
    if run.solution_status != "optimal" or run.objective is None:
        run.problem = f"not solved to optimality: {run.termination_condition}"
        return
    expected = run.expected_objective
    assert expected is not None  # an index row expecting a plan records its objective
    run.relative_error = abs(run.objective - expected) / max(1.0, abs(expected))
    run.ok = run.relative_error <= run.tolerance
    if not run.ok:
        run.problem = (
            f"objective {run.objective!r} differs from the expected {expected!r} by "
            f"{run.relative_error:.3g} (relative), more than the tolerance {run.tolerance:g}"
        )


def _child(entry: Entry, repeat: int, sender) -> None:
    try:
        run = run_entry(entry, repeat)
    except BaseException as error:  # noqa: BLE001 - reported as the run's problem
        run = Run(entry.name, entry.model, entry.tier, repeat, source=entry.source)
        run.expected_objective, run.tolerance = entry.expected_objective, entry.tolerance
        last = traceback.format_exception_only(type(error), error)[-1].strip()
        run.problem = f"crashed: {last}"
    run.peak_memory_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sender.send(asdict(run))
    sender.close()


def run_isolated(entry: Entry, repeat: int = 1) -> Run:
    """Solve ``entry`` in a forked child process: its own peak memory, no shared damage."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(entry, repeat, sender), daemon=True)
    child.start()
    sender.close()
    try:
        record = receiver.recv()
    except EOFError:  # the child died without a word: killed, out of memory, a segfault
        child.join()
        run = Run(entry.name, entry.model, entry.tier, repeat, source=entry.source)
        run.expected_objective, run.tolerance = entry.expected_objective, entry.tolerance
        run.problem = f"the solving process died (exit code {child.exitcode})"
        return run
    finally:
        receiver.close()
    child.join()
    return Run(**record)


def run_all(
    entries: list[Entry],
    repeat: int = 1,
    on_done: Callable[[Run], None] | None = None,
    on_start: Callable[[Entry, int], None] | None = None,
) -> list[Run]:
    runs = []
    for entry in entries:
        for r in range(1, repeat + 1):
            if on_start:
                on_start(entry, r)
            run = run_isolated(entry, r)
            runs.append(run)
            if on_done:
                on_done(run)
    return runs


def environment() -> dict[str, str | int | None]:
    """Where the runs happened, so records from different commits and machines can be told apart."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    from importlib.metadata import version

    return {
        "commit": commit or None,
        "sourcing": version("sourcing"),
        "highspy": version("highspy"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": multiprocessing.cpu_count(),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def records(runs: list[Run], env: dict) -> list[dict]:
    """One JSON record per run, with the environment repeated in each (records stand alone)."""
    return [{**asdict(run), **env} for run in runs]


def write_json(path: Path, runs: list[Run], env: dict) -> None:
    path.write_text(json.dumps(records(runs, env), indent=2) + "\n", encoding="utf-8")
