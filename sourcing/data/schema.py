"""The public data contract: what an instance and a model file may contain.

Every table of an instance is a list of records whose columns are declared here once; the
folder form (CSV files), the JSON/YAML document form and ``sourcing schema`` all read these
declarations. Rows are validated as ``TypedDict`` records (plain dicts, cheap at scale).
Cross-table checks (references, duplicates) live in :mod:`sourcing.data.references`.

Numbers. A number is read one way whatever the file (:mod:`sourcing.data.numeric`):

- as text (a CSV cell, or a string in a document) it is plain decimal, as a spreadsheet writes
  it: an optional sign, ASCII digits with an optional decimal point, an optional exponent
  (``12``, ``-3``, ``0.5``, ``.5``, ``12.``, ``1e3``, ``+2.5E-3``), at most 100 characters;
- everything else is refused, naming the cell and the text found: ``1_000`` (Python reads
  1000), ``0x10``, ``1,000``, ``1.000.000``, ``12 t``, digits of other scripts (``١٢``), and a
  boolean (``true`` in JSON or YAML, which pydantic would read as 1);
- ``inf``, ``nan``, ``1e400`` and JSON's ``NaN``/``Infinity`` are refused as "must be a finite
  number";
- integers in a document are at most 100 digits long (the largest value accepted, 1e12, has 13).

In a YAML document, ``1_000``, ``0x10``, ``010`` or ``yes`` are text, not numbers or booleans
(YAML 1.2, :mod:`sourcing.data.files`), so the same rule refuses them there too.
"""

from typing import Annotated, Any, Literal, NotRequired

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, TypeAdapter, field_validator
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from sourcing.data.numeric import PlainNumber
from sourcing.data.rule_specs import Rule

# Numbers given where a name belongs (a period 2025 in YAML or JSON) are read as text, so they
# match the same name read from a CSV file.
_RECORD = ConfigDict(
    extra="forbid", allow_inf_nan=False, str_strip_whitespace=True, coerce_numbers_to_str=True
)

#: The largest quantity, price or cost accepted: HiGHS takes 1e20 as infinite and rejects such a
#: demand, and far below that costs lose precision. A planner with larger numbers picks a larger
#: unit (kt instead of t, M$ instead of $).
LARGEST = 1e12
#: Yields are coefficients of the model: HiGHS drops those below 1e-9 and rejects those above
#: 1e15, and a chain of stages multiplies them.
YIELD_RANGE = (1e-6, 1e6)
#: The yields of one mineral's stages multiply to within this range (four stages at the ends of
#: YIELD_RANGE): the most the first stage can need (demand carried back through the yields) stays
#: a finite number the engine scales (sourcing.solver.scaling), not an overflow to infinity on which
#: HiGHS never returns.
CHAIN_RANGE = (1e-24, 1e24)
#: An ad valorem tariff rate is a fraction of the price (0.25: 25%), at most 100 (10,000%, far
#: above any duty in force): a tariff per unit then stays within 100 × LARGEST, and the engine
#: can still weigh every other cost against it (a rate of 1e12 on a price of 1e12 is 1e24 per
#: unit, next to which HiGHS's tolerance swallows every other cost of the plan).
MAX_RATE = 100.0

Id = Annotated[str, Field(min_length=1)]
Quantity = Annotated[float, PlainNumber, Field(ge=0, le=LARGEST, allow_inf_nan=False)]
Fraction = Annotated[float, PlainNumber, Field(ge=0, le=1, allow_inf_nan=False)]
PositiveFactor = Annotated[
    float, PlainNumber, Field(ge=YIELD_RANGE[0], le=YIELD_RANGE[1], allow_inf_nan=False)
]
Rate = Annotated[float, PlainNumber, Field(ge=0, le=MAX_RATE, allow_inf_nan=False)]


class MineralRow(TypedDict):
    __pydantic_config__ = _RECORD  # type: ignore[misc]
    mineral: Id
    name: NotRequired[str]
    unit: NotRequired[str]


class CountryRow(TypedDict):
    __pydantic_config__ = _RECORD  # type: ignore[misc]
    country: Id
    name: NotRequired[str]
    groups: NotRequired[str]  # ';'-separated tags, e.g. "FTA;EU"
    risk: NotRequired[Fraction]


class SupplyRow(TypedDict):
    __pydantic_config__ = _RECORD  # type: ignore[misc]
    mineral: Id
    stage: Id
    country: Id
    capacity: NotRequired[Quantity]  # absent: unlimited
    price: Quantity
    fixed_cost: NotRequired[Quantity]
    min_quantity: NotRequired[Quantity]
    period: NotRequired[str]


class TariffRow(TypedDict):
    """A border measure on material moved from ``origin`` to ``destination``: ``rate`` × the
    price of the stage moved, plus ``per_unit``. The two must differ (a tariff never applies
    within one country; a domestic levy belongs in the supply price): see references.py."""

    __pydantic_config__ = _RECORD  # type: ignore[misc]
    mineral: NotRequired[str]  # absent: every mineral
    origin: Id
    destination: Id
    rate: NotRequired[Rate]
    per_unit: NotRequired[Quantity]


class SiteRow(TypedDict):
    __pydantic_config__ = _RECORD  # type: ignore[misc]
    site: Id
    country: Id


class DemandRow(TypedDict):
    __pydantic_config__ = _RECORD  # type: ignore[misc]
    mineral: Id
    site: NotRequired[str]  # absent: the single default site
    quantity: Quantity
    period: NotRequired[str]
    penalty: NotRequired[Quantity]


class StockpileRow(TypedDict):
    """A stockpile of ``mineral`` at ``site`` linking the periods: closing stock = opening stock
    + delivered − demand met, the first opening stock ``initial`` (default 0); ``capacity``
    blank: unlimited; ``holding_cost`` per unit of closing stock in each period; ``final_min``
    the least closing stock of the last period (default 0). See sourcing/model/stock.py."""

    __pydantic_config__ = _RECORD  # type: ignore[misc]
    site: Id
    mineral: Id
    initial: NotRequired[Quantity]
    capacity: NotRequired[Quantity]
    holding_cost: Quantity
    final_min: NotRequired[Quantity]


class ReferencePriceRow(TypedDict):
    """A reference price of ``mineral`` at ``stage``, on the basis of ``supply.price`` at that
    stage (per unit of the stage's output); without ``period``, in every period. Read by the
    rules ``price_floor`` and ``reference_tariff``."""

    __pydantic_config__ = _RECORD  # type: ignore[misc]
    mineral: Id
    stage: Id
    price: Quantity
    period: NotRequired[str]


# Columns named by Python keywords ('from', 'yield') need the functional TypedDict form.
YieldRow = TypedDict(  # type: ignore[misc]  # noqa: UP013
    "YieldRow",
    {"mineral": Id, "stage": Id, "yield": PositiveFactor},
)
YieldRow.__pydantic_config__ = _RECORD  # type: ignore[attr-defined]
TransportRow = TypedDict(  # type: ignore[misc]  # noqa: UP013
    "TransportRow",
    {"from": Id, "to": Id, "cost": Quantity, "mineral": NotRequired[str]},
)
TransportRow.__pydantic_config__ = _RECORD  # type: ignore[attr-defined]

#: table name -> record type; the order is the order tables are loaded and reported in.
TABLES: dict[str, Any] = {
    "minerals": MineralRow,
    "countries": CountryRow,
    "supply": SupplyRow,
    "yields": YieldRow,
    "transport": TransportRow,
    "tariffs": TariffRow,
    "sites": SiteRow,
    "demand": DemandRow,
    "stockpiles": StockpileRow,
    "reference_prices": ReferencePriceRow,
}
REQUIRED_TABLES = ("minerals", "countries", "supply", "demand")
DEFAULT_SITE = "buyer"
#: days in a period when ``period_days`` is not given: a period is a year
DEFAULT_PERIOD_DAYS = 365.0
#: the one period of an instance that lists none
NO_PERIOD = ""


def columns(table: str) -> list[str]:
    """The columns a table may have, in the order a planner expects to see them."""
    return list(TABLES[table].__annotations__)


def required_columns(table: str) -> list[str]:
    return sorted(TABLES[table].__required_keys__, key=columns(table).index)


ROW_ADAPTERS = {name: TypeAdapter(record) for name, record in TABLES.items()}


def no_rules_as_empty(rules: Any) -> Any:
    """``rules:`` with every rule commented out (YAML reads it as null) means no rules: the
    way a planner switches the last rule off in a model file."""
    return [] if rules is None else rules


class Instance(BaseModel):
    """An instance: what exists (minerals, countries, offers, lanes, tariffs) and what is needed.

    The tables are lists of plain records; :mod:`sourcing.model.index` turns them into index tables.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, coerce_numbers_to_str=True)

    name: Id
    description: str = ""
    currency: str = "USD"
    unit: str = "t"
    stages: list[Id] = Field(min_length=1)
    periods: list[Id] | None = None
    period_days: (
        Annotated[float, PlainNumber, Field(gt=0, le=36_500, allow_inf_nan=False)] | None
    ) = Field(
        default=None,
        description="Days in each period (absent: 365, years); a stockpile_cover rule's "
        "days are counted against it.",
    )
    transport_default: Quantity | None = Field(
        default=None,
        description="Cost per unit on lanes not listed; absent: unlisted lanes are closed.",
    )
    rules: list[Rule] = Field(
        default_factory=list, description="Contract terms carried by the data."
    )

    minerals: list[MineralRow] = Field(min_length=1)
    countries: list[CountryRow] = Field(min_length=1)
    supply: list[SupplyRow] = Field(min_length=1)
    yields: list[YieldRow] = Field(default_factory=list)
    transport: list[TransportRow] = Field(default_factory=list)
    tariffs: list[TariffRow] = Field(default_factory=list)
    sites: list[SiteRow] = Field(default_factory=list)
    demand: list[DemandRow] = Field(min_length=1)
    stockpiles: list[StockpileRow] = Field(default_factory=list)
    reference_prices: list[ReferencePriceRow] = Field(default_factory=list)

    #: rows above a table's first record where the planner sees it: 1 for a CSV file or a
    #: workbook sheet (the header; the first record is row 2, as a spreadsheet numbers it),
    #: 0 for a JSON/YAML document (records counted from 1). Messages use it to say "row N".
    _header_rows: int = PrivateAttr(default=0)

    @field_validator("rules", mode="before")
    @classmethod
    def _no_rules(cls, rules: Any) -> Any:
        return no_rules_as_empty(rules)

    @property
    def days_per_period(self) -> float:
        """``period_days``, 365 when not given."""
        return DEFAULT_PERIOD_DAYS if self.period_days is None else self.period_days

    @field_validator("stages", "periods")
    @classmethod
    def _unique(cls, names: list[str] | None) -> list[str] | None:
        if names is not None and len(set(names)) != len(names):
            raise ValueError(f"names must be unique, got {names}")
        return names


class RiskObjective(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    type: Literal["cost_and_risk"] = "cost_and_risk"
    risk_weight: Quantity = Field(
        description="Currency per unit supplied by a country of risk 1 (risk is 0-1 per country)."
    )


class CostObjective(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["least_cost"] = "least_cost"


Objective = Annotated[CostObjective | RiskObjective, Field(discriminator="type")]


class ModelSpec(BaseModel):
    """A model: the objective and the rules a planner applies to an instance."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = "least-cost"
    description: str = ""
    objective: Objective = Field(default_factory=CostObjective)
    rules: list[Rule] = Field(default_factory=list)
    #: Python files, each defining ``extend(model)``: the planner's own clauses in Pyomo
    #: (:mod:`sourcing.model.extension`); in a model file, relative to the file
    extensions: list[str] = Field(default_factory=list)

    @field_validator("rules", mode="before")
    @classmethod
    def _no_rules(cls, rules: Any) -> Any:
        return no_rules_as_empty(rules)

    @field_validator("objective", mode="before")
    @classmethod
    def _objective_by_name(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"type": value}
        return value
