"""stress: N-1 analysis. Lose each of the largest supplier countries in turn and re-solve.

The largest suppliers are ranked by the value they supply in the base plan (Σ price × quantity
over their offers at every stage: quantities of different minerals do not add up, values do).
``by="overall"`` takes the top N countries over all minerals and removes each one entirely;
``by="mineral"`` takes the top N of each mineral and removes the country for that mineral only.

Removing a country sets the upper bound of its offers' supply to 0 in a
:class:`~sourcing.solver.session.Session`: the model is built once and every re-solve starts from
the base plan's basis. Each row reports

    extra_cost = cost without the country − base cost          (≥ 0: losing options never helps)
    unmet_demand = demand left unmet: the plan's shortfall (soft demand), or, when no plan
                   exists without the country, the demand that no relaxation of the rules can
                   cover (from the infeasibility explanation, capacities staying hard)

ranked by unmet demand, then infeasibility, then extra cost (the worst loss first).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd

from sourcing.analysis.common import (
    Built,
    build_model,
    is_infeasible,
    load_with_scenarios,
    options_of,
    status_of,
    total_unmet,
    with_upper_bounds,
)
from sourcing.api import InstanceLike, ModelLike
from sourcing.errors import InputError, Problem, SourcingError
from sourcing.results import explain
from sourcing.results.plan import TOLERANCE, shortfall_of
from sourcing.scenarios import ScenariosLike
from sourcing.solver import SolverOptions
from sourcing.solver.block_session import open_session


class NoBasePlan(SourcingError):
    """The instance has no plan before any country is lost: there is nothing to stress."""

    def __init__(self, status: str, explanation: str):
        self.status = status
        self.explanation = explanation
        super().__init__(
            f"no base plan to stress ({status}): run 'sourcing solve' to see why"
            + (f"\n{explanation}" if explanation else "")
        )


def stress(
    instance: InstanceLike,
    model: ModelLike = None,
    *,
    top: int = 10,
    by: Literal["overall", "mineral"] = "overall",
    scenario: ScenariosLike = None,
    time_limit: float | None = None,
    rel_gap: float | None = None,
    threads: int | None = None,
    strict: bool = False,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """The N-1 table: one row per lost country (or mineral and country); see the module doc.
    ``progress`` is called with what is solved next (the base plan, then each loss)."""
    if by not in ("overall", "mineral"):
        raise InputError([Problem("stress", None, "by", f"'{by}' is not overall or mineral")])
    if top < 1:
        raise InputError([Problem("stress", None, "top", "must be at least 1")])
    started = time.perf_counter()
    loaded, spec, warnings = load_with_scenarios(instance, model, scenario)
    built = build_model(loaded, spec, warnings, strict)
    options = options_of(time_limit, rel_gap, threads)
    session = open_session(built.lp, options)
    if progress is not None:
        progress("base plan")
    base = session.solve()
    if base.x is None or base.objective is None:
        summary = ""
        if is_infeasible(base):
            summary = explain.explain(built.data, built.lp, built.network, options)["summary"]
        raise NoBasePlan(status_of(base), summary)
    base_basis: Any = session.basis  # a HighsBasis, or one per block (BlockSession)
    offers = built.data.offers
    value = base.x[built.network.supply] * offers["price"].to_numpy()
    candidates = _largest(offers, np.where(value > TOLERANCE, value, 0.0), top, by)
    records = []
    for number, candidate in enumerate(candidates, 1):
        if progress is not None:
            where = f" ({candidate['mineral']})" if "mineral" in candidate else ""
            progress(f"without {candidate['country']}{where} ({number}/{len(candidates)})")
        lost = _offers_of(offers, candidate)
        cols = built.network.supply[lost]
        session.set_column_bounds(cols, upper=0.0)
        raw = session.solve(basis=base_basis)
        session.set_column_bounds(cols, upper=session.built_upper[cols])
        records.append({**candidate, **_outcome(built, raw, lost, base.objective, options)})
    frame = _ranked(pd.DataFrame.from_records(records), by)
    frame.attrs.update(
        instance=loaded.name,
        model=spec.name,
        by=by,
        base_cost=base.objective,
        base_status=status_of(base),
        currency=loaded.currency,
        unit=loaded.unit,
        warnings=built.warnings,
        resolves=session.solves - 1,
        seconds={**session.seconds, "total": time.perf_counter() - started},
    )
    return frame


def _largest(offers: pd.DataFrame, value: np.ndarray, top: int, by: str) -> list[dict[str, Any]]:
    """The top suppliers by value in the base plan, with their value and share of it."""
    key = ["country"] if by == "overall" else ["mineral", "country"]
    supplied = offers[key].assign(value=value).groupby(key, as_index=False)["value"].sum()
    supplied = supplied[supplied["value"] > 0]
    within = supplied.groupby("mineral")["value"] if by == "mineral" else supplied["value"]
    supplied["value_share"] = supplied["value"] / (
        within.transform("sum") if by == "mineral" else within.sum()
    )
    supplied = supplied.sort_values(["value", *key], ascending=[False, *[True] * len(key)])
    if by == "mineral":
        supplied = supplied.groupby("mineral", sort=True).head(top)
        supplied = supplied.sort_values(["mineral", "value"], ascending=[True, False])
    else:
        supplied = supplied.head(top)
    return supplied.to_dict("records")


def _offers_of(offers: pd.DataFrame, candidate: dict[str, Any]) -> np.ndarray:
    mask = offers["country"].to_numpy() == candidate["country"]
    if "mineral" in candidate:
        mask &= offers["mineral"].to_numpy() == candidate["mineral"]
    return np.flatnonzero(mask)


def _outcome(
    built: Built, raw: Any, lost: np.ndarray, base_cost: float, options: SolverOptions
) -> dict[str, Any]:
    status = status_of(raw)
    if raw.x is not None and raw.objective is not None:
        unmet, by_mineral = total_unmet(shortfall_of(built.data, built.lp, raw.x, raw.scaling))
        extra = raw.objective - base_cost
        return {
            "status": status,
            "cost": raw.objective,
            "extra_cost": extra,
            "extra_cost_pct": extra / base_cost if base_cost else np.nan,
            "unmet_demand": unmet,
            "unmet": by_mineral,
        }
    unmet, by_mineral = np.nan, ""
    if is_infeasible(raw):
        lp = with_upper_bounds(built.lp, "supply", lost, 0.0)
        why = explain.explain(built.data, lp, built.network, options, name_closed_lanes=False)
        uncovered = pd.DataFrame(why.get("uncovered") or [])
        unmet, by_mineral = total_unmet(uncovered, "short") if len(uncovered) else (0.0, "")
    return {
        "status": status,
        "cost": np.nan,
        "extra_cost": np.nan,
        "extra_cost_pct": np.nan,
        "unmet_demand": unmet,
        "unmet": by_mineral,
    }


def _ranked(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Worst loss first: unmet demand, then no plan at all, then extra cost."""
    key = pd.DataFrame(
        {
            "unmet": frame["unmet_demand"].fillna(np.inf),
            "no_plan": frame["cost"].isna(),
            "extra": frame["extra_cost"].fillna(np.inf),
        }
    )
    order = key.sort_values(["unmet", "no_plan", "extra"], ascending=False, kind="stable").index
    frame = frame.loc[order].reset_index(drop=True)
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    head = ["rank"] + (["mineral"] if by == "mineral" else []) + ["country"]
    rest = ["value", "value_share", "status", "cost", "extra_cost", "extra_cost_pct"]
    return frame[head + rest + ["unmet_demand", "unmet"]]
