"""Tables for people: every number whole, every name as written.

The text outputs (the plan, the analysis tables, ``sourcing bench``) are rendered by rich into
a buffer of a set width. Rich fits a table to that width by cutting cells (``8,552,211…``);
a number cut short is a wrong number to a reader. So numbers (right-aligned columns) never wrap
or shrink, headers may wrap between words, and when the table still does not fit, the text is
made wider rather than cut: a terminal wraps a long line, a file keeps it whole.
"""

from __future__ import annotations

import io

from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.table import Table

_UNBOUNDED = 100_000


def text_console(width: int, color: bool) -> tuple[Console, io.StringIO]:
    """A console writing into a buffer. ``emoji=False``: a country coded ``:x:`` is the
    planner's data, not an emoji (markup in data is escaped where it is printed)."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        color_system="auto" if color else None,
        emoji=False,
    )
    return console, buffer


def print_whole(console: Console, table: Table) -> None:
    """Print ``table`` with no cell cut.

    Right-aligned (number) columns keep their full width. When the table is wider than the
    console, the text columns give way first, each down to its longest word (they wrap between
    words); if even that does not fit, the console widens for this table."""
    for column in table.columns:
        column.overflow = "fold"  # never an ellipsis
        if column.justify == "right":
            column.no_wrap = True
    options = console.options.update(max_width=_UNBOUNDED)  # measure without the console's cap
    natural = Measurement.get(console, options, table).maximum
    if natural <= console.width:
        console.print(table)
        return
    ranges = []
    for column in table.columns:
        cells = [column.header, *column.cells]
        found = [Measurement.get(console, options, _renderable(console, c)) for c in cells]
        ranges.append((max(m.minimum for m in found), max(m.maximum for m in found)))
    widths = [most for _, most in ranges]
    overhead = natural - sum(widths)  # padding and borders
    excess = sum(widths) + overhead - console.width
    while excess > 0:
        give = [
            i
            for i, column in enumerate(table.columns)
            if not column.no_wrap and widths[i] > ranges[i][0]
        ]
        if not give:
            break
        widest = max(give, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    saved = console.width
    console.width = max(saved, sum(widths) + overhead)
    try:
        console.print(table)
    finally:
        console.width = saved


def _renderable(console: Console, cell: RenderableType) -> RenderableType:
    return console.render_str(cell) if isinstance(cell, str) else cell
