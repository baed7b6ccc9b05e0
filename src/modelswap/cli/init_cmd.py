"""``modelswap init``: write a commented migration file that runs against the simulator."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelswap.cli.root import app, fail, out

if TYPE_CHECKING:
    from modelswap.catalog import Scenario

DEFAULT_SCENARIO = "gpt-4o-to-gpt-5"  # starter.DEFAULT_SCENARIO, kept here so --help needs no catalog (tested equal)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to write migration.yaml and golden/.")] = Path("."),
    scenario: Annotated[
        str, typer.Option("--scenario", "-s", help="Scenario preset; see `modelswap init --list`.")
    ] = DEFAULT_SCENARIO,
    force: Annotated[bool, typer.Option(help="Overwrite an existing migration.yaml.")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the scenario presets and exit.")] = False,
) -> None:
    """Write a commented example migration.yaml (and sample golden sets) for a scenario."""
    from modelswap.catalog import UnknownScenario, scenarios
    from modelswap.catalog.current import NoCurrentModel
    from modelswap.starter import write_starter

    if list_:
        for s in scenarios():
            out.print(f"[bold]{s.slug}[/]  {s.title}  [dim](risk {s.risk}; {listed_saving(s)})[/]", highlight=False)
        return
    try:
        written = write_starter(directory, scenario, force=force)
    except UnknownScenario as exc:
        raise fail(str(exc)) from None
    except (FileExistsError, NoCurrentModel) as exc:
        raise fail(str(exc)) from None
    for pick in written.picks:
        out.print(f"{pick.role}: {pick.reason}", highlight=False)
    out.print(
        f"[green]wrote[/] {written.migration} and {len(written.golden)} golden sets in {written.golden[0].parent}"
    )
    out.print(f"next: [bold]modelswap check {written.migration}[/]")


def listed_saving(preset: Scenario) -> str:
    """The preset's saving for the models ``init`` would pick today (its explanation alone if none is live)."""
    from modelswap.catalog.current import NoCurrentModel, preset_models
    from modelswap.catalog.scenarios import saving_text

    try:
        old, new = preset_models(preset, date.today())
    except NoCurrentModel:
        return preset.typical_saving.text
    return saving_text(preset, old.model, new.model, explain=False)
