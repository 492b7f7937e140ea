"""Running the benchmark: each entry solved in a fresh child process, judged against its record.

Each run happens in a fresh child process (forked), so its peak resident memory is its own and a
crash or a runaway solve cannot take the others down. A run passes when the solver proves the
expected status and the objective is within ``tolerance`` of the expected value, relatively:
|objective − expected| ≤ tolerance × max(1, |expected|).
"""

from __future__ import annotations

import json
import multiprocessing
import platform
import resource
import subprocess
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sourcing.bench.index import ROOT, Entry, instance_folder, model_argument
from sourcing.errors import InputError

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


def run_entry(entry: Entry, repeat: int = 1, blocks: bool | None = None) -> Run:
    """Solve ``entry`` in this process and compare it with its record; ``blocks`` as
    :func:`sourcing.solve` takes it (``True``: block by block whatever the size)."""
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
            blocks=blocks,
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


def _child(entry: Entry, repeat: int, sender, blocks: bool | None = None) -> None:
    try:
        run = run_entry(entry, repeat, blocks)
    except BaseException as error:  # noqa: BLE001 - reported as the run's problem
        run = Run(entry.name, entry.model, entry.tier, repeat, source=entry.source)
        run.expected_objective, run.tolerance = entry.expected_objective, entry.tolerance
        last = traceback.format_exception_only(type(error), error)[-1].strip()
        run.problem = f"crashed: {last}"
    run.peak_memory_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sender.send(asdict(run))
    sender.close()


def run_isolated(entry: Entry, repeat: int = 1, blocks: bool | None = None) -> Run:
    """Solve ``entry`` in a forked child process: its own peak memory, no shared damage."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(entry, repeat, sender, blocks), daemon=True)
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
    blocks: bool | None = None,
) -> list[Run]:
    runs = []
    for entry in entries:
        for r in range(1, repeat + 1):
            if on_start:
                on_start(entry, r)
            run = run_isolated(entry, r, blocks)
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
