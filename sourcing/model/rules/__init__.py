"""The rules a planner can switch on: one module each, each rule one object.

Each module defines the rule's rows (``define``, whose docstring states the mathematics) and
registers a :class:`sourcing.model.rules.kind.RuleKind` under the rule's spec class, with the
optional hooks the rest of the engine calls (pre-solve check, report cap, frontier sweep,
references). :mod:`sourcing.model.rules.registry` finds every module of this package. The
walk-through of adding a rule (a spec in :mod:`sourcing.data.rule_specs`, a module, a hand-derived
case under ``instances/examples/`` with its golden ``model.lp``, its rows in
``tests/test_rule_rows.py``, and a section in ``models/README.md``) is in ``CONTRIBUTING.md``.
"""
