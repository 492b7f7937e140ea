"""The commands on one instance: solve, validate, export, convert and init; and the catalogues
of what an instance, a model and a scenario may hold (schema, models)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from sourcing.cli.options import (
    BlocksOpt,
    ExtendOpt,
    Format,
    InstanceArg,
    JobsOpt,
    ModelOpt,
    QuietOpt,
    RelGapOpt,
    ScenarioOpt,
    ThreadsOpt,
    VerboseOpt,
    _format_from,
    _problem,
    _solver_option,
    err,
    extended,
    solve_options,
)
from sourcing.cli.output import (
    _exit_code,
    _load_for_output,
    _warn,
    _write,
    _write_csv,
    _write_report,
    _write_workbook,
    _wrote,
)
from sourcing.cli.progress import Progress
from sourcing.errors import InputError
from sourcing.results import render
from sourcing.solver.executor import cores


def solve(
    instance: InstanceArg,
    model: ModelOpt = None,
    time_limit: Annotated[
        float | None,
        typer.Option(help="Seconds the solver may run.", callback=_solver_option("time_limit")),
    ] = None,
    rel_gap: RelGapOpt = None,
    threads: ThreadsOpt = None,
    jobs: JobsOpt = None,
    blocks: BlocksOpt = None,
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
    extend: ExtendOpt = None,
) -> None:
    """Solve INSTANCE under a model and print the plan.

    Exit codes: 0 a plan was found; 2 invalid input; 3 infeasible; 4 no solution within the
    limits.
    """
    from sourcing.api import solve as solve_plan

    options = solve_options(time_limit, rel_gap, threads, strict)
    model = extended(model, extend)
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
                **options.kwargs(),
                tee=log,
                scenario=scenario,
                progress=progress,
                blocks=blocks,
                jobs=jobs if jobs is not None else cores(),
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


def validate(
    instance: InstanceArg,
    model: ModelOpt = None,
    strict: Annotated[bool, typer.Option(help="Treat consistency warnings as errors.")] = False,
    scenario: ScenarioOpt = None,
    quiet: QuietOpt = False,
    extend: ExtendOpt = None,
) -> None:
    """Check INSTANCE (and a model) without solving: errors exit 2, warnings are listed.

    With extensions (``--extend`` or the model's ``extensions``), each is run and translated,
    so a broken one is found here, not at the first solve."""
    from sourcing.api import validate as check

    warnings = check(instance, extended(model, extend), strict=strict, scenario=scenario)
    _warn(warnings, quiet)
    print(f"{instance}: valid" + (f", {len(warnings)} warning(s)" if warnings else ""))


def schema(
    what: Annotated[str, typer.Argument(help="instance, model or scenario")] = "instance",
) -> None:
    """Print the JSON Schema of an instance document (or of a model or scenario file)."""
    from pydantic import BaseModel

    from sourcing.data.schema import Instance, ModelSpec
    from sourcing.scenarios import Scenario

    schemas: dict[str, type[BaseModel]] = {
        "instance": Instance,
        "model": ModelSpec,
        "scenario": Scenario,
    }
    chosen = schemas.get(what)
    if chosen is None:
        raise InputError([])  # pragma: no cover - typer shows usage first
    print(json.dumps(chosen.model_json_schema(), indent=2))


def export(
    instance: InstanceArg,
    out: Annotated[Path, typer.Option(help="File to write: .lp or .mps.")],
    model: ModelOpt = None,
    extend: ExtendOpt = None,
) -> None:
    """Write the model's LP/MIP as an LP or MPS file, through its Pyomo model (with any
    ``--extend`` clauses)."""
    from sourcing.api import build_pyomo
    from sourcing.model.pyomo_model import write_file

    if out.suffix.lower() not in (".lp", ".mps"):
        raise InputError([_problem("out", f"write .lp or .mps, not '{out.suffix}'")])
    pyomo_model = build_pyomo(instance, extended(model, extend))
    write_file(pyomo_model, out)
    size = f"{pyomo_model.nvariables()} variables, {pyomo_model.nconstraints()} constraints"
    print(f"wrote {out} ({size})")


def models() -> None:
    """List the bundled models."""
    from sourcing.data.io import MODELS_DIR, available_models, load_model

    for name in available_models():
        print(f"{name:16} {load_model(MODELS_DIR / f'{name}.yaml').description}")


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
    from sourcing.data.convert import write_instance
    from sourcing.data.io import load_instance

    form = write_instance(load_instance(instance), out, force=force)
    print(f"wrote {out} ({form})")


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
    from sourcing.data.starter import write_starter

    written = write_starter(folder, force=force)
    print(f"wrote {folder} ({len(written)} files); solve it with:")
    print(f"  sourcing solve {folder} --model {folder / 'model.yaml'}")
