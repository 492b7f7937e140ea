"""The rows each rule adds, worked by hand on one tiny market.

The market: lithium (``li``) is mined and then refined at a yield of 0.5 (2 t of ore per t
refined), for a buyer who needs 100 t of refined lithium. Every lane is open at no cost.

    country  groups   mining (cap, price)   refining (cap, price)
    AUS      FTA      150 t, 40             60 t, 20
    CHL      FTA      unlimited, 30         30 t, 15
    CHN      FEOC     -                     unlimited, 10

So the refining stage needs V̄ = 100 t at most and the mining stage V̄ = 100 / 0.5 = 200 t (the
demand carried back through the yield), which bounds the on/off links: U_o = min(cap_o, V̄).

Variables are named as in the engine and the LP file: ``supply[li,mining,AUS]`` (q_o),
``stage_volume[li,refining]`` (V), ``flow[li,mining,AUS,CHN]`` (ore from the mine in AUS to the
refinery in CHN); the period is left out, as the market declares none. A row is written
``lower, {variable: coefficient}, upper``. Each test derives in its docstring exactly the rows its
rule adds to the network's own (``offer_output``, ``offer_input``, ``stage_volume_sum``,
``demand``) and compares them, with every coefficient and bound, to the rows the engine builds
(:class:`sourcing.model.lp.LinearProgram`). Shares are multiples of 1/4, so every coefficient is
exact in binary and the comparison is ``==``.
"""

from __future__ import annotations

import functools
import json
from math import inf
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sourcing.api import load
from sourcing.model.build import build
from sourcing.model.index import index_instance
from sourcing.model.lp import LinearProgram

NETWORK_ROWS = ("offer_output", "offer_input", "stage_volume_sum", "demand")
NETWORK_VARIABLES = ("supply", "flow", "stage_volume", "shortfall")


class Row(NamedTuple):
    lower: float
    terms: dict[str, float]
    upper: float


class Column(NamedTuple):
    lower: float
    upper: float
    integer: bool


def market(**offer_terms: dict[str, float]) -> dict[str, Any]:
    """The market of the module docstring; ``offer_terms`` adds columns to offers by key, e.g.
    ``market(**{"refining,AUS": {"fixed_cost": 300}})``."""
    offers = [
        ("mining", "AUS", 150, 40),
        ("mining", "CHL", None, 30),
        ("refining", "AUS", 60, 20),
        ("refining", "CHL", 30, 15),
        ("refining", "CHN", None, 10),
    ]
    supply = []
    for stage, country, capacity, price in offers:
        row: dict[str, Any] = {"mineral": "li", "stage": stage, "country": country}
        if capacity is not None:
            row["capacity"] = capacity
        row["price"] = price
        row.update(offer_terms.get(f"{stage},{country}", {}))
        supply.append(row)
    return {
        "name": "tiny",
        "stages": ["mining", "refining"],
        "transport_default": 0,
        "minerals": [{"mineral": "li"}],
        "countries": [
            {"country": "AUS", "groups": "FTA"},
            {"country": "CHL", "groups": "FTA"},
            {"country": "CHN", "groups": "FEOC"},
        ],
        "supply": supply,
        "yields": [{"mineral": "li", "stage": "refining", "yield": 0.5}],
        "demand": [{"mineral": "li", "quantity": 100}],
    }


@functools.cache
def _built(document: str, rules: str) -> LinearProgram:
    instance, model = load(json.loads(document), {"rules": json.loads(rules)})
    return build(index_instance(instance), model)[0]


def built(*rules: dict[str, Any], document: dict[str, Any] | None = None) -> LinearProgram:
    """The engine's LP of ``document`` (default: the market) under ``rules``."""
    return _built(json.dumps(document or market()), json.dumps(list(rules)))


def _labels(index: pd.DataFrame) -> list[str]:
    """'li,mining,AUS' for each row of an index table (empty fields, such as the period, left
    out)."""
    clean = index.astype(object).where(index.notna(), "")
    return [",".join(str(v) for v in row if str(v)) for row in clean.itertuples(index=False)]


def _column_names(lp: LinearProgram) -> list[str]:
    names = [""] * lp.n_vars
    for name, block in lp.variables.items():
        for i, label in enumerate(_labels(block.index)):
            names[block.start + i] = f"{name}[{label}]"
    return names


def added_rows(lp: LinearProgram) -> dict[str, Row]:
    """Every row outside the network's families, by name, with its coefficients (as the solver
    receives them: ``LinearProgram.csr``, repeated entries added) and bounds."""
    names = _column_names(lp)
    starts, cols, vals = lp.csr()
    rows = {}
    for family, block in lp.constraints.items():
        if family in NETWORK_ROWS:
            continue
        for i, label in enumerate(_labels(block.index)):
            entries = slice(starts[block.start + i], starts[block.start + i + 1])
            terms = {names[c]: float(v) for c, v in zip(cols[entries], vals[entries], strict=True)}
            rows[f"{family}[{label}]"] = Row(float(block.lower[i]), terms, float(block.upper[i]))
    return rows


def added_columns(lp: LinearProgram) -> dict[str, Column]:
    """Every variable outside the network's families, by name, with its bounds and type."""
    return {
        f"{family}[{label}]": Column(float(block.lower[i]), float(block.upper[i]), block.integer)
        for family, block in lp.variables.items()
        if family not in NETWORK_VARIABLES
        for i, label in enumerate(_labels(block.index))
    }


def test_the_market_alone_adds_no_rows():
    """Without a rule or a contract term, the LP is the network: nothing else to account for in
    the tests below."""
    lp = built()
    assert added_rows(lp) == {} and added_columns(lp) == {}
    assert list(lp.constraints) == list(NETWORK_ROWS)


def test_max_country_share_caps_each_country_not_exempt_at_each_stage():
    """``max_country_share`` with σ = 0.75 and AUS exempt: one row per offer of a country not
    exempt, at the stage of the offer (CHL mines and refines, CHN refines):

        max_country_share[m,s,c]    q_msc − σ V_ms ≤ 0

    max_country_share[li,mining,CHL]     q_CHL,mining   − 0.75 V_mining   ≤ 0
    max_country_share[li,refining,CHL]   q_CHL,refining − 0.75 V_refining ≤ 0
    max_country_share[li,refining,CHN]   q_CHN,refining − 0.75 V_refining ≤ 0

    AUS has no row at either stage. No new variables.
    """
    lp = built({"rule": "max_country_share", "share": 0.75, "exempt": ["AUS"]})
    assert added_rows(lp) == {
        "max_country_share[li,mining,CHL]": Row(
            -inf, {"supply[li,mining,CHL]": 1.0, "stage_volume[li,mining]": -0.75}, 0.0
        ),
        "max_country_share[li,refining,CHL]": Row(
            -inf, {"supply[li,refining,CHL]": 1.0, "stage_volume[li,refining]": -0.75}, 0.0
        ),
        "max_country_share[li,refining,CHN]": Row(
            -inf, {"supply[li,refining,CHN]": 1.0, "stage_volume[li,refining]": -0.75}, 0.0
        ),
    }
    assert added_columns(lp) == {}


def test_group_share_by_quantity_is_one_row_per_stage_without_a_division():
    """``group_share`` of the FTA group (AUS, CHL) at least α = 0.5 of the refined tonnes:

        Σ_{o∈FTA} q_o ≥ α Σ_o q_o   ⇔   Σ_o (g_o − α) q_o ≥ 0

    with g_o = 1 for AUS and CHL, 0 for CHN. One row, for the only stage selected, named by the
    rule and its side:

    group_share:min[li,refining]   0.5 q_AUS + 0.5 q_CHL − 0.5 q_CHN ≥ 0

    The mining offers are not selected and do not appear.
    """
    lp = built({"rule": "group_share", "groups": ["FTA"], "min": 0.5, "stages": ["refining"]})
    assert added_rows(lp) == {
        "group_share:min[li,refining]": Row(
            0.0,
            {
                "supply[li,refining,AUS]": 0.5,
                "supply[li,refining,CHL]": 0.5,
                "supply[li,refining,CHN]": -0.5,
            },
            inf,
        ),
    }
    assert added_columns(lp) == {}


def test_group_share_by_value_over_the_chain_weights_each_offer_by_its_price():
    """``group_share`` named ``partners``, FTA between α = 0.5 and β = 0.75 of the value of
    mining and refining together (``measure: value, scope: chain``). The weight of an offer is
    its price p_o (for refining, the conversion price): 40, 30 at mining; 20, 15, 10 at refining.
    One row per side for the mineral (the key is mineral and period, the stages summed):

        Σ_o (g_o − α) p_o q_o ≥ 0        Σ_o (g_o − β) p_o q_o ≤ 0

    partners:min[li]   (1−0.5)·40 q_AUS,m + (1−0.5)·30 q_CHL,m
                       + (1−0.5)·20 q_AUS,r + (1−0.5)·15 q_CHL,r − 0.5·10 q_CHN,r ≥ 0
                     = 20 q_AUS,m + 15 q_CHL,m + 10 q_AUS,r + 7.5 q_CHL,r − 5 q_CHN,r ≥ 0
    partners:max[li]   10 q_AUS,m + 7.5 q_CHL,m + 5 q_AUS,r + 3.75 q_CHL,r − 7.5 q_CHN,r ≤ 0
    """
    lp = built(
        {"rule": "group_share", "name": "partners", "groups": ["FTA"], "min": 0.5, "max": 0.75,
         "measure": "value", "scope": "chain"}
    )  # fmt: skip
    assert added_rows(lp) == {
        "partners:min[li]": Row(
            0.0,
            {
                "supply[li,mining,AUS]": 20.0,
                "supply[li,mining,CHL]": 15.0,
                "supply[li,refining,AUS]": 10.0,
                "supply[li,refining,CHL]": 7.5,
                "supply[li,refining,CHN]": -5.0,
            },
            inf,
        ),
        "partners:max[li]": Row(
            -inf,
            {
                "supply[li,mining,AUS]": 10.0,
                "supply[li,mining,CHL]": 7.5,
                "supply[li,refining,AUS]": 5.0,
                "supply[li,refining,CHL]": 3.75,
                "supply[li,refining,CHN]": -7.5,
            },
            0.0,
        ),
    }
    assert added_columns(lp) == {}


def test_exclude_is_a_row_per_excluded_offer_not_a_bound():
    """``exclude`` of the FEOC group: CHN's only offer is refining, so one row, q ≤ 0, kept as a
    row (not as the variable's bound) so that its dual prices the exclusion:

    exclude[li,refining,CHN]   q_CHN,refining ≤ 0

    The offer's own bound is untouched (unlimited capacity).
    """
    lp = built({"rule": "exclude", "groups": ["FEOC"]})
    assert added_rows(lp) == {
        "exclude[li,refining,CHN]": Row(-inf, {"supply[li,refining,CHN]": 1.0}, 0.0),
    }
    assert added_columns(lp) == {}
    supply = lp.variables["supply"]
    assert supply.upper[supply.index["country"].eq("CHN").to_numpy()].tolist() == [inf]


def test_min_suppliers_links_each_binary_to_a_share_of_the_stage():
    """``min_suppliers`` with k = 2 countries of at least μ = 0.25 each, at refining. One binary
    z_o per refining offer, one share row per offer and one count row for the stage:

        share[o]   q_o − μ V − μ V̄ z_o ≥ −μ V̄       (z_o = 1 ⇒ q_o ≥ μ V; z_o = 0: slack,
                                                       since q_o ≥ 0 and V ≤ V̄)
        count      Σ_o z_o ≥ k

    with V̄ = 100 at refining, so μ V̄ = 25:

    min_suppliers:share[li,refining,c]   q_c − 0.25 V_refining − 25 z_c ≥ −25   (c = AUS, CHL, CHN)
    min_suppliers:count[li,refining]     z_AUS + z_CHL + z_CHN ≥ 2
    """
    lp = built({"rule": "min_suppliers", "count": 2, "min_share": 0.25, "stages": ["refining"]})
    rows = {
        f"min_suppliers:share[li,refining,{c}]": Row(
            -25.0,
            {
                f"supply[li,refining,{c}]": 1.0,
                "stage_volume[li,refining]": -0.25,
                f"min_suppliers:used[li,refining,{c}]": -25.0,
            },
            inf,
        )
        for c in ("AUS", "CHL", "CHN")
    }
    rows["min_suppliers:count[li,refining]"] = Row(
        2.0, {f"min_suppliers:used[li,refining,{c}]": 1.0 for c in ("AUS", "CHL", "CHN")}, inf
    )
    assert added_rows(lp) == rows
    assert added_columns(lp) == {
        f"min_suppliers:used[li,refining,{c}]": Column(0.0, 1.0, True)
        for c in ("AUS", "CHL", "CHN")
    }


def test_max_suppliers_links_each_offer_to_its_binary_by_its_own_bound():
    """``max_suppliers`` with k = 1 at both stages. One binary z_o per offer; the link row
    switches the offer off with z_o = 0, with the tightest valid coefficient U_o = min(cap_o, V̄)
    (never a big-M), and one count row per stage:

        link[o]   q_o − U_o z_o ≤ 0
        count     Σ_o z_o ≤ k

    mining (V̄ = 200):    U_AUS = min(150, 200) = 150    U_CHL = min(∞, 200) = 200
    refining (V̄ = 100):  U_AUS = 60   U_CHL = 30   U_CHN = min(∞, 100) = 100

    max_suppliers:count[li,mining]     z_AUS,m + z_CHL,m ≤ 1
    max_suppliers:count[li,refining]   z_AUS,r + z_CHL,r + z_CHN,r ≤ 1
    """
    lp = built({"rule": "max_suppliers", "count": 1})
    bound = {"mining,AUS": 150, "mining,CHL": 200, "refining,AUS": 60, "refining,CHL": 30,
             "refining,CHN": 100}  # fmt: skip
    rows = {
        f"max_suppliers:link[li,{o}]": Row(
            -inf, {f"supply[li,{o}]": 1.0, f"max_suppliers:used[li,{o}]": -float(u)}, 0.0
        )
        for o, u in bound.items()
    }
    for stage in ("mining", "refining"):
        used = {f"max_suppliers:used[li,{o}]": 1.0 for o in bound if o.startswith(stage)}
        rows[f"max_suppliers:count[li,{stage}]"] = Row(-inf, used, 1.0)
    assert added_rows(lp) == rows
    assert added_columns(lp) == {
        f"max_suppliers:used[li,{o}]": Column(0.0, 1.0, True) for o in bound
    }


def test_top_share_bounds_the_k_largest_shares_with_one_level_and_an_excess_per_offer():
    """``top_share`` with k = 2, σ = 0.75 at refining: the two largest refiners together hold at
    most 75 t of every 100. The sum of the k largest q_o is at most σ V exactly when some λ ≥ 0
    and μ_o ≥ 0 satisfy μ_o ≥ q_o − λ and k λ + Σ μ_o ≤ σ V:

    top_share:level[li,refining]       λ ≥ 0
    top_share:excess[li,refining,c]    μ_c ≥ 0                        (c = AUS, CHL, CHN)
    top_share:cover[li,refining,c]     μ_c + λ − q_c ≥ 0
    top_share:sum[li,refining]         2 λ + μ_AUS + μ_CHL + μ_CHN − 0.75 V_refining ≤ 0

    Continuous variables only: no binaries.
    """
    lp = built({"rule": "top_share", "k": 2, "share": 0.75, "stages": ["refining"]})
    countries = ("AUS", "CHL", "CHN")
    rows = {
        f"top_share:cover[li,refining,{c}]": Row(
            0.0,
            {
                f"supply[li,refining,{c}]": -1.0,
                "top_share:level[li,refining]": 1.0,
                f"top_share:excess[li,refining,{c}]": 1.0,
            },
            inf,
        )
        for c in countries
    }
    rows["top_share:sum[li,refining]"] = Row(
        -inf,
        {
            "stage_volume[li,refining]": -0.75,
            "top_share:level[li,refining]": 2.0,
            **{f"top_share:excess[li,refining,{c}]": 1.0 for c in countries},
        },
        0.0,
    )
    assert added_rows(lp) == rows
    columns = {"top_share:level[li,refining]": Column(0.0, inf, False)}
    columns |= {f"top_share:excess[li,refining,{c}]": Column(0.0, inf, False) for c in countries}
    assert added_columns(lp) == columns


CONTRACTS = market(
    **{
        "mining,AUS": {"fixed_cost": 500, "min_quantity": 40},
        "refining,AUS": {"fixed_cost": 300},
        "refining,CHN": {"fixed_cost": 100},
    }
)


def test_contract_terms_add_a_binary_a_capacity_link_and_a_minimum_take():
    """Contract terms carried by the offers: a fixed cost f_o or a minimum quantity m_o makes
    the offer a contract w_o ∈ {0, 1}. Mining in AUS: f = 500, m = 40 t; refining in AUS: f = 300;
    refining in CHN: f = 100. With U_o = min(cap_o, V̄) as for max_suppliers:

        contract_capacity[o]   q_o − U_o w_o ≤ 0       (no output without the contract)
        contract_minimum[o]    q_o − m_o w_o ≥ 0       (only where m_o > 0)

    contract_capacity[li,mining,AUS]     q − 150 w ≤ 0
    contract_capacity[li,refining,AUS]   q −  60 w ≤ 0
    contract_capacity[li,refining,CHN]   q − 100 w ≤ 0
    contract_minimum[li,mining,AUS]      q −  40 w ≥ 0

    The fixed costs enter the objective as 500 w_AUS,m + 300 w_AUS,r + 100 w_CHN,r (component
    ``fixed``). The lane and cover rows of the same contracts are the next test's.
    """
    lp = built(document=CONTRACTS)
    rows = added_rows(lp)
    capacity = {"mining,AUS": 150.0, "refining,AUS": 60.0, "refining,CHN": 100.0}
    assert {k: v for k, v in rows.items() if k.startswith("contract_capacity")} == {
        f"contract_capacity[li,{o}]": Row(
            -inf, {f"supply[li,{o}]": 1.0, f"contract[li,{o}]": -u}, 0.0
        )
        for o, u in capacity.items()
    }
    assert rows["contract_minimum[li,mining,AUS]"] == Row(
        0.0, {"supply[li,mining,AUS]": 1.0, "contract[li,mining,AUS]": -40.0}, inf
    )
    assert [k for k in rows if k.startswith("contract_minimum")] == [
        "contract_minimum[li,mining,AUS]"
    ]
    columns = added_columns(lp)
    assert columns == {f"contract[li,{o}]": Column(0.0, 1.0, True) for o in capacity}
    fixed = lp.cost_vector(("fixed",))
    names = _column_names(lp)
    assert {names[j]: fixed[j] for j in np.flatnonzero(fixed)} == {
        "contract[li,mining,AUS]": 500.0,
        "contract[li,refining,AUS]": 300.0,
        "contract[li,refining,CHN]": 100.0,
    }


def test_contract_terms_link_the_lanes_that_carry_less_and_cover_a_hard_demand():
    """The same contracts. A lane leaving a contracted offer gets its own link when it can carry
    less than the offer's U_o (the disaggregated linking of facility location):

        contract_lane[l]   x_l − U_l w_o ≤ 0    where U_l < U_o

    Ore lanes out of the AUS mine (U = 150) carry at most what the refinery at their end can
    refine, divided by the yield: U_l = min(U_to / 0.5, 150):
        to AUS: min(60 / 0.5, 150) = 120 < 150   a row
        to CHL: min(30 / 0.5, 150) =  60 < 150   a row
        to CHN: min(100 / 0.5, 150) = 150        no row (no tighter than the capacity link)
    Refined lanes to the buyer carry at most the demand, 100: min(100, 60) = 60 = U for AUS and
    min(100, 100) = 100 = U for CHN, so no row.

    Demand is hard, so each stage must supply its whole V̄, and the contracts must cover what
    the offers without a contract cannot:

        contract_cover[ms]   Σ_{o contracted} U_o w_o ≥ V̄ − Σ_{o free} U_o   (when > 0)

    mining: 200 − U_CHL = 200 − 200 = 0, no row. refining: 100 − U_CHL = 100 − 30 = 70:

    contract_lane[li,mining,AUS,AUS]   x − 120 w_AUS,m ≤ 0
    contract_lane[li,mining,AUS,CHL]   x −  60 w_AUS,m ≤ 0
    contract_cover[li,refining]        60 w_AUS,r + 100 w_CHN,r ≥ 70
    """
    rows = added_rows(built(document=CONTRACTS))
    assert {k: v for k, v in rows.items() if k.startswith(("contract_lane", "contract_cover"))} == {
        "contract_lane[li,mining,AUS,AUS]": Row(
            -inf, {"flow[li,mining,AUS,AUS]": 1.0, "contract[li,mining,AUS]": -120.0}, 0.0
        ),
        "contract_lane[li,mining,AUS,CHL]": Row(
            -inf, {"flow[li,mining,AUS,CHL]": 1.0, "contract[li,mining,AUS]": -60.0}, 0.0
        ),
        "contract_cover[li,refining]": Row(
            70.0, {"contract[li,refining,AUS]": 60.0, "contract[li,refining,CHN]": 100.0}, inf
        ),
    }
    assert sorted({k.split("[")[0] for k in rows}) == [
        "contract_capacity",
        "contract_cover",
        "contract_lane",
        "contract_minimum",
    ]


def stocked_market() -> dict[str, Any]:
    """The market with a stockpile of lithium at the buyer: 10 t in stock at the start, room for
    50 t, 2 per tonne of closing stock."""
    pile = {"site": "buyer", "mineral": "li", "initial": 10, "capacity": 50, "holding_cost": 2}
    return {**market(), "stockpiles": [pile]}


def test_a_stockpile_adds_a_balance_row_its_stock_and_a_draw_in_the_demand_row():
    """The market has one period, so the stock's balance is

        stock_balance[j,m,t]   S + n = initial = 10

    (closing stock S, draw n to meet demand). The draw also enters the demand row, which
    becomes x_AUS + x_CHL + x_CHN + n = 100 (refined lithium delivered, plus the draw). The most
    closing stock that can still be used is min(capacity 50, max(initial 10, later demand 0 +
    final_min 0)) = 10, so 0 ≤ S ≤ 10; the draw is free (below 0 it builds stock). Holding:
    2 S in the objective.
    """
    lp = built(document=stocked_market())
    assert added_rows(lp) == {
        "stock_balance[buyer,li]": Row(
            10.0, {"stock[buyer,li]": 1.0, "stock_draw[buyer,li]": 1.0}, 10.0
        )
    }
    assert added_columns(lp) == {
        "stock[buyer,li]": Column(0.0, 10.0, False),
        "stock_draw[buyer,li]": Column(-inf, inf, False),
    }
    names = _column_names(lp)
    starts, cols, vals = lp.csr()
    demand = lp.constraints["demand"].start
    entries = slice(starts[demand], starts[demand + 1])
    assert {names[c]: float(v) for c, v in zip(cols[entries], vals[entries], strict=True)} == {
        "flow[li,refining,AUS,buyer,buyer]": 1.0,
        "flow[li,refining,CHL,buyer,buyer]": 1.0,
        "flow[li,refining,CHN,buyer,buyer]": 1.0,
        "stock_draw[buyer,li]": 1.0,
    }
    cost = lp.cost_vector(("holding",))
    assert {names[c]: float(cost[c]) for c in np.flatnonzero(cost)} == {"stock[buyer,li]": 2.0}


def test_stockpile_cover_bounds_the_closing_stock_below_by_a_share_of_demand():
    """``stockpile_cover`` with 73 days in a 365-day period: c = 0.2, and the one demand row
    (li at the buyer, 100 t) gives

        stockpile_cover[m,t,j]   S_jmt ≥ c d = 20

    The stock's bound widens to hold it: min(50, max(10, 0 + max(0, 20))) = 20. Soft, with a
    penalty of 5, the row gains a shortfall z ≥ 0 (``stockpile_cover:short``), costing 5 z:

        S + z ≥ 20
    """
    lp = built({"rule": "stockpile_cover", "days": 73}, document=stocked_market())
    rows = added_rows(lp)
    assert rows["stockpile_cover[li,buyer]"] == Row(20.0, {"stock[buyer,li]": 1.0}, inf)
    assert added_columns(lp)["stock[buyer,li]"] == Column(0.0, 20.0, False)

    soft = built({"rule": "stockpile_cover", "days": 73, "penalty": 5}, document=stocked_market())
    assert added_rows(soft)["stockpile_cover[li,buyer]"] == Row(
        20.0, {"stock[buyer,li]": 1.0, "stockpile_cover:short[li,buyer]": 1.0}, inf
    )
    assert added_columns(soft)["stockpile_cover:short[li,buyer]"] == Column(0.0, inf, False)
    names = _column_names(soft)
    cost = soft.cost_vector(("cover_shortfall",))
    assert {names[c]: float(cost[c]) for c in np.flatnonzero(cost)} == {
        "stockpile_cover:short[li,buyer]": 5.0
    }


def priced_market() -> dict[str, Any]:
    """The market with a reference price of refined lithium: 18 (per tonne refined, as the
    refining price)."""
    return {**market(), "reference_prices": [{"mineral": "li", "stage": "refining", "price": 18}]}


def _costs(lp: LinearProgram, terms: dict[str, list[tuple[np.ndarray, np.ndarray]]], name: str):
    names = _column_names(lp)
    return {
        names[c]: float(v)
        for cols, vals in terms.get(name, [])
        for c, v in zip(cols, vals, strict=True)
    }


def test_price_floor_adds_no_row_only_unit_costs_shared_between_buyer_and_public():
    """``price_floor`` for FTA refiners with b = 0.5 and u = 0.25, reference P = 18:

        CHL refining, p = 15: top-up 18 − 15 = 3, clawback 0: buyer 0.5 × 3 = 1.5, public 1.5
        AUS refining, p = 20: top-up 0, clawback 0.25 × (20 − 18) = 0.5: buyer −0.25, public −0.25

    CHN (FEOC) is not guaranteed; mining has no reference price. No row, no variable: the
    buyer's shares join the objective (``floor_topup``, ``floor_clawback``), the public's are
    kept apart (``LinearProgram.public``), never minimised.
    """
    rule = {
        "rule": "price_floor",
        "groups": ["FTA"],
        "stages": ["refining"],
        "buyer_share": 0.5,
        "upside_share": 0.25,
    }
    lp = built(rule, document=priced_market())
    assert added_rows(lp) == {} and added_columns(lp) == {}
    assert _costs(lp, lp.costs, "floor_topup") == {"supply[li,refining,CHL]": 1.5}
    assert _costs(lp, lp.costs, "floor_clawback") == {"supply[li,refining,AUS]": -0.25}
    assert _costs(lp, lp.public, "floor_topup") == {"supply[li,refining,CHL]": 1.5}
    assert _costs(lp, lp.public, "floor_clawback") == {"supply[li,refining,AUS]": -0.25}


def test_reference_tariff_charges_the_gap_on_lanes_leaving_the_country():
    """``reference_tariff`` on FEOC refiners with s = 0.5: CHN refines at 10 against the
    reference 18, so each tonne it delivers abroad (to the buyer, whose site is not in CHN)
    pays 0.5 × (18 − 10) = 4, to the buyer's cost and, with the opposite sign, to the state's
    receipts. No row, no variable.
    """
    rule = {"rule": "reference_tariff", "groups": ["FEOC"], "share": 0.5}
    lp = built(rule, document=priced_market())
    assert added_rows(lp) == {} and added_columns(lp) == {}
    assert _costs(lp, lp.costs, "reference_tariff") == {"flow[li,refining,CHN,buyer,buyer]": 4.0}
    assert _costs(lp, lp.public, "reference_tariff") == {"flow[li,refining,CHN,buyer,buyer]": -4.0}
