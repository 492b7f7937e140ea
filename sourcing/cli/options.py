"""What the commands share: the exit codes, stderr, the output formats and the option types."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from sourcing.errors import Problem
from sourcing.solver.options import SolveOptions

# the solve exit codes are sourcing.solver.exit_code's; 2 and 5 belong to the command line
EXIT_OK, EXIT_BUG, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_SOLUTION = 0, 1, 2, 3, 4
EXIT_MISMATCH = 5  # sourcing bench: a result differs from its record

# Problems quote the planner's own cells: print them as plain text (no rich markup, no emoji
# codes such as a country ":x:", no wrapping)
err = Console(stderr=True, soft_wrap=True, emoji=False)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


def _solver_option(name: str):
    """A typer callback refusing a solver option HiGHS must not get (a usage error, exit 2)."""
    from sourcing.solver import option_problem

    def check(value: float | int | None) -> float | int | None:
        message = option_problem(name, value)
        if message is not None:
            raise typer.BadParameter(message)
        return value

    return check


RelGapOpt = Annotated[
    float | None,
    typer.Option(
        help="Relative MIP gap at which to stop, in [0, 1).", callback=_solver_option("rel_gap")
    ),
]
ThreadsOpt = Annotated[
    int | None,
    typer.Option(help="Solver threads (at least 1).", callback=_solver_option("threads")),
]
JobsOpt = Annotated[
    int | None,
    typer.Option(
        help=(
            "How many at once (default: one per core): a large program's blocks, on threads"
            " (solve, compare, ...); scenarios, in worker processes (sweep)."
        ),
        callback=_solver_option("threads"),  # the same check: a whole number, at least 1
    ),
]
BlocksOpt = Annotated[
    bool | None,
    typer.Option(
        "--blocks/--whole",
        help="Solve the program block by block (minerals, periods) or as one matrix "
        "(default: by block from 200,000 nonzeros).",
        show_default=False,
    ),
]

InstanceArg = Annotated[
    Path,
    typer.Argument(
        help="Instance folder (instance.yaml + CSVs), a JSON/YAML file or an .xlsx workbook."
    ),
]
ModelOpt = Annotated[
    str | None,
    typer.Option("--model", "-m", help="Model name (under models/) or path; default least-cost."),
]
ExtendOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--extend",
        "-e",
        help="A Python file defining extend(model): your own constraints in Pyomo, added to the "
        "model's (repeatable).",
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Nothing on stderr but errors (no progress).")
]
VerboseOpt = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Each phase on stderr as it starts, and seconds per phase."
    ),
]
ScenarioOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--scenario",
        "-s",
        help="Scenario name (under scenarios/) or path; repeat to apply several in order.",
    ),
]

AnalysisFormat = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-f",
        help="table (default), json, csv or xlsx (with --out); default from --out's suffix.",
    ),
]
AnalysisOut = Annotated[Path | None, typer.Option(help="Write here instead of stdout.")]
TimeLimitOpt = Annotated[
    float | None,
    typer.Option(
        help="Seconds the solver may run, for each solve.", callback=_solver_option("time_limit")
    ),
]
StrictOpt = Annotated[bool, typer.Option(help="Treat consistency warnings as errors.")]


def solve_options(
    time_limit: float | None, rel_gap: float | None, threads: int | None, strict: bool
) -> SolveOptions:
    """The one options object a command builds from its four flags (checked by their callbacks)."""
    return SolveOptions(time_limit=time_limit, rel_gap=rel_gap, threads=threads, strict=strict)


def _problem(field: str, message: str) -> Problem:
    return Problem("command line", None, field, message)


def _format_from(out: Path | None) -> Format:
    if out is not None and out.suffix.lower() == ".json":
        return Format.json
    if out is not None and out.suffix.lower() == ".xlsx":
        return Format.xlsx
    if out is not None and out.suffix == "":
        return Format.csv
    return Format.table


def extended(model: Any, extend: list[Path] | None) -> Any:
    """``model`` with the ``--extend`` files after its own extensions (unchanged without)."""
    if not extend:
        return model
    from sourcing.data.io import load_model, with_extensions

    return with_extensions(load_model(model), [str(p) for p in extend])
