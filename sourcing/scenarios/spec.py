"""What a scenario file may hold: the scenario, its changes and their windows (pydantic models).

See :mod:`sourcing.scenarios` for the file format and what each change does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sourcing.data.numeric import PlainNumber
from sourcing.data.rule_specs import selects_something
from sourcing.data.schema import LARGEST, Rate

Fraction = Annotated[float, PlainNumber, Field(ge=0, le=1, allow_inf_nan=False)]
Factor = Annotated[float, PlainNumber, Field(ge=0, le=1e6, allow_inf_nan=False)]
Amount = Annotated[float, PlainNumber, Field(ge=-LARGEST, le=LARGEST, allow_inf_nan=False)]
Quantity = Annotated[float, PlainNumber, Field(ge=0, le=LARGEST, allow_inf_nan=False)]
When = dt.date | str
Names = list[str] | None


class ChangeError(ValueError):
    """Parameters of a change that contradict each other; ``field`` names the one to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class Window(BaseModel):
    """[from, until): dates or period names; either end may be open."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, coerce_numbers_to_str=True, allow_inf_nan=False
    )
    start: When | None = Field(default=None, alias="from", description="In force from (inclusive).")
    until: When | None = Field(default=None, description="In force until (not inclusive).")


class _Change(Window):
    minerals: Names = Field(default=None, description="Minerals it applies to; absent: all.")
    countries: Names = Field(default=None, description="Countries it applies to.")
    groups: Names = Field(default=None, description="Country groups it applies to.")
    suspended: list[Window] = Field(
        default_factory=list, description="Windows in which the measure is suspended."
    )
    note: str = Field(default="", description="What the change stands for, and its source.")

    _not_empty = field_validator(
        "minerals", "countries", "groups", "stages", "destinations", "sites", check_fields=False
    )(selects_something)


class CapacityCut(_Change):
    """Capacity × (1 − cut) for the selected offers; a cut of 1 closes them."""

    change: Literal["capacity"]
    stages: Names = None
    cut: Fraction


class Ban(_Change):
    """No lane of the selected minerals from an origin (countries/groups) to a destination."""

    change: Literal["ban"]
    destinations: Names = Field(
        default=None, description="Destination countries or groups; absent: every other country."
    )

    @model_validator(mode="after")
    def _origin(self) -> Ban:
        if self.countries is None and self.groups is None:
            raise ChangeError("countries", "a ban needs 'countries' and/or 'groups' (the origin)")
        return self


class PriceChange(_Change):
    """Price × factor + add for the selected offers."""

    change: Literal["price"]
    stages: Names = None
    factor: Factor = 1.0
    add: Amount = 0.0


class TariffChange(_Change):
    """Sets the tariff on lanes from origins (countries/groups) to ``destinations``."""

    change: Literal["tariff"]
    destinations: Names = Field(
        default=None, description="Destination countries or groups; absent: every other country."
    )
    rate: Rate | None = None  # a fraction of the price, at most schema.MAX_RATE
    per_unit: Quantity | None = None

    @model_validator(mode="after")
    def _something(self) -> TariffChange:
        if self.rate is None and self.per_unit is None:
            raise ChangeError("rate", "a tariff change needs 'rate' and/or 'per_unit'")
        return self


class DemandChange(_Change):
    """Demand × factor at the selected sites (by name, or by the site's country/group)."""

    change: Literal["demand"]
    sites: Names = None
    factor: Factor


Change = Annotated[
    CapacityCut | Ban | PriceChange | TariffChange | DemandChange, Field(discriminator="change")
]
CHANGE_TYPES: dict[str, type[BaseModel]] = {
    "capacity": CapacityCut,
    "ban": Ban,
    "price": PriceChange,
    "tariff": TariffChange,
    "demand": DemandChange,
}


class Scenario(BaseModel):
    """A named set of dated changes to the data, with where the measure comes from."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, allow_inf_nan=False)

    name: str = ""
    description: str = ""
    source: str = Field(default="", description="Where the measure is published.")
    date: dt.date | None = Field(default=None, description="When the measure took effect.")
    changes: list[Change] = Field(min_length=1)


ScenarioLike = str | Path | dict[str, Any] | Scenario
ScenariosLike = ScenarioLike | Sequence[ScenarioLike] | None
