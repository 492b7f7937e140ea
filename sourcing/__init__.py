"""sourcing: least-cost sourcing of critical minerals across processing stages, within the
diversification rules of trade policy.

    >>> import sourcing
    >>> plan = sourcing.solve("instances/dantzig-transport")
    >>> round(plan.objective, 3)
    153.675
"""

from sourcing.api import build_pyomo, load, solve, validate
from sourcing.data.io import load_instance, load_model
from sourcing.data.schema import Instance, ModelSpec
from sourcing.errors import InputError, Problem, SourcingError
from sourcing.results.plan import Plan
from sourcing.solver import Session, SolutionStatus, SolveOptions, TerminationCondition

__all__ = [
    "build_pyomo",
    "load",
    "Instance",
    "InputError",
    "ModelSpec",
    "Plan",
    "Problem",
    "Session",
    "SolutionStatus",
    "SolveOptions",
    "SourcingError",
    "TerminationCondition",
    "load_instance",
    "load_model",
    "solve",
    "validate",
]
