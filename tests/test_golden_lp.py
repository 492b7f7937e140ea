"""Golden LP files: the formulation of every worked example, as ``sourcing export`` writes it.

Each case of ``instances/examples/`` has its golden ``model.lp``, the LP file of the case under its
own ``model.yaml`` (as in ``sourcing export instances/examples/CASE --model
instances/examples/CASE/model.yaml --out model.lp``). The test exports again and requires exactly
the same text, so that any change to the formulation (a row, a coefficient, a bound, a name, the
order) shows as a diff of the golden file in review, also where the optimum does not move.

The text is deterministic (:func:`sourcing.model.pyomo_model.write_file`): symbolic names from the
planner's labels, rows and columns in the build order, no date, path or hash order; the same
under any ``PYTHONHASHSEED`` (the last test). Line endings are the only thing normalised: the
files are read as text, so a checkout with CRLF compares equal.

A failure shows the unified diff. When the change is meant, regenerate the files and review them:

    python -m pytest tests/test_golden_lp.py --update-golden
    git diff instances/examples/*/model.lp

A normal run never writes them, and a missing golden file fails.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sourcing import cli
from tests.conftest import INSTANCES, ROOT

EXAMPLES = INSTANCES / "examples"
CASES = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())
GOLDEN = "model.lp"
REGENERATE = "python -m pytest tests/test_golden_lp.py --update-golden"


def model_of(case: str) -> Path | None:
    """The case's own model, or None (the default least-cost model) where it has none."""
    path = EXAMPLES / case / "model.yaml"
    return path if path.exists() else None


def command(case: str, out: str) -> list[str]:
    """The export command line of a case, as a planner types it from the repository root."""
    folder = EXAMPLES.relative_to(ROOT) / case
    model = model_of(case)
    chosen = ["--model", str(model.relative_to(ROOT))] if model else []
    return ["export", str(folder), *chosen, "--out", out]


def exported(case: str, tmp_path: Path) -> str:
    """The LP text ``sourcing export`` writes for the case now (the command, run in-process)."""
    out = tmp_path / GOLDEN
    model = model_of(case)
    cli.export(instance=EXAMPLES / case, out=out, model=str(model) if model else None)
    return out.read_text(encoding="utf-8")


def difference(case: str, golden: str, now: str) -> str:
    name = f"instances/examples/{case}/{GOLDEN}"
    diff = difflib.unified_diff(
        golden.splitlines(keepends=True),
        now.splitlines(keepends=True),
        fromfile=f"{name} (golden)",
        tofile=f"sourcing {' '.join(command(case, GOLDEN))} (now)",
    )
    return (
        f"the LP of {case} differs from its golden file:\n\n{''.join(diff)}\n"
        f"If the change is meant, regenerate the golden files and review them:\n"
        f"    {REGENERATE}\n"
        f"    git diff instances/examples/*/{GOLDEN}"
    )


@pytest.mark.parametrize("case", CASES)
def test_export_matches_the_golden_lp(case, tmp_path, capsys, update_golden):
    now = exported(case, tmp_path)
    capsys.readouterr()  # the command's "wrote ..." line
    golden_path = EXAMPLES / case / GOLDEN
    if update_golden is not None:
        old = golden_path.read_text(encoding="utf-8") if golden_path.exists() else None
        if now != old:
            golden_path.write_text(now, encoding="utf-8", newline="\n")
            update_golden.append(str(golden_path.relative_to(ROOT)))
        return
    if not golden_path.exists():
        pytest.fail(f"{case} has no golden {GOLDEN}: write it with\n    {REGENERATE}", False)
    golden = golden_path.read_text(encoding="utf-8")
    if now != golden:
        pytest.fail(difference(case, golden, now), pytrace=False)


def test_the_command_line_writes_the_golden_lp_under_any_hash_seed(tmp_path):
    """The real command line, in fresh processes with two hash seeds (string hashing, and so set
    and dict-of-set order, differs between them): both write the golden file exactly. One case
    with country groups, an exemption and two stages, where a set order could leak."""
    case = "max-country-share-exempt"
    golden = (EXAMPLES / case / GOLDEN).read_text(encoding="utf-8")
    for seed in ("0", "1"):
        out = tmp_path / f"seed{seed}.lp"
        done = subprocess.run(
            [sys.executable, "-m", "sourcing.cli", *command(case, str(out))],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        now = out.read_text(encoding="utf-8")
        assert now == golden, difference(case, golden, now)
