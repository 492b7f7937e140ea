"""Every rule of :mod:`sourcing.model.rules`, found by importing each module of the package (each
rule module registers its :class:`~sourcing.model.rules.kind.RuleKind` on import): a new rule module
needs no line here.

:data:`RULES` (rule type -> its ``define``) is kept for code that used it before rules became
objects; new code looks a rule up by its spec class with :func:`sourcing.model.rules.kind.kind_of`.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import get_args

import sourcing.model.rules
from sourcing.data.rule_specs import Rule
from sourcing.model.rules.kind import REGISTRY, Define

for _module in pkgutil.iter_modules(sourcing.model.rules.__path__):
    if _module.name != "registry":
        importlib.import_module(f"sourcing.model.rules.{_module.name}")

_SPECS = get_args(get_args(Rule)[0])  # the classes of the Rule union, in its order
_missing = [spec.__name__ for spec in _SPECS if spec not in REGISTRY]
if _missing:
    raise ImportError(f"rule specs without a registered rule module: {', '.join(_missing)}")
_order = {spec: i for i, spec in enumerate(_SPECS)}
_registered = sorted(REGISTRY.items(), key=lambda item: _order.get(item[0], len(_order)))
REGISTRY.clear()
REGISTRY.update(_registered)

#: rule type -> define(lp, data, network, rule, name)
RULES: dict[str, Define] = {kind.name: kind.define for kind in REGISTRY.values()}
