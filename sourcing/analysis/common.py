"""What the analyses share: the model built once, and a plan's numbers in one row."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from sourcing.api import InstanceLike, ModelLike, load
from sourcing.data.rows import frame_rows
from sourcing.data.schema import Instance, ModelSpec
from sourcing.errors import InputError
from sourcing.model import consistency
from sourcing.model.build import build
from sourcing.model.index import NO_PERIOD, ModelData, index_instance
from sourcing.model.lp import LinearProgram
from sourcing.model.network import Network
from sourcing.scenarios import ScenariosLike, apply_scenarios
from sourcing.solver import RawSolution, SolverOptions, TerminationCondition, outcome


@dataclass
class Built:
    """An instance (scenarios applied) and a model, indexed and built: ready to solve."""

    instance: Instance
    model: ModelSpec
    data: ModelData
    lp: LinearProgram
    network: Network
    warnings: list[str]


def load_with_scenarios(
    instance: InstanceLike, model: ModelLike, scenario: ScenariosLike
) -> tuple[Instance, ModelSpec, list[Any]]:
    loaded, spec = load(instance, model)
    loaded, warnings = apply_scenarios(loaded, scenario)
    return loaded, spec, warnings


def build_model(
    instance: Instance, spec: ModelSpec, warnings: list[Any], strict: bool = False
) -> Built:
    """Index, check (warnings become errors under ``strict``) and build."""
    data = index_instance(instance)
    warnings = list(warnings) + consistency.check(data, spec)
    if strict and warnings:
        raise InputError(warnings)
    lp, network = build(data, spec)
    return Built(instance, spec, data, lp, network, [str(w) for w in warnings])


def status_of(raw: RawSolution) -> str:
    """The row's status, in the words of :func:`sourcing.solver.outcome`."""
    return outcome(raw.termination, raw.status)


def is_infeasible(raw: RawSolution) -> bool:
    return status_of(raw) == TerminationCondition.infeasible.value


def total_unmet(shortfall: pd.DataFrame, column: str = "shortfall") -> tuple[float, str]:
    """Total unmet demand, and per mineral as text ('graphite 300; cobalt 80')."""
    if shortfall is None or len(shortfall) == 0:
        return 0.0, ""
    by_mineral = shortfall.groupby("mineral", sort=True)[column].sum()
    text = "; ".join(f"{m} {v:,.6g}" for m, v in by_mineral.items() if v > 0)
    return float(by_mineral.sum()), text


def stage_label(row: Any) -> str:
    """'mineral/stage', or 'mineral/period/stage' when the instance has periods."""
    period = getattr(row, "period", NO_PERIOD)
    parts = [row.mineral] + ([str(period)] if period not in (NO_PERIOD, None) else []) + [row.stage]
    return "/".join(parts)


def concentration(frame: pd.DataFrame) -> dict[str, float]:
    """``max_share <stage>`` and ``hhi <stage>`` for every stage of a plan's concentration."""
    out: dict[str, float] = {}
    for row in frame_rows(frame):
        label = stage_label(row)
        out[f"max_share {label}"] = float(row.max_share)
        out[f"hhi {label}"] = float(row.hhi)
    return out


def with_upper_bounds(
    lp: LinearProgram, family: str, rows: np.ndarray, upper: float
) -> LinearProgram:
    """A shallow copy of ``lp`` in which variables ``rows`` of ``family`` have a new upper
    bound (for an explanation of what a session has changed in place)."""
    block = lp.variables[family]
    bound = block.upper.copy()
    bound[rows] = upper
    variables = dict(lp.variables)
    variables[family] = replace(block, upper=bound)
    return LinearProgram(variables, lp.constraints, lp.costs, lp.n_vars, lp.n_rows)


def options_of(
    time_limit: float | None, rel_gap: float | None, threads: int | None
) -> SolverOptions:
    return SolverOptions(time_limit=time_limit, rel_gap=rel_gap, threads=threads)
