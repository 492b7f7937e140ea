"""The ``sourcing`` command: a thin adapter over :func:`sourcing.solve` and friends.

Exit codes (also in ``sourcing --help``):
    0  a plan was found (optimal, or feasible within the limits: see solution_status)
    1  unexpected internal error (a bug: please report it with the input)
    2  invalid input (every problem is listed with its table, row and field)
    3  infeasible (the explanation says what cannot be covered and why)
    4  no solution within the limits (time limit reached before any plan was found)
    5  sourcing bench: a result differs from the expected one in instances/index.csv
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sourcing import render
from sourcing.errors import InputError, SourcingError
from sourcing.progress import Progress

# the solve exit codes are sourcing.solve.exit_code's; 2 and 5 belong to the command line
EXIT_OK, EXIT_BUG, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_SOLUTION = 0, 1, 2, 3, 4
EXIT_MISMATCH = 5  # sourcing bench: a result differs from its record

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
    from sourcing.solve import option_problem

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


@app.command()
def solve(
    instance: InstanceArg,
    model: ModelOpt = None,
    time_limit: Annotated[
        float | None,
        typer.Option(help="Seconds the solver may run.", callback=_solver_option("time_limit")),
    ] = None,
    rel_gap: RelGapOpt = None,
    threads: ThreadsOpt = None,
    format: Annotated[
        Format | None, typer.Option("--format", "-f", help="table (default), json, csv or xlsx.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Write here instead of stdout (csv: a folder of tables; .xlsx: a workbook)."
        ),
    ] = None,
    log: Annotated[bool, typer.Option("--log", help="Show the solver log (on stderr).")] = False,
    strict: Annotated[bool, typer.Option(help="Treat consistency warnings as errors.")] = False,
    scenario: ScenarioOpt = None,
    report: Annotated[
        Path | None, typer.Option(help="Also write the plan's HTML report to this file.")
    ] = None,
    full_precision: Annotated[
        bool,
        typer.Option(
            "--full-precision",
            help="JSON and CSV numbers as computed, not rounded to 9 significant digits.",
        ),
    ] = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Solve INSTANCE under a model and print the plan.

    Exit codes: 0 a plan was found; 2 invalid input; 3 infeasible; 4 no solution within the
    limits.
    """
    from sourcing.api import solve as solve_plan

    chosen = format or _format_from(out)
    if chosen is Format.xlsx or report is not None:  # both show the input the plan answers
        instance, model = loaded = _load_for_output(instance, model, chosen, out)
    if log:  # the solver writes its log to fd 1; keep stdout clean for the plan
        stdout_copy = os.dup(1)
        os.dup2(2, 1)
    try:
        with Progress(err, quiet, verbose, live=not log) as progress:
            plan = solve_plan(
                instance,
                model,
                time_limit=time_limit,
                rel_gap=rel_gap,
                threads=threads,
                tee=log,
                strict=strict,
                scenario=scenario,
                progress=progress,
            )
    finally:
        if log:
            sys.stdout.flush()
            os.dup2(stdout_copy, 1)
            os.close(stdout_copy)
    _warn(plan.warnings, quiet)
    if chosen is Format.json:
        _write(out, plan.to_json(full=full_precision))
    elif chosen is Format.csv:
        _write_csv(out, plan, full_precision)
    elif chosen is Format.xlsx:
        assert out is not None  # _load_for_output refused a workbook without --out
        _write_workbook(out, plan, loaded, scenario)
    else:
        text = render.table_text(plan, color=out is None and sys.stdout.isatty())
        _write(out, text)
    if out is not None:
        _wrote(out, chosen.value)
    if report is not None:
        _write_report(report, plan, loaded, scenario)
        if out is not None:
            _wrote(report, "report")
        elif not quiet:  # stdout holds the plan: the side file is news for stderr
            err.print(f"wrote {report} (report)", markup=False, highlight=False)
    raise typer.Exit(_exit_code(plan))


def _warn(warnings: list[str], quiet: bool) -> None:
    """Warnings go to stderr, so stdout holds the result alone; ``--quiet`` silences them."""
    for warning in [] if quiet else warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)


def _wrote(out: Path, what: str) -> None:
    """What a command wrote to a file, on stdout: with --out the result is the file."""
    print(f"wrote {out} ({what})")


@app.command()
def validate(
    instance: InstanceArg,
    model: ModelOpt = None,
    strict: Annotated[bool, typer.Option(help="Treat consistency warnings as errors.")] = False,
    scenario: ScenarioOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Check INSTANCE (and a model) without solving: errors exit 2, warnings are listed."""
    from sourcing.api import validate as check

    warnings = check(instance, model, strict=strict, scenario=scenario)
    _warn(warnings, quiet)
    print(f"{instance}: valid" + (f", {len(warnings)} warning(s)" if warnings else ""))


@app.command()
def schema(
    what: Annotated[str, typer.Argument(help="instance, model or scenario")] = "instance",
) -> None:
    """Print the JSON Schema of an instance document (or of a model or scenario file)."""
    from pydantic import BaseModel

    from sourcing.scenarios import Scenario
    from sourcing.schema import Instance, ModelSpec

    schemas: dict[str, type[BaseModel]] = {
        "instance": Instance,
        "model": ModelSpec,
        "scenario": Scenario,
    }
    chosen = schemas.get(what)
    if chosen is None:
        raise InputError([])  # pragma: no cover - typer shows usage first
    print(json.dumps(chosen.model_json_schema(), indent=2))


@app.command()
def export(
    instance: InstanceArg,
    out: Annotated[Path, typer.Option(help="File to write: .lp or .mps.")],
    model: ModelOpt = None,
) -> None:
    """Write the model's LP/MIP as an LP or MPS file, through its Pyomo model."""
    from sourcing.api import build_pyomo
    from sourcing.pyomo_model import write_file

    if out.suffix.lower() not in (".lp", ".mps"):
        raise InputError([_problem("out", f"write .lp or .mps, not '{out.suffix}'")])
    pyomo_model = build_pyomo(instance, model)
    write_file(pyomo_model, out)
    size = f"{pyomo_model.nvariables()} variables, {pyomo_model.nconstraints()} constraints"
    print(f"wrote {out} ({size})")


@app.command()
def models() -> None:
    """List the bundled models."""
    from sourcing.io import MODELS_DIR, available_models, load_model

    for name in available_models():
        print(f"{name:16} {load_model(MODELS_DIR / f'{name}.yaml').description}")


@app.command()
def bench(
    tier: Annotated[
        str, typer.Option(help="small (default, seconds each), medium, large, or all.")
    ] = "small",
    instances: Annotated[
        list[str] | None,
        typer.Option(
            "--instances", help="Only instances whose name matches this glob (repeatable)."
        ),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write one JSON record per run to this file.")
    ] = None,
    repeat: Annotated[int, typer.Option(min=1, help="Solve each instance N times.")] = 1,
    index: Annotated[
        Path | None,
        typer.Option(help="The index of expected optima (default instances/index.csv)."),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Solve the benchmark instances of instances/index.csv and check every optimum.

    Exit codes: 0 every result matches its record; 5 a result differs (or failed); 2 a bad
    index file or option.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    from sourcing import bench as benchmark

    if tier not in (*benchmark.TIERS, "all"):
        raise InputError([_problem("tier", f"'{tier}' is not small, medium, large or all")])
    entries = benchmark.select(
        benchmark.read_index(index or benchmark.INDEX), tier, instances or ()
    )
    if not entries:
        raise InputError([_problem("instances", "no benchmark instance matches the selection")])
    env = benchmark.environment()
    total = len(entries) * repeat
    if quiet:
        runs = benchmark.run_all(entries, repeat)
    elif err.is_terminal:
        progress = Bar(
            "{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        task = progress.add_task("bench", total=total)
        with progress:
            runs = benchmark.run_all(
                entries,
                repeat,
                on_start=lambda e, r: progress.update(task, description=f"{e.name} ({e.model})"),
                on_done=lambda run: progress.advance(task),
            )
    else:
        done = 0

        def report(run) -> None:
            nonlocal done
            done += 1
            verdict = "ok" if run.ok else "MISMATCH"
            seconds = run.seconds.get("total", 0.0)
            err.print(
                f"[{done}/{total}] {run.instance} ({run.model}): {run.termination_condition} "
                f"{run.objective} {verdict} ({seconds:.2f} s)",
                markup=False,
                highlight=False,
            )

        runs = benchmark.run_all(entries, repeat, on_done=report)
    print(render.bench_table(runs, color=sys.stdout.isatty()))
    if json_path is not None:
        benchmark.write_json(json_path, runs, env)
    failed = sum(not run.ok for run in runs)
    print(f"{len(runs) - failed} of {len(runs)} runs match their expected result")
    raise typer.Exit(EXIT_MISMATCH if failed else EXIT_OK)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(help="Solves running at once, each in its own process (default 2)."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(help="Database URL (default: SQLite file sourcing.db in --data-dir)."),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Folder of the SQLite database (default ~/.local/share/sourcing)."),
    ] = None,
) -> None:
    """Start the HTTP service (OpenAPI at /openapi.json, docs at /docs).

    Needs API tokens in SOURCING_API_TOKENS (comma-separated) or SOURCING_API_TOKENS_FILE;
    limits are read from SOURCING_* variables (see the README's Service section).
    """
    from sourcing.service.app import serve as run_service

    run_service(host=host, port=port, workers=workers, db=db, data_dir=data_dir)


@app.command()
def scenarios() -> None:
    """List the scenario library (scenarios/): dated measures to apply with --scenario."""
    import textwrap

    from sourcing.scenarios import SCENARIOS_DIR, available_scenarios, load_scenario

    for name in available_scenarios():
        scenario = load_scenario(SCENARIOS_DIR / f"{name}.yaml")
        when = f"{scenario.date}  " if scenario.date else ""
        # the whole description, wrapped between words under its name (never cut mid-word)
        lead = f"{name:26} {when}"
        text = textwrap.fill(
            " ".join(scenario.description.split()),
            width=100,
            initial_indent=lead,
            subsequent_indent=" " * 39,
            break_on_hyphens=False,
        )
        print(text)


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


@app.command()
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
) -> None:
    """One row per model (and scenario): cost by component, shortfall, largest country share
    and HHI per stage, and the change against the first row.

    Exit codes: 0 at least one row has a plan; 2 invalid input; 3 no row has a plan.
    """
    from sourcing.analysis import compare as compare_models
    from sourcing.analysis.tables import compare_text

    with Progress(err, quiet, verbose) as progress:
        frame = compare_models(
            instance,
            model,
            scenario,
            time_limit=time_limit,
            rel_gap=rel_gap,
            threads=threads,
            strict=strict,
            progress=progress,
        )
    _write_analysis(frame, format, out, compare_text, "compare", quiet)
    raise typer.Exit(EXIT_OK if frame["total"].notna().any() else EXIT_INFEASIBLE)


class StressBy(StrEnum):
    overall = "overall"
    mineral = "mineral"


@app.command()
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
) -> None:
    """N-1: lose each of the largest supplier countries in turn, re-solve (warm start), and
    rank the losses by unmet demand and extra cost.

    Exit codes: 0 the table is printed (a loss that leaves no plan is a row); 2 invalid input;
    3 the instance has no plan to start from.
    """
    from sourcing.analysis import NoBasePlan
    from sourcing.analysis import stress as stress_test
    from sourcing.analysis.tables import stress_text

    try:
        with Progress(err, quiet, verbose) as progress:
            frame = stress_test(
                instance,
                model,
                top=top,
                by=by.value,
                scenario=scenario,
                time_limit=time_limit,
                rel_gap=rel_gap,
                threads=threads,
                strict=strict,
                progress=progress,
            )
    except NoBasePlan as error:
        err.print(f"error: {error}", markup=False, highlight=False)
        raise typer.Exit(EXIT_INFEASIBLE) from None
    _write_analysis(frame, format, out, stress_text, "stress", quiet)


@app.command()
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
) -> None:
    """The cost of tightening a share rule: cost, HHI and the rule's shadow price at each
    point, re-solving the built model (warm start); infeasible points are marked.

    Exit codes: 0 at least one point has a plan; 2 invalid input; 3 no point has a plan.
    """
    from sourcing.analysis import frontier as sweep
    from sourcing.analysis.tables import frontier_text

    with Progress(err, quiet, verbose) as progress:
        frame = sweep(
            instance,
            model,
            rule=rule,
            start=start,
            stop=stop,
            points=points,
            scenario=scenario,
            time_limit=time_limit,
            rel_gap=rel_gap,
            threads=threads,
            strict=strict,
            progress=progress,
        )
    _write_analysis(frame, format, out, frontier_text, "frontier", quiet)
    raise typer.Exit(EXIT_OK if frame["cost"].notna().any() else EXIT_INFEASIBLE)


def _write_analysis(
    frame, format: Format | None, out: Path | None, text, sheet: str, quiet: bool = False
) -> None:
    from sourcing.analysis.tables import to_csv, to_json

    _warn(frame.attrs.get("warnings", []), quiet)
    if format is None:
        format = (
            Format.csv if out is not None and out.suffix.lower() == ".csv" else _format_from(out)
        )

    if format is Format.xlsx:
        if out is None:
            raise InputError([_problem("out", "a workbook needs a file: add --out FILE.xlsx")])
        from sourcing.workbook import write_table

        write_table(frame, out, sheet)
    elif format is Format.json:
        _write(out, to_json(frame))
    elif format is Format.csv:
        if out is None:
            sys.stdout.write(to_csv(frame))
        else:
            out.write_text(to_csv(frame), encoding="utf-8")
    else:
        _write(out, text(frame, color=out is None and sys.stdout.isatty()))
    if out is not None:
        _wrote(out, f"{sheet}, {format.value}")


@app.command()
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
) -> None:
    """Solve INSTANCE and write one self-contained HTML report: headline figures, the flows as a
    Sankey diagram per mineral, country shares per stage against the rules' caps, and the
    binding rules with their prices. It opens offline (plotly.js is inside the file).

    Exit codes: as for solve (the report is written in every case but invalid input).
    """
    from sourcing.api import load
    from sourcing.api import solve as solve_plan

    loaded = load(instance, model)
    with Progress(err, quiet, verbose) as progress:
        plan = solve_plan(
            *loaded,
            time_limit=time_limit,
            rel_gap=rel_gap,
            threads=threads,
            strict=strict,
            scenario=scenario,
            progress=progress,
        )
    tables, swept = {}, None
    with Progress(err, quiet, verbose) as progress:
        if compare_with:
            from sourcing.analysis import compare as compare_models

            models = [model or "least-cost", *compare_with]
            tables["Models compared"] = compare_models(
                instance, models, scenario, time_limit=time_limit, strict=strict, progress=progress
            )
        if frontier_rule:
            from sourcing.analysis import frontier as sweep

            swept = sweep(
                instance,
                model,
                rule=frontier_rule,
                scenario=scenario,
                time_limit=time_limit,
                strict=strict,
                progress=progress,
            )
    _write_report(out, plan, loaded, scenario, tables=tables, frontier=swept)
    print(f"wrote {out}")
    raise typer.Exit(_exit_code(plan))


@app.command()
def convert(
    instance: InstanceArg,
    out: Annotated[
        Path,
        typer.Argument(help="Where to write: a new folder (no suffix), .json, .yaml or .xlsx."),
    ],
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace OUT if it exists (a file, or a folder's instance)."),
    ] = False,
) -> None:
    """Convert INSTANCE between a folder of CSVs, a JSON or YAML document and an Excel workbook
    (one sheet per table). Nothing is lost: loading OUT gives the same instance."""
    from sourcing.convert import write_instance
    from sourcing.io import load_instance

    form = write_instance(load_instance(instance), out, force=force)
    print(f"wrote {out} ({form})")


@app.command()
def init(
    folder: Annotated[
        Path,
        typer.Argument(
            metavar="DIR", help="The folder to write (created if missing; must be empty)."
        ),
    ],
    force: Annotated[
        bool,
        typer.Option(help="Write into a folder that is not empty (the starter's files win)."),
    ] = False,
) -> None:
    """Write a starter instance to DIR to edit into your own: every table (the optional ones
    too), a model.yaml with the rules commented out, and a README.md deriving its optimum
    (17,000 USD)."""
    from sourcing.starter import write_starter

    written = write_starter(folder, force=force)
    print(f"wrote {folder} ({len(written)} files); solve it with:")
    print(f"  sourcing solve {folder} --model {folder / 'model.yaml'}")


def _load_for_output(instance, model, chosen: Format, out: Path | None):
    """The loaded instance and model, for outputs that echo them (workbook, report)."""
    from sourcing.api import load

    if chosen is Format.xlsx and out is None:
        raise InputError([_problem("out", "a workbook needs --out FILE.xlsx")])
    return load(instance, model)


def _write_workbook(out: Path, plan, loaded, scenario) -> None:
    from sourcing.scenarios import apply_scenarios
    from sourcing.workbook import write_plan

    instance, model = loaded
    write_plan(plan, out, apply_scenarios(instance, scenario)[0], model)


def _write_report(out: Path, plan, loaded, scenario, tables=None, frontier=None) -> None:
    from sourcing.report import write_report
    from sourcing.scenarios import apply_scenarios

    instance, model = loaded
    changed = apply_scenarios(instance, scenario)[0]
    write_report(out, plan, changed, model=model, tables=tables, frontier=frontier)


def _problem(field: str, message: str):
    from sourcing.errors import Problem

    return Problem("command line", None, field, message)


def _format_from(out: Path | None) -> Format:
    if out is not None and out.suffix.lower() == ".json":
        return Format.json
    if out is not None and out.suffix.lower() == ".xlsx":
        return Format.xlsx
    if out is not None and out.suffix == "":
        return Format.csv
    return Format.table


def _write(out: Path | None, text: str) -> None:
    if out is None:
        print(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")


def _write_csv(out: Path | None, plan, full: bool = False) -> None:
    tables = render.csv_tables(plan, full)
    if out is None:  # stdout: the flows, the table a spreadsheet wants
        sys.stdout.write(tables["flows"])
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (out / f"{name}.csv").write_text(text, encoding="utf-8")


def _exit_code(plan) -> int:
    from sourcing.solve import exit_code

    code = exit_code(plan.termination_condition, plan.solution_status)
    if code != EXIT_BUG:
        return code
    # a solver error, or "unbounded" (impossible: every cost is ≥ 0): never a silent exit 1
    said = plan.stats.get("solver_message") or plan.termination_condition.value
    err.print(
        f"error: HiGHS stopped without a plan ({said}; termination: "
        f"{plan.termination_condition.value}). Every number within the documented limits should "
        "solve, so this is a bug in sourcing: please report it with the input "
        "(--log shows HiGHS's log).",
        markup=False,
        highlight=False,
    )
    return EXIT_BUG


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


if __name__ == "__main__":
    main()
