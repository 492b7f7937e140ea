"""What each column of a plan's tables measures: its unit, and how a workbook or a report shows it.

One table for every output (the Excel workbook and the HTML report), so a column reads the same
everywhere: ``quantity (t)``, ``price (USD/t)``, ``share (%)``, ``hhi (0-10,000)``.
"""

from __future__ import annotations

#: the kind of each numeric column of the plan's tables
KIND = {
    "quantity": "quantity",
    "capacity": "quantity",
    "used": "quantity",
    "demand": "quantity",
    "delivered": "quantity",
    "shortfall": "quantity",
    "short": "quantity",
    "stage_volume": "quantity",
    "volume": "quantity",
    "price": "price",
    "transport": "price",
    "tariff": "price",
    "unit_cost": "price",
    "marginal_cost": "price",
    "penalty": "price",
    "value": "money",
    "cost": "money",
    "total": "money",
    "share": "share",
    "max_share": "share",
    "hhi": "hhi",
    "dual": "dual",
    # the stock table (sourcing.model.stock)
    "opening": "quantity",
    "in": "quantity",
    "out": "quantity",
    "closing": "quantity",
    "stock": "quantity",  # compare: "stock 2026", the closing stock of a period
}
#: where a column's name means something else in one table
KIND_IN = {
    ("duals_capacity", "value"): "price",
    ("duals_rules", "price"): "dual",
    # the analysis tables hold totals per plan: each cost component is money, not a unit price
    **{
        ("compare", c): "money"
        for c in (
            "purchase",
            "processing",
            "transport",
            "tariffs",
            "fixed",
            "risk",
            "shortfall_cost",
            "holding",
            "cover_shortfall",
            "floor_topup",
            "floor_clawback",
            "reference_tariff",
            "public",
            "change",
        )
    },
    ("compare", "shortfall"): "quantity",
    # the CSV summary of a plan: its cost and bound are money
    ("summary", "objective"): "money",
    ("summary", "bound"): "money",
    ("stress", "extra_cost"): "money",
    ("stress", "unmet_demand"): "quantity",
    ("frontier", "change"): "money",
    ("frontier", "shadow_price"): "money",
}


def kind_of(table: str, column: str) -> str | None:
    """``quantity``, ``price``, ``money``, ``share``, ``hhi``, ``dual`` or ``None``.

    A column named ``KIND WHERE`` (``hhi refining``, as in a comparison table) is of its first
    word's kind."""
    return KIND_IN.get((table, column), KIND.get(column, KIND.get(column.split(" ")[0])))


def unit_of(table: str, column: str, currency: str, unit: str) -> str | None:
    """The unit shown after a column's name, e.g. ``USD/t`` for a price; ``None`` if none."""
    return {
        "quantity": unit,
        "price": f"{currency}/{unit}",
        "money": currency,
        "share": "%",
        "hhi": "0-10,000",
        "dual": f"{currency} per unit of the rule's row",
    }.get(kind_of(table, column) or "")


def header_of(table: str, column: str, currency: str, unit: str) -> str:
    """A column's header: its name, and its unit in brackets when it has one."""
    shown = unit_of(table, column, currency, unit)
    return f"{column} ({shown})" if shown else column
