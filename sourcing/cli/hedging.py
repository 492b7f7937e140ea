"""Decisions under uncertainty and near-optimal choice: ``sourcing hedge`` (reserve capacity
before a disruption is known) and ``sourcing alternatives`` (plans nearly as cheap that use
other countries)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from sourcing.cli.options import (
    EXIT_INFEASIBLE,
    EXIT_OK,
    ExtendOpt,
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
    err,
    extended,
    solve_options,
)
from sourcing.cli.output import _warn, _write, _wrote
from sourcing.cli.progress import Progress
from sourcing.errors import InputError

ResultFormat = Annotated[
    Format | None,
    typer.Option(
        "--format", "-f", help="table (default), json or xlsx (with --out); default from --out."
    ),
]


def hedge(
    instance: InstanceArg,
    hedge_file: Annotated[
        Path,
        typer.Option(
            "--hedge",
            help="The hedge file (YAML): reservation_fee, spot_premium, optional risk, and "
            "scenarios with their probabilities (the base takes the rest).",
        ),
    ],
    model: ModelOpt = None,
    format: ResultFormat = None,
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
    time_limit: TimeLimitOpt = None,
    rel_gap: RelGapOpt = None,
    threads: ThreadsOpt = None,
    strict: StrictOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    extend: ExtendOpt = None,
) -> None:
    """Reserve capacity before a disruption is known: the two-stage plan of least expected
    cost (optionally blended with CVaR), its reservations, the plan of each scenario, the
    value of the stochastic solution (VSS) and of perfect information (EVPI).

    Exit codes: 0 a hedged plan; 2 invalid input; 3 no hedged plan (a scenario cannot be
    covered, or no plan within the limits).
    """
    from sourcing.analysis.hedge import NoHedge
    from sourcing.analysis.hedge import hedge as hedged
    from sourcing.analysis.hedge_tables import hedge_text, write_hedge

    options = solve_options(time_limit, rel_gap, threads, strict)
    try:
        with Progress(err, quiet, verbose) as progress:
            result = hedged(
                instance,
                extended(model, extend),
                hedge=hedge_file,
                **options.kwargs(),
                progress=progress,
            )
    except NoHedge as error:
        err.print(f"error: {error}", markup=False, highlight=False)
        raise typer.Exit(EXIT_INFEASIBLE) from None
    _warn(result.warnings, quiet)
    _emit(result, format, out, hedge_text, write_hedge, "hedge")
    raise typer.Exit(EXIT_OK)


def alternatives(
    instance: InstanceArg,
    model: ModelOpt = None,
    within: Annotated[
        float,
        typer.Option(help="How much dearer than the optimum a plan may be (0.05: 5%).", min=0.0),
    ] = 0.05,
    count: Annotated[int, typer.Option(help="How many alternatives to look for.", min=1)] = 5,
    scenario: ScenarioOpt = None,
    format: ResultFormat = None,
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
    time_limit: TimeLimitOpt = None,
    rel_gap: RelGapOpt = None,
    threads: ThreadsOpt = None,
    strict: StrictOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    extend: ExtendOpt = None,
) -> None:
    """Plans at most (1 + within) × the optimum's cost that use other countries at each stage
    (modelling to generate alternatives): each with its cost, shares, and the countries it
    uses less than the optimum.

    Exit codes: 0 the optimum (and what alternatives exist); 2 invalid input; 3 no plan.
    """
    from sourcing.analysis.alternatives import NoOptimum
    from sourcing.analysis.alternatives import alternatives as generate
    from sourcing.analysis.hedge_tables import alternatives_text, write_alternatives

    options = solve_options(time_limit, rel_gap, threads, strict)
    try:
        with Progress(err, quiet, verbose) as progress:
            result = generate(
                instance,
                extended(model, extend),
                within=within,
                count=count,
                scenario=scenario,
                **options.kwargs(),
                progress=progress,
            )
    except NoOptimum as error:
        err.print(f"error: {error}", markup=False, highlight=False)
        raise typer.Exit(EXIT_INFEASIBLE) from None
    _warn(result.warnings, quiet)
    _emit(result, format, out, alternatives_text, write_alternatives, "alternatives")
    raise typer.Exit(EXIT_OK)


def _emit(result: Any, format: Format | None, out: Path | None, text, book, what: str) -> None:
    chosen = format or _format_from(out)
    if chosen is Format.csv:
        raise InputError([_problem("format", "csv is not offered here: table, json or xlsx")])
    if chosen is Format.xlsx:
        if out is None:
            raise InputError([_problem("out", "a workbook needs a file: add --out FILE.xlsx")])
        book(result, out)
    elif chosen is Format.json:
        _write(out, json.dumps(result.to_dict(), indent=2, allow_nan=False))
    else:
        _write(out, text(result, color=out is None and sys.stdout.isatty()))
    if out is not None:
        _wrote(out, f"{what}, {chosen.value}")
