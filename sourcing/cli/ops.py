"""The operator's commands: the benchmark run, the HTTP service and the scenario library."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sourcing.cli.options import EXIT_MISMATCH, EXIT_OK, BlocksOpt, QuietOpt, _problem, err
from sourcing.errors import InputError


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
    blocks: BlocksOpt = None,
) -> None:
    """Solve the benchmark instances of instances/index.csv and check every optimum.

    ``--blocks`` solves every instance block by block whatever its size (each optimum must
    hold either way); ``--whole`` hands HiGHS every program as one matrix.

    Exit codes: 0 every result matches its record; 5 a result differs (or failed); 2 a bad
    index file or option.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    from sourcing import bench as benchmark
    from sourcing.bench.table import bench_table

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
        runs = benchmark.run_all(entries, repeat, blocks=blocks)
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
                blocks=blocks,
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

        runs = benchmark.run_all(entries, repeat, on_done=report, blocks=blocks)
    print(bench_table(runs, color=sys.stdout.isatty()))
    if json_path is not None:
        benchmark.write_json(json_path, runs, env)
    failed = sum(not run.ok for run in runs)
    print(f"{len(runs) - failed} of {len(runs)} runs match their expected result")
    raise typer.Exit(EXIT_MISMATCH if failed else EXIT_OK)


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
