"""``sourcing sweep``: disruption scenarios by the thousand into one table, on local worker
processes or a Dask cluster (:mod:`sourcing.analysis.sweep`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sourcing.cli.options import (
    EXIT_INFEASIBLE,
    ExtendOpt,
    InstanceArg,
    JobsOpt,
    ModelOpt,
    QuietOpt,
    RelGapOpt,
    StrictOpt,
    ThreadsOpt,
    TimeLimitOpt,
    VerboseOpt,
    _problem,
    err,
    extended,
    solve_options,
)
from sourcing.cli.output import _warn, _wrote
from sourcing.cli.progress import Bar
from sourcing.errors import InputError


def sweep(
    instance: InstanceArg,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="The table: FILE.parquet or FILE.csv (by suffix)."),
    ],
    model: ModelOpt = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario",
            "-s",
            help="Scenario name (under scenarios/) or path, added as one row as is (repeatable).",
        ),
    ] = None,
    disrupt: Annotated[
        str | None,
        typer.Option(
            help="top:K: each mineral's K largest supplier countries in the base plan (by "
            "value), each cut by every --cuts fraction."
        ),
    ] = None,
    cuts: Annotated[
        str | None,
        typer.Option(help="Fractions of capacity lost, comma-separated in (0, 1]: 0.5,1.0."),
    ] = None,
    base: Annotated[
        list[str] | None,
        typer.Option(
            "--base-scenario", help="Scenario applied to the base itself, before the sweep."
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler, tcp://HOST:PORT (default: $SOURCING_DASK_SCHEDULER; "
            "neither: local worker processes)."
        ),
    ] = None,
    jobs: JobsOpt = None,
    time_limit: TimeLimitOpt = None,
    rel_gap: RelGapOpt = None,
    threads: ThreadsOpt = None,
    strict: StrictOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    extend: ExtendOpt = None,
) -> None:
    """Sweep disruption scenarios: one row per scenario (each --scenario, and with --disrupt
    top:K --cuts C,... each mineral × its K largest suppliers × each cut) with status,
    objective, extra cost against the base, shortfall and the largest share after the loss.

    Exit codes: 0 the table is written (a failed or infeasible scenario is a row);
    2 invalid input; 3 the instance has no plan to start from.
    """
    from sourcing.analysis.stress import NoBasePlan
    from sourcing.analysis.sweep import parse_cuts, parse_disrupt
    from sourcing.analysis.sweep import sweep as run_sweep
    from sourcing.solver.executor import DaskExecutor, executor_for

    suffix = out.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise InputError([_problem("out", f"'{out}' must end in .parquet or .csv")])
    options = solve_options(time_limit, rel_gap, threads, strict)
    model = extended(model, extend)
    top = parse_disrupt(disrupt) if disrupt is not None else None
    fractions = parse_cuts(cuts) if cuts is not None else []
    executor = executor_for(jobs, scheduler)
    try:
        with Bar(err, "scenario groups", quiet, verbose) as bar:
            frame = run_sweep(
                instance,
                model,
                disrupt=top,
                cuts=fractions,
                scenarios=list(scenario or []),
                scenario=base,
                executor=executor,
                **options.kwargs(),
                progress=bar,
            )
    except NoBasePlan as error:
        err.print(f"error: {error}", markup=False, highlight=False)
        raise typer.Exit(EXIT_INFEASIBLE) from None
    finally:
        if isinstance(executor, DaskExecutor):
            executor.close()
    _warn(frame.attrs.get("warnings", []), quiet)
    if suffix == ".csv":
        frame.to_csv(out, index=False)
    else:
        frame.to_parquet(out, index=False)
    failed = frame.attrs["failed"]
    _wrote(
        out,
        f"{len(frame)} rows: the base and {frame.attrs['scenarios']} scenarios"
        + (f", {failed} failed" if failed else ""),
    )
