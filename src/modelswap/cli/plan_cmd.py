"""``modelswap plan``: the migration plan, its progress, ticks by hand and the Markdown/JSON export."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelswap.cli.root import actor, app, err, fail, load_or_exit, out
from modelswap.cli.tables import fit

if TYPE_CHECKING:  # the library and rich's widgets are imported when a command runs: start-up stays light
    from rich.progress_bar import ProgressBar
    from rich.table import Table

    from modelswap.config import Migration
    from modelswap.plan import Checklist

plan_app = typer.Typer(
    help="The migration plan: 12 items ticked by evidence or by hand, progress, export.",
    invoke_without_command=True,
)
app.add_typer(plan_app, name="plan")

DEFAULT_CONFIG = Path("migration.yaml")
ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="The migration file [default: migration.yaml].")
]
STYLES = {"done": "green", "in_progress": "yellow", "not_started": "dim", "manual": "magenta"}
SHORT_LABELS = {"done": "done", "in_progress": "in progress", "not_started": "not started", "manual": "manual"}


class Format(StrEnum):
    md = "md"
    json = "json"


def _config(ctx: typer.Context, given: Path | None) -> Path:
    """The -c given to the subcommand, else the one given to ``plan``, else migration.yaml."""
    if given is not None:
        return given
    parent = ctx.parent.params.get("config") if ctx.parent is not None else None
    return parent if isinstance(parent, Path) else DEFAULT_CONFIG


def _checklist(migration: Migration) -> Checklist:
    from modelswap.plan import load_checklist
    from modelswap.store import StoreError, open_store

    try:
        with open_store(migration.store) as store:
            return load_checklist(store, migration)
    except StoreError as exc:
        raise fail(str(exc)) from None


def _bar(fraction: float) -> ProgressBar:
    from rich.progress_bar import ProgressBar

    return ProgressBar(total=1.0, completed=fraction, width=30, complete_style="green", finished_style="green")


def _table(plan: Checklist, *, titles: bool) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from modelswap.plan.figures import pct

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("item", no_wrap=not titles, max_width=40 if titles else None)
    table.add_column("state", no_wrap=True)
    table.add_column("by", max_width=18)
    table.add_column("when (UTC)", no_wrap=True)
    table.add_column("detail", ratio=1, min_width=20)
    for phase in plan.phases:
        table.add_section()
        for s in plan.phase_items(phase):
            state = SHORT_LABELS[s.state] + (f" {pct(s.evidence.progress, 0)}" if s.state == "in_progress" else "")
            at = s.done_at if s.done else (s.tick.ts if s.tick else None)
            table.add_row(
                str(s.item.number),
                s.item.title if titles else s.item.key,
                Text(state, style=STYLES[s.state]),
                Text("evidence" if s.done_by == "evidence" else f"{s.done_by} (hand)" if s.done_by else ""),
                at.strftime("%Y-%m-%d %H:%M") if at else "",
                Text(s.summary),
            )
    return table


def render(plan: Checklist, *, details: bool = False) -> None:
    """Print the plan: a progress bar per phase and overall, then one table row per item."""
    from rich.table import Table
    from rich.text import Text

    from modelswap.plan.figures import pct, when

    scenario = f" · scenario {plan.scenario.slug} (risk {plan.scenario.risk})" if plan.scenario else ""
    out.print(f"[bold]{plan.migration}[/]{scenario} · {when(plan.generated_at)}", highlight=False)
    bars = Table.grid(padding=(0, 2))
    for p in plan.progress.phases:
        bars.add_row(f"{p.phase.title} ({p.phase.weeks})", _bar(p.fraction), f"{p.done}/{p.total}")
    total = plan.progress
    overall = f"{total.done}/{total.total} ({pct(total.fraction, 0)})"
    bars.add_row(Text("Overall", style="bold"), _bar(total.fraction), overall)
    out.print(bars)
    out.print(fit(_table(plan, titles=details), lead=2))
    if details:
        for s in plan.items:
            checks = [f"{'✓' if c.met else '✗'} {c.label}: {c.detail}" for c in s.evidence.checks]
            lines = [*s.evidence.figures, *checks, *(f"note: {n}" for n in s.notes)]
            if s.by:
                lines.insert(0, f"by {s.by}")
            if lines:
                out.print(Text(f"{s.item.number}. {s.item.key}", style="bold"))
                for line in lines:
                    out.print(Text(f"  {line}"))
    for note in plan.notes:
        out.print(Text(f"scenario: {note}", style="dim"))


@plan_app.callback()
def plan(
    ctx: typer.Context,
    config: ConfigOption = None,
    details: Annotated[bool, typer.Option("--details", "-d", help="Also print key figures and notes.")] = False,
) -> None:
    """Show the plan: progress per phase and overall, and each item's state, by whom or what, when."""
    if ctx.invoked_subcommand is not None:
        return
    render(_checklist(load_or_exit(config or DEFAULT_CONFIG)), details=details)


def _mark(ctx: typer.Context, ref: str, config: Path | None, by: str | None, note: str | None, *, ticked: bool) -> None:
    from rich.text import Text

    from modelswap.plan import UnknownItem, item, load_checklist
    from modelswap.plan import tick as tick_item
    from modelswap.plan import untick as untick_item
    from modelswap.plan.export import STATE_LABELS
    from modelswap.plan.figures import when
    from modelswap.store import StoreError, open_store

    try:
        it = item(ref)
    except UnknownItem as exc:
        raise fail(str(exc)) from None
    migration = load_or_exit(_config(ctx, config))
    try:
        with open_store(migration.store) as store:
            before = load_checklist(store, migration).item(it.key)
            snapshot = {"state": before.evidence.state, "summary": before.evidence.summary}
            record = tick_item if ticked else untick_item
            row = record(store, it.key, by=actor(by), note=note, evidence=snapshot)
            after = load_checklist(store, migration).item(it.key)
    except StoreError as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    verb = "ticked" if ticked else "unticked"
    out.print(f"[bold]{it.number}. {it.title}[/]: {verb} by {row.actor} at {when(row.ts)}", highlight=False)
    out.print(Text(f"now {STATE_LABELS[after.state]}: {after.summary}"))
    if not ticked and after.done:
        err.print(Text(f"note: the evidence is newer than this untick, so the item stays done ({after.by})"))


ItemArg = Annotated[str, typer.Argument(help="Item key (e.g. baseline) or number 1–12.")]
ByOpt = Annotated[str | None, typer.Option("--by", help="Who (default: the OS user).")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="Why, or where the evidence is.")]


@plan_app.command("tick")
def tick(ctx: typer.Context, ref: ItemArg, config: ConfigOption = None, by: ByOpt = None, note: NoteOpt = None) -> None:
    """Tick an item by hand (done outside modelswap); who, when and the note are kept."""
    _mark(ctx, ref, config, by, note, ticked=True)


@plan_app.command("untick")
def untick(
    ctx: typer.Context, ref: ItemArg, config: ConfigOption = None, by: ByOpt = None, note: NoteOpt = None
) -> None:
    """Untick an item by hand (recorded too: the history keeps every tick and untick)."""
    _mark(ctx, ref, config, by, note, ticked=False)


@plan_app.command("export")
def export(
    ctx: typer.Context,
    config: ConfigOption = None,
    format_: Annotated[Format, typer.Option("--format", "-f", help="md (GitHub task list) or json.")] = Format.md,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
) -> None:
    """Export the plan as a timestamped Markdown checklist (paste into an issue) or JSON."""
    from modelswap.plan import to_json, to_markdown

    plan = _checklist(load_or_exit(_config(ctx, config)))
    text = to_markdown(plan) if format_ is Format.md else to_json(plan)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc}") from None
    err.print(f"wrote {output} ({plan.progress.done} of {plan.progress.total} items done)", highlight=False)
