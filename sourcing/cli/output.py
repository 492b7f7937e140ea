"""Where a command's result goes: stdout or a file, as a table, JSON, CSV or a workbook."""

from __future__ import annotations

import sys
from pathlib import Path

from sourcing.cli.options import EXIT_BUG, Format, _format_from, _problem, err
from sourcing.errors import InputError
from sourcing.results import render


def _warn(warnings: list[str], quiet: bool) -> None:
    """Warnings go to stderr, so stdout holds the result alone; ``--quiet`` silences them."""
    for warning in [] if quiet else warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)


def _wrote(out: Path, what: str) -> None:
    """What a command wrote to a file, on stdout: with --out the result is the file."""
    print(f"wrote {out} ({what})")


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


def _load_for_output(instance, model, chosen: Format, out: Path | None):
    """The loaded instance and model, for outputs that echo them (workbook, report)."""
    from sourcing.api import load

    if chosen is Format.xlsx and out is None:
        raise InputError([_problem("out", "a workbook needs --out FILE.xlsx")])
    return load(instance, model)


def _write_workbook(out: Path, plan, loaded, scenario) -> None:
    from sourcing.results.workbook import write_plan
    from sourcing.scenarios import apply_scenarios

    instance, model = loaded
    write_plan(plan, out, apply_scenarios(instance, scenario)[0], model)


def _write_report(
    out: Path, plan, loaded, scenario, tables=None, frontier=None, alternatives=None
) -> None:
    from sourcing.report import write_report
    from sourcing.scenarios import apply_scenarios

    instance, model = loaded
    changed = apply_scenarios(instance, scenario)[0]
    write_report(
        out,
        plan,
        changed,
        model=model,
        tables=tables,
        frontier=frontier,
        alternatives=alternatives,
    )


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
        from sourcing.results.workbook import write_table

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


def _exit_code(plan) -> int:
    from sourcing.solver import exit_code

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
