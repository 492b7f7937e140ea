"""The one call every adapter (command line, HTTP service, Python) goes through.

    load ─▶ index ─▶ check ─▶ build ─▶ solve ─▶ extract ─▶ Plan

Each phase is timed into ``Plan.stats["seconds"]``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sourcing.data.io import load_instance, load_model
from sourcing.data.references import check_rules
from sourcing.data.schema import Instance, ModelSpec
from sourcing.errors import InputError
from sourcing.model import consistency
from sourcing.model.build import applied_rules, build, rule_names
from sourcing.model.consistency import CannotHold
from sourcing.model.index import index_instance
from sourcing.results import explain
from sourcing.results.partial import partial_plan
from sourcing.results.plan import Plan, extract, heading
from sourcing.scenarios import ScenariosLike, apply_scenarios
from sourcing.solver import SolutionStatus, SolverOptions, TerminationCondition, price
from sourcing.solver.blocks import find_blocks
from sourcing.solver.split import SPLIT_FROM, solve_in_blocks
from sourcing.solver.start import solve_with_start

InstanceLike = str | Path | dict[str, Any] | Instance
ModelLike = str | Path | dict[str, Any] | ModelSpec | None


def validate(
    instance: InstanceLike,
    model: ModelLike = None,
    strict: bool = False,
    scenario: ScenariosLike = None,
) -> list[str]:
    """Load and check; raise :class:`InputError` on errors; return the warnings.

    Under ``strict`` the consistency warnings are errors too. ``scenario``: as for :func:`solve`.
    """
    loaded, spec = load(instance, model)
    loaded, changed = apply_scenarios(loaded, scenario)
    data = index_instance(loaded)
    warnings = changed + consistency.check(data, spec)
    if strict and warnings:
        raise InputError(warnings)
    if spec.extensions:  # code: run it and translate it, so a broken file is found now
        build(data, spec)
    return [str(w) for w in warnings]


def solve(
    instance: InstanceLike,
    model: ModelLike = None,
    *,
    time_limit: float | None = None,
    rel_gap: float | None = None,
    threads: int | None = None,
    tee: bool = False,
    strict: bool = False,
    explain_infeasible: bool = True,
    progress: Callable[[str], None] | None = None,
    scenario: ScenariosLike = None,
    blocks: bool | None = None,
    jobs: int | None = None,
) -> Plan:
    """The least-cost plan for ``instance`` under ``model`` (a name, a path or a ModelSpec).

    ``progress`` is called with the name of each phase as it starts (``load``, ``index``,
    ``check``, ``build``, ``solve``, then ``duals``, ``extract`` or ``explain``).

    ``scenario``: a scenario (a name under ``scenarios/``, a path, a mapping or a
    :class:`~sourcing.scenarios.Scenario`) or a list of them, applied in order to the data
    before it is indexed; their warnings (names the instance lacks) join the plan's warnings.

    ``blocks``: whether to solve the program block by block (:mod:`sourcing.solver.split`: no
    row couples two minerals or periods). ``None`` (the default) splits a program of at least
    :data:`SPLIT_FROM` nonzeros, where it pays; a smaller one goes to HiGHS whole (milliseconds
    either way). ``jobs``: how many blocks of a large program are solved at once, on threads of
    this process (``None``: one per core; ``1``: one after another; :mod:`sourcing.solver.split`).
    """
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[phase] = seconds.get(phase, 0.0) + now - clock
        clock = now

    def starting(phase: str) -> None:
        if progress is not None:
            progress(phase)

    starting("load")
    loaded, spec = load(instance, model)
    loaded, changed = apply_scenarios(loaded, scenario)
    lap("load")
    starting("index")
    data = index_instance(loaded)
    lap("index")
    starting("check")
    warnings = changed + consistency.check(data, spec)
    if strict and warnings:
        raise InputError(warnings)
    lap("check")
    starting("build")
    lp, network = build(data, spec)
    lap("build")
    starting("solve")
    options = SolverOptions(time_limit=time_limit, rel_gap=rel_gap, threads=threads, tee=tee)
    if blocks is None:
        blocks = lp.n_nonzeros >= SPLIT_FROM
    finding = time.perf_counter()
    parts = find_blocks(lp) if blocks else []
    finding = time.perf_counter() - finding  # counted with the handoff it prepares
    # a (mineral, period) a pre-solve check proved to have no plan is not searched for one
    settled = {w.proves: str(w) for w in warnings if isinstance(w, CannotHold) and w.proves}
    if len(parts) > 1:
        raw = solve_in_blocks(lp, options, parts, jobs=jobs, settled=settled)
    else:
        raw = solve_with_start(lp, options)  # a MIP starts from a rounded LP plan
    seconds["handoff"] = raw.times.get("handoff", 0.0) + finding
    seconds["solve"] = sum(raw.times.get(k, 0.0) for k in ("start", "solve", "read"))
    clock = time.perf_counter()
    if raw.termination is TerminationCondition.infeasible_or_unbounded and not spec.extensions:
        # every cost is ≥ 0 and every variable ≥ 0, so the objective is bounded below by 0:
        # HiGHS's presolve could not tell which, but it can only be infeasible (an extension's
        # own variables and cost terms may be unbounded: then the condition stays as it is)
        raw.termination = TerminationCondition.infeasible

    rules = applied_rules(data, spec)
    plan = heading(loaded, spec.name, rule_names(rules), raw, [str(w) for w in warnings])
    plan.objective, plan.bound, plan.gap = raw.objective, raw.bound, raw.gap
    if raw.status is not SolutionStatus.no_solution:
        priced = raw
        if raw.is_mip:
            starting("duals")
            priced = price(lp, raw, options, blocks=parts, jobs=jobs)
            lap("duals")
        starting("extract")
        for key, value in extract(data, lp, network, raw, priced).items():
            setattr(plan, key, value)
        lap("extract")
    elif raw.termination is TerminationCondition.infeasible and explain_infeasible:
        starting("explain")
        # when every infeasible block was proved so before solving, the proof is the reason:
        # the elastic re-solve would search those blocks anyway (tens of seconds for a MIP)
        proved = raw.blocks is not None and all(
            b["status"] != "infeasible" or b["proved_before_solving"] for b in raw.blocks
        )
        plan.infeasibility = explain.explain(
            data, lp, network, options, warnings=warnings, elastic=not proved
        )
        lap("explain")
    if raw.status is SolutionStatus.no_solution and (part := partial_plan(data, lp, network, raw)):
        starting("extract")  # the blocks that have a plan keep it, marked as partial
        plan.infeasibility = {
            **(plan.infeasibility or {}),
            "partial_plan": part.pop("partial_plan"),
        }
        for key, value in part.items():
            setattr(plan, key, value)
        lap("extract")
    seconds["total"] = sum(seconds.values())
    plan.stats = {
        "variables": lp.n_vars,
        "integer_variables": int(lp.integrality().sum()),
        "constraints": lp.n_rows,
        "nonzeros": lp.n_nonzeros,
        "offers": len(data.offers),
        "lanes": len(data.lanes),
        "seconds": seconds,
        "solver_message": raw.message,
    }
    if raw.blocks is not None:
        plan.stats["blocks"] = raw.blocks
    return plan


def build_pyomo(instance: InstanceLike, model: ModelLike = None) -> Any:
    """The Pyomo ``ConcreteModel`` of ``instance`` under ``model``: the same formulation as
    :func:`solve` hands to HiGHS, for extension, LP/MPS export or another solver."""
    from sourcing.model.pyomo_model import to_pyomo

    loaded, spec = load(instance, model)
    lp, _ = build(index_instance(loaded), spec)
    return to_pyomo(lp)


def load(instance: InstanceLike, model: ModelLike = None) -> tuple[Instance, ModelSpec]:
    """Load and validate an instance and a model, and the model's rules against the instance."""
    loaded = load_instance(instance)
    spec = load_model(model)
    problems = check_rules(spec.rules, loaded)
    if problems:
        raise InputError(problems)
    return loaded, spec
