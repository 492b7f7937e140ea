"""The Pyomo model (built from the same blocks) and the direct HiGHS handoff agree.

This checks the handoff (matrix assembly, bounds, senses, duplicate coefficients) against Pyomo's
own writer and its HiGHS interface; the formulation itself is checked against hand derivations
(`tests/test_examples.py`) and by an independent checker (`tests/test_independent_check.py`).
"""

from __future__ import annotations

import pytest

import sourcing
from sourcing.model.pyomo_model import solve_pyomo
from tests.conftest import DEMO, INSTANCES, MODELS

CASES = [
    (DEMO, MODELS / f"{m}.yaml") for m in ("least-cost", "eu-crma", "partner-share", "resilient")
]
CASES += [(p.parent, p) for p in sorted((INSTANCES / "examples").glob("*/model.yaml"))]
CASES += [(INSTANCES / "dantzig-transport", None), (INSTANCES / "orlib" / "cap41", None)]


@pytest.mark.parametrize("folder,model", CASES, ids=lambda v: getattr(v, "name", str(v)))
def test_pyomo_and_direct_highs_agree(folder, model):
    if not folder.exists():
        pytest.fail(f"bundled instance {folder} is missing")
    plan = sourcing.solve(folder, model)
    pyomo_model = sourcing.build_pyomo(folder, model)
    if plan.termination_condition.value == "infeasible":  # infeasible by design: Pyomo agrees
        with pytest.raises(RuntimeError, match="infeasible"):
            solve_pyomo(pyomo_model)
        return
    assert solve_pyomo(pyomo_model) == pytest.approx(plan.objective, rel=1e-7)
