"""A linear (mixed-integer) program held as named blocks of numpy arrays.

Each variable family and each constraint family is one block: an index table (a DataFrame whose
rows label the variables or rows in the planner's words), bounds, and for constraints the
coefficients in coordinate form. Blocks are added by vectorised calls, never element by element.
The solver module hands the assembled matrix to HiGHS; :mod:`sourcing.model.pyomo_model` turns the
same blocks into a Pyomo model with one named component per family.

Costs are kept per component (purchase, processing, transport, ...) so the plan can report the
cost broken down without re-deriving it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

COST_COMPONENTS = (
    "purchase",
    "processing",
    "transport",
    "tariffs",
    "fixed",
    "risk",
    "shortfall",
)
#: The cost component of objective terms an extension adds (:mod:`sourcing.model.extension`):
#: reported in the plan's costs only when a program has such terms.
EXTENSION_COST = "extension"
#: Components a program has only when its instance asks for them, reported (in this order, before
#: an extension's) only where a program has them, so a plan without them reads as before:
#:   holding          Σ h · closing stock, per period, of each stockpile (sourcing.model.stock)
#:   cover_shortfall  Σ π · stock short of a soft stockpile_cover (sourcing.model.rules)
#:   floor_topup      the buyer's share of price_floor top-ups: Σ b · max(0, P − p) · q
#:   floor_clawback   the buyer's share of price_floor clawbacks, ≤ 0: −Σ b · u · max(0, p − P) · q
#:   reference_tariff Σ share · max(0, P − p) · x on lanes leaving tariffed offers
OPTIONAL_COSTS = (
    "holding",
    "cover_shortfall",
    "floor_topup",
    "floor_clawback",
    "reference_tariff",
)
#: Money a plan reports that is not the buyer's, so never minimised (``Plan.public``), signed as
#: a cost to the public purse:
#:   floor_topup       the public share (1 − b) of price_floor top-ups, ≥ 0
#:   floor_clawback    the public share of the clawbacks, ≤ 0 (received)
#:   reference_tariff  reference tariffs collected by the state, ≤ 0 (received)
PUBLIC_COSTS = ("floor_topup", "floor_clawback", "reference_tariff")


@dataclass
class VariableBlock:
    name: str
    start: int
    index: pd.DataFrame
    lower: np.ndarray
    upper: np.ndarray
    integer: bool
    #: how large the values may get where no bound says so (the most a stage can need): the
    #: scaling of :mod:`sourcing.solver.scaling` reads it; NaN where unknown
    magnitude: np.ndarray | None = None

    @property
    def ids(self) -> np.ndarray:
        return np.arange(self.start, self.start + len(self.index))


#: What a constraint family is for, declared where it is added, and read by whatever must tell
#: families apart (duals, explanations, reports) instead of a list of names:
#:   network   the flow of material: offers, stage volumes, demand
#:   contract  the terms an offer's fixed cost or minimum take imposes (binary contracts)
#:   rule      a diversification rule of the model or a contract term of the instance: the
#:             rows a planner can be told to relax, and whose duals price a rule
#:   cut       rows implied by the others, added to help the solver (never a reason)
#:   extension rows a planner wrote in Pyomo (``--extend FILE.py``,
#:             :mod:`sourcing.model.extension`): priced and relaxed like a rule's, and named as
#:             the planner named them
#:   hedge     rows of a two-stage extensive form (``sourcing hedge``,
#:             :mod:`sourcing.analysis.extensive`): a scenario's purchases split into reserved and
#:             spot, reserved ones held to the first-stage reservation, contracts shared by every
#:             scenario, and the CVaR excess of a scenario's cost
Role = Literal["network", "contract", "rule", "cut", "extension", "hedge"]
ROLES: tuple[Role, ...] = ("network", "contract", "rule", "cut", "extension", "hedge")
#: the roles whose rows a planner wrote and may be told to relax, and whose duals are prices
PRICED_ROLES: tuple[Role, ...] = ("rule", "extension")


@dataclass
class ConstraintBlock:
    name: str
    start: int
    index: pd.DataFrame
    rows: np.ndarray  # global row of each coefficient
    cols: np.ndarray
    vals: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    role: Role = "rule"

    def with_entries(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> ConstraintBlock:
        """The same family with more coefficients (global ``rows``), role and bounds kept."""
        return ConstraintBlock(
            self.name,
            self.start,
            self.index,
            np.concatenate([self.rows, rows]),
            np.concatenate([self.cols, cols]),
            np.concatenate([self.vals, vals]),
            self.lower,
            self.upper,
            self.role,
        )

    @property
    def ids(self) -> np.ndarray:
        return np.arange(self.start, self.start + len(self.index))


@dataclass
class LinearProgram:
    variables: dict[str, VariableBlock] = field(default_factory=dict)
    constraints: dict[str, ConstraintBlock] = field(default_factory=dict)
    costs: dict[str, list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)
    n_vars: int = 0
    n_rows: int = 0
    #: terms of PUBLIC_COSTS: reported, never in the objective
    public: dict[str, list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)

    def add_variables(
        self,
        name: str,
        index: pd.DataFrame,
        lower: float | np.ndarray = 0.0,
        upper: float | np.ndarray = np.inf,
        integer: bool = False,
        magnitude: float | np.ndarray = np.nan,
    ) -> np.ndarray:
        """Add one variable per row of ``index``; return their column ids. ``magnitude``: how
        large the values may get, where ``upper`` does not say (used only to scale the model)."""
        if name in self.variables:
            raise ValueError(f"variable family '{name}' added twice")
        n = len(index)
        block = VariableBlock(
            name,
            self.n_vars,
            index.reset_index(drop=True),
            np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy(),
            np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy(),
            integer,
            np.broadcast_to(np.asarray(magnitude, dtype=float), (n,)).copy(),
        )
        self.variables[name] = block
        self.n_vars += n
        return block.ids

    def add_cost(self, component: str, cols: np.ndarray, coefs: np.ndarray | float) -> None:
        """Add ``coefs · x[cols]`` to the objective under a named cost component."""
        if component not in (*COST_COMPONENTS, *OPTIONAL_COSTS, EXTENSION_COST):
            raise ValueError(f"unknown cost component '{component}'")
        coefs = np.broadcast_to(np.asarray(coefs, dtype=float), np.shape(cols))
        keep = coefs != 0
        self.costs.setdefault(component, []).append((np.asarray(cols)[keep], coefs[keep]))

    def add_public(self, component: str, cols: np.ndarray, coefs: np.ndarray | float) -> None:
        """Add ``coefs · x[cols]`` to a public-money component: reported, never minimised."""
        if component not in PUBLIC_COSTS:
            raise ValueError(f"unknown public cost component '{component}'")
        coefs = np.broadcast_to(np.asarray(coefs, dtype=float), np.shape(cols))
        keep = coefs != 0
        self.public.setdefault(component, []).append((np.asarray(cols)[keep], coefs[keep]))

    def public_cost(self, component: str, x: np.ndarray) -> float:
        """The public money of one component at the solution ``x``."""
        return float(sum(np.dot(coefs, x[cols]) for cols, coefs in self.public.get(component, [])))

    def add_constraints(
        self,
        name: str,
        index: pd.DataFrame,
        rows: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray | float,
        lower: float | np.ndarray = -np.inf,
        upper: float | np.ndarray = np.inf,
        *,
        role: Role,
    ) -> np.ndarray:
        """Add one row per row of ``index``; ``rows`` (0-based within this family), ``cols`` and
        ``vals`` give the coefficients in coordinate form; return the global row ids. ``role``
        says what the family is for (:data:`Role`)."""
        if name in self.constraints:
            raise ValueError(f"constraint family '{name}' added twice")
        if role not in ROLES:
            raise ValueError(f"constraint family '{name}': unknown role '{role}'")
        n = len(index)
        rows = np.asarray(rows, dtype=np.int64)
        block = ConstraintBlock(
            name,
            self.n_rows,
            index.reset_index(drop=True),
            rows + self.n_rows,
            np.asarray(cols, dtype=np.int64),
            np.broadcast_to(np.asarray(vals, dtype=float), rows.shape).copy(),
            np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy(),
            np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy(),
            role,
        )
        self.constraints[name] = block
        self.n_rows += n
        return block.ids

    def subprogram(self, cols: np.ndarray, rows: np.ndarray) -> LinearProgram:
        """The program on columns ``cols`` and rows ``rows`` (sorted global ids) alone, its
        families, roles, costs and labels kept, renumbered from 0: one independent block
        (:mod:`sourcing.solver.blocks`). Every coefficient of a kept row must be on a kept
        column."""
        part = LinearProgram()
        local = np.full(self.n_vars, -1, dtype=np.int64)
        local[cols] = np.arange(len(cols))
        for block in self.variables.values():
            ids = block.ids
            keep = local[ids] >= 0
            if not keep.any():
                continue
            part.add_variables(
                block.name,
                block.index[keep],
                block.lower[keep],
                block.upper[keep],
                block.integer,
                np.nan if block.magnitude is None else block.magnitude[keep],
            )
        kept_row = np.full(self.n_rows, -1, dtype=np.int64)
        kept_row[rows] = np.arange(len(rows))
        for family in self.constraints.values():
            keep = kept_row[family.ids] >= 0
            if not keep.any():
                continue
            within = np.full(len(family.index), -1, dtype=np.int64)
            within[keep] = np.arange(int(keep.sum()))
            entries = kept_row[family.rows] >= 0
            family_cols = local[family.cols[entries]]
            assert (family_cols >= 0).all(), f"{family.name}: a kept row holds a dropped column"
            part.add_constraints(
                family.name,
                family.index[keep],
                within[family.rows[entries] - family.start],
                family_cols,
                family.vals[entries],
                family.lower[keep],
                family.upper[keep],
                role=family.role,
            )
        for terms, add in ((self.costs, part.add_cost), (self.public, part.add_public)):
            for component, parts in terms.items():
                for cost_cols, coefs in parts:
                    cost_cols = np.asarray(cost_cols)
                    coefs = np.broadcast_to(np.asarray(coefs, dtype=float), cost_cols.shape)
                    keep = local[cost_cols] >= 0
                    if keep.any():
                        add(component, local[cost_cols[keep]], coefs[keep])
        return part

    def cost_components(self) -> tuple[str, ...]:
        """The components this program reports: every one of ``COST_COMPONENTS``, then those of
        ``OPTIONAL_COSTS`` and the extension's where it has terms of them."""
        optional = (*OPTIONAL_COSTS, EXTENSION_COST)
        return (*COST_COMPONENTS, *(c for c in optional if c in self.costs))

    # -- assembled views ---------------------------------------------------------------------

    def cost_vector(self, components: tuple[str, ...] | None = None) -> np.ndarray:
        c = np.zeros(self.n_vars)
        for component, parts in self.costs.items():
            if components is None or component in components:
                for cols, coefs in parts:  # bincount adds repeated columns, like np.add.at, fast
                    weights = np.broadcast_to(np.asarray(coefs, dtype=float), np.shape(cols))
                    c += np.bincount(cols, weights=weights, minlength=self.n_vars)
        return c

    def component_cost(self, component: str, x: np.ndarray) -> float:
        """The cost of one component (purchase, transport, ...) at the solution ``x``."""
        return float(
            sum(
                np.dot(np.broadcast_to(coefs, np.shape(cols)), x[cols])
                for cols, coefs in self.costs.get(component, [])
            )
        )

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        blocks = list(self.variables.values())
        return (
            np.concatenate([b.lower for b in blocks]) if blocks else np.zeros(0),
            np.concatenate([b.upper for b in blocks]) if blocks else np.zeros(0),
        )

    def magnitudes(self) -> np.ndarray:
        """Each variable's ``magnitude`` (NaN where none was given)."""
        return (
            np.concatenate(
                [
                    np.full(len(b.index), np.nan) if b.magnitude is None else b.magnitude
                    for b in self.variables.values()
                ]
            )
            if self.variables
            else np.zeros(0)
        )

    def row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        blocks = list(self.constraints.values())
        return (
            np.concatenate([b.lower for b in blocks]) if blocks else np.zeros(0),
            np.concatenate([b.upper for b in blocks]) if blocks else np.zeros(0),
        )

    def integrality(self) -> np.ndarray:
        return (
            np.concatenate(
                [
                    np.full(len(b.index), int(b.integer), dtype=np.int32)
                    for b in self.variables.values()
                ]
            )
            if self.variables
            else np.zeros(0, dtype=np.int32)
        )

    @property
    def is_mip(self) -> bool:
        return any(b.integer and len(b.index) for b in self.variables.values())

    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The constraint matrix in compressed-row form: (starts, column indices, values)."""
        blocks = list(self.constraints.values())
        if not blocks:
            return np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        rows = np.concatenate([b.rows for b in blocks])
        cols = np.concatenate([b.cols for b in blocks])
        vals = np.concatenate([b.vals for b in blocks])
        # one integer key per entry (row, then column), sorted stably: the blocks arrive in long
        # sorted runs, which a merge sort exploits (3-4x faster than lexsort at 1M columns)
        key = rows.astype(np.int64) * max(self.n_vars, 1) + cols
        order = np.argsort(key, kind="stable")
        key, vals = key[order], vals[order]
        repeat = np.diff(key) == 0
        if repeat.any():  # the same variable twice in one row: add the coefficients
            first = np.concatenate(([True], ~repeat))
            vals = np.add.reduceat(vals, np.flatnonzero(first))
            key = key[first]
        rows, cols = np.divmod(key, max(self.n_vars, 1))
        starts = np.zeros(self.n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=self.n_rows), out=starts[1:])
        return starts, cols, vals

    @property
    def n_nonzeros(self) -> int:
        return int(sum(len(b.vals) for b in self.constraints.values()))
