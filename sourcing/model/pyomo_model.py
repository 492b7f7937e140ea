"""The same formulation as a Pyomo model: for users who extend it, export it (LP/MPS) or hand it
to another solver.

Each variable family becomes a Pyomo ``Var`` and each constraint family a ``Constraint``, named
as in the plan and the docs (``supply``, ``flow``, ``demand``, ``max_country_share`` ...) and
indexed by the planner's labels, e.g. ``m.supply["lithium", "", "refining", "CHN"]`` (the period
is ``""`` when the instance declares none). The objective is ``m.total_cost``; each cost
component is an ``Expression`` (``m.cost_transport`` ...).

Pyomo is imported here only: importing it takes about a second, which a command-line solve of a
small instance should not pay (see docs and ../shared/design/PERFORMANCE.md). The model is built
from the same constraint blocks the fast path hands to HiGHS, so the two cannot drift apart; the
tests solve both and compare.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sourcing.model.lp import EXTENSION_COST, LinearProgram


def _component_name(family: str) -> str:
    return re.sub(r"\W", "_", family)


def _labels(index: pd.DataFrame) -> list[Any]:
    """Index keys as Pyomo stores them: tuples of strings, a plain string for one column."""
    clean = index.astype(object).where(index.notna(), "")
    # column by column (4x faster than row by row at 100k lanes): str() of each value, as before
    columns = [list(map(str, clean[c].tolist())) for c in clean.columns]
    return columns[0] if len(columns) == 1 else list(zip(*columns, strict=True))


def _key(args: tuple[Any, ...]) -> Any:
    return args if len(args) > 1 else args[0]


def to_pyomo(lp: LinearProgram) -> Any:
    """A ``pyomo.environ.ConcreteModel`` of ``lp``."""
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

    model = pyo.ConcreteModel(name="sourcing")
    columns: list[Any] = [None] * lp.n_vars
    for name, block in lp.variables.items():
        labels = _labels(block.index)
        domain = (
            pyo.Binary
            if block.integer and np.all(block.upper <= 1)
            else (pyo.Integers if block.integer else pyo.Reals)
        )
        var = pyo.Var(labels, domain=domain, dense=True)
        model.add_component(_component_name(name), var)
        for i, label in enumerate(labels):
            v = var[label]
            lo, up = block.lower[i], block.upper[i]
            v.setlb(None if not np.isfinite(lo) else float(lo))
            v.setub(None if not np.isfinite(up) else float(up))
            columns[block.start + i] = v

    starts, cols, vals = lp.csr()
    for name, rows_block in lp.constraints.items():
        labels = _labels(rows_block.index)
        expressions = {}
        for i, label in enumerate(labels):
            row = rows_block.start + i
            lo, hi = starts[row], starts[row + 1]
            body = LinearExpression(
                constant=0.0,
                linear_coefs=[float(v) for v in vals[lo:hi]],
                linear_vars=[columns[c] for c in cols[lo:hi]],
            )
            lower = float(rows_block.lower[i]) if np.isfinite(rows_block.lower[i]) else None
            upper = float(rows_block.upper[i]) if np.isfinite(rows_block.upper[i]) else None
            expressions[label] = (lower, body, upper)
        model.add_component(
            _component_name(name),
            pyo.Constraint(labels, rule=lambda m, *key, e=expressions: e[_key(key)]),
        )

    components = [c for c in lp.cost_components() if c != EXTENSION_COST]
    for component in components:
        c = lp.cost_vector((component,))
        used = np.flatnonzero(c)
        model.add_component(
            f"cost_{component}",
            pyo.Expression(
                expr=LinearExpression(
                    constant=0.0,
                    linear_coefs=[float(c[j]) for j in used],
                    linear_vars=[columns[j] for j in used],
                )
            ),
        )
    model.total_cost = pyo.Objective(
        expr=sum(model.component(f"cost_{c}") for c in components), sense=pyo.minimize
    )
    return model


def write_file(model: Any, path: str | Path) -> None:
    """Write ``model`` as an LP or MPS file (by the suffix), the same text for the same model.

    Names are symbolic (``supply(lithium__refining_CHN)``, ``c_u_max_country_share(...)_``) and,
    in an LP file, rows and columns follow the declaration order, which is the build order of the
    families and the order of their index tables (``FileDeterminism.ORDERED``, Pyomo's default,
    pinned here so that a change of default cannot reorder the file). No hash order, date or path
    enters the text: the golden files of ``instances/examples/*/model.lp`` rely on it
    (``tests/test_golden_lp.py``).
    """
    options: dict[str, Any] = {"symbolic_solver_labels": True}
    if Path(path).suffix.lower() == ".lp":
        from pyomo.repn.util import FileDeterminism

        options["file_determinism"] = FileDeterminism.ORDERED
    model.write(str(path), io_options=options)


def solve_pyomo(model: Any, solver: str = "appsi_highs", tee: bool = False) -> float:
    """Solve the Pyomo model and return the optimal objective (raises if not optimal)."""
    import pyomo.environ as pyo

    result = pyo.SolverFactory(solver).solve(model, tee=tee, load_solutions=False)
    condition = result.solver.termination_condition
    if condition != pyo.TerminationCondition.optimal:
        raise RuntimeError(f"Pyomo/{solver} stopped with {condition}")
    model.solutions.load_from(result)
    return float(pyo.value(model.total_cost))
