"""The analyses: compare models and scenarios, stress the largest suppliers, sweep a share
rule's frontier, and the HTML report that can hold all three."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from sourcing.cli.options import (
    EXIT_INFEASIBLE,
    EXIT_OK,
    AnalysisFormat,
    AnalysisOut,
    ExtendOpt,
    InstanceArg,
    ModelOpt,
    QuietOpt,
    RelGapOpt,
    ScenarioOpt,
    StrictOpt,
    ThreadsOpt,
    TimeLimitOpt,
    VerboseOpt,
    err,
    extended,
    solve_options,
)
from sourcing.cli.output import _exit_code, _write_analysis, _write_report
from sourcing.cli.progress import Progress


def compare(
    instance: InstanceArg,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Model name or path; repeat for one row per model."),
    ] = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario",
            "-s",
            help="Scenario name or path; repeat for one row each (after the baseline); "
            "join with + to apply several together.",
        ),
    ] = None,
    format: AnalysisFormat = None,
    out: AnalysisOut = None,
    time_limit: TimeLimitOpt = None,
    rel_gap: RelGapOpt = None,
    threads: ThreadsOpt = None,
    strict: StrictOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    extend: ExtendOpt = None,
) -> None:
    """One row per model (and scenario): cost by component, shortfall, largest country share
    and HHI per stage, and the change against the first row.

    Exit codes: 0 at least one row has a plan; 2 invalid input; 3 no row has a plan.
    """
    from sourcing.analysis import compare as compare_models
    from sourcing.analysis.tables import compare_text

    options = solve_options(time_limit, rel_gap, threads, strict)
    models: list[str | None] = list(model or []) or [None]
    with Progress(err, quiet, verbose) as progress:
        frame = compare_models(
            instance,
            [extended(m, extend) for m in models],
            scenario,
            **options.kwargs(),
            progress=progress,
        )
    _write_analysis(frame, format, out, compare_text, "compare", quiet)
    raise typer.Exit(EXIT_OK if frame["total"].notna().any() else EXIT_INFEASIBLE)


class StressBy(StrEnum):
    overall = "overall"
    mineral = "mineral"


def stress(
    instance: InstanceArg,
    model: ModelOpt = None,
    top: Annotated[
        int, typer.Option(min=1, help="How many of the largest supplier countries to lose.")
    ] = 10,
    by: Annotated[
        StressBy,
        typer.Option(help="overall: lose a country entirely; mineral: top N of each mineral."),
    ] = StressBy.overall,
    scenario: ScenarioOpt = None,
    format: AnalysisFormat = None,
    out: AnalysisOut = None,
    time_limit: TimeLimitOpt = None,
    rel_gap: RelGapOpt = None,
    threads: ThreadsOpt = None,
    strict: StrictOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    extend: ExtendOpt = None,
) -> None:
    """N-1: lose each of the largest supplier countries in turn, re-solve (warm start), and
    rank the losses by unmet demand and extra cost.

    Exit codes: 0 the table is printed (a loss that leaves no plan is a row); 2 invalid input;
    3 the instance has no plan to start from.
    """
    from sourcing.analysis import NoBasePlan
    from sourcing.analysis import stress as stress_test
    from sourcing.analysis.tables import stress_text

    options = solve_options(time_limit, rel_gap, threads, strict)
    model = extended(model, extend)
    try:
        with Progress(err, quiet, verbose) as progress:
            frame = stress_test(
                instance,
                model,
                top=top,
                by=by.value,
                scenario=scenario,
                **options.kwargs(),
                progress=progress,
            )
    except NoBasePlan as error:
        err.print(f"error: {error}", markup=False, highlight=False)
        raise typer.Exit(EXIT_INFEASIBLE) from None
    _write_analysis(frame, format, out, stress_text, "stress", quiet)


def frontier(
    instance: InstanceArg,
    model: ModelOpt = None,
    rule: Annotated[
        str,
        typer.Option(help="The rule to tighten: its name in the model, or max_country_share."),
    ] = "max_country_share",
    start: Annotated[float, typer.Option("--from", help="First share (0-1).")] = 1.0,
    stop: Annotated[float, typer.Option("--to", help="Last share (0-1).")] = 0.4,
    points: Annotated[int, typer.Option(help="Number of points, ends included.")] = 10,
    scenario: ScenarioOpt = None,
    format: AnalysisFormat = None,
    out: AnalysisOut = None,
    time_limit: TimeLimitOpt = None,
    rel_gap: RelGapOpt = None,
    threads: ThreadsOpt = None,
    strict: StrictOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    extend: ExtendOpt = None,
) -> None:
    """The cost of tightening a share rule: cost, HHI and the rule's shadow price at each
    point, re-solving the built model (warm start); infeasible points are marked.

    Exit codes: 0 at least one point has a plan; 2 invalid input; 3 no point has a plan.
    """
    from sourcing.analysis import frontier as sweep
    from sourcing.analysis.tables import frontier_text

    options = solve_options(time_limit, rel_gap, threads, strict)
    model = extended(model, extend)
    with Progress(err, quiet, verbose) as progress:
        frame = sweep(
            instance,
            model,
            rule=rule,
            start=start,
            stop=stop,
            points=points,
            scenario=scenario,
            **options.kwargs(),
            progress=progress,
        )
    _write_analysis(frame, format, out, frontier_text, "frontier", quiet)
    raise typer.Exit(EXIT_OK if frame["cost"].notna().any() else EXIT_INFEASIBLE)


def report(
    instance: InstanceArg,
    out: Annotated[Path, typer.Option(help="The HTML file to write.")],
    model: ModelOpt = None,
    scenario: ScenarioOpt = None,
    time_limit: TimeLimitOpt = None,
    rel_gap: RelGapOpt = None,
    threads: ThreadsOpt = None,
    strict: StrictOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    extend: ExtendOpt = None,
    compare_with: Annotated[
        list[str] | None,
        typer.Option(
            "--compare",
            help="Also compare the model with this one (repeatable): the compare table.",
        ),
    ] = None,
    frontier_rule: Annotated[
        str | None,
        typer.Option(
            "--frontier",
            help="Also sweep this share rule (e.g. max_country_share) from 100% to 40% in 10 "
            "points: the frontier table and plot.",
        ),
    ] = None,
    alternatives: Annotated[
        int | None,
        typer.Option(
            "--alternatives",
            min=1,
            help="Also look for N plans within 5% (--within) of the optimum that use other "
            "countries.",
        ),
    ] = None,
    within: Annotated[
        float,
        typer.Option(
            help="With --alternatives: how much dearer than the optimum a plan may be (0.05: 5%).",
            min=0.0,
        ),
    ] = 0.05,
) -> None:
    """Solve INSTANCE and write one self-contained HTML report: headline figures, the flows as a
    Sankey diagram per mineral, country shares per stage against the rules' caps, and the
    binding rules with their prices. It opens offline (plotly.js is inside the file).

    Exit codes: as for solve (the report is written in every case but invalid input).
    """
    from sourcing.api import load
    from sourcing.api import solve as solve_plan

    options = solve_options(time_limit, rel_gap, threads, strict)
    model = extended(model, extend)
    loaded = load(instance, model)
    with Progress(err, quiet, verbose) as progress:
        plan = solve_plan(
            *loaded,
            **options.kwargs(),
            scenario=scenario,
            progress=progress,
        )
    tables, swept = {}, None
    with Progress(err, quiet, verbose) as progress:
        if compare_with:
            from sourcing.analysis import compare as compare_models

            models = [model or "least-cost", *(extended(m, extend) for m in compare_with)]
            tables["Models compared"] = compare_models(
                instance,
                models,
                scenario,
                time_limit=options.time_limit,  # as before the split: no --rel-gap, --threads
                strict=options.strict,
                progress=progress,
            )
        if frontier_rule:
            from sourcing.analysis import frontier as sweep

            swept = sweep(
                instance,
                model,
                rule=frontier_rule,
                scenario=scenario,
                time_limit=options.time_limit,
                strict=options.strict,
                progress=progress,
            )
        found = None
        if alternatives:
            from sourcing.analysis.alternatives import alternatives as generate

            found = generate(
                instance,
                model,
                count=alternatives,
                within=within,
                scenario=scenario,
                time_limit=options.time_limit,
                strict=options.strict,
                progress=progress,
            )
    _write_report(out, plan, loaded, scenario, tables, swept, found)
    print(f"wrote {out}")
    raise typer.Exit(_exit_code(plan))
