"""Extract the plan a planner reads from a raw solution: flows, shares, costs, shortfall, duals.

Everything is in the planner's words: minerals, stages, countries, sites, currency and units.
The plan's JSON (``Plan.to_dict``) is a public interface: its top-level keys are stable.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from sourcing.data.schema import Instance
from sourcing.model.frames import taken
from sourcing.model.index import NO_PERIOD, ModelData
from sourcing.model.lp import PRICED_ROLES, PUBLIC_COSTS, LinearProgram
from sourcing.model.network import Network
from sourcing.results.rounding import records, tidy, tidy_frame
from sourcing.results.shares import supply_shares
from sourcing.solver import RawSolution, SolutionStatus, TerminationCondition
from sourcing.solver.scaling import Scaling, identity

#: Below this a quantity (or a dual) is the solver's noise, in the units HiGHS solved in: times the
#: scale of each column or row (sourcing.solver.scaling), 1 for an ordinary instance.
TOLERANCE = 1e-7


class Plan(BaseModel):
    """The least-cost plan, or why there is none."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    instance: str
    model: str
    rules: list[str] = Field(default_factory=list)
    currency: str = ""
    unit: str = ""
    termination_condition: TerminationCondition
    solution_status: SolutionStatus
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    costs: dict[str, float] = Field(default_factory=dict)
    #: money that is not the buyer's (price_floor's public top-up and clawback, reference
    #: tariffs collected), signed as a cost to the public purse, with its ``total``; empty
    #: without such rules. Not in ``objective``, which stays the buyer's cost.
    public: dict[str, float] = Field(default_factory=dict)
    flows: pd.DataFrame = Field(default_factory=pd.DataFrame)
    shares: pd.DataFrame = Field(default_factory=pd.DataFrame)
    concentration: pd.DataFrame = Field(default_factory=pd.DataFrame)
    shortfall: pd.DataFrame = Field(default_factory=pd.DataFrame)
    #: stock by site, mineral and period (opening, in, out, closing); empty without stockpiles
    stock: pd.DataFrame = Field(default_factory=pd.DataFrame)
    duals: dict[str, Any] = Field(default_factory=dict)
    infeasibility: dict[str, Any] | None = None
    warnings: list[str] = Field(default_factory=list)
    stats: dict[str, Any] = Field(default_factory=dict)

    @property
    def has_solution(self) -> bool:
        return self.solution_status is not SolutionStatus.no_solution

    def to_dict(self, full: bool = False) -> dict[str, Any]:
        """The plan as plain data. Numbers are rounded as :mod:`sourcing.results.rounding` says
        (9 significant digits, money at least to the cent) unless ``full``."""
        return {name: _plain(getattr(self, name), name, full) for name in type(self).model_fields}

    def to_json(self, indent: int | None = 2, full: bool = False) -> str:
        return json.dumps(self.to_dict(full), indent=indent, allow_nan=False)


#: the plan's fields that are money (rounded never coarser than cents)
_MONEY_FIELDS = {"objective", "bound", "costs", "public"}


def heading(
    instance: Instance, model: str, rules: list[str], raw: RawSolution, warnings: list[str]
) -> Plan:
    """A plan's heading: what was solved under which rules, and how the solve ended; its tables
    come from :func:`extract`."""
    return Plan(
        instance=instance.name,
        model=model,
        rules=rules,
        currency=instance.currency,
        unit=instance.unit,
        termination_condition=raw.termination,
        solution_status=raw.status,
        warnings=warnings,
    )


def _plain(value: Any, name: str, full: bool) -> Any:
    """One field of the plan as plain data: ``_jsonable(value if full else _tidy(name, value))``,
    tables a column at a time (:func:`sourcing.results.rounding.records`)."""
    if isinstance(value, pd.DataFrame):
        return records(value, name, full, _jsonable)
    if isinstance(value, dict):
        return {
            k: _plain(v, f"{name}_{k}" if name == "duals" else name, full) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_plain(v, name, full) for v in value]
    return _jsonable(value if full else _tidy(name, value))


def _tidy(name: str, value: Any) -> Any:
    """One field of the plan rounded for output."""
    if isinstance(value, pd.DataFrame):
        return tidy_frame(value, name)
    if isinstance(value, dict):
        return {k: _tidy(f"{name}_{k}" if name == "duals" else name, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tidy(name, v) for v in value]
    if isinstance(value, (float, np.floating)) and not isinstance(value, bool):
        return tidy(float(value), money=name in _MONEY_FIELDS)
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return [{k: _jsonable(v) for k, v in row.items()} for row in value.to_dict("records")]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (TerminationCondition, SolutionStatus)):
        return value.value
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def extract(
    data: ModelData,
    lp: LinearProgram,
    network: Network,
    raw: RawSolution,
    duals: RawSolution | None,
) -> dict[str, Any]:
    """The solution part of a plan (fields of :class:`Plan`)."""
    x = raw.x
    assert x is not None
    # the optional components (holding, an extension's terms) only where the program has some
    costs = {c: lp.component_cost(c, x) for c in lp.cost_components()}
    costs["total"] = float(sum(costs.values()))
    public = {c: lp.public_cost(c, x) for c in PUBLIC_COSTS if c in lp.public}
    if public:
        public["total"] = float(sum(public.values()))
    out: dict[str, Any] = {
        "costs": costs,
        "public": public,
        "flows": _flows(data, network, x, raw.scaling),
        "shortfall": shortfall_of(data, lp, x, raw.scaling),
        "stock": stock_of(data, lp, x, raw.scaling),
    }
    out["shares"], out["concentration"] = shares_of(data, network, x, raw.scaling)
    out["duals"] = _duals(data, lp, network, duals) if duals is not None else {}
    if raw.is_mip and duals is not None:
        out["duals"]["basis"] = "LP with the MIP's binary choices fixed at the optimum"
    elif not raw.is_mip and duals is not None:
        out["duals"]["basis"] = "LP"
    return _drop_period(data, out)


def _drop_period(data: ModelData, out: dict[str, Any]) -> dict[str, Any]:
    """Without declared periods, the period column says nothing: leave it out."""
    if data.periods != [NO_PERIOD]:
        return out
    # every table here was made by this extraction: its period column is dropped in place
    for value in out.values():
        tables = value.values() if isinstance(value, dict) else [value]
        for table in tables:
            if isinstance(table, pd.DataFrame) and "period" in table:
                del table["period"]
    return out


def noise(scaling: Scaling | None, cols: np.ndarray) -> np.ndarray | float:
    """The largest value of variables ``cols`` that is the solver's noise, not a quantity."""
    return TOLERANCE if scaling is None else TOLERANCE * scaling.column[cols]


def _flows(
    data: ModelData, network: Network, x: np.ndarray, scaling: Scaling | None
) -> pd.DataFrame:
    lanes = data.lanes
    quantity = x[network.flow]
    used = np.flatnonzero(quantity > noise(scaling, network.flow))
    # by mineral, period and stage, each lane where it was among them (a stable sort)
    used = used[
        np.lexsort(
            (
                lanes["stage_pos"].to_numpy()[used],
                _rank(lanes["period"].to_numpy(dtype=object)[used]),
                _rank(lanes["mineral"].to_numpy(dtype=object)[used]),
            )
        )
    ]
    flows = taken(lanes, ["mineral", "period", "stage", "from_country", "to_country"], used)
    site = lanes["site"].to_numpy(dtype=object)[used]
    site[pd.isna(site)] = None  # the default site: no site
    flows["site"] = pd.Series(site, dtype="object")
    flows["quantity"] = x[network.flow[used]]
    flows.update(taken(lanes, ["price", "transport", "tariff"], used))
    flows["unit_cost"] = flows["price"] + flows["transport"] + flows["tariff"]
    return pd.DataFrame(flows)


def _rank(values: np.ndarray) -> np.ndarray:
    """Each value's place among the sorted distinct values."""
    return pd.factorize(values, sort=True)[0]


def shares_of(
    data: ModelData, network: Network, x: np.ndarray, scaling: Scaling | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Supply by country and stage (share, value, HHI) and one concentration row per stage
    (``scaling``: the units the solver worked in, :attr:`RawSolution.scaling`)."""
    quantity = x[network.supply]
    quantity = np.where(quantity > noise(scaling, network.supply), quantity, 0.0)
    return supply_shares(data.offers, quantity)


def shortfall_of(
    data: ModelData, lp: LinearProgram, x: np.ndarray, scaling: Scaling | None = None
) -> pd.DataFrame:
    """Demand delivered and left unmet, per demand row (``scaling`` as for :func:`shares_of`)."""
    demand = data.demand
    block = lp.constraints["demand"]
    flow = lp.variables["flow"]
    # delivered: by lanes, and drawn from a stockpile (less what went into it)
    is_flow = (block.cols >= flow.start) & (block.cols < flow.start + len(flow.index))
    if "stock_draw" in lp.variables:
        draw = lp.variables["stock_draw"]
        is_flow |= (block.cols >= draw.start) & (block.cols < draw.start + len(draw.index))
    delivered = np.bincount(
        block.rows[is_flow] - block.start, weights=x[block.cols[is_flow]], minlength=len(demand)
    )
    wanted = demand["quantity"].to_numpy(dtype=float)
    shortfall = np.maximum(wanted - delivered, 0.0)
    unit = 1.0 if scaling is None else scaling.row[block.ids]  # the demand rows' units
    shortfall[shortfall < TOLERANCE * np.maximum(unit, wanted)] = 0.0
    rows = np.flatnonzero(shortfall > 0)
    frame = taken(demand, ["mineral", "period", "site"], rows)
    frame["demand"] = wanted[rows]
    frame["penalty"] = demand["penalty"].to_numpy(dtype=float)[rows]
    frame["delivered"] = delivered[rows]
    frame["shortfall"] = shortfall[rows]
    return pd.DataFrame(frame)


def stock_of(
    data: ModelData, lp: LinearProgram, x: np.ndarray, scaling: Scaling | None = None
) -> pd.DataFrame:
    """The stock table: per site, mineral and period, the opening stock, what went in (delivered
    beyond the demand met), what came out (drawn to meet demand) and the closing stock. Empty
    (no rows, the columns kept) without stockpiles."""
    columns = ["site", "mineral", "period", "opening", "in", "out", "closing"]
    if "stock" not in lp.variables:
        return pd.DataFrame(columns=columns)
    stocks = data.stocks
    cols = lp.variables["stock"].ids
    closing = x[cols].copy()
    closing[np.abs(closing) <= noise(scaling, cols)] = 0.0
    pile = stocks["stockpile_row"].to_numpy()
    first = np.r_[True, pile[1:] != pile[:-1]]
    opening = np.where(first, stocks["initial"].to_numpy(), np.r_[0.0, closing[:-1]])
    change = closing - opening
    small = np.abs(change) <= noise(scaling, cols)
    frame = stocks[["site", "mineral", "period"]].copy()
    frame["opening"] = opening
    frame["in"] = np.where(small, 0.0, np.maximum(change, 0.0))
    frame["out"] = np.where(small, 0.0, np.maximum(-change, 0.0))
    frame["closing"] = closing
    return frame[columns].reset_index(drop=True)


def _duals(
    data: ModelData, lp: LinearProgram, network: Network, raw: RawSolution
) -> dict[str, Any]:
    if raw.row_dual is None or raw.col_dual is None or raw.x is None:
        return {}
    row_dual, col_dual, x = raw.row_dual, raw.col_dual, raw.x
    scaling = raw.scaling or identity(len(x), len(row_dual))
    # a dual is money per unit of its row (or column): noise below TOLERANCE in HiGHS's units
    supply_unit = scaling.column[network.supply]
    demand = taken(data.demand, ["mineral", "period", "site"], np.arange(len(data.demand)))
    demand["marginal_cost"] = row_dual[lp.constraints["demand"].ids]
    offers = data.offers
    capacity = offers["capacity"].to_numpy(dtype=float)
    used = x[network.supply]
    value = np.maximum(-col_dual[network.supply], 0.0)
    with np.errstate(invalid="ignore"):  # inf - inf where capacity is unlimited: not binding
        binding = np.isfinite(capacity) & (
            used >= capacity - 1e-6 * np.maximum(supply_unit, capacity)
        )
    valued = value > TOLERANCE * scaling.cost / supply_unit
    kept = np.flatnonzero(binding | valued)
    table = taken(offers, ["mineral", "period", "stage", "country"], kept)
    table.update(capacity=capacity[kept], used=used[kept], value=value[kept])
    rules = []
    for name, block in lp.constraints.items():
        if block.role not in PRICED_ROLES:  # rules' and extensions' prices; the network's: above
            continue
        dual = row_dual[block.ids]
        active = np.abs(dual) > TOLERANCE * scaling.cost / scaling.row[block.ids]
        if not active.any():
            continue
        upper_side = np.isfinite(block.upper[active]) & ~np.isfinite(block.lower[active])
        rows = block.index[active].copy()
        rule, _, part = name.partition(":")
        # which of the rule's rows, where it builds more than one kind (group_share's min and
        # max, min_suppliers' used and share); blank where the rule is one kind of row
        rows.insert(0, "constraint", part or None)
        rows.insert(0, "rule", rule)
        rows["dual"] = dual[active]
        rows["price"] = np.where(upper_side, -dual[active], dual[active])
        rules.append(rows)
    rule_frame = (
        pd.concat(rules, ignore_index=True)
        if rules
        else pd.DataFrame(columns=["rule", "constraint", "dual", "price"])
    )
    return {"demand": pd.DataFrame(demand), "capacity": pd.DataFrame(table), "rules": rule_frame}
