"""Tables that stay readable in a narrow terminal (80 columns: CI logs, a laptop's split screen).

A Rich table squeezed below its natural width cuts cells into fragments (``$0.`` over ``057``).
:func:`fit` wraps a table so that it prints as is when it fits, and otherwise as one block per row,
``column  value`` per line, so no number is ever split and every header stays next to its value.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from rich.console import Group
from rich.measure import Measurement
from rich.text import Text

if TYPE_CHECKING:  # rich.table is imported where a table is laid out: a command's --help never needs it
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.table import Table


UNBOUNDED = 10_000
"""A width no terminal has: measuring a table at it gives the width its cells want (Rich clamps to the one given)."""


class FitTable:
    """A table, or its rows stacked as label/value blocks when the table is wider than the terminal."""

    def __init__(self, table: Table, lead: int = 1) -> None:
        self.table = table
        self.lead = lead

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.needed_width(console, options) <= options.max_width:
            yield self.table
            return
        yield from stacked(self.table, self.lead, options.max_width)

    def needed_width(self, console: Console, options: ConsoleOptions) -> int:
        """The width the table needs: its cells' natural width, except that a column declared flexible
        (``ratio`` with a ``min_width``, e.g. a plan item's detail) may wrap its words down to that
        floor, so a long note does not stack the whole table on a wide terminal."""
        flexible = [c for c in self.table.columns if c.ratio and c.min_width and not c.no_wrap]
        saved = [c.max_width for c in flexible]
        try:
            for column in flexible:
                column.max_width = column.min_width
            return Measurement.get(console, options.update_width(UNBOUNDED), self.table).maximum
        finally:
            for column, width in zip(flexible, saved, strict=True):
                column.max_width = width

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.table)


def _text(cell: object) -> Text:
    if isinstance(cell, Text):
        return cell.copy()
    return Text.from_markup(cell) if isinstance(cell, str) else Text(str(cell))


def _plain(cell: object) -> str:
    return _text(cell).plain


def _header(column: object) -> str:
    return " ".join(_plain(getattr(column, "header", "")).split())


def stacked(table: Table, lead: int = 1, width: int = 80) -> Iterator[RenderableType]:
    """The table's rows as blocks: the first ``lead`` cells in bold, then one ``header  value`` line per other
    cell (or the header on a line and the value indented under it, when the two do not fit side by side)."""
    from rich.padding import Padding
    from rich.table import Table

    if table.title:
        yield Text(_plain(table.title), style="bold")
    columns = table.columns
    cells = [list(c.cells) for c in columns]
    labels = [_header(c) for c in columns[lead:]]
    values = [_text(v) for c in cells[lead:] for v in c]
    label_width = max((len(label) for label in labels), default=0) + 2
    side_by_side = label_width + 2 + max((v.cell_len for v in values), default=0) <= width
    for row in range(table.row_count):
        head = Text("  ").join(_text(c[row]) for c in cells[:lead] if row < len(c))
        head.stylize("bold")
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        lines: list[RenderableType] = [head]
        for label, column_cells in zip(labels, cells[lead:], strict=True):
            value = column_cells[row] if row < len(column_cells) else ""
            if not _plain(value).strip():
                continue
            if side_by_side:
                grid.add_row(f"  {label}", value)
            else:
                lines += [Text(f"  {label}", style="dim"), Padding(value, (0, 0, 0, 4))]
        yield Group(*lines, grid) if side_by_side else Group(*lines)
    if table.caption:
        yield Text(_plain(table.caption), style="dim")


def fit(renderable: RenderableType, lead: int = 1) -> RenderableType:
    """``renderable`` with every table in it (directly or inside a :class:`~rich.console.Group`) made to fit.

    ``lead``: how many leading cells name a row (they head its block when rows are stacked).
    """
    from rich.table import Table

    if isinstance(renderable, Table):
        return FitTable(renderable, lead)
    if isinstance(renderable, Group):
        return Group(*(fit(r, lead) for r in renderable.renderables))
    return renderable
