"""Shared fixtures: paths of the bundled instances and models."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INSTANCES = ROOT / "instances"
MODELS = ROOT / "models"
DEMO = INSTANCES / "battery-demo"


@pytest.fixture
def demo() -> Path:
    return DEMO
