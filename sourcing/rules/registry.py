"""Rule name -> the function that adds its constraint families."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sourcing.rules import exclude, group_share, max_country_share, suppliers, top_share

#: rule name -> define(lp, data, network, rule, name)
RULES: dict[str, Callable[..., Any]] = {
    "max_country_share": max_country_share.define,
    "group_share": group_share.define,
    "exclude": exclude.define,
    "min_suppliers": suppliers.define_min,
    "max_suppliers": suppliers.define_max,
    "top_share": top_share.define,
}
