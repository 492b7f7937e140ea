"""The server's limits, each answered with the limit's name and the variable that sets it.

* ``max_request_bytes`` and ``body_timeout``: enforced by the front door
  (:mod:`sourcing.service.gate`) before a body is read or parsed (413, 408).
* ``max_offers`` and ``max_lanes``: counted on the loaded instance before anything is indexed
  (413). Lanes are the *candidate* lanes, the rows the engine's index builds before it drops
  pairs without transport: for each mineral and period, offers at stage s × offers at stage s+1,
  plus last-stage offers × demand rows. That count bounds the engine's memory and the model's
  size, and needs no indexing to know.
* ``max_time_limit`` (jobs) and ``solve_time_limit`` (``POST /v1/solve``): a larger
  ``options.time_limit`` is refused (422).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sourcing.data.schema import Instance
from sourcing.service.settings import ENV_PREFIX


class LimitExceeded(Exception):
    def __init__(self, status: int, name: str, limit: float, actual: float | None, detail: str):
        super().__init__(detail)
        self.status, self.name, self.limit, self.actual, self.detail = (
            status,
            name,
            limit,
            actual,
            detail,
        )

    def body(self) -> dict[str, Any]:
        setting = ENV_PREFIX + self.name.upper()
        return {
            "detail": f"{self.detail} ({setting})",
            "problems": [],
            "limit": {
                "name": self.name,
                "setting": setting,
                "limit": self.limit,
                "actual": self.actual,
            },
        }


def instance_size(instance: Instance) -> tuple[int, int]:
    """(offers, candidate lanes) of a loaded instance, as :mod:`sourcing.model.index` would build,
    counted arithmetically, in time linear in the rows whatever the number of periods.

    A row without a period stands for one offer (or demand) in every listed period, so it counts
    with that multiplicity rather than once per period: 1,000 such rows and 100,000 periods are
    10^8 offers, known at once, where a row-by-row count took minutes. Every listed period holds
    the undated rows, whose lanes (``base``) are the same in each; a period named by a dated row
    differs from that only in the minerals those rows name, so each of those periods costs only
    its own minerals, and the other periods are ``base`` each.
    """
    stages = list(instance.stages)
    listed = set(instance.periods) if instance.periods else {""}
    undated: Counter[tuple[str, str]] = Counter()  # (mineral, stage): in every listed period
    dated: Counter[tuple[str, str, str]] = Counter()  # (mineral, period, stage)
    wanted_undated: Counter[str] = Counter()
    wanted_dated: Counter[tuple[str, str]] = Counter()
    named: dict[str, set[str]] = defaultdict(set)  # period: the minerals its dated rows name
    for row in instance.supply:
        mineral, period = row["mineral"], row.get("period")
        if period:
            dated[(mineral, period, row["stage"])] += 1
            named[period].add(mineral)
        else:
            undated[(mineral, row["stage"])] += 1
    for want in instance.demand:
        mineral, period = want["mineral"], want.get("period")
        if period:
            wanted_dated[(mineral, period)] += 1
            named[period].add(mineral)
        else:
            wanted_undated[mineral] += 1

    def lanes_of(mineral: str, period: str | None, listed_period: bool) -> int:
        """One mineral's candidate lanes in one period (``None``: a period no dated row names)."""
        share = int(listed_period)
        at = [dated[(mineral, period or "", s)] + share * undated[(mineral, s)] for s in stages]
        wanted = wanted_dated[(mineral, period or "")] + share * wanted_undated[mineral]
        return sum(a * b for a, b in zip(at, at[1:], strict=False)) + at[-1] * wanted

    base_of = {mineral: lanes_of(mineral, None, True) for mineral, _ in undated}
    base = sum(base_of.values())
    lanes = (len(listed) - len(listed & named.keys())) * base
    for period, minerals in named.items():
        inside = period in listed
        lanes += base if inside else 0
        for mineral in minerals:
            lanes += lanes_of(mineral, period, inside) - (base_of.get(mineral, 0) if inside else 0)
    offers = sum(dated.values()) + len(listed) * sum(undated.values())
    return offers, lanes


def check_size(instance: Instance, max_offers: int, max_lanes: int) -> tuple[int, int]:
    offers, lanes = instance_size(instance)
    if offers > max_offers:
        raise LimitExceeded(
            413,
            "max_offers",
            max_offers,
            offers,
            f"the instance has {offers:,} offers; this server takes at most {max_offers:,}",
        )
    if lanes > max_lanes:
        raise LimitExceeded(
            413,
            "max_lanes",
            max_lanes,
            lanes,
            f"the instance has {lanes:,} candidate lanes (offers at consecutive stages of one "
            f"mineral and period, and last-stage offers to demand); this server takes at most "
            f"{max_lanes:,}",
        )
    return offers, lanes


def check_time_limit(requested: float | None, limit: float, name: str, hint: str = "") -> float:
    """The time limit to run with: ``requested`` if within ``limit``, else refused (422)."""
    if requested is None:
        return limit
    if requested > limit:
        raise LimitExceeded(
            422,
            name,
            limit,
            requested,
            f"options.time_limit {requested:g} s exceeds this server's limit of {limit:g} s{hint}",
        )
    return requested
