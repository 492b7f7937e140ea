"""What a planner writes for each rule in a model file (or an instance's ``rules``).

Every rule has the ``rule`` key naming its type, its own parameters, and the selectors
``minerals``, ``stages``, ``countries``, ``groups`` (default: all). ``name`` labels the rule in
the plan and in dual keys; by default it is the rule type (numbered when a model repeats a type).
The mathematics of each rule is in the docstring of its module in :mod:`sourcing.model.rules`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sourcing.data.numeric import PlainNumber

Fraction = Annotated[float, PlainNumber, Field(ge=0, le=1, allow_inf_nan=False)]
#: A count of countries (or of the largest shares): at least one, and far fewer than a million.
Count = Annotated[int, PlainNumber, Field(ge=1, le=1_000_000)]


def selects_something(names: list[str] | None) -> list[str] | None:
    """A selector's names: absent (``None``) selects all, so an empty list is a mistake (a rule
    or a change that silently does nothing), not "none"."""
    if names is not None and not names:
        raise ValueError(
            "an empty list selects nothing: leave the key out to select all, or name at least one"
        )
    return names


class RuleError(ValueError):
    """Parameters of a rule that contradict each other; ``field`` names the one to change."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


#: the kinds of names a rule may refer to beyond its selectors
NameKind = Literal["country", "group"]
#: (field, the names it holds, the kinds of names they may be)
NamesReferenced = tuple[str, list[str] | None, set[NameKind]]


class Selectors(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, coerce_numbers_to_str=True)

    name: str | None = Field(default=None, description="Label in the plan and in dual keys.")
    minerals: list[str] | None = Field(
        default=None, description="Minerals it applies to; absent: all."
    )
    stages: list[str] | None = Field(default=None, description="Stages it applies to; absent: all.")
    countries: list[str] | None = Field(default=None, description="Countries it applies to.")
    groups: list[str] | None = Field(default=None, description="Country groups it applies to.")

    _not_empty = field_validator("minerals", "stages", "countries", "groups")(selects_something)

    @property
    def selects_countries(self) -> bool:
        return self.countries is not None or self.groups is not None

    def names_referenced(self) -> list[NamesReferenced]:
        """The names the rule refers to beyond the common selectors (``minerals``, ``stages``,
        ``countries``, ``groups``, checked for every rule), as ``(field, names, kinds)`` with
        ``kinds`` a subset of ``{"country", "group"}``; every one must exist in the instance
        (:func:`sourcing.data.references.check_rules`). A spec with such a field overrides this."""
        return []


class MaxCountryShare(Selectors):
    """No single country supplies more than ``share`` of the buyer's volume at a stage."""

    rule: Literal["max_country_share"]
    share: Fraction
    exempt: list[str] = Field(
        default_factory=list,
        description="Countries or groups not capped (e.g. the buyer's own, EU).",
    )

    def names_referenced(self) -> list[NamesReferenced]:
        return [("exempt", self.exempt, {"country", "group"})]


class GroupShare(Selectors):
    """The share from the selected countries/groups is at least ``min`` and/or at most ``max``."""

    rule: Literal["group_share"]
    min: Fraction | None = None
    max: Fraction | None = None
    measure: Literal["quantity", "value"] = "quantity"
    scope: Literal["stage", "chain"] = Field(
        default="stage",
        description="'stage': per mineral and stage; 'chain': summed over the selected stages "
        "(extraction and processing together, as the US partner value-share template does).",
    )

    @model_validator(mode="after")
    def _bounds(self) -> GroupShare:
        if self.min is None and self.max is None:
            raise RuleError("min", "group_share needs 'min' and/or 'max'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise RuleError("min", f"group_share 'min' ({self.min}) exceeds 'max' ({self.max})")
        if not self.selects_countries:
            raise RuleError(
                "countries", "group_share needs 'countries' and/or 'groups' naming the group"
            )
        if self.scope == "chain" and self.measure == "quantity":
            raise RuleError(
                "measure",
                "scope 'chain' adds up stages, which only makes sense by value: set measure: value",
            )
        return self


class Exclude(Selectors):
    """No supply from the selected countries or groups (e.g. foreign entities of concern)."""

    rule: Literal["exclude"]

    @model_validator(mode="after")
    def _something(self) -> Exclude:
        if not self.selects_countries:
            raise RuleError(
                "countries", "exclude needs 'countries' and/or 'groups' naming what is excluded"
            )
        return self


class MinSuppliers(Selectors):
    """At least ``count`` countries per mineral and stage, each with at least ``min_share``."""

    rule: Literal["min_suppliers"]
    count: Count
    min_share: Annotated[float, PlainNumber, Field(gt=0, le=1, allow_inf_nan=False)] = Field(
        default=0.05,
        description="A country counts as a supplier when it supplies at least this share of the "
        "stage's volume (default 5%: a token tonne must not count as diversification).",
    )

    @model_validator(mode="after")
    def _feasible_shares(self) -> MinSuppliers:
        if self.count * self.min_share > 1 + 1e-12:
            raise RuleError(
                "count", f"{self.count} suppliers of at least {self.min_share:.0%} each exceed 100%"
            )
        return self


class MaxSuppliers(Selectors):
    """At most ``count`` countries used per mineral and stage."""

    rule: Literal["max_suppliers"]
    count: Count


class TopShare(Selectors):
    """The ``k`` largest country shares together are at most ``share`` (linear, no binaries)."""

    rule: Literal["top_share"]
    k: Count
    share: Fraction


class StockpileCover(Selectors):
    """Closing stock in every period is at least ``days`` / ``period_days`` × that period's
    demand at the site (JOGMEC: 60 days, up to 180 for high-risk metals). ``countries`` and
    ``groups`` select sites by their country. Soft when ``penalty`` (per unit short) is given."""

    rule: Literal["stockpile_cover"]
    days: Annotated[float, PlainNumber, Field(gt=0, le=36_500, allow_inf_nan=False)]
    penalty: Annotated[float, PlainNumber, Field(ge=0, le=1e12, allow_inf_nan=False)] | None = (
        Field(
            default=None,
            description="Cost per unit of stock short of the cover; absent: the cover is hard.",
        )
    )

    @model_validator(mode="after")
    def _no_stages(self) -> StockpileCover:
        if self.stages is not None:
            raise RuleError(
                "stages",
                "stockpile_cover applies to stock of the delivered (last) stage: "
                "leave 'stages' out",
            )
        return self


class PriceFloor(Selectors):
    """A guaranteed price: each unit a selected offer supplies is topped up to the reference
    price of its mineral, stage and period (``reference_prices``), and ``upside_share`` of what
    its price exceeds the reference is clawed back (DoD–MP Materials: a USD 110/kg NdPr floor,
    30% of the upside). The buyer pays ``buyer_share`` of the net, the public the rest."""

    rule: Literal["price_floor"]
    buyer_share: Fraction = Field(
        default=1.0,
        description="Share of the net top-up (top-up − clawback) the buyer pays; the rest is "
        "public money, reported and not minimised.",
    )
    upside_share: Fraction = Field(
        default=0.0,
        description="Share of the price above the reference clawed back per unit.",
    )


class ReferenceTariff(Selectors):
    """A border-adjusted floor: every lane leaving a selected offer for another country carries
    a tariff per unit of ``share`` × max(0, reference − price): an outsider selling below the
    reference is lifted towards it (to it with ``share`` 1). The buyer pays; the state collects."""

    rule: Literal["reference_tariff"]
    share: Annotated[float, PlainNumber, Field(gt=0, le=1, allow_inf_nan=False)] = Field(
        default=1.0, description="Share of the gap to the reference charged per unit."
    )


Rule = Annotated[
    MaxCountryShare
    | GroupShare
    | Exclude
    | MinSuppliers
    | MaxSuppliers
    | TopShare
    | StockpileCover
    | PriceFloor
    | ReferenceTariff,
    Field(discriminator="rule"),
]
