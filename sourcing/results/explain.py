"""Explain an infeasible model in a planner's words, by an elastic re-solve.

Every demand row gets a shortfall slack and every rule row a slack in the direction that relaxes
it; capacities stay hard (they are physical). The elastic problem minimises

    Σ_d s_d  +  ε Σ_r s_r          (ε = 1e-3)

so that a rule is relaxed before demand is left unmet: demand goes short only where no
relaxation of the rules could cover it (missing capacity or missing lanes). The answer lists,
per mineral and site, how much cannot be covered; per stage, the capacities that bind; and per
rule, the rows that would have to give and by how much. The elastic problem is always feasible.

Where demand is short, a capacity may bind only because the lane to spare capacity is closed
(``transport`` lists no such lane and there is no ``transport_default``). So the elastic problem
is solved once more with every closed lane of the short minerals open at a token cost ε per unit
and the rules free to give:

    Σ_d s_d  +  ε Σ_{l closed} x_l          (ε = 10⁻³ / A, A the most lane flow per unit delivered)

The closed lanes that carry flow are the ones demand would need, and the drop in shortfall is
what opening them would cover; ε is small enough that a lane is opened only to cover demand.

Rules the pre-solve checks already showed cannot hold (``min_suppliers`` where too few countries
have the capacity to count, :class:`sourcing.model.consistency.CannotHold`) lead the summary and
are listed under ``rules_cannot_hold``: the reason in the data's own terms, before the slacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from sourcing.data.rows import frame_rows
from sourcing.errors import Problem
from sourcing.model.consistency import CannotHold
from sourcing.model.extension import PREFIX as EXTENSION_PREFIX
from sourcing.model.index import NO_PERIOD, ModelData, closed_lanes
from sourcing.model.lp import PRICED_ROLES, LinearProgram, VariableBlock
from sourcing.model.network import LANE_LABEL, Network
from sourcing.solver import SolutionStatus, SolverOptions
from sourcing.solver.split import solve_by_size

RULE_WEIGHT = 1e-3
TOL = 1e-6
#: Closed lanes examined at most (the size of the model had a transport_default opened them all;
#: the service's default limit on candidate lanes). Beyond, the explanation says so.
MAX_CLOSED_LANES = 1_000_000
#: Closed lanes named in the summary per mineral; the ``closed_lanes`` table has them all.
LANES_NAMED = 5
LANE_COLUMNS = ["mineral", "period", "stage", "from_country", "to_country", "site", "quantity"]


def elastic(lp: LinearProgram) -> tuple[LinearProgram, dict[str, np.ndarray]]:
    """A copy of ``lp`` with a slack column on each demand and rule row; return it and the slack
    column ids by family.

    Which rows relax is read from each family's role (:data:`sourcing.model.lp.Role`): demand,
    the rules and the planner's extensions may give; the network and the contracts may not; a cut
    is dropped (it is implied by hard demand, and once demand may fall short it no longer holds:
    relaxing it instead once blamed a rule 'contract_cover' in a model that had none)."""
    out = LinearProgram(dict(lp.variables), dict(lp.constraints), {}, lp.n_vars, lp.n_rows)
    slacks: dict[str, np.ndarray] = {}
    for name, block in lp.constraints.items():
        if block.role == "cut":
            free = np.full(len(block.index), np.inf)
            out.constraints[name] = replace(block, lower=-free, upper=free)
            continue
        if block.role not in PRICED_ROLES and name != "demand":
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
        out.constraints[name] = block.with_entries(block.ids, ids, sign)
        slacks[name] = ids
    return out, slacks


#: the summary's last line when the pre-solve findings prove every infeasible block so
SKIPPED = (
    "(the elastic re-solve was skipped: the rules above cannot hold for the minerals with no "
    "plan, whatever the rest of the plan is; fix them first)"
)


def explain(
    data: ModelData,
    lp: LinearProgram,
    network: Network,
    options: SolverOptions,
    name_closed_lanes: bool = True,
    warnings: Sequence[Problem] = (),
    elastic: bool = True,
) -> dict[str, Any]:
    """Why ``lp`` has no solution: the demand that cannot be covered (per mineral and site),
    the capacities that bind, the rules that must give and, with ``name_closed_lanes``, the
    closed lanes that would cover the demand left short (one more solve, only when some is).

    ``warnings``: the pre-solve checks' findings; those saying a rule cannot hold
    (:class:`~sourcing.model.consistency.CannotHold`) lead the summary and make the table
    ``rules_cannot_hold`` (table, row, field, message: where the rule is and why).
    ``elastic=False``: those findings prove every infeasible block so (the caller knows, from a
    solve block by block); the elastic re-solve is skipped and the explanation says so."""
    cannot_hold = [w for w in warnings if isinstance(w, CannotHold)]
    if elastic:
        why = _elastic_explanation(data, lp, network, options, name_closed_lanes)
    else:
        why = {key: [] for key in ("uncovered", "binding_capacities", "rules", "closed_lanes")}
        why["summary"] = SKIPPED
    if cannot_hold:
        lines = ["Rules that cannot hold (found before solving):", *map(str, cannot_hold)]
        why["summary"] = "\n".join([*lines, why["summary"]])
    rows = [
        {"table": w.table, "row": w.row, "field": w.field, "message": w.message}
        for w in cannot_hold
    ]
    return {**why, "rules_cannot_hold": rows}


def _elastic_explanation(
    data: ModelData,
    lp: LinearProgram,
    network: Network,
    options: SolverOptions,
    name_closed_lanes: bool,
) -> dict[str, Any]:
    relaxed, slacks = elastic(lp)
    cost = np.zeros(relaxed.n_vars)
    for name, ids in slacks.items():
        cost[ids] = 1.0 if name == "demand" else RULE_WEIGHT
    raw = solve_by_size(relaxed, options, cost)
    if raw.status is SolutionStatus.no_solution or raw.x is None:
        return {
            "summary": "infeasible; the elastic re-solve found no explanation within the limits",
            "uncovered": [],
            "binding_capacities": [],
            "rules": [],
            "closed_lanes": [],
        }
    x = raw.x
    # the solver's tolerance is TOL in the units it solved in (sourcing.solver.scaling): 1 planner
    # unit for an ordinary instance
    unit = raw.scaling.column if raw.scaling is not None else np.ones(len(x))
    uncovered = _uncovered(data, relaxed, slacks, x, unit)
    capacities = _binding_capacities(data, network, x, uncovered, unit)
    rules = _rules_to_relax(relaxed, slacks, x, unit)
    lanes, too_many = pd.DataFrame(columns=LANE_COLUMNS), 0
    if name_closed_lanes and len(uncovered):
        lanes, too_many = _closed_lanes_needed(data, relaxed, slacks, uncovered, options)
    summary = _summary(data, uncovered, capacities, rules, lanes, too_many)
    tables = {
        "uncovered": uncovered,
        "binding_capacities": capacities,
        "rules": rules,
        "closed_lanes": lanes.drop(columns="covers", errors="ignore"),
    }
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


def _closed_lanes_needed(
    data: ModelData,
    relaxed: LinearProgram,
    slacks: dict[str, np.ndarray],
    uncovered: pd.DataFrame,
    options: SolverOptions,
) -> tuple[pd.DataFrame, int]:
    """The closed lanes that would cover demand left short, with the flow each would carry, and
    (in column ``covers``, per mineral and period) how much of the shortfall they cover; or, when
    there are more closed lanes than :data:`MAX_CLOSED_LANES`, none and their number."""
    empty = pd.DataFrame(columns=[*LANE_COLUMNS, "covers"])
    closed = closed_lanes(data, uncovered)
    if closed.empty or len(closed) > MAX_CLOSED_LANES:
        return empty, len(closed)
    opened, flow = _with_lanes(relaxed, data, closed)
    cost = np.zeros(opened.n_vars)
    cost[slacks["demand"]] = 1.0
    cost[flow] = RULE_WEIGHT / _most_flow_per_unit(data, uncovered)
    raw = solve_by_size(opened, options, cost)
    if raw.status is SolutionStatus.no_solution or raw.x is None:
        return empty, 0
    short = data.demand[["mineral", "period"]].assign(before=0.0, after=raw.x[slacks["demand"]])
    short.loc[_row_of(data, uncovered), "before"] = uncovered["short"].to_numpy()
    short["covers"] = (short["before"] - short["after"]).clip(lower=0)
    covers = short.groupby(["mineral", "period"], as_index=False)[["before", "covers"]].sum()
    covers = covers[covers["covers"] > TOL * np.maximum(1, covers["before"])]
    closed["quantity"] = raw.x[flow]
    used = closed[closed["quantity"] > TOL * np.maximum(1, closed["quantity"].max())]
    used = used.merge(covers.drop(columns="before"), on=["mineral", "period"])
    ordered = used.sort_values(["mineral", "period", "quantity"], ascending=[True, True, False])
    return ordered[[*LANE_COLUMNS, "covers"]].reset_index(drop=True), 0


def _with_lanes(
    lp: LinearProgram, data: ModelData, closed: pd.DataFrame
) -> tuple[LinearProgram, np.ndarray]:
    """A copy of ``lp`` with a flow column for each of the ``closed`` lanes, entered in the
    network's rows as an open lane would be (see :mod:`sourcing.model.network`); and their ids."""
    out = LinearProgram(dict(lp.variables), dict(lp.constraints), {}, lp.n_vars, lp.n_rows)
    n = len(closed)
    ids = np.arange(out.n_vars, out.n_vars + n)
    out.variables["closed_lane"] = VariableBlock(
        "closed_lane", out.n_vars, closed[LANE_LABEL], np.zeros(n), np.full(n, np.inf), False
    )
    out.n_vars += n
    offers = data.offers
    from_offer, to_offer = closed["offer"].to_numpy(), closed["to_offer"].to_numpy()
    inbound = to_offer >= 0
    row_of = np.full(len(offers), -1)
    processing = np.flatnonzero(offers["stage_pos"].to_numpy() > 0)
    row_of[processing] = np.arange(len(processing))  # the order of offer_input's rows
    entries = {
        "offer_output": (from_offer, ids, -np.ones(n)),
        "offer_input": (
            row_of[to_offer[inbound]],
            ids[inbound],
            -offers["yield"].to_numpy()[to_offer[inbound]],
        ),
        "demand": (closed["demand_row"].to_numpy()[~inbound], ids[~inbound], np.ones(n)[~inbound]),
    }
    for name, (rows, cols, vals) in entries.items():
        block = out.constraints.get(name)
        if block is None or not len(rows):
            continue
        out.constraints[name] = block.with_entries(block.start + rows, cols, vals)
    return out, ids


def _most_flow_per_unit(data: ModelData, uncovered: pd.DataFrame) -> float:
    """A: the most lane flow (summed over the stages) one unit delivered can need, so that
    ε·A ≤ 10⁻³ keeps every lane cheaper than the demand it lets through."""
    volumes = data.stage_volumes.merge(uncovered[["mineral", "period"]].drop_duplicates())
    delivered = volumes[volumes["stage_pos"] == len(data.stages) - 1].set_index(
        ["mineral", "period"]
    )
    moved = volumes.groupby(["mineral", "period"])["max_volume"].sum()
    ratio = moved / delivered["max_volume"].clip(lower=1e-12)
    return max(1.0, float(ratio.max())) if len(ratio) else 1.0


def _row_of(data: ModelData, uncovered: pd.DataFrame) -> np.ndarray:
    """The rows of ``data.demand`` that the ``uncovered`` rows are."""
    key = ["mineral", "period", "site"]
    rows = data.demand[key].reset_index(names="_row")
    return uncovered[key].merge(rows, on=key, how="left")["_row"].to_numpy()


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
    data: ModelData,
    uncovered: pd.DataFrame,
    capacities: pd.DataFrame,
    rules: pd.DataFrame,
    lanes: pd.DataFrame,
    too_many: int,
) -> str:
    unit = data.instance.unit
    lines = []
    for (mineral, period), short in uncovered.groupby(["mineral", "period"], sort=False):
        when = "" if period == NO_PERIOD else f" in period '{period}'"
        for row in short.itertuples(index=False):
            lines.append(
                f"{mineral}{when}: {row.short:g} {unit} of the {row.quantity:g} {unit} "
                f"demanded at site '{row.site}' cannot be covered."
            )
            lines += _capacity_lines(data, capacities, str(mineral), str(period), unit)
        needed = lanes[(lanes["mineral"] == mineral) & (lanes["period"] == period)]
        if len(needed):
            lines.append(_lanes_line(data, needed, short["short"].sum(), unit))
    if too_many:
        lines.append(
            f"  ({too_many:,} lanes are closed, too many to examine: the lanes above that may "
            "be missing are not named)"
        )
    for row in frame_rows(rules):
        label = ", ".join(
            str(v)
            for k, v in row._asdict().items()
            if k not in ("rule", "constraint", "relax_by") and v not in (None, NO_PERIOD)
        )
        if row.constraint.startswith(EXTENSION_PREFIX):  # the planner's clause, by its name
            what = f"extension constraint '{row.constraint[len(EXTENSION_PREFIX) :]}'"
            what += f" [{label}]" if label else ""
        else:
            what = f"rule {row.constraint} [{label}]"
        lines.append(f"{what} must be relaxed by {row.relax_by:g}.")
    if not lines:
        return "infeasible, but the elastic re-solve needed no relaxation (numerical trouble?)"
    return "\n".join(lines)


def _capacity_lines(
    data: ModelData, capacities: pd.DataFrame, mineral: str, period: str, unit: str
) -> list[str]:
    lines = []
    stages = data.stage_volumes[
        (data.stage_volumes["mineral"] == mineral) & (data.stage_volumes["period"] == period)
    ]
    for stage in stages.sort_values("stage_pos").itertuples(index=False):
        full = capacities[
            (capacities["mineral"] == mineral)
            & (capacities["period"] == period)
            & (capacities["stage"] == stage.stage)
        ]
        if len(full):
            named = ", ".join(f"{r.country} ({r.capacity:g} {unit})" for r in full.itertuples())
            lines.append(f"  stage '{stage.stage}': capacity binding in {named}")
    return lines


def _lanes_line(data: ModelData, lanes: pd.DataFrame, short: float, unit: str) -> str:
    """One line naming the closed lanes (the busiest first) that would cover the shortfall."""
    following = dict(zip(data.stages, data.stages[1:], strict=False))
    named = []
    for lane in frame_rows(lanes.head(LANES_NAMED)):
        if lane.site is None or pd.isna(lane.site):
            named.append(
                f"{lane.from_country} → {lane.to_country} ({lane.stage} → {following[lane.stage]})"
            )
        else:
            named.append(f"{lane.from_country} → site '{lane.site}' in {lane.to_country}")
    more = f" and {len(lanes) - LANES_NAMED} more" if len(lanes) > LANES_NAMED else ""
    covers = float(lanes["covers"].iloc[0])
    how_much = "all" if covers >= short * (1 - 1e-6) else f"{covers:g} {unit}"
    mineral = lanes["mineral"].iloc[0]
    return (
        f"  closed lanes: opening {', '.join(named)}{more} would cover {how_much} of the "
        f"{short:g} {unit} short "
        f"(transport.csv has no row for {mineral} on {'it' if len(lanes) == 1 else 'them'}, "
        "and instance.yaml sets no transport_default)"
    )
