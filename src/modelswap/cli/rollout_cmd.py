"""``modelswap rollout run|status|approve|pause|resume|drill``: the controller from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelswap.cli.root import ConfigOpt, actor, app, console_base_url, fail, load_or_exit, out, store_or_exit

if TYPE_CHECKING:  # the library is imported when a command runs, so start-up stays light
    from modelswap.config import Migration
    from modelswap.rollout.controller import Look

rollout_app = typer.Typer(help="Canary, promotions and automatic rollback, on evidence.", no_args_is_help=True)
app.add_typer(rollout_app, name="rollout")

WorkloadArg = Annotated[str, typer.Argument(help="Workload name.")]
ReasonOpt = Annotated[str | None, typer.Option(help="Why (kept in the audit trail).")]
ByOpt = Annotated[str | None, typer.Option(help="Who (default: the OS user).")]


def _check_name(migration: Migration, workload: str) -> str:
    names = [w.name for w in migration.workloads]
    if workload not in names:
        raise fail(f"unknown workload {workload!r}; known: {', '.join(names)}")
    return workload


def _print_look(look: Look) -> None:
    d = look.decision
    color = {"promote": "green", "rollback": "red", "await_approval": "yellow"}.get(d.action, "dim")
    out.print(f"[bold]{look.workload}[/]: [{color}]{d.action.replace('_', ' ')}[/]", highlight=False)
    for reason in d.reasons:
        out.print(f"  {reason}", highlight=False, soft_wrap=True)


@rollout_app.command("status")
def status(
    config: ConfigOpt = Path("migration.yaml"),
    workload: Annotated[str | None, typer.Option("--workload", "-w", help="Only this workload.")] = None,
) -> None:
    """Each workload's step, hold, verdict and trigger figures (reads only)."""
    from modelswap.rollout.controller import Controller

    migration = load_or_exit(config)
    names = [_check_name(migration, workload)] if workload else [w.name for w in migration.workloads]
    with store_or_exit(migration) as store:
        controller = Controller(migration, store)
        for name in names:
            data = controller.status(name)
            out.print(f"[bold]{name}[/]: {data['headline']}", highlight=False, soft_wrap=True)
            decision = data["decision"]
            assert isinstance(decision, dict)
            out.print(f"  next: {decision['action'].replace('_', ' ')}", highlight=False)
            for reason in decision["reasons"]:
                out.print(f"    {reason}", highlight=False, soft_wrap=True)
            for trigger in data["triggers"]:  # type: ignore[attr-defined]
                out.print(f"  {trigger['text']}", highlight=False, soft_wrap=True)


@rollout_app.command("run")
def run(
    config: ConfigOpt = Path("migration.yaml"),
    once: Annotated[bool, typer.Option("--once", help="One round of decisions, then exit.")] = False,
) -> None:
    """Promote, hold or roll back every workload on its evidence (``serve`` does this too)."""
    import asyncio
    import contextlib

    migration = load_or_exit(config)
    with store_or_exit(migration) as store:
        from modelswap.rollout.readiness import live_controller

        controller = live_controller(migration, store)
        if once:
            for look in controller.tick_all():
                _print_look(look)
            return
        every = migration.rollout.check_every_minutes
        out.print(f"rollout controller: a round every {every:g} min while leading · Ctrl-C stops", highlight=False)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(controller.run(asyncio.Event()))


@rollout_app.command("approve")
def approve(
    workload: WorkloadArg,
    config: ConfigOpt = Path("migration.yaml"),
    share: Annotated[float | None, typer.Option(help="The step approved (default: the next one).")] = None,
    reason: ReasonOpt = None,
    by: ByOpt = None,
) -> None:
    """Approve a workload's next promotion (when the schedule's ``approval`` asks for one)."""
    from modelswap.rollout.controller import Controller
    from modelswap.rollout.flag import FlagError

    migration = load_or_exit(config)
    name = _check_name(migration, workload)
    with store_or_exit(migration) as store:
        try:
            approved = Controller(migration, store).approve(name, actor(by), reason, share)
        except FlagError as exc:
            raise fail(str(exc)) from None
    out.print(f"{name}: promotion to {approved:g} % approved by {actor(by)}", highlight=False)


def _toggle(workload: str, config: Path, reason: str | None, by: str | None, *, paused: bool) -> None:
    from modelswap.rollout.controller import Controller

    migration = load_or_exit(config)
    name = _check_name(migration, workload)
    with store_or_exit(migration) as store:
        controller = Controller(migration, store)
        (controller.pause if paused else controller.resume)(name, actor(by), reason)
    out.print(f"{name}: {'paused' if paused else 'resumed'} by {actor(by)}", highlight=False)


@rollout_app.command("pause")
def pause(
    workload: WorkloadArg, config: ConfigOpt = Path("migration.yaml"), reason: ReasonOpt = None, by: ByOpt = None
) -> None:
    """Stop automatic promotions of a workload (triggers still roll it back)."""
    _toggle(workload, config, reason, by, paused=True)


@rollout_app.command("resume")
def resume(
    workload: WorkloadArg, config: ConfigOpt = Path("migration.yaml"), reason: ReasonOpt = None, by: ByOpt = None
) -> None:
    """Let the controller promote a paused workload again."""
    _toggle(workload, config, reason, by, paused=False)


@rollout_app.command("drill")
def drill(
    config: ConfigOpt = Path("migration.yaml"),
    workload: Annotated[str | None, typer.Option("--workload", "-w", help="Only this workload (default: all).")] = None,
    replica: Annotated[
        list[str] | None, typer.Option("--replica", help="A replica's base URL (repeat; default: gateway.host:port).")
    ] = None,
    target: Annotated[float, typer.Option(help="Seconds every replica has to obey.")] = 1.0,
    by: ByOpt = None,
) -> None:
    """Flip the rollback flag under live traffic, time every replica, flip back, record the drill."""
    import asyncio

    from modelswap.rollout.drill import DrillError, run_drill

    migration = load_or_exit(config)
    names = [_check_name(migration, workload)] if workload else [w.name for w in migration.workloads]
    replicas = replica or [console_base_url(migration)]
    with store_or_exit(migration) as store:
        try:
            result = asyncio.run(
                run_drill(store, names, replicas, actor(by), metrics_token=migration.metrics_token(), target_s=target)
            )
        except DrillError as exc:
            raise fail(f"drill not done: {exc}") from None
    color = "green" if result.met else "red"
    out.print(f"[{color}]{result.summary}[/]", highlight=False)
    if not result.met:
        raise typer.Exit(1)


@rollout_app.command("probe")
def probe(config: ConfigOpt = Path("migration.yaml")) -> None:
    """Ask the old model its golden sets for every workload at 100 % (run daily in the retention window)."""
    import asyncio

    from modelswap.rollout.retention import probe_old

    migration = load_or_exit(config)
    with store_or_exit(migration) as store:
        rows = asyncio.run(probe_old(migration, store))
    if not rows:
        out.print("no workload at 100 %: nothing to probe")
    for row in rows:
        summary = row.figures.get("summary") if isinstance(row.figures, dict) else ""
        mark = "[green]✓[/]" if row.ok else "[red]✗[/]"
        out.print(f"{mark} {row.workload}: {summary}", highlight=False, soft_wrap=True)
    if any(not r.ok for r in rows):
        raise typer.Exit(1)
