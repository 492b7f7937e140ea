"""A count rule that cannot hold is found before solving, named by the capacities that show it.

``min_suppliers`` (count k, min_share μ) counts a country at a stage only if it supplies at least
μ of the stage's volume V. Every row of the network is an equality, so V is the demand met,
carried back through the yields; hard demand (no penalty) must be met, so V is at least the hard
demand carried back, V̲. An offer whose capacity is below μ V̲ can never count; fewer than k
offers at or above it means no plan. The check says so in the data's terms (which countries can,
with their capacity), as a consistency warning (an error under ``--strict``), and the plan's
infeasibility explanation leads with it.
"""

from __future__ import annotations

import pytest

import sourcing
from sourcing.errors import InputError
from sourcing.solver import TerminationCondition

ISSUE_EXAMPLE = (
    "model rules, row 1, field 'count': li at stage 'refining': min_suppliers needs 3 countries "
    "able to supply at least 5% (5 t of 100 t), only CHN (900 t) and AUS (40 t) can"
)


def refiners(capacities: dict[str, float], demand: list[dict] | None = None) -> dict:
    """One stage (refining) of lithium; each country refines up to its capacity at 10 per t
    (China), 12 (Australia), 15 (the others); the buyer needs 100 t, hard, unless ``demand``."""
    price = {"CHN": 10, "AUS": 12}
    document = {
        "name": "refiners",
        "stages": ["refining"],
        "minerals": [{"mineral": "li"}],
        "countries": [{"country": c} for c in capacities],
        "supply": [
            {
                "mineral": "li",
                "stage": "refining",
                "country": c,
                "capacity": q,
                "price": price.get(c, 15),
            }
            for c, q in capacities.items()
        ],  # fmt: skip
        "demand": demand or [{"mineral": "li", "quantity": 100}],
    }
    if demand is not None:  # sites in the USA, every lane open and free
        document["transport_default"] = 0
        document["sites"] = [{"site": d["site"], "country": "USA"} for d in demand]
        document["countries"].append({"country": "USA"})
    return document


THREE_OF_FIVE = {"rules": [{"rule": "min_suppliers", "count": 3, "min_share": 0.05}]}
TWO_ABLE = {"CHN": 900, "AUS": 40, "CHL": 4, "ARG": 3}


def test_two_countries_able_to_supply_five_percent_cannot_make_three_suppliers():
    """100 t hard: 5% is 5 t. CHN (900 t) and AUS (40 t) can supply it; CHL (4 t) and ARG (3 t)
    cannot, whatever the plan. Two countries able, three needed: the issue's own example."""
    assert sourcing.validate(refiners(TWO_ABLE), THREE_OF_FIVE) == [ISSUE_EXAMPLE]


def test_a_country_exactly_at_the_share_counts_and_the_plan_meets_the_rule():
    """CHL at exactly 5 t can count. Cheapest plan with three suppliers of at least 5 t each:
    CHL 5 t at 15 and AUS 5 t at 12 (the least each may supply), CHN the other 90 t at 10:
    900 + 60 + 75 = 1,035. No warning: nothing says the rule cannot hold."""
    market = refiners({"CHN": 900, "AUS": 40, "CHL": 5, "ARG": 3})
    assert sourcing.validate(market, THREE_OF_FIVE) == []
    plan = sourcing.solve(market, THREE_OF_FIVE)
    assert plan.objective == pytest.approx(1035)


def test_the_program_is_infeasible_and_the_explanation_leads_with_the_rule():
    """The rule that cannot hold is a warning, and the solve proves what it says: infeasible
    (exit 3). The explanation's summary starts with it and its table rules_cannot_hold names
    the rule's row and field."""
    plan = sourcing.solve(refiners(TWO_ABLE), THREE_OF_FIVE)
    assert plan.termination_condition is TerminationCondition.infeasible
    assert plan.warnings == [ISSUE_EXAMPLE]
    why = plan.infeasibility
    assert why["summary"].splitlines()[:2] == [
        "Rules that cannot hold (found before solving):",
        ISSUE_EXAMPLE,
    ]
    assert why["rules_cannot_hold"] == [
        {
            "table": "model rules",
            "row": 1,
            "field": "count",
            "message": ISSUE_EXAMPLE.removeprefix("model rules, row 1, field 'count': "),
        }
    ]


def test_under_strict_it_is_an_input_error():
    with pytest.raises(InputError) as raised:
        sourcing.validate(refiners(TWO_ABLE), THREE_OF_FIVE, strict=True)
    assert [str(p) for p in raised.value.problems] == [ISSUE_EXAMPLE]


def test_only_hard_demand_sets_the_bar():
    """Site 'plant' needs 60 t hard, site 'mill' 40 t at a penalty of 1,000 per t short. The
    mill may go short, so V at refining is at least 60 t: 5% of it is 3 t, which CHL (4 t) and
    ARG (3 t) can supply as well. Four countries able: no warning.

    The plan: CHL's 4 t count as 5% of at most 80 t, so V = 80 t and the mill goes 20 t short
    (a larger V leaves only CHN and AUS able; every tonne more delivered saves 1,000 against at
    most 15). CHL 4 t at 15, AUS 4 t at 12, CHN 72 t at 10: 60 + 48 + 720 = 828, plus
    20 × 1,000 short: 20,828."""
    demand = [
        {"mineral": "li", "site": "plant", "quantity": 60},
        {"mineral": "li", "site": "mill", "quantity": 40, "penalty": 1000},
    ]
    assert sourcing.validate(refiners(TWO_ABLE, demand), THREE_OF_FIVE) == []
    plan = sourcing.solve(refiners(TWO_ABLE, demand), THREE_OF_FIVE)
    assert plan.objective == pytest.approx(20_828)
    assert plan.costs["shortfall"] == pytest.approx(20_000)
    assert plan.costs["purchase"] == pytest.approx(828)


def test_with_only_soft_demand_the_rule_can_always_hold():
    """All demand soft: buying nothing is a plan (V = 0, every binary may be 1), so no count
    rule is impossible by capacity, and none is reported."""
    demand = [{"mineral": "li", "site": "plant", "quantity": 100, "penalty": 1000}]
    assert sourcing.validate(refiners(TWO_ABLE, demand), THREE_OF_FIVE) == []


def test_yields_carry_the_volume_back_to_mining():
    """Mining at yield 0.5 feeds refining: 100 t refined needs 200 t mined, 5% of it 10 t.
    Mines: AUS 500 t, CHL 12 t, ARG 9 t, BOL 9 t: only AUS and CHL can supply 10 t. Refiners
    (CHN, KOR, JPN, 1,000 t each) are all able at refining (5 t of 100 t). One warning, at
    mining."""
    mines = {"AUS": 500, "CHL": 12, "ARG": 9, "BOL": 9}
    refineries = {"CHN": 1000, "KOR": 1000, "JPN": 1000}
    document = {
        "name": "two-stage",
        "stages": ["mining", "refining"],
        "transport_default": 0,
        "minerals": [{"mineral": "li"}],
        "countries": [{"country": c} for c in [*mines, *refineries]],
        "supply": [
            {"mineral": "li", "stage": "mining", "country": c, "capacity": q, "price": 10}
            for c, q in mines.items()
        ]
        + [
            {"mineral": "li", "stage": "refining", "country": c, "capacity": q, "price": 20}
            for c, q in refineries.items()
        ],
        "yields": [{"mineral": "li", "stage": "refining", "yield": 0.5}],
        "demand": [{"mineral": "li", "quantity": 100}],
    }
    assert sourcing.validate(document, THREE_OF_FIVE) == [
        "model rules, row 1, field 'count': li at stage 'mining': min_suppliers needs 3 "
        "countries able to supply at least 5% (10 t of 200 t), only AUS (500 t) and CHL (12 t) "
        "can"
    ]


def test_only_the_selected_countries_count():
    """The rule names AUS, CHL and ARG (China is not among the countries that may count): of
    them only AUS can supply 5 t. The message names it alone."""
    rules = {
        "rules": [
            {"rule": "min_suppliers", "count": 2, "countries": ["AUS", "CHL", "ARG"]},
        ]
    }
    assert sourcing.validate(refiners(TWO_ABLE), rules) == [
        "model rules, row 1, field 'count': li at stage 'refining': min_suppliers needs 2 "
        "countries able to supply at least 5% (5 t of 100 t), only AUS (40 t) can"
    ]


def test_fewer_offering_countries_than_the_count_keeps_its_own_message():
    """Two countries offer at all, three are needed: the older, plainer message, not both."""
    assert sourcing.validate(refiners({"CHN": 900, "AUS": 40}), THREE_OF_FIVE) == [
        "model rules, row 1, field 'count': min_suppliers: li at stage 'refining' has 2 eligible "
        "supplier countries, fewer than 3"
    ]
