"""The command line as a planner meets it: real processes, real exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO

PLAN_KEYS = {
    "termination_condition",
    "solution_status",
    "objective",
    "costs",
    "flows",
    "shares",
    "shortfall",
    "duals",
    "stats",
}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sourcing.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_solve_json_prints_exactly_the_plan():
    done = run("solve", str(DEMO), "--model", "eu-crma", "--format", "json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)  # stdout holds the JSON and nothing else (no solver banner)
    assert PLAN_KEYS <= set(plan)
    assert plan["termination_condition"] == "optimal"
    assert plan["solution_status"] == "optimal"
    assert plan["objective"] == pytest.approx(13_809_525.0, rel=1e-9)
    assert plan["costs"]["total"] == pytest.approx(plan["objective"], rel=1e-9)
    for row in plan["shares"]:
        assert row["share"] <= 0.65 + 1e-9 or row["country"] == "DEU"


def test_solve_table_is_the_default(tmp_path):
    done = run("solve", str(DEMO))
    assert done.returncode == 0, done.stderr
    assert "total cost: 13,655,500.00 USD" in done.stdout
    assert "Supply by country and stage" in done.stdout


def test_solve_csv_to_a_folder(tmp_path):
    out = tmp_path / "plan"
    done = run("solve", str(DEMO), "--format", "csv", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert {"flows.csv", "shares.csv", "costs.csv", "summary.csv", "duals_demand.csv"} <= {
        p.name for p in out.iterdir()
    }
    assert (out / "flows.csv").read_text().startswith("mineral,stage,from_country,to_country")


def test_log_goes_to_stderr_and_json_stays_clean():
    done = run("solve", str(DEMO), "--format", "json", "--log")
    assert done.returncode == 0
    json.loads(done.stdout)
    assert "HiGHS" in done.stderr


def test_infeasible_exits_3_with_an_explanation(tmp_path):
    model = tmp_path / "tight.yaml"
    model.write_text(
        "rules:\n  - rule: exclude\n    groups: [FEOC]\n  - rule: max_country_share\n"
        "    share: 0.2\n    minerals: [cobalt]\n    stages: [mining]\n"
    )
    done = run("solve", str(DEMO), "--model", str(model))
    assert done.returncode == 3
    assert "No plan meets every rule and demand" in done.stdout
    assert "max_country_share" in done.stdout
    assert "Traceback" not in done.stderr


def test_no_solution_within_the_time_limit_exits_4():
    done = run("solve", str(DEMO), "--model", "resilient", "--time-limit", "0")
    assert done.returncode == 4
    assert "No plan was found within the limits" in done.stdout


def test_invalid_input_exits_2_and_names_table_row_field(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in DEMO.iterdir():
        if f.suffix in (".csv", ".yaml"):
            (bad / f.name).write_text(f.read_text())
    supply = (
        (bad / "supply.csv")
        .read_text()
        .replace("lithium,mining,AUS,400,9000", "lithium,mining,AUS,-400,9000")
    )
    (bad / "supply.csv").write_text(supply)
    done = run("solve", str(bad))
    assert done.returncode == 2
    assert "supply, row 2, field 'capacity'" in done.stderr
    assert "Traceback" not in done.stderr


def test_help_documents_the_exit_codes():
    done = run("solve", "--help")
    assert done.returncode == 0
    for text in ("2 invalid input", "3 infeasible", "4 no solution"):
        assert text in " ".join(done.stdout.split())


def test_schema_prints_the_instance_json_schema():
    done = run("schema")
    schema = json.loads(done.stdout)
    assert {"stages", "supply", "demand", "minerals", "countries"} <= set(schema["properties"])


def test_validate_reports_valid():
    done = run("validate", str(DEMO), "--model", "partner-share")
    assert done.returncode == 0
    assert "valid" in done.stdout


def test_export_writes_an_lp_file_through_pyomo(tmp_path):
    out = tmp_path / "demo.lp"
    done = run("export", str(DEMO), "--model", "eu-crma", "--out", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "crma_single_country_cap" in text and "total_cost" in text


def test_verbose_shows_each_phase_on_stderr_and_leaves_stdout_to_the_plan():
    done = run("solve", str(DEMO), "-m", "eu-crma", "-f", "json", "--verbose")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["objective"] == pytest.approx(13_809_525)
    started = [line.split("] ", 1)[1] for line in done.stderr.splitlines() if "] " in line]
    assert started == ["load", "index", "check", "build", "solve", "extract"]
    assert done.stderr.rstrip().endswith("s  in all")


def test_a_short_solve_off_a_terminal_prints_no_progress():
    done = run("solve", str(DEMO), "-m", "eu-crma", "-f", "json")
    assert done.returncode == 0 and done.stderr == ""


def test_quiet_silences_warnings_and_progress():
    """kazakhstan-partnership carries two deliberate consistency warnings (bismuth and tungsten
    capacity below demand once China is closed): validate lists them, --quiet only counts them."""
    instance = str(DEMO.parent / "kazakhstan-partnership")
    loud = run("validate", instance)
    assert loud.returncode == 0 and loud.stderr.count("warning:") == 2
    quiet = run("validate", instance, "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert "2 warning(s)" in quiet.stdout
    swept = run("frontier", str(DEMO), "--points", "3", "--quiet", "--verbose")
    assert swept.returncode == 0 and swept.stderr == ""  # quiet wins


def test_sweeps_report_each_point_under_verbose():
    done = run("stress", str(DEMO), "--top", "2", "--verbose", "-f", "json")
    assert done.returncode == 0, done.stderr
    points = [line.split("] ", 1)[1] for line in done.stderr.splitlines() if "] " in line]
    assert points[0] == "base plan" and len(points) == 3
    assert points[1].startswith("without ") and points[1].endswith("(1/2)")


def test_progress_on_a_terminal_is_a_transient_line():
    """On a terminal the progress is rich's status line: shown while running, erased after."""
    import io

    from rich.console import Console

    from sourcing.cli.progress import Progress

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80)
    with Progress(console) as progress:
        assert progress._status is not None
        progress("build")
    assert progress.phases[0][0] == "build"
    with Progress(console, quiet=True) as silent:
        silent("build")
    assert silent._status is None
