"""Explain an infeasible model in a planner's words, by an elastic re-solve.

Every demand row gets a shortfall slack and every rule row a slack in the direction that relaxes
it; capacities stay hard (they are physical). The elastic problem minimises

    Σ_d s_d  +  ε Σ_r s_r          (ε = 1e-3)

so that a rule is relaxed before demand is left unmet: demand goes short only where no
relaxation of the rules could cover it (missing capacity or missing lanes). The answer lists,
per mineral and site, how much cannot be covered; per stage, the capacities that bind; and per
rule, the rows that would have to give and by how much. The elastic problem is always feasible.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sourcing.index import NO_PERIOD, ModelData
from sourcing.lp import ConstraintBlock, LinearProgram, VariableBlock
from sourcing.network import Network
from sourcing.plan import CORE_FAMILIES
from sourcing.solve import SolutionStatus, SolverOptions, solve_lp

RULE_WEIGHT = 1e-3
TOL = 1e-6


def elastic(lp: LinearProgram) -> tuple[LinearProgram, dict[str, np.ndarray]]:
    """A copy of ``lp`` with a slack column on each demand and rule row; return it and the slack
    column ids by family."""
    out = LinearProgram(dict(lp.variables), dict(lp.constraints), {}, lp.n_vars, lp.n_rows)
    slacks: dict[str, np.ndarray] = {}
    for name, block in lp.constraints.items():
        if name in CORE_FAMILIES and name != "demand":
            continue
        n = len(block.index)
        if n == 0:
            continue
        # ≤ rows relax downward (−s), ≥ and = rows upward (+s): demand rows let delivery fall short
        sign = np.where(np.isfinite(block.upper) & ~np.isfinite(block.lower), -1.0, 1.0)
        if name == "demand":
            sign = np.ones(n)
        ids = np.arange(out.n_vars, out.n_vars + n)
        out.variables[f"slack:{name}"] = VariableBlock(
            f"slack:{name}", out.n_vars, block.index, np.zeros(n), np.full(n, np.inf), False
        )
        out.n_vars += n
        out.constraints[name] = ConstraintBlock(
            name,
            block.start,
            block.index,
            np.concatenate([block.rows, block.ids]),
            np.concatenate([block.cols, ids]),
            np.concatenate([block.vals, sign]),
            block.lower,
            block.upper,
        )
        slacks[name] = ids
    return out, slacks


def explain(
    data: ModelData, lp: LinearProgram, network: Network, options: SolverOptions
) -> dict[str, Any]:
    relaxed, slacks = elastic(lp)
    cost = np.zeros(relaxed.n_vars)
    for name, ids in slacks.items():
        cost[ids] = 1.0 if name == "demand" else RULE_WEIGHT
    raw = solve_lp(relaxed, options, cost=cost)
    if raw.status is SolutionStatus.no_solution or raw.x is None:
        return {
            "summary": "infeasible; the elastic re-solve found no explanation within the limits",
            "uncovered": [],
            "binding_capacities": [],
            "rules": [],
        }
    x = raw.x
    # the solver's tolerance is TOL in the units it solved in (sourcing.scaling): 1 planner unit
    # for an ordinary instance
    unit = raw.scaling.column if raw.scaling is not None else np.ones(len(x))
    uncovered = _uncovered(data, relaxed, slacks, x, unit)
    capacities = _binding_capacities(data, network, x, uncovered, unit)
    rules = _rules_to_relax(relaxed, slacks, x, unit)
    summary = _summary(data, uncovered, capacities, rules)
    tables = {"uncovered": uncovered, "binding_capacities": capacities, "rules": rules}
    if data.periods == [NO_PERIOD]:  # no declared periods: the column says nothing
        tables = {k: v.drop(columns="period", errors="ignore") for k, v in tables.items()}
    return {"summary": summary, **{k: v.to_dict("records") for k, v in tables.items()}}


def _uncovered(
    data: ModelData,
    lp: LinearProgram,
    slacks: dict[str, np.ndarray],
    x: np.ndarray,
    unit: np.ndarray,
) -> pd.DataFrame:
    frame = data.demand[["mineral", "period", "site", "quantity"]].copy()
    frame["short"] = x[slacks["demand"]] if "demand" in slacks else 0.0
    least = unit[slacks["demand"]] if "demand" in slacks else 1.0
    return frame[frame["short"] > TOL * np.maximum(least, frame["quantity"])].reset_index(drop=True)


def _binding_capacities(
    data: ModelData, network: Network, x: np.ndarray, uncovered: pd.DataFrame, unit: np.ndarray
) -> pd.DataFrame:
    offers = data.offers[["mineral", "period", "stage", "stage_pos", "country", "capacity"]].copy()
    offers["used"] = x[network.supply]
    offers["unit"] = unit[network.supply]
    short = uncovered[["mineral", "period"]].drop_duplicates()
    offers = offers.merge(short, on=["mineral", "period"])
    full = np.isfinite(offers["capacity"]) & (
        offers["used"] >= offers["capacity"] - TOL * np.maximum(offers["unit"], offers["capacity"])
    )
    return (
        offers[full]
        .sort_values(["mineral", "period", "stage_pos", "country"])
        .drop(columns=["stage_pos", "unit"])
        .reset_index(drop=True)
    )


def _rules_to_relax(
    lp: LinearProgram, slacks: dict[str, np.ndarray], x: np.ndarray, unit: np.ndarray
) -> pd.DataFrame:
    parts = []
    for name, ids in slacks.items():
        if name == "demand":
            continue
        amount = x[ids]
        active = amount > TOL * unit[ids]
        if active.any():
            rows = lp.constraints[name].index[active].copy()
            rows.insert(0, "constraint", name)
            rows.insert(0, "rule", name.split(":")[0])
            rows["relax_by"] = amount[active]
            parts.append(rows)
    return (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["rule", "constraint", "relax_by"])
    )


def _summary(
    data: ModelData, uncovered: pd.DataFrame, capacities: pd.DataFrame, rules: pd.DataFrame
) -> str:
    unit = data.instance.unit
    lines = []
    for row in uncovered.itertuples(index=False):
        when = "" if row.period == NO_PERIOD else f" in period '{row.period}'"
        lines.append(
            f"{row.mineral}{when}: {row.short:g} {unit} of the {row.quantity:g} {unit} "
            f"demanded at site '{row.site}' cannot be covered."
        )
        stages = data.stage_volumes[
            (data.stage_volumes["mineral"] == row.mineral)
            & (data.stage_volumes["period"] == row.period)
        ]
        for stage in stages.sort_values("stage_pos").itertuples(index=False):
            full = capacities[
                (capacities["mineral"] == row.mineral)
                & (capacities["period"] == row.period)
                & (capacities["stage"] == stage.stage)
            ]
            if len(full):
                named = ", ".join(f"{r.country} ({r.capacity:g} {unit})" for r in full.itertuples())
                lines.append(f"  stage '{stage.stage}': capacity binding in {named}")
    for row in rules.itertuples(index=False):
        label = ", ".join(
            str(v)
            for k, v in row._asdict().items()
            if k not in ("rule", "constraint", "relax_by") and v not in (None, NO_PERIOD)
        )
        lines.append(f"rule {row.constraint} [{label}] must be relaxed by {row.relax_by:g}.")
    if not lines:
        return "infeasible, but the elastic re-solve needed no relaxation (numerical trouble?)"
    return "\n".join(lines)
