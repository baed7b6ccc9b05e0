"""``fit``: a table prints whole when it fits, with a flexible column wrapping its words; stacked otherwise."""

from __future__ import annotations

import re

from rich.console import Console
from rich.table import Table

from modelswap.cli.tables import fit

DETAIL = "manual: run `modelswap inventory -c migration.yaml` on your logs (it records evidence), or tick by hand"


def _table() -> Table:
    table = Table()
    table.add_column("#", no_wrap=True)
    table.add_column("item", no_wrap=True)
    table.add_column("cost", no_wrap=True)
    table.add_column("detail", ratio=1, min_width=20)
    table.add_row("1", "inventory", "$0.057", DETAIL)
    return table


def _render(width: int) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(fit(_table()))
    return console.export_text()


def test_a_long_note_wraps_in_its_flexible_column_on_a_wide_terminal() -> None:
    text = _render(100)
    assert re.search(r"#\s+┃?\s*item\s+┃?\s*cost\s+┃?\s*detail", text), text  # one header line: a table
    assert "$0.057" in text and "by hand" in text


def test_a_narrow_terminal_stacks_the_row_without_splitting_a_number() -> None:
    text = _render(40)
    assert not re.search(r"#\s+.*item\s+.*detail", text), text  # no header row: stacked
    assert "$0.057" in text
    assert all(len(line) <= 40 for line in text.splitlines())
