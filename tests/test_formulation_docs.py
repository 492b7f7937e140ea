"""The formulation is written twice, in each family's module docstring and in models/README.md;
this test fails when the two drift apart (issue 11, item 5).

Every formula line of a module docstring (``label[index]  lhs ≤|≥|= rhs  note``) must stand in
models/README.md under the same label with the same formula, ignoring spaces and ``·``. The
index letters and the notes after the formula may be worded differently; a variable's domain
(``∈``, ``≥ 0`` alone) is documented in the README's variables table instead.
"""

from __future__ import annotations

import ast
import re

import pytest

from tests.conftest import ROOT

MODULES = [
    "sourcing/model/network.py",
    "sourcing/model/contracts.py",
    "sourcing/model/stock.py",
    "sourcing/model/extension.py",
    "sourcing/analysis/extensive.py",
    "sourcing/analysis/alternatives.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "sourcing" / "model" / "rules").glob("*.py")),
]
LINE = re.compile(r"^\s*([a-z_]+(?::[a-z]+)?)\[[^\]]*\]\s+(.*)$")
RELATION = re.compile(r"[≤≥=]")
DOMAIN = re.compile(r"∈")
#: the variables, as the README's table names them (their domains are documented there)
VARIABLES = set(
    re.findall(
        r"^\| `([a-z_]+)\[", (ROOT / "models" / "README.md").read_text(encoding="utf-8"), re.M
    )
)


def formulas(text: str) -> dict[str, str]:
    """label → formula of every constraint line in ``text``."""
    found = {}
    for line in text.splitlines():
        match = LINE.match(line)
        if not match or match[1] in VARIABLES:
            continue
        label, rest = match[1], match[2]
        relation = RELATION.search(rest) or DOMAIN.search(rest)
        if relation is None:
            continue
        # the formula ends where a run of three spaces follows the relation: a note comes next
        end = re.search(r"\s{3,}", rest[relation.end() :].lstrip())
        head = rest[: relation.end()] + rest[relation.end() :].lstrip()
        formula = head if end is None else head[: relation.end() + end.start()]
        if relation[0] == "∈" or re.fullmatch(r"\S+\s*≥\s*0", formula.strip()):
            continue  # a variable's domain, documented with the variables
        found[label] = re.sub(r"[\s·]", "", formula)
    return found


def in_docstrings() -> dict[str, tuple[str, str]]:
    out = {}
    for module in MODULES:
        doc = ast.get_docstring(ast.parse((ROOT / module).read_text(encoding="utf-8"))) or ""
        for label, formula in formulas(doc).items():
            out[label] = (module, formula)
    return out


README = formulas((ROOT / "models" / "README.md").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("label", "where"), sorted(in_docstrings().items()))
def test_the_readme_states_each_family_as_its_module_does(label, where):
    module, formula = where
    assert label in README, f"{label} ({module}) is missing from models/README.md"
    assert README[label] == formula, f"{label}: {module} says {formula}, the README {README[label]}"


def test_the_docstrings_hold_the_families_the_readme_names():
    assert set(README) <= set(in_docstrings()), set(README) - set(in_docstrings())
