"""alternatives: plans nearly as cheap as the optimum that use other countries
(modelling to generate alternatives, MGA).

The method (Hop-Skip-Jump MGA, Brill et al. 1982, on country shares): solve the optimum z*
(cost C*), then add the cost bound

    alternatives_cost[bound]   Σ_j c_j z_j ≤ (1 + within) C*

and, for each alternative in turn, minimise the weighted use of what the plans found so far use:

    minimise  Σ_o u_o q_o / V̄_o + ε Σ_j c_j z_j / C*

where q_o is offer o's supply, V̄_o the most its stage can need (so every stage weighs alike,
whatever its unit), and u_o the sum over the plans found so far (the optimum first) of the
share of o's country at o's stage. A country a previous plan leaned on costs the most to use
again, so each alternative moves volume to the countries the others used least, within the
bound; ε = 1e-3 keeps it from paying more than that move needs. A plan whose shares equal an
earlier plan's (within 1e-6) is dropped, and the next direction is random (u_o uniform in
[0, 1], seeded: a run repeats): the cost bound can make the used countries' weights point back
to a plan already found (cheap substitutes first), and a random direction reaches another
corner of the near-optimal plans. After 3 × ``count`` solves, or when the bound allows no other
plan, fewer than ``count`` are returned, with a warning saying so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sourcing.analysis.common import build_model, load_with_scenarios, options_of, status_of
from sourcing.api import InstanceLike, ModelLike
from sourcing.errors import InputError, Problem, SourcingError
from sourcing.model.build import applied_rules, rule_names
from sourcing.results.plan import Plan, extract, heading
from sourcing.scenarios import ScenariosLike
from sourcing.solver import RawSolution, has_plan, price, solve_lp, solve_with_start

#: the weight of cost in an alternative's objective, against its country shares
EPSILON = 1e-3
#: two plans whose country shares differ by no more than this are the same plan
SAME = 1e-6
SHARE_KEY = ["mineral", "period", "stage", "country"]
#: solves allowed per alternative asked for, and the seed of the random directions (so a run
#: is repeatable)
ATTEMPTS, RANDOM_SEED = 3, 14


class NoOptimum(SourcingError):
    """The instance has no plan: there is nothing to find alternatives to."""

    def __init__(self, status: str):
        self.status = status
        super().__init__(f"no optimal plan ({status}): run 'sourcing solve' to see why")


@dataclass
class Alternatives:
    optimum: Plan
    alternatives: list[Plan]
    within: float
    #: per alternative: cost over the optimum (a fraction) and the countries it uses less
    extras: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self, full: bool = False) -> dict[str, Any]:
        return {
            "optimum": self.optimum.to_dict(full),
            "alternatives": [
                {**plan.to_dict(full), **extra}
                for plan, extra in zip(self.alternatives, self.extras, strict=True)
            ],
        }

    def summary(self) -> pd.DataFrame:
        """One row per plan: its cost, how much over the optimum, the countries it uses less."""
        rows = [{"plan": "optimum", "cost": self.optimum.objective, "over_optimum": 0.0}]
        for number, (plan, extra) in enumerate(zip(self.alternatives, self.extras, strict=True)):
            less = "; ".join(
                f"{u['mineral']}/{u['stage']} {u['country']} "
                f"{u['optimum_share']:.0%}→{u['share']:.0%}"
                for u in extra["uses_less"]
            )
            rows.append(
                {
                    "plan": f"alternative {number + 1}",
                    "cost": plan.objective,
                    "over_optimum": extra["cost_over_optimum"],
                    "uses_less": less,
                }
            )
        frame = pd.DataFrame(rows).fillna({"uses_less": ""})
        frame.attrs.update(within=self.within, warnings=self.warnings)
        return frame


def alternatives(
    instance: InstanceLike,
    model: ModelLike = None,
    *,
    within: float = 0.05,
    count: int = 5,
    scenario: ScenariosLike = None,
    time_limit: float | None = None,
    rel_gap: float | None = None,
    threads: int | None = None,
    strict: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Alternatives:
    """The optimum and up to ``count`` plans within (1 + ``within``) × its cost that use other
    countries (see the module docstring for the method)."""
    if not (np.isfinite(within) and within >= 0):
        raise InputError([Problem("alternatives", None, "within", "must be a number ≥ 0")])
    if count < 1:
        raise InputError([Problem("alternatives", None, "count", "must be at least 1")])
    started = time.perf_counter()
    loaded, spec, warnings = load_with_scenarios(instance, model, scenario)
    built = build_model(loaded, spec, warnings, strict)
    lp, data, network = built.lp, built.data, built.network
    options = options_of(time_limit, rel_gap, threads)
    if progress is not None:
        progress("optimum")
    raw = solve_with_start(lp, options)
    if not has_plan(raw.status) or raw.x is None or raw.objective is None:
        raise NoOptimum(status_of(raw))
    names = rule_names(applied_rules(data, spec))

    def plan_of(solution: RawSolution, priced: RawSolution | None) -> Plan:
        assert solution.x is not None
        plan = heading(loaded, spec.name, names, solution, built.warnings)
        for key, value in extract(data, lp, network, solution, priced).items():
            setattr(plan, key, value)
        plan.objective = plan.costs["total"]
        return plan

    optimum = plan_of(raw, price(lp, raw, options) if raw.is_mip else raw)
    best = raw.objective
    cost = lp.cost_vector()
    used = np.flatnonzero(cost)
    # the solver meets the bound row to about 1e-9 relative: aim that much inside it, so a plan
    # said to be within 5% never reads 5.00% and a cent (at 0%, the optimum itself must fit)
    slack = 1e-9 * max(abs(best), 1.0) * (-1 if within > 0 else 1)
    lp.add_constraints(
        "alternatives_cost",
        pd.DataFrame({"bound": ["cost"]}),
        rows=np.zeros(len(used), dtype=np.int64),
        cols=used,
        vals=cost[used],
        upper=(1 + within) * best + slack,
        role="rule",
    )
    most = _stage_most(data, network)
    usage = _shares(data, network, raw.x)
    seen = [usage.copy()]
    found: list[Plan] = []
    extras: list[dict[str, Any]] = []
    notes = list(built.warnings)
    scale = EPSILON / max(abs(best), 1e-9)
    random = np.random.default_rng(RANDOM_SEED)
    repeated = False
    for _ in range(ATTEMPTS * count):
        if len(found) == count:
            break
        if progress is not None:
            progress(f"alternative {len(found) + 1}/{count}")
        objective = cost * scale
        # the used countries' weight; after a repeat, a random direction
        direction = random.uniform(0.0, 1.0, len(usage)) if repeated else usage
        objective[network.supply] += direction / most
        alt = solve_lp(lp, options, cost=objective)
        if not has_plan(alt.status) or alt.x is None:
            notes.append(f"alternative {len(found) + 1}: no plan ({status_of(alt)}); stopped")
            break
        shares = _shares(data, network, alt.x)
        repeated = any(np.abs(shares - s).max(initial=0.0) <= SAME for s in seen)
        if repeated:
            continue
        seen.append(shares)
        usage += shares
        plan = plan_of(alt, None)
        found.append(plan)
        spent = plan.costs["total"]
        extras.append(
            {
                "cost_over_optimum": spent / best - 1 if best else 0.0,
                "uses_less": _uses_less(optimum, plan),
            }
        )
    if len(found) < count:
        notes.append(
            f"only {len(found)} alternative(s) within {within:.1%} of the optimum differing "
            f"from it and from one another were found in {ATTEMPTS * count} solves"
        )
    return Alternatives(
        optimum, found, within, extras, notes, seconds=time.perf_counter() - started
    )


def _stage_most(data: Any, network: Any) -> np.ndarray:
    """V̄_o: the most offer o's stage can need (inf where no demand reaches it: weight 0)."""
    row = network.offer_volume_row
    most = np.full(len(row), np.inf)
    reached = row >= 0
    most[reached] = data.stage_volumes["max_volume"].to_numpy()[row[reached]]
    return np.where(most > 0, most, np.inf)


def _shares(data: Any, network: Any, x: np.ndarray) -> np.ndarray:
    """Each offer's share of its stage's volume in the plan ``x`` (0 where the stage is empty)."""
    row = network.offer_volume_row
    q = np.maximum(x[network.supply], 0.0)
    reached = row >= 0
    volume = np.bincount(row[reached], weights=q[reached], minlength=len(data.stage_volumes))
    share = np.zeros(len(q))
    stage_volume = volume[row[reached]]
    share[reached] = np.divide(
        q[reached], stage_volume, out=np.zeros(int(reached.sum())), where=stage_volume > 0
    )
    return share


def _uses_less(optimum: Plan, plan: Plan) -> list[dict[str, Any]]:
    """The countries ``plan`` gives a smaller share of a stage than the optimum does."""
    key = [c for c in SHARE_KEY if c in optimum.shares]
    if optimum.shares.empty:
        return []
    before = optimum.shares[[*key, "share"]].rename(columns={"share": "optimum_share"})
    after = plan.shares[[*key, "share"]] if len(plan.shares) else before.iloc[:0]
    merged = before.merge(after, how="left", on=key).fillna({"share": 0.0})
    less = merged[merged["share"] < merged["optimum_share"] - SAME]
    return [
        {str(k): (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in row.items()}
        for row in less[[*key, "share", "optimum_share"]].to_dict("records")
    ]
