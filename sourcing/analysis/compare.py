"""compare: one row per model (and scenario), so a planner sees the price of a rule.

Each row is an ordinary :func:`sourcing.solve` of the same instance: under each model, first
the data as given (scenario ``baseline``), then with each scenario. A scenario entry may join
several with ``+`` (``cn-graphite-2023+cn-rare-earths-2025-10``), applied in order. Columns:

    model, scenario, status       what was solved and how it ended
    total, <component>...         the cost and its components (those not zero in some row), in
                                  money; the penalty paid for unmet demand is ``shortfall_cost``
    shortfall                     demand left unmet, a quantity (soft demand, or for an
                                  infeasible row the demand no relaxation of the rules can cover)
    change, change_pct            total − the first row's total, and as a fraction of it
    max_share <m>/<s>, hhi <m>/<s>   the largest country share and the HHI of every stage
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sourcing.analysis.common import concentration, total_unmet
from sourcing.api import InstanceLike, load, solve
from sourcing.model.lp import COST_COMPONENTS, EXTENSION_COST, OPTIONAL_COSTS
from sourcing.results.plan import Plan
from sourcing.scenarios import ScenarioLike
from sourcing.solver import outcome

#: every cost component a row may show, in order (the optional ones only where some plan has them)
COMPONENTS = (*COST_COMPONENTS, *OPTIONAL_COSTS, EXTENSION_COST)

BASELINE = "baseline"


def compare(
    instance: InstanceLike,
    models: Sequence[Any] | None = None,
    scenarios: Sequence[ScenarioLike] | None = None,
    *,
    time_limit: float | None = None,
    rel_gap: float | None = None,
    threads: int | None = None,
    strict: bool = False,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """One row per model × (baseline, then each scenario); see the module docstring.
    ``progress`` is called with each row's model and scenario before it is solved.

    ``models``: names, paths or specs (default: least-cost). ``scenarios``: names, paths,
    mappings or lists of them (one row each; a ``+`` in a name joins several).
    """
    loaded, _ = load(instance, None)  # read the data once; every row starts from it
    variants: list[tuple[str, Any]] = [(BASELINE, None)]
    variants += [(_label(s), _parts(s)) for s in scenarios or []]
    plans: list[tuple[str, Plan]] = []
    chosen = list(models or []) or [None]
    for model in chosen:
        for label, scenario in variants:
            if progress is not None:
                done = len(plans) + 1
                progress(
                    f"{getattr(model, 'name', model) or 'least-cost'} / {label} "
                    f"({done}/{len(chosen) * len(variants)})"
                )
            plan = solve(
                loaded,
                model,
                scenario=scenario,
                time_limit=time_limit,
                rel_gap=rel_gap,
                threads=threads,
                strict=strict,
            )
            plans.append((label, plan))
    frame = rows(plans)
    frame.attrs.update(
        instance=loaded.name,
        currency=loaded.currency,
        unit=loaded.unit,
        warnings=sorted({w for _, plan in plans for w in plan.warnings}),
    )
    return frame


def rows(plans: Sequence[tuple[str, Plan]]) -> pd.DataFrame:
    """The comparison table of plans already solved, labelled by scenario."""
    records = []
    for label, plan in plans:
        record: dict[str, Any] = {
            "model": plan.model,
            "scenario": label,
            "status": _status(plan),
            "total": plan.objective if plan.has_solution else np.nan,
        }
        for component in COMPONENTS:  # the optional ones (holding, extension): when it has some
            record[_cost_column(component)] = plan.costs.get(component, np.nan)
        # money not the buyer's (price_floor, reference_tariff): its net, + paid − received
        record["public"] = plan.public.get("total", np.nan)
        if plan.has_solution:
            record["shortfall"] = total_unmet(plan.shortfall)[0]
        elif plan.infeasibility:
            uncovered = pd.DataFrame(plan.infeasibility.get("uncovered") or [])
            record["shortfall"] = total_unmet(uncovered, "short")[0] if len(uncovered) else 0.0
        else:
            record["shortfall"] = np.nan
        if plan.has_solution:
            record.update(concentration(plan.concentration))
            record.update(stock_over_time(plan.stock))
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    costs = [_cost_column(c) for c in COMPONENTS]
    used = [c for c in [*costs, "public"] if (frame[c].fillna(0) != 0).any()]
    first = frame["total"].iloc[0] if len(frame) else np.nan
    frame["change"] = frame["total"] - first
    frame["change_pct"] = frame["change"] / first if first else np.nan
    stages = [c for c in frame.columns if c.startswith(("max_share ", "hhi "))]
    order = ["model", "scenario", "status", "total", *used, "shortfall", "change", "change_pct"]
    stock = [c for c in frame.columns if c.startswith("stock ")]
    return frame[order + stock + _by_stage(stages)]


def stock_over_time(stock: pd.DataFrame) -> dict[str, float]:
    """``stock <period>``: the closing stock of every stockpile together at the end of each
    period (units of the last stage; a plan with stockpiles of several minerals adds them, as
    ``shortfall`` does); nothing without stockpiles."""
    if not len(stock):
        return {}
    by_period = stock.groupby("period", sort=False)["closing"].sum()
    return {f"stock {period}".rstrip(): float(amount) for period, amount in by_period.items()}


def _cost_column(component: str) -> str:
    """The column of a cost component. The money paid for unmet demand is ``shortfall_cost``:
    ``shortfall`` is the unmet quantity itself, and one name for both once let the quantity
    overwrite the money."""
    return "shortfall_cost" if component == "shortfall" else component


def _status(plan: Plan) -> str:
    return outcome(plan.termination_condition, plan.solution_status)


def _by_stage(columns: list[str]) -> list[str]:
    """Each stage's max_share then its hhi, stages in the order first seen."""
    stages = list(dict.fromkeys(c.split(" ", 1)[1] for c in columns))
    return [f"{kind} {stage}" for stage in stages for kind in ("max_share", "hhi")]


def _parts(scenario: Any) -> Any:
    """'a+b' → ['a', 'b'] unless it names a file; anything else unchanged."""
    if isinstance(scenario, str) and "+" in scenario and not Path(scenario).is_file():
        return [part.strip() for part in scenario.split("+") if part.strip()]
    return scenario


def _label(scenario: Any) -> str:
    """A scenario is labelled by its ``name:`` everywhere; a file without one by its stem."""
    if isinstance(scenario, (str, Path)):
        text = str(scenario)
        if Path(text).is_file():
            from sourcing.scenarios import load_scenario

            return load_scenario(Path(text)).name or Path(text).stem
        return text
    if isinstance(scenario, dict):
        return str(scenario.get("name") or "scenario")
    if isinstance(scenario, (list, tuple)):
        return "+".join(_label(s) for s in scenario)
    return str(getattr(scenario, "name", "") or "scenario")
