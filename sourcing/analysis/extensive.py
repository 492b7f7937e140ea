"""The two-stage extensive form of ``sourcing hedge``: one program per scenario, stacked.

Each scenario k (probability p_k; the base takes what the listed scenarios leave) is the
instance with its changes applied, indexed and built as an ordinary plan (every family of
:mod:`sourcing.model.build`, its role kept). The scenario programs are stacked block-diagonally
(their families renamed ``family@k``, their index tables given a ``scenario`` column) and tied
together by shared first-stage columns:

    reserve[o]        0 ≤ R_o ≤ cap_o                 capacity reserved with offer o (base data)
    reserved[k,o]     x_ko ≥ 0                        bought within the reservation in scenario k
    spot[k,o]         y_ko ≥ 0                        bought without one, at price × (1 + premium)

    hedge_split[k,o]     q_ko − x_ko − y_ko = 0      a scenario's purchases: reserved plus spot
    hedge_reserved[k,o]  x_ko − R_o ≤ 0              reserved purchases within the reservation
    hedge_contract[k,o]  w_ko − w_1o = 0             contract binaries are first-stage: every
                                                    scenario signs the first scenario's contracts

(x_ko + y_ko ≤ cap_ko, the scenario's capacity, is the scenario's own bound on q_ko.) With a
risk weight w > 0 at level α, CVaR in its linear form (Rockafellar and Uryasev, 2000):

    cvar_over[k]         s_k ≥ 0                      scenario k's cost above η (free)
    cvar_excess[k]       s_k + η − C_k ≥ 0

where C_k = c_k·z_k + premium Σ_o p_ko y_ko is scenario k's second-stage cost (its plan's cost
plus the spot premium). The objective is

    Σ_o fee·p_o R_o + (1 − w) Σ_k p_k C_k + w (η + Σ_k p_k s_k / (1 − α))

with p_o the offer's base price: the fees plus the expected cost, or its blend with CVaR_α.
Every block keeps its coefficients: the program is as sparse as the scenario programs, plus
four entries per offer and scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sourcing.model.index import ModelData
from sourcing.model.lp import LinearProgram
from sourcing.model.network import OFFER_LABEL, Network

#: the hedge's own cost components (the scenario programs keep theirs, probability-weighted)
FEE, PREMIUM, CVAR = "reservation_fee", "spot_premium", "cvar"


@dataclass
class ScenarioProgram:
    """One scenario's program, as an ordinary plan builds it."""

    name: str
    probability: float
    data: ModelData
    lp: LinearProgram
    network: Network
    warnings: list[str] = field(default_factory=list)


@dataclass
class Placed:
    """Where a scenario's program sits in the extensive form."""

    scenario: ScenarioProgram
    col: int  # its first column
    row: int  # its first row
    reserved: np.ndarray  # columns x_ko, by the scenario's offer
    spot: np.ndarray  # columns y_ko, by the scenario's offer
    base_offer: np.ndarray  # the base offer of each of the scenario's offers


@dataclass
class Extensive:
    lp: LinearProgram
    reserve: np.ndarray  # columns R_o, by base offer
    placed: list[Placed]
    premium: float
    price: np.ndarray  # the base price of each reservation's offer
    eta: int | None = None  # the CVaR threshold's column (with a risk weight)

    def columns(self, k: int) -> slice:
        placed = self.placed[k]
        return slice(placed.col, placed.col + placed.scenario.lp.n_vars)

    def second_stage_cost(self, k: int, x: np.ndarray) -> float:
        """C_k: scenario k's plan cost plus its spot premium, at the solution ``x``."""
        placed = self.placed[k]
        own = placed.scenario.lp.cost_vector() @ x[self.columns(k)]
        return float(own + self.premium * (self._price(k) @ x[placed.spot]))

    def _price(self, k: int) -> np.ndarray:
        return self.placed[k].scenario.data.offers["price"].to_numpy()


def extensive_form(
    base: ModelData,
    scenarios: list[ScenarioProgram],
    fee: float,
    premium: float,
    cvar_alpha: float | None = None,
    weight: float = 0.0,
) -> Extensive:
    """The extensive form of ``scenarios`` (probabilities summing to 1), reservations indexed
    by the offers of ``base`` (the instance without changes)."""
    ef = LinearProgram()
    offers = base.offers
    reserve = ef.add_variables(
        "reserve", offers[OFFER_LABEL], upper=offers["capacity"].to_numpy(), magnitude=_most(base)
    )
    ef.costs[FEE] = [(reserve, fee * offers["price"].to_numpy())]
    expected = 1.0 - weight
    placed = []
    for k, scenario in enumerate(scenarios):
        placed.append(_stack(ef, k, scenario, expected * scenario.probability))
    for k, place in enumerate(placed):
        _reservations(ef, k, place, reserve, base, premium, expected * place.scenario.probability)
    if len(placed) > 1 and "contract" in scenarios[0].lp.variables:
        _shared_contracts(ef, placed)
    out = Extensive(ef, reserve, placed, premium, offers["price"].to_numpy())
    if weight > 0:
        assert cvar_alpha is not None
        out.eta = _cvar(ef, out, cvar_alpha, weight)
    return out


def _most(data: ModelData) -> np.ndarray:
    """How large a reservation may get: the most the offer's stage can need."""
    volumes = data.stage_volumes
    merged = data.offers[["mineral", "period", "stage"]].merge(
        volumes[["mineral", "period", "stage", "max_volume"]], how="left"
    )
    return merged["max_volume"].to_numpy(dtype=float)


def _stack(ef: LinearProgram, k: int, scenario: ScenarioProgram, weight: float) -> Placed:
    """Copy scenario k's families into ``ef``, columns and rows shifted; costs × ``weight``."""
    lp = scenario.lp
    col, row = ef.n_vars, ef.n_rows
    for name, block in lp.variables.items():
        ef.add_variables(
            f"{name}@{k}",
            _labelled(block.index, scenario.name),
            block.lower,
            block.upper,
            block.integer,
            np.full(len(block.index), np.nan) if block.magnitude is None else block.magnitude,
        )
    for name, rows in lp.constraints.items():
        ef.add_constraints(
            f"{name}@{k}",
            _labelled(rows.index, scenario.name),
            rows.rows - rows.start,
            rows.cols + col,
            rows.vals,
            rows.lower,
            rows.upper,
            role=rows.role,
        )
    for component, parts in lp.costs.items():
        for cols, coefs in parts:
            ef.costs.setdefault(component, []).append(
                (np.asarray(cols) + col, weight * np.broadcast_to(coefs, np.shape(cols)))
            )
    return Placed(scenario, col, row, np.zeros(0, int), np.zeros(0, int), np.zeros(0, int))


def _labelled(index: pd.DataFrame, scenario: str) -> pd.DataFrame:
    return index.assign(scenario=scenario)[["scenario", *index.columns]]


def _reservations(
    ef: LinearProgram,
    k: int,
    place: Placed,
    reserve: np.ndarray,
    base: ModelData,
    premium: float,
    weight: float,
) -> None:
    """reserved and spot purchases of scenario k, hedge_split and hedge_reserved."""
    scenario = place.scenario
    offers = scenario.data.offers
    n = len(offers)
    label = _labelled(offers[OFFER_LABEL], scenario.name)
    supply = scenario.network.supply + place.col
    place.base_offer = (
        offers[OFFER_LABEL]
        .merge(base.offers[OFFER_LABEL].assign(_base=np.arange(len(base.offers))), how="left")[
            "_base"
        ]
        .fillna(-1)
        .astype(int)
        .to_numpy()
    )
    # an offer the base lacks (none of the library's changes adds one) cannot be reserved
    can_reserve = place.base_offer >= 0
    most = _most(scenario.data)
    place.reserved = ef.add_variables(
        f"reserved@{k}", label, upper=np.where(can_reserve, np.inf, 0.0), magnitude=most
    )
    place.spot = ef.add_variables(f"spot@{k}", label, magnitude=most)
    ef.costs.setdefault(PREMIUM, []).append(
        (place.spot, weight * premium * offers["price"].to_numpy())
    )
    rows = np.arange(n)
    ef.add_constraints(
        f"hedge_split@{k}",
        label,
        rows=np.tile(rows, 3),
        cols=np.concatenate([supply, place.reserved, place.spot]),
        vals=np.concatenate([np.ones(n), -np.ones(n), -np.ones(n)]),
        lower=0.0,
        upper=0.0,
        role="hedge",
    )
    held = np.flatnonzero(can_reserve)
    m = len(held)
    ef.add_constraints(
        f"hedge_reserved@{k}",
        label.iloc[held],
        rows=np.tile(np.arange(m), 2),
        cols=np.concatenate([place.reserved[held], reserve[place.base_offer[held]]]),
        vals=np.concatenate([np.ones(m), -np.ones(m)]),
        upper=0.0,
        role="hedge",
    )


def _shared_contracts(ef: LinearProgram, placed: list[Placed]) -> None:
    """hedge_contract: every scenario's contract binaries equal the first scenario's."""
    first = ef.variables["contract@0"]
    key = first.index.drop(columns="scenario").assign(_first=first.ids)
    for k in range(1, len(placed)):
        block = ef.variables[f"contract@{k}"]
        matched = block.index.drop(columns="scenario").merge(key, how="left")["_first"]
        if matched.isna().any():  # pragma: no cover - scenarios change data, not contracts
            raise ValueError(f"scenario {placed[k].scenario.name} has contracts the first lacks")
        n = len(block.index)
        ef.add_constraints(
            f"hedge_contract@{k}",
            block.index,
            rows=np.tile(np.arange(n), 2),
            cols=np.concatenate([block.ids, matched.to_numpy(dtype=np.int64)]),
            vals=np.concatenate([np.ones(n), -np.ones(n)]),
            lower=0.0,
            upper=0.0,
            role="hedge",
        )


def _cvar(ef: LinearProgram, out: Extensive, alpha: float, weight: float) -> int:
    """η, s_k and cvar_excess: w (η + Σ_k p_k s_k / (1 − α)) added to the objective."""
    names = pd.DataFrame({"scenario": [p.scenario.name for p in out.placed]})
    eta = int(ef.add_variables("cvar_threshold", pd.DataFrame({"risk": ["cvar"]}), -np.inf)[0])
    excess = ef.add_variables("cvar_over", names)
    probability = np.array([p.scenario.probability for p in out.placed])
    ef.costs[CVAR] = [
        (np.array([eta]), np.array([weight])),
        (excess, weight * probability / (1.0 - alpha)),
    ]
    rows, cols, vals = [], [], []
    for k, place in enumerate(out.placed):
        c = place.scenario.lp.cost_vector()
        used = np.flatnonzero(c)
        price = place.scenario.data.offers["price"].to_numpy()
        spot = np.flatnonzero(price)
        cols += [np.array([excess[k], eta]), used + place.col, place.spot[spot]]
        vals += [np.ones(2), -c[used], -out.premium * price[spot]]
        rows.append(np.full(2 + len(used) + len(spot), k))
    ef.add_constraints(
        "cvar_excess",
        names,
        rows=np.concatenate(rows),
        cols=np.concatenate(cols),
        vals=np.concatenate(vals),
        lower=0.0,
        role="hedge",
    )
    return eta
