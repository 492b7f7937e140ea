"""The package's shape: the pipeline by stage, no import cycle, no module over 400 lines.

Every import counts, at the top of a module or inside a function (a lazy import is still a
dependency), except those under ``if TYPE_CHECKING:``, which never run, and those in a module's
``__getattr__``, the alias that keeps a moved name answering at its old path. A cycle means two
modules each need the other to make sense: the pipeline (load and validate, index, build, solve,
extract) should only ever import backwards.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "sourcing"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(tree: ast.AST) -> list[ast.ImportFrom | ast.Import]:
    """Every import statement, but those inside ``if TYPE_CHECKING:`` blocks."""
    found: list[ast.ImportFrom | ast.Import] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            return  # a module's alias for a name that moved: runs only when the old name is used
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for node in runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    if full in modules:
                        graph[name].add(full)
                    elif node.module in modules:
                        graph[name].add(node.module)
            elif isinstance(node, ast.Import):
                graph[name] |= {a.name for a in node.names if a.name in modules}
        graph[name].discard(name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def strong(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                strong(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            strong(node)
    return found


def test_no_import_cycle_inside_the_package():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


#: The pipeline, in order (``ARCHITECTURE`` in the README): a module imports from its own stage
#: and from earlier ones only. Adapters come last; the command line may start the service.
STAGES = {
    "errors": 0,  # the one error type every stage raises
    "data": 1,  # load and validate: readers, the schema, the rule specs
    "scenarios": 2,  # changes to validated data
    "model": 3,  # index, then build the LP (network, contracts, rules)
    "solver": 4,  # HiGHS, the status vocabulary, sessions, MIP starts, pricing
    "results": 5,  # extract the plan, explain, render
    "api": 6,  # the one call: load, index, check, build, solve, extract
    "analysis": 7,  # compare, stress, frontier
    "report": 8,
    "bench": 8,
    "service": 9,
    "cli": 10,
    "session": 10,  # the old path of sourcing.solver.Session, kept answering
    "": 11,  # the package's own __init__: the public names
}


def stage(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def test_every_module_sits_in_a_stage_of_the_pipeline():
    """A new top-level module or package must say where it sits: add it to STAGES."""
    assert {stage(m) for m in import_graph()} <= set(STAGES)


def test_each_stage_imports_only_from_itself_and_earlier_stages():
    """Loading never needs the model, the model never needs the solver, the solver never needs
    the plan: data flows one way, so each stage can be read (and tested) on its own."""
    backwards = [
        f"{module} -> {other}"
        for module, others in sorted(import_graph().items())
        for other in sorted(others)
        if stage(module) != stage(other) and STAGES[stage(other)] >= STAGES[stage(module)]
    ]
    assert backwards == []


def test_no_module_is_over_400_lines():
    """A module over 400 lines holds more than one idea: split it by what each part does."""
    long = {
        str(p.relative_to(ROOT)): n
        for p in sorted(PACKAGE.rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}
