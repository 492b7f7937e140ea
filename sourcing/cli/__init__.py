"""The ``sourcing`` command: a thin adapter over :func:`sourcing.solve` and friends.

Exit codes (also in ``sourcing --help``):
    0  a plan was found (optimal, or feasible within the limits: see solution_status)
    1  unexpected internal error (a bug: please report it with the input)
    2  invalid input (every problem is listed with its table, row and field)
    3  infeasible (the explanation says what cannot be covered and why)
    4  no solution within the limits (time limit reached before any plan was found)
    5  sourcing bench: a result differs from the expected one in instances/index.csv

The commands live by group: :mod:`~sourcing.cli.instance` (solve, validate, schema, export,
models, convert, init), :mod:`~sourcing.cli.ops` (bench, serve, scenarios) and
:mod:`~sourcing.cli.analysis` (compare, stress, frontier, report), :mod:`~sourcing.cli.hedging`
(hedge, alternatives); what they share (exit codes,
stderr, option types, the :class:`~sourcing.solver.options.SolveOptions` they build from
``--time-limit``, ``--rel-gap``, ``--threads`` and ``--strict``) in :mod:`~sourcing.cli.options`,
and where their results go in :mod:`~sourcing.cli.output`. They are registered below in the
order ``sourcing --help`` lists them.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from sourcing.cli.analysis import StressBy, compare, frontier, report, stress
from sourcing.cli.hedging import alternatives, hedge
from sourcing.cli.instance import convert, export, init, models, schema, solve, validate
from sourcing.cli.ops import bench, scenarios, serve
from sourcing.cli.options import (
    EXIT_BUG,
    EXIT_INFEASIBLE,
    EXIT_INPUT,
    EXIT_MISMATCH,
    EXIT_NO_SOLUTION,
    EXIT_OK,
    AnalysisFormat,
    AnalysisOut,
    Format,
    InstanceArg,
    ModelOpt,
    QuietOpt,
    RelGapOpt,
    ScenarioOpt,
    StrictOpt,
    ThreadsOpt,
    TimeLimitOpt,
    VerboseOpt,
    _format_from,
    _problem,
    _solver_option,
    err,
    solve_options,
)
from sourcing.cli.output import (
    _exit_code,
    _load_for_output,
    _warn,
    _write,
    _write_analysis,
    _write_csv,
    _write_report,
    _write_workbook,
    _wrote,
)
from sourcing.cli.sweeping import sweep
from sourcing.errors import InputError, SourcingError
from sourcing.solver.options import SolveOptions

__all__ = [
    "EXIT_BUG",
    "EXIT_INFEASIBLE",
    "EXIT_INPUT",
    "EXIT_MISMATCH",
    "EXIT_NO_SOLUTION",
    "EXIT_OK",
    "AnalysisFormat",
    "AnalysisOut",
    "Format",
    "InstanceArg",
    "ModelOpt",
    "QuietOpt",
    "RelGapOpt",
    "ScenarioOpt",
    "SolveOptions",
    "StrictOpt",
    "StressBy",
    "ThreadsOpt",
    "TimeLimitOpt",
    "VerboseOpt",
    "alternatives",
    "app",
    "bench",
    "compare",
    "convert",
    "err",
    "export",
    "frontier",
    "hedge",
    "init",
    "main",
    "models",
    "report",
    "scenarios",
    "schema",
    "serve",
    "solve",
    "solve_options",
    "stress",
    "sweep",
    "validate",
    "_exit_code",
    "_format_from",
    "_load_for_output",
    "_problem",
    "_solver_option",
    "_warn",
    "_write",
    "_write_analysis",
    "_write_csv",
    "_write_report",
    "_write_workbook",
    "_wrote",
]

app = typer.Typer(
    help="Least-cost sourcing of critical minerals across processing stages, within the "
    "diversification rules of trade policy.\n\n"
    "Exit codes: 0 a plan was found; 2 invalid input; 3 infeasible; 4 no solution within the "
    "limits; 5 a benchmark result differs from its record; 1 internal error.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        import highspy

        print(f"sourcing {version('sourcing')} (HiGHS {_highs_version(highspy)})")
        raise typer.Exit(EXIT_OK)


def _highs_version(highspy) -> str:
    try:
        from importlib.metadata import version

        return version("highspy")
    except Exception:  # pragma: no cover - a highspy without metadata
        return getattr(highspy, "__version__", "unknown")


@app.callback()
def _main(
    version: Annotated[
        bool | None,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the version of sourcing and of HiGHS, and exit.",
        ),
    ] = None,
) -> None:
    """Least-cost sourcing of critical minerals across processing stages, within the
    diversification rules of trade policy."""


# in the order `sourcing --help` has always listed them
for command in (
    solve,
    validate,
    schema,
    export,
    models,
    bench,
    serve,
    scenarios,
    compare,
    stress,
    frontier,
    report,
    convert,
    init,
    hedge,
    alternatives,
    sweep,
):
    app.command()(command)


def main() -> None:
    """Entry point: no traceback reaches a planner, whatever the input."""
    try:
        code = app(standalone_mode=False)
    except typer.Exit as done:  # pragma: no cover - click returns the code instead
        code = done.exit_code
    except InputError as error:
        err.print(f"invalid input: {error}", markup=False, highlight=False)
        sys.exit(EXIT_INPUT)
    except SourcingError as error:
        err.print(f"error: {error}", markup=False, highlight=False)
        sys.exit(EXIT_INPUT)
    except (typer.Abort, KeyboardInterrupt):
        err.print("aborted")
        sys.exit(130)
    except Exception as error:  # noqa: BLE001 - the last line of defence for planners
        show = getattr(error, "show", None)
        exit_code = getattr(error, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()  # a usage error (unknown option, bad value): click's message, exit 2
            sys.exit(exit_code)
        if os.environ.get("SOURCING_DEBUG"):
            raise
        err.print(
            f"internal error: {type(error).__name__}: {error}\n"
            "This is a bug in sourcing; rerun with SOURCING_DEBUG=1 for the traceback.",
            markup=False,
            highlight=False,
        )
        sys.exit(EXIT_BUG)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
