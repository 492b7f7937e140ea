"""The ``sourcing bench`` table, as a planner reads it: one row per run, the phases in seconds."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from sourcing.bench.run import PHASES, Run
from sourcing.results.render import number_text
from sourcing.results.text import print_whole, text_console


def bench_table(runs: list[Run], width: int | None = None, color: bool = False) -> str:
    """The ``sourcing bench`` table: one row per run, phases in seconds, peak memory in MB."""
    table = Table(title="sourcing bench", title_justify="left")
    table.add_column("instance", no_wrap=True)
    table.add_column("model", no_wrap=True)
    for column in ("vars", "cons", "status", "objective", "expected"):
        table.add_column(column, justify="right")
    table.add_column("rel err", justify="right")
    for phase in (*PHASES, "total"):
        table.add_column(f"{phase} s", justify="right")
    table.add_column("peak MB", justify="right")
    table.add_column("check")
    for run in runs:
        expected = (
            run.expected_status  # "infeasible": a row with no objective to reproduce
            if run.expected_objective is None or run.expected_status == "infeasible"
            else number_text(run.expected_objective)
        )
        table.add_row(
            escape(run.instance + (f" #{run.repeat}" if run.repeat > 1 else "")),
            escape(run.model_name or run.model),
            "" if run.variables is None else f"{run.variables:,}",
            "" if run.constraints is None else f"{run.constraints:,}",
            run.termination_condition,
            "" if run.objective is None else number_text(run.objective),
            expected,
            "" if run.relative_error is None else f"{run.relative_error:.1e}",
            *(f"{run.seconds[p]:.2f}" if p in run.seconds else "" for p in (*PHASES, "total")),
            "" if run.peak_memory_mb is None else f"{run.peak_memory_mb:,.0f}",
            "[green]ok[/]" if run.ok else "[red bold]MISMATCH[/]",
        )
    console, buffer = text_console(width or 200, color)
    print_whole(console, table)
    for run in runs:
        if not run.ok:
            console.print(f"{run.instance} ({run.model}): {run.problem}", markup=False)
    return buffer.getvalue().rstrip()
