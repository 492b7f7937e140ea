"""A partial plan: the blocks that have a plan, when another block is infeasible.

Solved block by block (:mod:`sourcing.solver.split`), an instance whose gallium cannot be
sourced under the rules still has a plan for every other mineral. The whole is infeasible (no
plan meets every demand and rule, exit code 3), and the answer says which block is; the other
blocks keep their plans, marked as partial (so do they when a block found no plan within the
time limit: exit code 4):

    flows, shares, concentration    only the minerals and periods that have a plan
    costs                           what those blocks cost (the objective stays empty: there is
                                    no plan for the whole)
    duals                           those blocks' (an LP's; a MIP's partial plan is not priced)
    infeasibility.partial_plan      which blocks have a plan, which have none, and their cost
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from sourcing.model.index import ModelData
from sourcing.model.lp import LinearProgram
from sourcing.model.network import Network
from sourcing.results.plan import extract
from sourcing.solver.status import RawSolution, SolutionStatus, TerminationCondition


def partial_plan(
    data: ModelData, lp: LinearProgram, network: Network, raw: RawSolution
) -> dict[str, Any] | None:
    """The plan's fields for the blocks of ``raw`` that hold a plan, plus the ``partial_plan``
    entry of its infeasibility; ``None`` when no block holds one (or the solve was whole)."""
    if raw.blocks is None or raw.x is None:
        return None
    planned = [b for b in raw.blocks if b["status"] in ("optimal", "feasible")]
    if not planned:
        return None
    missing = {
        (mineral, period)
        for b in raw.blocks
        if b not in planned
        for mineral in b["minerals"]
        for period in b["periods"] or [""]
    }
    held = replace(raw, status=SolutionStatus.feasible)
    priced = held if raw.row_dual is not None and not raw.is_mip else None
    fields = extract(data, lp, network, held, priced)
    for key in ("flows", "shares", "concentration", "shortfall"):
        fields[key] = _without(fields[key], missing)
    fields["duals"] = {
        name: _without(value, missing) if isinstance(value, pd.DataFrame) else value
        for name, value in fields["duals"].items()
    }
    fields["partial_plan"] = {
        "blocks_with_a_plan": [b["label"] for b in planned],
        "blocks_without": [
            {"label": b["label"], "status": b["status"]} for b in raw.blocks if b not in planned
        ],
        "cost": sum(float(b["objective"] or 0.0) for b in planned),
        "note": "the plans of the blocks that have one; the instance as a whole "
        + (
            "is infeasible"
            if raw.termination is TerminationCondition.infeasible
            else f"has no plan ({raw.termination.value})"
        ),
    }
    return fields


def _without(frame: pd.DataFrame, missing: set[tuple[str, str]]) -> pd.DataFrame:
    """``frame`` without the rows of the (mineral, period) pairs that have no plan."""
    if not isinstance(frame, pd.DataFrame) or "mineral" not in frame.columns or not len(frame):
        return frame
    minerals = frame["mineral"].astype(str)
    periods = (
        frame["period"].astype(str) if "period" in frame.columns else minerals.map(lambda _: "")
    )
    pairs = pd.Series(list(zip(minerals, periods, strict=True)), index=frame.index)
    return frame[~pairs.isin(missing)].reset_index(drop=True)
