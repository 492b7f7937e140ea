"""A rule is one object, registered by its spec class (issue 11, item 2): every spec of the
``Rule`` union has its rule, the old names (``RULES``, ``SWEEPABLE``, ``INTEGER_RULES``) still
answer as before, and no module outside ``sourcing/model/rules/`` branches on a rule's type."""

from __future__ import annotations

import re
from typing import get_args

import pytest

from sourcing.data.rule_specs import Exclude, MaxCountryShare, Rule, TopShare
from sourcing.model.rules.kind import REGISTRY, RuleKind, kind_named, kind_of, kinds, register
from tests.conftest import ROOT

SPECS = get_args(get_args(Rule)[0])


def test_every_spec_of_the_union_has_its_rule_in_the_union_order():
    assert [kind.spec for kind in kinds()] == list(SPECS)
    for kind in kinds():
        assert kind_named(kind.name) is kind
        assert kind.name == kind.spec.model_fields["rule"].annotation.__args__[0]


def test_a_rule_is_found_by_its_spec_class():
    rule = MaxCountryShare(rule="max_country_share", share=0.5)
    assert kind_of(rule) is REGISTRY[MaxCountryShare]
    assert kind_of(Exclude(rule="exclude", groups=["FEOC"])).sweep is None
    assert kind_of(TopShare(rule="top_share", k=2, share=0.8)).sweep.suffix == ":sum"


def test_registering_a_spec_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        register(RuleKind(MaxCountryShare, REGISTRY[MaxCountryShare].define))


def test_the_names_of_before_still_answer():
    from sourcing.analysis.frontier import SWEEPABLE
    from sourcing.bench import INTEGER_RULES
    from sourcing.model.rules.registry import RULES

    assert SWEEPABLE == {"max_country_share": "", "top_share": ":sum"}
    assert INTEGER_RULES == ("min_suppliers", "max_suppliers")
    assert set(RULES) == {kind.name for kind in kinds()}
    assert RULES["top_share"] is kind_named("top_share").define


def test_no_module_outside_the_rules_branches_on_a_rule_type():
    """``rule.rule == "..."`` or ``.rule in (...)`` outside sourcing/model/rules/ means a rule type
    is known by name again: give the rule a hook instead (CONTRIBUTING.md)."""
    branching = re.compile(r"\.rule\s*(==|!=)\s*[\"']|\.rule\s+(not\s+)?in\s+[(\[{A-Z]")
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted((ROOT / "sourcing").rglob("*.py"))
        if path.relative_to(ROOT / "sourcing").parts[:2] != ("model", "rules")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if branching.search(line)
    ]
    assert not found, found
