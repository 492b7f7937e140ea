"""Shared fixtures: paths of the bundled instances and models; the --update-golden option."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
INSTANCES = ROOT / "instances"
MODELS = ROOT / "models"
DEMO = INSTANCES / "battery-demo"


@pytest.fixture
def demo() -> Path:
    return DEMO


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite the golden files (instances/examples/*/model.lp) from the current code "
        "instead of comparing with them; review the result with git diff.",
    )


#: golden files rewritten in this run (``--update-golden``), listed at the end of the run
REWRITTEN = pytest.StashKey[list[str]]()


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> list[str] | None:
    """The list to record each rewritten golden file in when the run was asked to rewrite them
    (``--update-golden``), else None: compare, never write."""
    if not request.config.getoption("--update-golden"):
        return None
    return request.config.stash.setdefault(REWRITTEN, [])


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    rewritten = config.stash.get(REWRITTEN, [])
    if rewritten:
        terminalreporter.write_sep("=", "golden files rewritten: review them with git diff")
        for name in rewritten:
            terminalreporter.write_line(name)
