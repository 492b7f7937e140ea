"""What a hedge file may say (``sourcing hedge --hedge FILE``), checked before anything is built.

    reservation_fee: 0.1     # per unit of capacity reserved, as a share of the offer's price
    spot_premium: 0.5        # unreserved capacity is bought at price × (1 + spot_premium)
    risk: {cvar_alpha: 0.9, weight: 0.0}   # optional: minimise (1-w)·expected + w·CVaR_alpha
    scenarios:               # names or paths from the scenario library, with probabilities
      - scenario: cn-gallium-germanium-2023
        probability: 0.25
    # the base (no change) takes the remaining probability

A scenario is a name of the library (``scenarios/``), a path (relative to the hedge file, or to
the working directory), a scenario document written inline, or a list of them applied together
(``[a, b]``, as ``a+b`` in ``sourcing compare``). Every problem names the file, the scenario's
row (from 1) and the field.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sourcing.data.io import read_document
from sourcing.data.messages import problem_from
from sourcing.errors import InputError, Problem

#: probabilities may sum to 1 within this (0.1 + 0.2 + 0.7 is 1.0000000000000002 in floats)
SUM_TOLERANCE = 1e-9


class Risk(BaseModel):
    """minimise (1 − weight)·expected cost + weight·CVaR at level cvar_alpha."""

    model_config = ConfigDict(extra="forbid")
    cvar_alpha: float = Field(0.9, gt=0.0, lt=1.0, allow_inf_nan=False)
    weight: float = Field(0.0, ge=0.0, le=1.0, allow_inf_nan=False)


class HedgedScenario(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenario: str | dict[str, Any] | list[str | dict[str, Any]]
    probability: float = Field(ge=0.0, le=1.0, allow_inf_nan=False)

    @field_validator("scenario")
    @classmethod
    def _named(cls, value: Any) -> Any:
        if (isinstance(value, str) and not value.strip()) or (
            isinstance(value, list) and not value
        ):
            raise ValueError("must name a scenario")
        return value

    @property
    def sources(self) -> list[str | dict[str, Any]]:
        """The scenarios applied together: names, paths or scenario documents."""
        return self.scenario if isinstance(self.scenario, list) else [self.scenario]

    @property
    def label(self) -> str:
        """How the plans name this scenario: its names (file stems), joined by '+'."""
        return "+".join(_name(s) for s in self.sources)


class HedgeSpec(BaseModel):
    """A hedge: the reservation terms, the scenarios with their probabilities, the risk."""

    model_config = ConfigDict(extra="forbid")
    reservation_fee: float = Field(ge=0.0, allow_inf_nan=False)
    spot_premium: float = Field(ge=0.0, allow_inf_nan=False)
    risk: Risk | None = None
    scenarios: list[HedgedScenario] = Field(default_factory=list)

    @property
    def base_probability(self) -> float:
        """What the listed scenarios leave to the base (no change)."""
        return max(0.0, 1.0 - math.fsum(s.probability for s in self.scenarios))


def _name(source: str | dict[str, Any]) -> str:
    if isinstance(source, dict):
        return str(source.get("name") or "scenario")
    return Path(source).stem if source.endswith((".yaml", ".yml", ".json")) else source


def load_hedge(source: str | Path | dict[str, Any] | HedgeSpec) -> tuple[HedgeSpec, Path | None]:
    """The hedge file read and checked, and the folder its scenario paths are relative to."""
    if isinstance(source, HedgeSpec):
        return source, None
    if isinstance(source, dict):
        return parse_hedge(source, "hedge"), None
    path = Path(source)
    label = f"hedge {path.name}"
    if not path.is_file():
        raise InputError([Problem(label, None, None, "no such file")])
    return parse_hedge(read_document(path, label), label), path.parent


def parse_hedge(document: Any, label: str = "hedge") -> HedgeSpec:
    if not isinstance(document, dict):
        raise InputError([Problem(label, None, None, "must be a mapping of keys to values")])
    try:
        spec = HedgeSpec.model_validate(document)
    except ValidationError as error:
        raise InputError([_problem(label, e) for e in error.errors()]) from None
    total = math.fsum(s.probability for s in spec.scenarios)
    if total > 1.0 + SUM_TOLERANCE:
        raise InputError(
            [
                Problem(
                    label,
                    None,
                    "scenarios.probability",
                    f"the probabilities sum to {total:.6g}: at most 1 (the base takes the rest)",
                )
            ]
        )
    return spec


def _problem(label: str, error: Any) -> Problem:
    """A pydantic error as 'hedge FILE, row N, field F: message' (row: the scenario's)."""
    loc = list(error["loc"])
    row = None
    if len(loc) >= 2 and loc[0] == "scenarios" and isinstance(loc[1], int):
        row, loc = loc[1] + 1, ["scenarios", *loc[2:]]
    field = ".".join(str(x) for x in loc) or None
    if error["type"] == "extra_forbidden":
        return Problem(label, row, field, "unknown key")
    if error["type"] == "missing":
        return Problem(label, row, field, "is required")
    found = problem_from(label, {**error, "loc": ()})
    return Problem(label, row, field, found.message)
