"""A planner's questions, one function each, answered as tables (pandas DataFrames).

    compare    one row per model (and scenario): cost by component, shortfall, concentration,
               and the change against the first row: the price of a rule or of a disruption
    stress     N-1: lose each of the largest supplier countries in turn; unmet demand and extra
               cost per lost country, ranked
    frontier   the cost of tightening a share rule, point by point, with HHI and the rule's
               shadow price
    hedge      reserve capacity before a disruption is known: the two-stage extensive form of
               the scenarios (extensive), with VSS and EVPI; the hedge file (hedge_spec)
    alternatives  plans within a cost bound of the optimum that use other countries (MGA)

``stress`` and ``frontier`` build the model once and re-solve it in a
:class:`~sourcing.solver.session.Session` (changed bounds or coefficients, warm-started from the
last basis) instead of rebuilding it for every point.
"""

from sourcing.analysis.alternatives import Alternatives, NoOptimum, alternatives
from sourcing.analysis.compare import compare
from sourcing.analysis.frontier import frontier
from sourcing.analysis.hedge import Hedge, NoHedge, hedge
from sourcing.analysis.stress import NoBasePlan, stress

__all__ = [
    "Alternatives",
    "Hedge",
    "NoBasePlan",
    "NoHedge",
    "NoOptimum",
    "alternatives",
    "compare",
    "frontier",
    "hedge",
    "stress",
]
