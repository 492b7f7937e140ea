"""A rule is one object: a :class:`RuleKind`, registered by its spec class.

The kind carries the rule's rows (``define``) and, as optional hooks, whatever else in the engine
needs to know about the rule. Generic code (the builder, the pre-solve checks, the report, the
frontier, the benchmark) looks the kind up by the spec's class
(:func:`kind_of`) or iterates over :func:`kinds`, and calls the hooks; none of it names a rule
type. This is cvxpy's canonicalization registry in small: one small function per class,
registered by class.

Each rule module under :mod:`sourcing.model.rules` ends with ``register(RuleKind(Spec, define,
...))``; :mod:`sourcing.model.rules.registry` imports every module of the package, so a new module
is found without being listed anywhere. The walk-through of adding a rule is in ``CONTRIBUTING.md``.

Hooks (all optional):

``check(rule, name, scope)``
    pre-solve: what makes the rule impossible to meet before any solve, as ``(field, message)``
    pairs or :class:`Finding` (:func:`sourcing.model.consistency.check_rules_can_hold` adds the
    table and the row). A finding that proves a mineral and period have no plan at all, whatever
    the penalties, says which in ``proves``: a solve block by block then does not search that
    block (:mod:`sourcing.solver.split`).
``cap(rule, members)``
    what the report draws as the rule's cap on a country's share of a stage
    (:func:`sourcing.report.charts.caps`); ``members`` expands country and group names into
    countries. ``None``: the rule draws no cap.
``sweep``
    whether and how ``sourcing frontier`` sweeps the rule's share (:class:`Sweep`).
``integer``
    whether the rule adds binaries (the benchmark counts such a model as a MIP).
``stock_cover(rule, data)``
    the fraction of each stockpile period's demand (rows of ``data.stocks``) the rule asks to
    hold in stock at the end of the period: the builder makes room for it in the stock bounds
    (:func:`sourcing.model.index.with_cover`) before any family is added.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, get_args

import pandas as pd

from sourcing.data.rule_specs import Selectors
from sourcing.data.schema import NO_PERIOD

if TYPE_CHECKING:
    from sourcing.model.index import ModelData
    from sourcing.model.lp import LinearProgram
    from sourcing.model.network import Network

#: define(lp, data, network, rule, name): adds the rule's variables and constraint families
Define = Callable[["LinearProgram", "ModelData", "Network", Any, str], None]


@dataclass(frozen=True)
class Scope:
    """What a pre-solve check sees of the instance: the demanded (mineral, period, stage) rows
    the rule's ``minerals`` and ``stages`` select (never empty: a rule selecting nothing is
    reported before its check runs), and who offers what."""

    data: ModelData
    stages: pd.DataFrame  # rows of data.stage_volumes
    offering: pd.Series  # (mineral, period, stage) -> the set of countries offering there

    def where(self, mineral: str, period: str, stage: str | None = None) -> str:
        """A stage as the planner reads it: "li at stage 'refining' in period '2030'"."""
        text = mineral if stage is None else f"{mineral} at stage '{stage}'"
        return text if period == NO_PERIOD else f"{text} in period '{period}'"


class Finding(NamedTuple):
    """What a ``check`` hook found: the field to change, why, and, when the finding is a proof
    that (mineral, period) has no plan (hard demand the rule cannot serve), that pair."""

    field: str
    message: str
    proves: tuple[str, str] | None = None


@dataclass(frozen=True)
class CapDrawn:
    """A rule's cap on each selected country's share of a stage, as the report draws it: the
    share, the countries it exempts, and (for a rule naming countries) the only ones it caps."""

    share: float
    exempt: frozenset[str] = frozenset()
    only: frozenset[str] | None = None


@dataclass(frozen=True)
class Sweep:
    """How the frontier sweeps a rule: the family (the rule's label plus ``suffix``) whose rows
    hold σ as the coefficient of the stage volume V, and the spec field that σ is.

    ``everywhere(share)`` builds the rule applying to every mineral, stage and country, for a
    frontier asked to sweep the rule type on a model without one; ``None``: the model must have
    the rule (it has parameters a sweep cannot guess)."""

    suffix: str = ""
    field: str = "share"
    everywhere: Callable[[float], Any] | None = None  # -> a spec of the ``Rule`` union


@dataclass(frozen=True)
class RuleKind:
    """One rule: its spec class, its rows, and its optional hooks (module docstring)."""

    spec: type[Selectors]
    define: Define
    check: Callable[[Any, str, Scope], list[tuple[str, str]] | list[Finding]] | None = None
    cap: Callable[[Any, Callable[[list[str] | None], set[str]]], CapDrawn | None] | None = None
    sweep: Sweep | None = None
    integer: bool = False
    stock_cover: Callable[[Any, ModelData], Any] | None = None

    @property
    def name(self) -> str:
        """The rule type, as planners write it (the spec's ``rule`` literal)."""
        (name,) = get_args(self.spec.model_fields["rule"].annotation)
        return str(name)


#: spec class -> its rule; filled by each rule module's :func:`register`
REGISTRY: dict[type[Selectors], RuleKind] = {}


def register(kind: RuleKind) -> RuleKind:
    """Register ``kind`` under its spec class (once: a second registration is a mistake)."""
    if kind.spec in REGISTRY:
        raise ValueError(f"rule spec {kind.spec.__name__} is registered twice")
    REGISTRY[kind.spec] = kind
    return kind


def _loaded() -> dict[type[Selectors], RuleKind]:
    # every rule module registers itself on import; the registry module imports them all
    importlib.import_module("sourcing.model.rules.registry")
    return REGISTRY


def kind_of(rule: Selectors) -> RuleKind:
    """The registered rule of a spec instance."""
    return _loaded()[type(rule)]


def kinds() -> Iterator[RuleKind]:
    """Every registered rule, in the order of the ``Rule`` union in
    :mod:`sourcing.data.rule_specs`."""
    return iter(_loaded().values())


def kind_named(name: str) -> RuleKind | None:
    """The rule whose type is ``name``, if any."""
    return next((k for k in kinds() if k.name == name), None)
