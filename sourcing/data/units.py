"""The same instance in other units: every quantity ×q, every sum of money ×m.

A planner who writes kilograms instead of tonnes multiplies quantities by 1000 and divides prices
per unit by 1000; the plan must be the same plan in the new units, at the same cost. This module
makes that change once, column by column, so the benchmark (``benchmarks/units.py``) and the
metamorphic tests (``tests/test_scaling.py``) change units the same way:

    quantity                    ×q     supply.capacity, supply.min_quantity, demand.quantity
    money                       ×m     supply.fixed_cost (one sum per contract)
    money per unit of quantity  ×m/q   supply.price, transport.cost, transport_default,
                                       tariffs.per_unit, demand.penalty, a model's risk_weight
    ratios                      as is  yields, tariff rates (ad valorem), country risk, every
                                       rule's share, count and minimum share

Ratios are unit-free as long as every stage is counted in the same unit, which a unit change of
the whole instance keeps.
"""

from __future__ import annotations

from typing import Any

from sourcing.data.schema import Instance, ModelSpec, RiskObjective

#: table -> {column: (power of the quantity factor, power of the money factor)}
DIMENSIONS: dict[str, dict[str, tuple[int, int]]] = {
    "supply": {"capacity": (1, 0), "min_quantity": (1, 0), "price": (-1, 1), "fixed_cost": (0, 1)},
    "transport": {"cost": (-1, 1)},
    "tariffs": {"per_unit": (-1, 1)},
    "demand": {"quantity": (1, 0), "penalty": (-1, 1)},
}


def change_units(
    instance: Instance,
    quantity: float = 1.0,
    money: float = 1.0,
    unit: str | None = None,
    currency: str | None = None,
) -> Instance:
    """``instance`` with every quantity ×``quantity`` and every sum of money ×``money``
    (``unit``/``currency``: the new names, else the old ones are kept)."""
    document: dict[str, Any] = instance.model_dump()
    for table, dimensions in DIMENSIONS.items():
        for record in document[table]:
            for column, (q, m) in dimensions.items():
                if record.get(column) is not None:
                    record[column] = record[column] * quantity**q * money**m
    if document["transport_default"] is not None:
        document["transport_default"] *= money / quantity
    document["unit"] = unit or document["unit"]
    document["currency"] = currency or document["currency"]
    return Instance.model_validate(document)


def change_model_units(model: ModelSpec, quantity: float = 1.0, money: float = 1.0) -> ModelSpec:
    """``model`` for an instance whose units :func:`change_units` changed (the risk weight is
    money per unit supplied; rules are shares and counts, unit-free)."""
    if not isinstance(model.objective, RiskObjective):
        return model
    weight = model.objective.risk_weight * money / quantity
    return model.model_copy(update={"objective": RiskObjective(risk_weight=weight)})
