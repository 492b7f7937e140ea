"""What a planner meets at the command line: help, versions, labels, and where text goes.

The README promises that stdout holds the result alone and everything else goes to stderr;
that a number or a description is never cut; and that nothing a planner made is overwritten
without being asked.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import DEMO, INSTANCES
from tests.test_cli import run

SOFT = INSTANCES / "examples" / "soft-demand"


def test_dash_h_and_version():
    short = run("-h")
    assert short.returncode == 0 and "Usage: " in short.stdout
    assert run("solve", "-h").stdout == run("solve", "--help").stdout
    version = run("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("sourcing ") and "(HiGHS " in version.stdout


@pytest.mark.parametrize("command", ["solve", "compare", "convert", "bench", "schema"])
def test_help_shows_no_type_artefacts(command):
    """typer 0.27+ printed ``{instance}`` in the usage line and ``<bool>`` beside every flag;
    pyproject pins a typer that prints ``INSTANCE`` and nothing beside a flag."""
    text = run(command, "--help").stdout
    assert "<bool>" not in text and "<str>" not in text and "{instance}" not in text


def test_scenario_descriptions_are_whole():
    """`sourcing scenarios` once cut each description at 100 characters, mid-word; every word
    of every description is now printed, wrapped between words."""
    from sourcing.scenarios import SCENARIOS_DIR, available_scenarios, load_scenario

    shown = run("scenarios").stdout.split()
    for name in available_scenarios():
        words = load_scenario(SCENARIOS_DIR / f"{name}.yaml").description.split()
        at = shown.index(name)
        assert shown[at + 2 : at + 2 + len(words)] == words  # after the name and the date


def test_warnings_go_to_stderr_and_quiet_silences_them():
    """The README's example: the October 2025 rare-earth measures name no mineral of the demo,
    so the scenario warns that a part of it was skipped. The plan on stdout carries no warning
    line (the JSON keeps its ``warnings`` key); ``-q`` leaves stderr empty."""
    args = ["solve", str(DEMO), "-m", "eu-crma", "--scenario", "cn-rare-earths-2025-10"]
    done = run(*args)
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stdout
    assert "warning: " in done.stderr
    quiet = run(*args, "-q")
    assert quiet.stdout == done.stdout and quiet.stderr == ""
    plan = json.loads(run(*args, "-q", "--format", "json").stdout)
    assert plan["warnings"]


def test_solve_says_what_it_wrote(tmp_path):
    out = tmp_path / "plan.json"
    done = run("solve", str(SOFT), "--out", str(out))
    assert done.stdout == f"wrote {out} (json)\n"
    assert json.loads(out.read_text())["objective"] == 4900


def test_convert_refuses_an_existing_file_unless_forced(tmp_path):
    out = tmp_path / "soft.json"
    out.write_text("{}", encoding="utf-8")
    refused = run("convert", str(SOFT), str(out))
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert out.read_text() == "{}"  # untouched
    forced = run("convert", str(SOFT), str(out), "--force")
    assert forced.returncode == 0 and json.loads(out.read_text())["name"] == "soft-demand"


def test_convert_force_into_a_folder_leaves_no_stale_table(tmp_path):
    """A folder holding another instance (with a yields.csv the new one lacks) is replaced
    whole: loading it afterwards gives the new instance, not a mix."""
    out = tmp_path / "folder"
    assert (
        run("convert", str(INSTANCES / "examples" / "least-cost-two-stage"), str(out)).returncode
        == 0
    )
    (out / "yields.csv").write_text("mineral,stage,yield\nli,refining,0.5\n", encoding="utf-8")
    assert run("convert", str(SOFT), str(out)).returncode == 2
    assert run("convert", str(SOFT), str(out), "--force").returncode == 0
    assert not (out / "yields.csv").exists()
    assert json.loads(run("solve", str(out), "-f", "json").stdout)["objective"] == 4900


def test_compare_labels_a_scenario_file_by_its_name(tmp_path):
    path = tmp_path / "a-file-name.yaml"
    path.write_text(
        "name: lithium-price-shock\ndescription: lithium 50% dearer\n"
        "changes:\n  - {change: price, minerals: [li], factor: 1.5}\n",
        encoding="utf-8",
    )
    done = run("compare", str(SOFT), "-s", str(path), "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["scenario"] for r in rows] == ["baseline", "lithium-price-shock"]


def test_the_rules_duals_name_the_rule_once():
    """battery-demo under eu-crma: the cap is one kind of row, so ``constraint`` is blank
    rather than a copy of ``rule``."""
    plan = json.loads(run("solve", str(DEMO), "-m", "eu-crma", "-f", "json").stdout)
    rows = plan["duals"]["rules"]
    assert rows and all(r["rule"] == "crma_single_country_cap" for r in rows)
    assert all(r["constraint"] is None for r in rows)


def test_the_workbook_summary_states_the_total_once(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "plan.xlsx"
    assert run("solve", str(SOFT), "--out", str(out)).returncode == 0
    items = [row[0].value for row in load_workbook(out)["summary"].iter_rows(min_row=2)]
    assert "total cost (USD)" in items and "cost: total (USD)" not in items
