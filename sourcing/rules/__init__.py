"""The rules a planner can switch on: one module each, registered here by their stable names.

To add a rule: a spec class in :mod:`sourcing.rules.spec`, a module with a ``define`` function
whose docstring states the mathematics, one line in :data:`sourcing.rules.registry.RULES`, a
hand-derived case under ``instances/examples/`` with its golden ``model.lp``, its rows derived by
hand in ``tests/test_rule_rows.py``, and a section in ``models/README.md``.
"""
