"""Scale the model's numbers into the range HiGHS is built for, and the answers back.

HiGHS's tolerances are absolute: a row may be violated by 1e-7, a reduced cost may be 1e-7 below
zero, a MIP's integrality and feasibility are judged to 1e-6. They suit numbers between about 1
and 1e6 (HiGHS calls costs and bounds above 1e6 "excessively large"). A planner's numbers are
not there: at the documented limit (prices of 1e12 USD/t) the dual simplex stopped with
"excessive dual values"; usgs-2024 written in kilograms instead of tonnes (every quantity ×1000)
took ten times as long; a mineral bought by the tonne next to one bought by the billion tonnes,
or an early stage behind yields of 1e-6, was lost in the tolerance of the large numbers. So the
engine, not the planner, picks the units HiGHS sees, by powers of ten:

    columns   a continuous variable x_j is handed over as x_j / D_j, D_j the power of ten that
              brings its size into (SIZE/10, SIZE] = (100, 1000]; its size is the most its stage
              can need (demand carried back through the yields, a magnitude the network states),
              else its bound, else the largest scale among the sized variables it shares a row
              with (a rule's auxiliary variables, an elastic slack); binaries are never scaled
    rows      a row with continuous variables is divided by the power of ten at or above its
              largest coefficient on them in the columns' new units (a flow balance by the scale
              of its quantities; a value share, prices as coefficients, by its largest price);
              a row weighing binaries by quantities (a contract cover Σ U w ≥ R) by the power of
              ten that brings its largest number into (100, 1000]; a row counting binaries is
              kept
    costs     the objective is divided by the power of ten C that brings its largest
              coefficient (in the columns' new units) into (1e7, 1e8]

When every size is within [1, 1e6] no variable is scaled (only the rows whose coefficients are
out of [1, 1e6]: value shares at prices of 1e12), and when the largest cost is within [1, 1e8]
the objective is not: an ordinary instance hands HiGHS exactly the numbers it always did.

Powers of ten, and per variable, rather than HiGHS's own ``user_bound_scale`` and
``user_objective_scale`` (one power of two for the whole model, and the MIP's dual bound left
scaled in HiGHS 1.16): planners change units by powers of ten, so the same instance in t and in
kg hands HiGHS the same numbers (to the last digit of the decimal input) and the solve follows
the same path; and one factor cannot serve a mineral of 1e9 t and one of 1 t at once.

Answers come back in the planner's units: x_j = D_j x'_j, the objective and the MIP's bound ×C,
a row's dual (the marginal cost of its right-hand side) ×C/r_i, a reduced cost ×C/D_j; relative
gaps are unchanged. HiGHS's absolute tolerances become relative ones: a quantity is exact to about
1e-7·D_j (1e-10 of its stage's need), a reduced cost to about 1e-7·C (1e-15 of the largest cost
per unit). What no scaling gives: one objective adds every mineral's cost, so a choice worth less
than the tolerance of the total (a MIP's gap: 1e-4 of it) is feasible but not necessarily the
cheapest (a small mineral next to a huge one, under a MIP model).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sourcing.model.lp import LinearProgram

#: Sizes all within [SMALL, LARGE] are left as they are: HiGHS calls bounds above 1e6
#: "excessively large" (HConst.h), and below 1 its tolerances (1e-7) leave too few digits.
LARGE, SMALL = 1e6, 1.0
#: Scaled quantities land in (SIZE/10, SIZE]: the magnitudes of the bundled demo (hundreds of
#: tonnes), ten digits above the primal tolerance. Measured on usgs-2024 under resilient (a MIP):
#: sizes brought to 1e6 solve in 10 s and stop 5e-5 above the optimum (within the gap); to 1e3,
#: in 0.7 s at 1e-11 of it; to 10, in 0.6 s at 2e-8 of it.
SIZE = 1e3
#: The objective's largest coefficient is brought into (COST/10, COST] when it is outside
#: [SMALL, COST]. HiGHS warns above 1e6 but solves: its dual simplex stopped ("excessive dual
#: values") only at 1e12 in our trials (battery-demo at the price limit, benchmarks/limits.py),
#: and 1e8, 1e15 above its dual tolerance, still resolves a cost of 1 per unit (to 0.1) next to
#: the largest the limits allow (a price of 1e12 under a tariff rate of 100: 1e14 per unit); at
#: 1e6, such a plan paid 225 more freight than it had to.
COST = 1e8


@dataclass(frozen=True)
class Scaling:
    """The units HiGHS sees: ``column[j]`` planner units per unit of variable j, ``row[i]`` the
    factor row i is divided by, ``cost`` the objective's unit."""

    column: np.ndarray
    row: np.ndarray
    cost: float = 1.0

    @property
    def is_identity(self) -> bool:
        return self.cost == 1.0 and bool((self.column == 1.0).all() and (self.row == 1.0).all())

    # planner's units -> HiGHS's
    def columns_in(self, values: np.ndarray, cols: np.ndarray | None = None) -> np.ndarray:
        return values / (self.column if cols is None else self.column[cols])

    def rows_in(self, values: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        return values / (self.row if rows is None else self.row[rows])

    def matrix_in(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> np.ndarray:
        return values * self.column[cols] / self.row[rows]

    def cost_in(self, cost: np.ndarray) -> np.ndarray:
        return cost * self.column / self.cost

    # HiGHS's units -> planner's
    def columns_out(self, x: np.ndarray) -> np.ndarray:
        return x * self.column

    def objective_out(self, value: float) -> float:
        return value * self.cost

    def row_duals_out(self, dual: np.ndarray) -> np.ndarray:
        return dual * self.cost / self.row

    def column_duals_out(self, dual: np.ndarray) -> np.ndarray:
        return dual * self.cost / self.column

    def take(self, cols: np.ndarray, rows: np.ndarray) -> Scaling:
        """The same units for a part of the model (an independent block)."""
        return Scaling(self.column[cols], self.row[rows], self.cost)


@dataclass(frozen=True)
class ScaledModel:
    """A model as HiGHS receives it: costs, column bounds, row bounds and the matrix in
    compressed rows, all in the units of ``scaling``."""

    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    starts: np.ndarray
    index: np.ndarray
    values: np.ndarray
    scaling: Scaling

    def take(self, cols: np.ndarray, rows: np.ndarray) -> ScaledModel:
        """The part of the model on columns ``cols`` and rows ``rows`` (sorted global ids), in
        the same units: the rows must hold no column outside ``cols`` (an independent block)."""
        local = np.full(len(self.cost), -1, dtype=np.int64)
        local[cols] = np.arange(len(cols))
        lengths = self.starts[rows + 1] - self.starts[rows]
        starts = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        # each kept row's entries: its first entry in the whole, plus 0, 1, ... along the row
        entries = np.repeat(self.starts[rows] - starts[:-1], lengths) + np.arange(starts[-1])
        index = local[self.index[entries]]
        assert (index >= 0).all(), "a row of the block holds a column outside it"
        return ScaledModel(
            self.cost[cols],
            self.lower[cols],
            self.upper[cols],
            self.row_lower[rows],
            self.row_upper[rows],
            starts,
            index,
            self.values[entries],
            self.scaling.take(cols, rows),
        )


def scaled_model(
    lp: LinearProgram,
    cost: np.ndarray | None = None,
    fix: tuple[np.ndarray, np.ndarray] | None = None,
) -> ScaledModel:
    """``lp`` (minimising ``cost``, default its total cost; ``fix=(cols, values)`` fixed) in the
    units :func:`choose` picks. Binaries keep their units even when their integrality is relaxed:
    a model is scaled alike in its relaxation, its MIP and its priced LP."""
    starts, index, values = lp.csr()
    lower, upper = lp.bounds()
    if fix is not None:
        lower[fix[0]] = upper[fix[0]] = fix[1]
    row_lower, row_upper = lp.row_bounds()
    c = lp.cost_vector() if cost is None else cost
    scaling = choose(
        c,
        lower,
        upper,
        row_lower,
        row_upper,
        starts,
        index,
        values,
        lp.integrality(),
        lp.magnitudes(),
    )
    if not scaling.is_identity:
        row_of = np.repeat(np.arange(lp.n_rows), np.diff(starts))
        c, values = scaling.cost_in(c), scaling.matrix_in(row_of, index, values)
        lower, upper = scaling.columns_in(lower), scaling.columns_in(upper)
        row_lower, row_upper = scaling.rows_in(row_lower), scaling.rows_in(row_upper)
    return ScaledModel(c, lower, upper, row_lower, row_upper, starts, index, values, scaling)


def identity(n_cols: int, n_rows: int) -> Scaling:
    return Scaling(np.ones(n_cols), np.ones(n_rows))


def normalising(sizes: np.ndarray, target: float) -> np.ndarray:
    """For each size, the power of ten that brings it into (target/10, target] (within 1e±300:
    a size that underflows to 0 is scaled as 1e-300, not divided by 0)."""
    with np.errstate(divide="ignore"):  # a size at a power of ten, give or take its last
        exponent = np.ceil(np.log10(sizes / target) - 1e-9)  # digit, goes the same way always
    return 10.0 ** np.clip(exponent, -300, 300)


def choose(
    cost: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    starts: np.ndarray,
    index: np.ndarray,
    values: np.ndarray,
    integer: np.ndarray,
    magnitude: np.ndarray,
) -> Scaling:
    """The scaling of a model given as HiGHS takes it (costs, column bounds, row bounds, the
    matrix in compressed rows, the integrality of each column), and how large each column may
    get (``magnitude``; NaN where unknown, then its bounds say)."""
    integer = np.asarray(integer, dtype=bool)
    n_rows = len(row_lower)
    has_entries = np.diff(starts) > 0
    mip = bool(integer.any())
    continuous_entry = ~integer[index]  # read only for a MIP
    if mip:
        has_continuous = _row_max(continuous_entry.astype(float), starts) > 0
        # rows over binaries alone: in quantity units when they weigh binaries by quantities
        weighted = (_row_max((np.abs(values) != 1.0).astype(float), starts) > 0) & ~has_continuous
    else:
        has_continuous, weighted = has_entries, np.zeros(n_rows, dtype=bool)
    rhs = np.fmax(_magnitude(row_lower), _magnitude(row_upper))
    weighted_size = (
        np.fmax(rhs, _row_max(np.abs(values), starts))[weighted] if weighted.any() else rhs[:0]
    )
    size = np.where(np.isfinite(magnitude) & (magnitude > 0), magnitude, np.nan)
    size = np.where(np.isnan(size), np.fmax(_magnitude(lower), _magnitude(upper)), size)
    size[integer] = np.nan
    known = np.concatenate([size, rhs[has_continuous], weighted_size])
    known = known[~np.isnan(known)]
    column, row = np.ones(len(integer)), np.ones(n_rows)
    scaled = bool(len(known)) and not (SMALL <= known.min() and known.max() <= LARGE)
    if scaled:
        column = _column_scales(size, integer, starts, index, known)
    # a row with continuous variables is divided by the power of ten at or above its largest
    # coefficient on them (in the columns' new units): a flow balance by the scale of its
    # quantities, a value share (prices as coefficients) by its largest price as well
    coefficient = np.abs(values) * column[index] if scaled else np.abs(values)
    if mip:
        coefficient[~continuous_entry] = 0.0
    row_size = _row_max(coefficient, starts)
    resized = has_continuous & (row_size > 0)
    if not scaled:  # only the rows whose coefficients are out of range (prices of 1e12)
        resized &= (row_size < SMALL) | (row_size > LARGE)
    row[resized] = 10.0 ** np.ceil(np.log10(row_size[resized]) - 1e-9)
    if scaled:
        row[weighted] = normalising(weighted_size, SIZE)
    costs = _magnitude(cost * column)
    largest = float(np.nanmax(costs)) if np.isfinite(costs).any() else 0.0
    in_range = SMALL <= largest <= COST or largest <= 0
    return Scaling(
        column, row, 1.0 if in_range else float(normalising(np.array([largest]), COST)[0])
    )


def _column_scales(
    size: np.ndarray, integer: np.ndarray, starts: np.ndarray, index: np.ndarray, known: np.ndarray
) -> np.ndarray:
    """Each continuous variable in units of its size brought into (SIZE/10, SIZE]; binaries 1."""
    column = np.ones(len(integer))
    sized = ~np.isnan(size)
    column[sized] = normalising(size[sized], SIZE)
    # a variable of no known size (a rule's auxiliary: top_share's level and excess; an elastic
    # slack) takes the largest scale among the sized variables it shares a row with
    unsized = ~integer & ~sized
    if unsized.any():
        row_of = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
        near = np.zeros(len(starts) - 1)
        entry = sized[index]
        np.maximum.at(near, row_of[entry], column[index[entry]])
        entry = unsized[index]
        inferred = np.zeros(len(integer))
        np.maximum.at(inferred, index[entry], near[row_of[entry]])
        column[unsized] = np.where(
            inferred[unsized] > 0, inferred[unsized], normalising(known.max(), SIZE)
        )
    return column


def _row_max(entries: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The largest of ``entries`` (≥ 0, one per matrix entry in compressed rows) in each row;
    0 for a row without entries."""
    out = np.zeros(len(starts) - 1)
    filled = np.flatnonzero(np.diff(starts) > 0)
    if len(filled):
        out[filled] = np.maximum.reduceat(entries, starts[filled])
    return out


def _magnitude(values: np.ndarray) -> np.ndarray:
    """|values| where finite and nonzero, NaN elsewhere."""
    values = np.abs(np.asarray(values, dtype=float))
    return np.where(np.isfinite(values) & (values > 0), values, np.nan)
