"""sweep: disruption scenarios by the thousand, one tidy table, on local workers or a Dask cluster.

The grid. ``disrupt=K, cuts=[c, ...]``: for each mineral, its K largest supplier countries in
the base plan (by value, Σ price × quantity over every stage, as :func:`~sourcing.analysis.stress`
ranks them per mineral), each losing a fraction c of capacity::

    upper bound of supply(offer) = capacity(offer) × (1 − c)    for that mineral's offers from
                                                                 that country, at every stage

(c = 1 closes them; an offer without a capacity stays unlimited under c < 1, as the scenario
library's capacity cut leaves it). This is a bound, not a rebuild: each worker keeps the base
program in a warm session (block by block for a large program that separates,
:func:`~sourcing.solver.block_session.open_session`) and re-solves each cut from the base basis.
Every ``scenarios`` entry (a library name or path) changes data, so it is applied to the instance
and rebuilt and solved cold, once, as :func:`sourcing.solve` would.

One row per scenario (the base plan first)::

    extra_cost           = objective − base objective
    shortfall            = demand left unmet (Σ over demand rows; penalised, not infeasible)
    largest_share_after  = the largest single-country share at any stage of the mineral cut
                           (of every mineral, for a library scenario)
    shares_after         = 'stage TOP share' per stage of that mineral: the per-stage detail

A scenario with no plan is a row with its status and no objective; a scenario that fails (a
bad library file, an error in a worker) is a row with status ``error`` and the message in
``error``; neither stops the sweep.

How it runs. Tasks are grouped by mineral (one group per mineral, the library scenarios one
each), so one worker re-solves one block's cuts in its session; the base program goes to each
worker once (:meth:`~sourcing.solver.executor.Executor.map_shared`), keyed by its content hash,
and a worker builds its session from it once.
"""

from __future__ import annotations

import hashlib
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sourcing.analysis.common import (
    Built,
    build_model,
    load_with_scenarios,
    options_of,
    status_of,
)
from sourcing.analysis.stress import NoBasePlan, _largest, _offers_of
from sourcing.api import InstanceLike, ModelLike
from sourcing.errors import InputError, Problem
from sourcing.results.plan import TOLERANCE, noise
from sourcing.scenarios import Scenario, ScenarioLike, ScenariosLike, load_scenario
from sourcing.solver import SolverOptions
from sourcing.solver.block_session import open_session
from sourcing.solver.executor import Executor, InProcess
from sourcing.solver.session import Session

COLUMNS = [
    "scenario",
    "mineral",
    "country",
    "cut",
    "status",
    "objective",
    "extra_cost",
    "shortfall",
    "largest_share_after",
    "shares_after",
    "base_value",
    "error",
]


@dataclass(frozen=True)
class Base:
    """What every worker receives once: the base program, built, and how to solve it."""

    digest: str
    built: Built
    options: SolverOptions
    objective: float


@dataclass(frozen=True)
class Cut:
    """Cut ``cut`` of ``country``'s capacity for ``mineral`` (value: its base-plan value)."""

    mineral: str
    country: str
    cut: float
    value: float

    @property
    def name(self) -> str:
        return f"{self.mineral}/{self.country}/cut {self.cut:g}"


@dataclass(frozen=True)
class Named:
    """A library scenario as given (``name``), read where the sweep starts when it can be
    (``scenario``), so a worker needs no copy of the library; else read, or failed, there."""

    name: str
    scenario: Scenario | None
    source: Any = None


def parse_disrupt(text: str) -> int:
    """``top:K`` -> K (at least 1)."""
    kind, _, count = text.partition(":")
    if kind.strip() != "top" or not count.strip().isdigit() or int(count) < 1:
        raise InputError([Problem("sweep", None, "disrupt", f"'{text}' is not top:K, K ≥ 1")])
    return int(count)


def parse_cuts(text: str) -> list[float]:
    """``0.5,1.0`` -> [0.5, 1.0]; each cut a fraction in (0, 1]."""
    cuts = []
    for part in text.split(","):
        try:
            cut = float(part)
        except ValueError:
            cut = float("nan")
        if not 0 < cut <= 1:  # NaN fails too
            raise InputError(
                [Problem("sweep", None, "cuts", f"'{part.strip()}' is not a fraction in (0, 1]")]
            )
        cuts.append(cut)
    return cuts


def sweep(
    instance: InstanceLike,
    model: ModelLike = None,
    *,
    disrupt: int | None = None,
    cuts: Sequence[float] = (),
    scenarios: Sequence[ScenarioLike] = (),
    scenario: ScenariosLike = None,
    executor: Executor | None = None,
    time_limit: float | None = None,
    rel_gap: float | None = None,
    threads: int | None = None,
    strict: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """The sweep's table (see the module doc). ``scenario`` is applied to the base itself;
    ``scenarios`` are the library scenarios added as rows; ``progress(done, total)`` is called
    as groups of scenarios finish."""
    if disrupt is not None and not cuts:
        raise InputError([Problem("sweep", None, "cuts", "--disrupt needs --cuts")])
    if disrupt is None and not scenarios:
        raise InputError(
            [Problem("sweep", None, "disrupt", "nothing to sweep: give --disrupt or --scenario")]
        )
    started = time.perf_counter()
    loaded, spec, warnings = load_with_scenarios(instance, model, scenario)
    built = build_model(loaded, spec, warnings, strict)
    options = options_of(time_limit, rel_gap, threads)
    blob = pickle.dumps((built, options), protocol=pickle.HIGHEST_PROTOCOL)
    warm = _warm(Base(hashlib.sha256(blob).hexdigest(), built, options, 0.0))
    base_raw = warm.base
    if base_raw.x is None or base_raw.objective is None:
        raise NoBasePlan(status_of(base_raw), "")
    base = Base(warm.key.digest, built, options, base_raw.objective)
    groups: list[list[Cut | Named]] = []
    if disrupt is not None:
        offers = built.data.offers
        value = base_raw.x[built.network.supply] * offers["price"].to_numpy()
        ranked = _largest(offers, np.where(value > TOLERANCE, value, 0.0), disrupt, "mineral")
        by_mineral: dict[str, list[Cut | Named]] = {}
        for supplier in ranked:
            by_mineral.setdefault(supplier["mineral"], []).extend(
                Cut(supplier["mineral"], supplier["country"], c, supplier["value"]) for c in cuts
            )
        groups += list(by_mineral.values())
    groups += [[_named(name)] for name in scenarios]
    total = sum(len(g) for g in groups)
    finished = 0

    def done() -> None:
        nonlocal finished
        finished += 1
        if progress is not None:
            progress(finished, len(groups))

    if progress is not None:
        progress(0, len(groups))
    try:
        rows = (executor or InProcess()).map_shared(run_group, base, groups, done)
    finally:
        _sessions.pop(base.digest, None)  # this process's copy (a worker's stays for reuse)
    first = _base_row(built, base_raw)
    frame = pd.DataFrame.from_records([first] + [r for group in rows for r in group])
    frame = frame.reindex(columns=COLUMNS)
    frame.attrs.update(
        instance=loaded.name,
        model=spec.name,
        base_cost=base.objective,
        scenarios=total,
        failed=int((frame["status"] == "error").sum()),
        currency=loaded.currency,
        unit=loaded.unit,
        warnings=built.warnings,
        seconds=time.perf_counter() - started,
    )
    return frame


class _Warm:
    """A worker's session on the base program, solved once (its basis kept)."""

    def __init__(self, key: Base):
        self.key = key
        self.session: Session | Any = open_session(key.built.lp, key.options)
        self.base = self.session.solve()
        self.basis: Any = self.session.basis  # a HighsBasis, or one per block
        self.measures = Measures(key.built)


#: in each worker: the warm sessions of the latest bases received, by content hash (a few, so
#: two sweeps sharing a cluster do not rebuild each other's in turn)
_sessions: dict[str, _Warm] = {}
KEEP = 4


def _warm(base: Base) -> _Warm:
    warm = _sessions.pop(base.digest, None) or _Warm(base)
    _sessions[base.digest] = warm  # the most recent last
    while len(_sessions) > KEEP:
        del _sessions[next(iter(_sessions))]
    return warm


def _named(source: ScenarioLike) -> Named:
    label = source.get("name") if isinstance(source, dict) else getattr(source, "name", None)
    label = str(label or ("scenario" if isinstance(source, (dict, Scenario)) else source))
    try:
        scenario = load_scenario(source)
    except Exception:  # noqa: BLE001 - the worker meets the same error and makes it a row
        return Named(label, None, source)
    return Named(scenario.name or label, scenario, source)


def run_group(base: Base, group: list[Cut | Named]) -> list[dict[str, Any]]:
    """Solve one group of scenarios (runs in a worker); each failure is its own row."""
    rows = []
    for item in group:
        try:
            if isinstance(item, Cut):
                rows.append(_cut_row(base, item))
            else:
                rows.append(_library_row(base, item))
        except Exception as error:  # noqa: BLE001 - a failed scenario is a row, not a crash
            cut = item if isinstance(item, Cut) else None
            rows.append(
                {
                    "scenario": item.name,
                    "mineral": cut.mineral if cut else "",
                    "country": cut.country if cut else "",
                    "cut": cut.cut if cut else np.nan,
                    "status": "error",
                    "error": f"{type(error).__name__}: {error}",
                }
            )
    return rows


def _cut_row(base: Base, cut: Cut) -> dict[str, Any]:
    warm = _warm(base)
    built, session = base.built, warm.session
    cols = built.network.supply[_offers_of(built.data.offers, vars(cut))]
    upper = session.built_upper[cols]
    lowered = np.zeros_like(upper) if cut.cut >= 1 else upper * (1 - cut.cut)
    session.set_column_bounds(cols, upper=lowered)
    try:
        raw = session.solve(basis=warm.basis)
    finally:
        session.set_column_bounds(cols, upper=upper)
    row = {
        "scenario": cut.name,
        "mineral": cut.mineral,
        "country": cut.country,
        "cut": cut.cut,
        "base_value": cut.value,
        "error": "",
    }
    return {**row, **_outcome(built, raw, base.objective, cut.mineral, warm.measures)}


def _library_row(base: Base, named: Named) -> dict[str, Any]:
    built, name = base.built, named.name
    source = named.scenario if named.scenario is not None else named.source
    loaded, spec, warnings = load_with_scenarios(built.instance, built.model, [source])
    changed = build_model(loaded, spec, warnings)
    raw = Session(changed.lp, base.options).solve()
    row = {"scenario": name, "mineral": "", "country": "", "cut": np.nan, "error": ""}
    return {**row, **_outcome(changed, raw, base.objective, None)}


def _base_row(built: Built, raw: Any) -> dict[str, Any]:
    row = {"scenario": "base", "mineral": "", "country": "", "cut": 0.0, "error": ""}
    return {**row, **_outcome(built, raw, raw.objective, None)}


def _outcome(
    built: Built, raw: Any, base_cost: float, mineral: str | None, measures: Measures | None = None
) -> dict[str, Any]:
    status = status_of(raw)
    if raw.x is None or raw.objective is None:
        return {"status": status, "objective": np.nan, "extra_cost": np.nan, "shortfall": np.nan}
    measures = measures or Measures(built)
    largest, detail = measures.shares(raw.x, raw.scaling, mineral)
    return {
        "status": status,
        "objective": raw.objective,
        "extra_cost": raw.objective - base_cost,
        "shortfall": measures.shortfall(raw.x, raw.scaling),
        "largest_share_after": largest,
        "shares_after": detail,
    }


class Measures:
    """A plan's shortfall and country shares in numpy, index arrays computed once per program:
    the numbers of :func:`~sourcing.results.plan.shortfall_of` and
    :func:`~sourcing.results.plan.shares_of` (each country's offers at a stage summed) without
    building their tables for every scenario."""

    def __init__(self, built: Built):
        data, lp, network = built.data, built.lp, built.network
        offers = data.offers
        self.supply = network.supply
        stage = offers[["mineral", "period", "stage_pos", "stage"]].astype(str)
        stage["stage_pos"] = offers["stage_pos"].to_numpy()
        self.stage_of, stages = pd.factorize(pd.MultiIndex.from_frame(stage))
        pair = pd.MultiIndex.from_arrays([self.stage_of, offers["country"].astype(str)])
        self.pair_of, pairs = pd.factorize(pair)
        self.pair_stage = np.asarray(pairs.get_level_values(0), dtype=np.int64)
        self.pair_country = np.asarray(pairs.get_level_values(1), dtype=object)
        self.stage_labels = [(m, p, s) for m, p, _, s in stages]
        order = sorted(range(len(stages)), key=lambda k: tuple(stages[k][:3]))
        self.stages_of: dict[str | None, list[int]] = {None: order}
        for k in order:
            self.stages_of.setdefault(stages[k][0], []).append(k)
        demand = lp.constraints["demand"]
        flow = lp.variables["flow"]
        is_flow = (demand.cols >= flow.start) & (demand.cols < flow.start + len(flow.index))
        self.demand_rows = demand.rows[is_flow] - demand.start
        self.demand_cols = demand.cols[is_flow]
        self.demand_ids = demand.ids
        self.demand = data.demand["quantity"].to_numpy(dtype=float)

    def shortfall(self, x: np.ndarray, scaling: Any) -> float:
        delivered = np.bincount(
            self.demand_rows, weights=x[self.demand_cols], minlength=len(self.demand)
        )
        short = np.maximum(self.demand - delivered, 0.0)
        unit = 1.0 if scaling is None else scaling.row[self.demand_ids]
        short[short < TOLERANCE * np.maximum(unit, self.demand)] = 0.0
        return float(short.sum())

    def shares(self, x: np.ndarray, scaling: Any, mineral: str | None) -> tuple[float, str]:
        """The largest share at any stage of ``mineral`` (every mineral: None), and per stage
        'stage COUNTRY share'."""
        quantity = x[self.supply]
        quantity = np.where(quantity > noise(scaling, self.supply), quantity, 0.0)
        by_pair = np.bincount(self.pair_of, weights=quantity, minlength=len(self.pair_stage))
        volume = np.bincount(self.pair_stage, weights=by_pair, minlength=len(self.stage_labels))
        largest, parts = np.nan, []
        for k in self.stages_of.get(mineral, []):
            if volume[k] <= 0:
                continue
            mine = np.flatnonzero(self.pair_stage == k)
            top = mine[np.argmax(by_pair[mine])]
            share = by_pair[top] / volume[k]
            largest = share if np.isnan(largest) else max(largest, share)
            m, period, stage = self.stage_labels[k]
            where = f"{stage}" + (f" {period}" if period else "")
            parts.append(
                f"{where} {self.pair_country[top]} {share:.1%}"
                + (f" ({m})" if mineral is None else "")
            )
        return float(largest), "; ".join(parts)
