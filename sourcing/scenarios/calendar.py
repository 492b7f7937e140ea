"""Dates and periods: which of an instance's periods a dated change is in force in.

``from``/``until`` are dates (``2023-08-01``, ``2023-08``, ``2023-Q3``, ``2023``) or names of the
instance's periods; a change is in force on [from, until) minus its ``suspended`` windows. A
period is changed when any part of it is in force (a period is a date when its name is one).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sourcing.data.schema import Instance
from sourcing.errors import InputError, Problem
from sourcing.scenarios.spec import When

_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


def interval(name: str) -> tuple[dt.date, dt.date] | None:
    """The dates a period name stands for, [start, end); ``None`` if it is not a date."""
    try:
        if m := _YEAR.match(name):
            year = int(m[1])
            return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
        if m := _MONTH.match(name):
            start = dt.date(int(m[1]), int(m[2]), 1)
            return start, add_months(start, 1)
        if m := _QUARTER.match(name):
            start = dt.date(int(m[1]), 3 * int(m[2]) - 2, 1)
            return start, add_months(start, 3)
        day = dt.date.fromisoformat(name)
        return day, day + dt.timedelta(days=1)
    except ValueError:
        return None


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def periods_in_force(change: Any, instance: Instance, where: tuple[str, int]) -> set[str] | None:
    """The instance's periods in which ``change`` is in force; ``None``: every period."""
    periods = list(instance.periods or [])
    windows = [change, *change.suspended]
    if not periods or all(w.start is None and w.until is None for w in windows):
        return None
    table, row = where
    position = {p: i for i, p in enumerate(periods)}

    def point(value: When | None, field: str, open_end: float) -> float:
        """A bound as a position on the line of periods, or as a date's ordinal."""
        if value is None:
            return open_end
        if isinstance(value, dt.date):
            return float(value.toordinal())
        if value in position and not by_date:
            return float(position[value])
        found = interval(value)
        if found is None:
            raise InputError(
                [
                    Problem(
                        table,
                        row,
                        field,
                        f"'{value}' is neither a date (2025, 2025-03, 2025-Q2, 2025-03-15) nor a "
                        f"period of the instance ({', '.join(periods)})",
                    )
                ]
            )
        return float(found[0].toordinal())

    def dated(value: When | None, field: str) -> bool:
        if value is None or (isinstance(value, str) and value in position):
            return False
        point(value, field, 0.0)  # a date, or an error naming the field
        return True

    by_date = False
    fields = [("from", "until")] + [("suspended", "suspended")] * len(change.suspended)
    by_date = any(
        dated(w.start, first) or dated(w.until, second)
        for w, (first, second) in zip(windows, fields, strict=True)
    )
    spans = {}
    for i, p in enumerate(periods):
        if by_date:
            found = interval(p)
            if found is None:
                raise InputError(
                    [
                        Problem(
                            table,
                            row,
                            "from",
                            f"the change is dated but period '{p}' is not a date "
                            "(2025, 2025-03, 2025-Q2, 2025-03-15): name periods in "
                            "'from'/'until' instead",
                        )
                    ]
                )
            spans[p] = (float(found[0].toordinal()), float(found[1].toordinal()))
        else:
            spans[p] = (float(i), float(i + 1))
    start = point(change.start, "from", float("-inf"))
    until = point(change.until, "until", float("inf"))
    pauses = [
        (point(w.start, "suspended", float("-inf")), point(w.until, "suspended", float("inf")))
        for w in change.suspended
    ]
    chosen = set()
    for p, (lo, hi) in spans.items():
        lo, hi = max(lo, start), min(hi, until)
        if lo < hi and not any(a <= lo and hi <= b for a, b in pauses):
            chosen.add(p)
    return chosen
