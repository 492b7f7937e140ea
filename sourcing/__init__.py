"""sourcing: least-cost sourcing of critical minerals across processing stages, within the
diversification rules of trade policy.

    >>> import sourcing
    >>> plan = sourcing.solve("instances/dantzig-transport")
    >>> round(plan.objective, 3)
    153.675
"""

from sourcing.api import build_pyomo, load, solve, validate
from sourcing.errors import InputError, Problem, SourcingError
from sourcing.io import load_instance, load_model
from sourcing.plan import Plan
from sourcing.schema import Instance, ModelSpec
from sourcing.solve import SolutionStatus, TerminationCondition

__all__ = [
    "build_pyomo",
    "load",
    "Instance",
    "InputError",
    "ModelSpec",
    "Plan",
    "Problem",
    "SolutionStatus",
    "SourcingError",
    "TerminationCondition",
    "load_instance",
    "load_model",
    "solve",
    "validate",
]
