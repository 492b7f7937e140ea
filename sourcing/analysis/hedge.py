"""hedge: reserve capacity before a disruption is known (two-stage stochastic programming).

The planner reserves capacity R_o with each offer now, at ``reservation_fee`` × price per unit;
then one scenario of the hedge file happens (the base, no change, takes the probability the
others leave), and the plan of that scenario buys within its reservations at the price, and
beyond them at price × (1 + ``spot_premium``). The extensive form
(:mod:`sourcing.analysis.extensive`) is solved once, all scenarios together. Reported:

    objective   the expected cost: fees + Σ_k p_k C_k (C_k: scenario k's second-stage cost)
    minimised   what was minimised: the objective, or with a risk weight w,
                fees + (1 − w)·Σ_k p_k C_k + w·CVaR_α(C)
    vss         the value of the stochastic solution: the base-only reservations (those of the
                base scenario solved alone, probability 1), and their contracts, fixed and
                evaluated on the same scenarios, minus the hedge (both as minimised: with w = 0
                the expected costs) ≥ 0
    evpi        the expected value of perfect information: the hedge's expected cost minus
                Σ_k p_k WS_k, WS_k the cost of scenario k solved alone with perfect foresight
                (reserving exactly what it buys) ≥ 0
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sourcing.analysis.common import build_model, options_of, status_of
from sourcing.analysis.extensive import (
    CVAR,
    FEE,
    Extensive,
    ScenarioProgram,
    extensive_form,
)
from sourcing.analysis.hedge_spec import HedgeSpec, load_hedge
from sourcing.api import InstanceLike, ModelLike, load
from sourcing.data.schema import Instance, ModelSpec
from sourcing.errors import SourcingError
from sourcing.model.build import applied_rules, rule_names
from sourcing.model.network import OFFER_LABEL
from sourcing.results.plan import Plan, extract, heading
from sourcing.results.rounding import tidy, tidy_frame
from sourcing.scenarios import apply_scenarios
from sourcing.solver import RawSolution, SolverOptions, has_plan, solve_lp

BASE = "base"


class NoHedge(SourcingError):
    """The extensive form has no plan (a scenario cannot be covered, or a limit was hit)."""

    def __init__(self, status: str, what: str):
        self.status = status
        super().__init__(
            f"no hedged plan ({status}) {what}: solve each scenario with "
            "'sourcing solve --scenario NAME' to see which cannot be covered and why"
        )


@dataclass
class Hedge:
    instance: str
    model: str
    currency: str
    unit: str
    status: str
    objective: float  # expected cost
    minimised: float
    cvar: float | None
    reservation_fees: float
    vss: float | None
    evpi: float
    expected_cost_of_base_reservations: float | None
    wait_and_see: float
    reservations: pd.DataFrame
    scenarios: pd.DataFrame
    purchases: pd.DataFrame
    plans: dict[str, Plan]
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, full: bool = False) -> dict[str, Any]:
        def money(v: float | None) -> float | None:
            return v if v is None or full else float(tidy(v, money=True))

        def table(frame: pd.DataFrame, name: str) -> list[dict[str, Any]]:
            return _rows(frame if full else tidy_frame(frame, name))

        scenarios = []
        for row in _rows(self.scenarios if full else tidy_frame(self.scenarios, "costs")):
            scenarios.append({**row, "plan": self.plans[row["scenario"]].to_dict(full)})
        return {
            "instance": self.instance,
            "model": self.model,
            "currency": self.currency,
            "unit": self.unit,
            "status": self.status,
            "objective": money(self.objective),
            "minimised": money(self.minimised),
            "cvar": money(self.cvar),
            "reservation_fees": money(self.reservation_fees),
            "vss": money(self.vss),
            "evpi": money(self.evpi),
            "expected_cost_of_base_reservations": money(self.expected_cost_of_base_reservations),
            "wait_and_see": money(self.wait_and_see),
            "reservations": table(self.reservations, "reservations"),
            "scenarios": scenarios,
            "purchases": table(self.purchases, "purchases"),
            "warnings": self.warnings,
            "stats": self.stats,
        }


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for record in frame.to_dict("records"):
        row = {}
        for key, value in record.items():
            if isinstance(value, (np.floating, float)):
                value = float(value) if np.isfinite(value) else None
            elif isinstance(value, np.integer):
                value = int(value)
            row[str(key)] = value
        out.append(row)
    return out


def hedge(
    instance: InstanceLike,
    model: ModelLike = None,
    *,
    hedge: str | Path | dict[str, Any] | HedgeSpec,
    time_limit: float | None = None,
    rel_gap: float | None = None,
    threads: int | None = None,
    strict: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Hedge:
    """The hedged plan of ``instance`` under ``model`` and the hedge file ``hedge``."""
    started = time.perf_counter()
    spec, folder = load_hedge(hedge)
    loaded, model_spec = load(instance, model)
    options = options_of(time_limit, rel_gap, threads)

    def say(what: str) -> None:
        if progress is not None:
            progress(what)

    say("build")
    base = _program(loaded, model_spec, BASE, [], spec.base_probability, strict)
    programs = [base] if spec.base_probability > 0 else []
    for entry in spec.scenarios:
        if entry.probability > 0:
            found = [_resolve(s, folder) for s in entry.sources]
            name = _unique(entry.label, programs)
            programs.append(_program(loaded, model_spec, name, found, entry.probability, strict))
    risk = spec.risk
    alpha, weight = (risk.cvar_alpha, risk.weight) if risk is not None else (None, 0.0)

    def form(chosen: list[ScenarioProgram]) -> Extensive:
        return extensive_form(
            base.data, chosen, spec.reservation_fee, spec.spot_premium, alpha, weight
        )

    say("hedge")
    main = form(programs)
    raw = _solved(main, options, "for the hedge")
    x = raw.x
    assert x is not None and raw.objective is not None
    fees = float(main.lp.cost_vector((FEE,)) @ x)
    second = np.array([main.second_stage_cost(k, x) for k in range(len(programs))])
    probability = np.array([p.probability for p in programs])
    expected = fees + float(probability @ second)

    seen = []
    for k, program in enumerate(programs):
        say(f"perfect foresight: {program.name} ({k + 1}/{len(programs)})")
        alone_form = form([replace(program, probability=1.0)])
        alone = _solved(alone_form, options, program.name)
        assert alone.objective is not None
        seen.append(alone.objective)
        if program is base:
            base_alone = (alone_form, alone)
    if base not in programs:
        say("the base alone")
        alone_form = form([replace(base, probability=1.0)])
        base_alone = (alone_form, _solved(alone_form, options, "for the base"))
    wait_and_see = float(probability @ np.array(seen))

    say("base reservations under the scenarios")
    eev = _base_evaluated(main, *base_alone, options)
    vss = None
    if eev is not None and eev.objective is not None:
        # ≥ 0 in exact arithmetic (the base reservations are one choice the hedge had): a
        # difference within the solver's tolerance of the cost is that tolerance, not a loss
        vss = eev.objective - raw.objective
        vss = 0.0 if abs(vss) <= 1e-7 * max(abs(raw.objective), 1.0) else vss
    eev_expected = None
    if eev is not None and eev.x is not None:
        eev_expected = float(main.lp.cost_vector((FEE,)) @ eev.x) + float(
            probability @ [main.second_stage_cost(k, eev.x) for k in range(len(programs))]
        )

    notes = sorted({w for p in programs for w in p.warnings})
    if vss is None:
        notes.append(
            "the base-only plan's reservations and contracts leave a scenario without a plan: "
            "its expected cost, and so the VSS, is unbounded (reported as null)"
        )
    if status_of(raw) != "optimal":
        notes.append(
            f"the hedge is {status_of(raw)}, not proven optimal (a limit was reached): VSS and "
            "EVPI compare it with plans that may be better than it"
        )
    plans = {p.name: _plan(main, k, raw, model_spec) for k, p in enumerate(programs)}
    cvar = None
    if main.eta is not None:
        cvar = float(main.lp.cost_vector((CVAR,)) @ x) / weight + fees
    return Hedge(
        instance=loaded.name,
        model=model_spec.name,
        currency=loaded.currency,
        unit=loaded.unit,
        status=status_of(raw),
        objective=expected,
        minimised=float(raw.objective),
        cvar=cvar,
        reservation_fees=fees,
        vss=vss,
        evpi=expected - wait_and_see,
        expected_cost_of_base_reservations=eev_expected,
        wait_and_see=wait_and_see,
        reservations=_reservations(main, x, spec.reservation_fee),
        scenarios=pd.DataFrame(
            {
                "scenario": [p.name for p in programs],
                "probability": probability,
                "cost": second,
                "spot_premium": [_spot_premium(main, k, x) for k in range(len(programs))],
            }
        ),
        purchases=_purchases(main, x),
        plans=plans,
        warnings=notes,
        stats={
            "variables": main.lp.n_vars,
            "constraints": main.lp.n_rows,
            "nonzeros": main.lp.n_nonzeros,
            "scenarios": len(programs),
            "seconds": time.perf_counter() - started,
        },
    )


def _resolve(name: str | dict[str, Any], folder: Path | None) -> str | dict[str, Any]:
    """A scenario path relative to the hedge file when it is one there; else as written."""
    if isinstance(name, str) and folder is not None and (folder / name).is_file():
        return str(folder / name)
    return name


def _unique(label: str, programs: list[ScenarioProgram]) -> str:
    names = {p.name for p in programs}
    if label not in names:
        return label
    number = 2
    while f"{label}#{number}" in names:
        number += 1
    return f"{label}#{number}"


def _program(
    loaded: Instance,
    spec: ModelSpec,
    name: str,
    sources: list[str | dict[str, Any]],
    probability: float,
    strict: bool,
) -> ScenarioProgram:
    changed, warnings = apply_scenarios(loaded, sources) if sources else (loaded, [])
    built = build_model(changed, spec, warnings, strict)
    return ScenarioProgram(name, probability, built.data, built.lp, built.network, built.warnings)


def _solved(ef: Extensive, options: SolverOptions, what: str) -> RawSolution:
    raw = solve_lp(ef.lp, options)
    if not has_plan(raw.status) or raw.x is None or raw.objective is None:
        raise NoHedge(status_of(raw), what)
    return raw


def _base_evaluated(
    main: Extensive, base_form: Extensive, base_alone: RawSolution, options: SolverOptions
) -> RawSolution | None:
    """The hedge with the base-only reservations (and contracts) fixed: None if that leaves
    no plan (a scenario needs a contract the base did not sign).

    The base-only reservations are what the base alone buys within its reservations: the same
    as its reservations when reserving costs a fee, and the one sensible choice among the many
    optimal ones when it is free (any R ≥ what is bought)."""
    assert base_alone.x is not None
    placed = base_form.placed[0]
    reserve_alone = np.zeros(len(main.reserve))
    reserve_alone[placed.base_offer] = np.maximum(base_alone.x[placed.reserved], 0.0)
    cols, values = [main.reserve], [reserve_alone]
    if "contract@0" in main.lp.variables:
        block = base_form.lp.variables["contract@0"]
        alone = np.round(base_alone.x[block.ids])  # HiGHS holds 1 as 0.9999999
        for k in range(len(main.placed)):
            block = main.lp.variables[f"contract@{k}"]
            cols.append(block.ids)
            values.append(alone)
    raw = solve_lp(main.lp, options, fix=(np.concatenate(cols), np.concatenate(values)))
    return raw if has_plan(raw.status) and raw.x is not None else None


def _plan(main: Extensive, k: int, raw: RawSolution, spec: ModelSpec) -> Plan:
    """Scenario k's plan, as a solve reports it, with the spot premium as a cost (no duals: a
    scenario's rows are priced in the extensive form by its probability and the risk weight)."""
    assert raw.x is not None
    program = main.placed[k].scenario
    x = raw.x[main.columns(k)]
    own = RawSolution(raw.termination, raw.status, raw.is_mip, objective=None, x=x)
    rules = rule_names(applied_rules(program.data, spec))
    plan = heading(program.data.instance, spec.name, rules, raw, program.warnings)
    for key, value in extract(program.data, program.lp, program.network, own, None).items():
        setattr(plan, key, value)
    premium = _spot_premium(main, k, raw.x)
    plan.costs = {**{c: v for c, v in plan.costs.items() if c != "total"}, "spot_premium": premium}
    plan.costs["total"] = float(sum(plan.costs.values()))
    plan.objective = plan.costs["total"]
    return plan


def _spot_premium(main: Extensive, k: int, x: np.ndarray) -> float:
    placed = main.placed[k]
    price = placed.scenario.data.offers["price"].to_numpy()
    return float(main.premium * (price @ x[placed.spot]))


def _reservations(main: Extensive, x: np.ndarray, fee: float) -> pd.DataFrame:
    index = main.lp.variables["reserve"].index
    reserved = _clean(x[main.reserve])
    frame = index.assign(price=main.price, reserved=reserved, fee=fee * main.price * reserved)
    frame = frame[frame["reserved"] > 1e-7].reset_index(drop=True)
    return _no_period(frame)


def _purchases(main: Extensive, x: np.ndarray) -> pd.DataFrame:
    """Each scenario's purchases per offer: reserved and spot (those above the noise)."""
    parts = []
    for placed in main.placed:
        offers = placed.scenario.data.offers
        parts.append(
            offers[OFFER_LABEL].assign(
                scenario=placed.scenario.name,
                reserved=_clean(x[placed.reserved]),
                spot=_clean(x[placed.spot]),
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[(frame["reserved"] > 1e-7) | (frame["spot"] > 1e-7)]
    frame = frame[["scenario", *OFFER_LABEL, "reserved", "spot"]].reset_index(drop=True)
    return _no_period(frame)


def _clean(values: np.ndarray) -> np.ndarray:
    """Quantities with the solver's noise (|x| ≤ 1e-9, a -0.0) read as 0."""
    return np.where(np.abs(values) <= 1e-9, 0.0, values)


def _no_period(frame: pd.DataFrame) -> pd.DataFrame:
    if "period" in frame and (frame["period"] == "").all():
        return frame.drop(columns="period")
    return frame
