"""``modelswap serve``, ``console-link``, ``rollback`` and ``stage``: the gateway and the flags that steer it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from modelswap.cli.root import (
    ConfigOpt,
    actor,
    app,
    console_base_url,
    err,
    fail,
    load_or_exit,
    out,
    port_free_or_exit,
    store_or_exit,
)
from modelswap.cli.tables import fit

if TYPE_CHECKING:  # the library is imported when a command runs, so start-up stays light
    from modelswap.config import Migration
    from modelswap.rollout.flag import Flip
    from modelswap.store import Store
    from modelswap.store.flag_fast import FlagStore

T = TypeVar("T")

stage_app = typer.Typer(help="Show or set each workload's routing stage.", no_args_is_help=True)
app.add_typer(stage_app, name="stage")


@app.command()
def serve(
    config: ConfigOpt = Path("migration.yaml"),
    host: Annotated[str | None, typer.Option(help="Override gateway.host.")] = None,
    port: Annotated[int | None, typer.Option(help="Override gateway.port.")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
    insecure: Annotated[
        bool,
        typer.Option("--insecure", help="Listen beyond loopback without app keys (a layer in front authenticates)."),
    ] = False,
) -> None:
    """Run the gateway: point your app's OpenAI (or Anthropic) base URL here."""
    from modelswap.gateway.startcheck import UnsafeStart, require_safe_start
    from modelswap.serving import serve as run
    from modelswap.store import StoreError

    migration = load_or_exit(config)
    h, p = host or migration.gateway.host, port if port is not None else migration.gateway.port
    try:
        warnings = require_safe_start(migration, h, insecure=insecure)
    except UnsafeStart as exc:
        raise fail(f"not starting: {exc}") from None
    for warning in warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    routing_ready_or_exit(migration)
    port_free_or_exit(h, p)
    store_reachable_or_exit(migration)
    out.print(
        f"modelswap gateway on http://{h}:{p}  (OpenAI base URL http://{h}:{p}/v1, Anthropic base URL http://{h}:{p})",
        highlight=False,
        soft_wrap=True,
    )
    try:
        run(migration, host=h, port=p, log_level=log_level, insecure=insecure, warn=lambda _: None)  # printed above
    except StoreError as exc:
        raise fail(str(exc)) from None


def routing_ready_or_exit(migration: Migration) -> None:
    """Refuse to start, in one line per problem, when a routed workload's signal cannot work."""
    from modelswap.routing.check import routing_problems

    problems = routing_problems(migration)
    for path, message in problems:
        err.print(f"[red]✗[/] workloads[{path[1]}].{'.'.join(map(str, path[2:]))}: {message}", highlight=False)
    if problems:
        raise fail(f"not starting: {len(problems)} routing problem(s); `modelswap check` shows where")


def store_reachable_or_exit(migration: Migration) -> None:
    """One line, not a traceback, when the store cannot be opened (PostgreSQL down, driver missing)."""
    with store_or_exit(migration):
        pass


@app.command("console-link")
def console_link(
    config: ConfigOpt = Path("migration.yaml"),
    minutes: Annotated[float, typer.Option(min=0.5, max=60, help="How long the link works (it works once).")] = 10,
    base_url: Annotated[str | None, typer.Option(help="The gateway's address as your browser sees it.")] = None,
    by: Annotated[str | None, typer.Option(help="Who signs in (default: the OS user), for the audit trail.")] = None,
) -> None:
    """Print a one-time console login link (works once, for a few minutes; no token in the URL)."""
    from datetime import timedelta

    from modelswap.store import StoreError, create_session, open_store

    migration = load_or_exit(config)
    try:
        with open_store(migration.store) as store:
            link = create_session(store, "login_link", actor(by), timedelta(minutes=minutes))
    except StoreError as exc:
        raise fail(str(exc)) from None
    base = (base_url or console_base_url(migration)).rstrip("/")
    out.print(f"{base}/console/login?link={link}", highlight=False, soft_wrap=True)
    err.print(f"works once, within {minutes:g} min; signs in as {actor(by)}", highlight=False)


def _workloads(migration: Migration, workload: str | None) -> list[str]:
    return _chosen([w.name for w in migration.workloads], workload)


def _chosen(names: list[str], workload: str | None) -> list[str]:
    if workload is None:
        return names
    if workload not in names:
        raise fail(f"unknown workload {workload!r}; known: {', '.join(names)}")
    return [workload]


def _print_flips(flips: list[Flip], verb: str) -> None:
    if not flips:
        out.print(f"nothing to {verb}: already in that state")
    for f in flips:
        out.print(f"[bold]{f.workload}[/]: {_describe(f.before)} → {_describe(f.after)}", highlight=False)


def _describe(s: object) -> str:
    stage, share, rb = getattr(s, "stage"), getattr(s, "share"), getattr(s, "rollback")  # noqa: B009
    text = f"{stage}" + (f" {share:g}%" if stage == "split" else "")
    return text + (" [red](rolled back: old model serves)[/]" if rb else "")


@app.command()
def rollback(
    config: ConfigOpt = Path("migration.yaml"),
    workload: Annotated[str | None, typer.Option("--workload", "-w", help="Only this workload (default: all).")] = None,
    undo: Annotated[bool, typer.Option("--undo", help="Restore the state before the rollback.")] = False,
    reason: Annotated[str | None, typer.Option(help="Why (kept in the audit trail).")] = None,
    by: Annotated[str | None, typer.Option(help="Who (default: the OS user).")] = None,
) -> None:
    """Flip serving back to the old model at once, on every replica sharing the store."""
    from modelswap.rollout import flag

    url, names = _flag_target(config)
    names = _chosen(names, workload)
    spare = undo and workload is None  # a blanket undo keeps what the controller rolled back on evidence

    def work(store: FlagStore | Store) -> tuple[list[flag.Flip], list[str]]:
        if not undo:
            return flag.rollback(store, names, actor(by), reason), []
        kept = flag.evidence_rollbacks(store, names) if spare else []
        return flag.undo_rollback(store, names, actor(by), reason, spare_evidence=spare), kept

    try:
        flips, kept = _on_store(url, work)
    except flag.FlagError as exc:
        raise fail(str(exc)) from None
    _print_flips(flips, "undo" if undo else "roll back")
    for name in kept:
        out.print(
            f"[bold]{name}[/]: kept rolled back: the rollout controller rolled it back on a fired trigger's "
            f"evidence (undo it by name: modelswap rollback --undo -w {name})",
            highlight=False,
        )


def _flag_target(config: Path) -> tuple[str, list[str]]:
    """The store URL and workload names: read lightly, or from the whole file when it needs a full check."""
    from modelswap.config_flag import read_flag_target

    target = read_flag_target(config)
    if target is not None:
        return target.store, list(target.workloads)
    migration = load_or_exit(config, calls_vendors=False)  # prints every problem, file:line:field
    return migration.store, [w.name for w in migration.workloads]


def _on_store(url: str, work: Callable[[FlagStore | Store], T]) -> T:
    """Run ``work`` on the light flag store, or on ``open_store`` where the light path cannot vouch for it.

    The light path gives up before or instead of committing (its writes are transactions), and a
    rollback or undo that already took effect is a no-op the second time, so the retry is safe.
    """
    from modelswap.store.flag_fast import LightPathUnavailable, StoreUnreachable, open_flag_store

    try:
        with open_flag_store(url) as light:
            return work(light)
    except StoreUnreachable as exc:  # the server is down: say so now, not after a second wait
        raise fail(exc.message) from None
    except LightPathUnavailable:
        pass
    from modelswap.store import StoreError, open_store

    try:
        with open_store(url) as store:
            return work(store)
    except StoreError as exc:
        raise fail(str(exc)) from None


@stage_app.command("show")
def stage_show(config: ConfigOpt = Path("migration.yaml")) -> None:
    """Print each workload's routing stage and recent flips."""
    from rich.table import Table

    from modelswap.rollout import flag

    url, names = _flag_target(config)
    current, events = _on_store(url, lambda store: (flag.states(store, names), store.rollout_events(limit=10)))
    table = Table("workload", "stage", "new share", "rollback", "version")
    for name, s in current.items():
        table.add_row(name, s.stage, f"{s.share:g}%", "[red]YES[/]" if s.rollback else "no", str(s.version))
    out.print(fit(table))
    for e in events:
        out.print(
            f"[dim]{e.ts:%Y-%m-%d %H:%M:%S}[/] {e.workload}: {e.action} by {e.actor}"
            + (f" — {e.reason}" if e.reason else "")
        )


@stage_app.command("set")
def stage_set(
    workload: Annotated[str, typer.Argument(help="Workload name.")],
    stage: Annotated[str, typer.Argument(help="shadow | split | full | rolled_back")],
    config: ConfigOpt = Path("migration.yaml"),
    share: Annotated[float | None, typer.Option(help="For split: percent of traffic the new model serves.")] = None,
    reason: Annotated[str | None, typer.Option(help="Why (kept in the audit trail).")] = None,
    by: Annotated[str | None, typer.Option(help="Who (default: the OS user).")] = None,
    clear_rollback: Annotated[
        bool,
        typer.Option(
            "--clear-rollback",
            help="End an active rollback with this stage change (needs --reason; audited as clear_rollback). "
            "Without it, a rolled-back workload is refused: undo with `modelswap rollback --undo`.",
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Move past what the evidence supports (needs --reason; audited).")
    ] = False,
) -> None:
    """Put a workload in a routing stage by hand (the rollout controller does this in a migration).

    Moving traffic to the new model faster than the evidence supports (gates not PASS, shadow days
    short, the current step's hold or sample not done, a step skipped) is refused with the reasons,
    unless ``--force --reason "…"``, which goes in the audit trail with who and why.
    """
    from modelswap.rollout import flag
    from modelswap.rollout.readiness import live_controller, stage_change_blockers
    from modelswap.store import StoreError, open_store

    migration = load_or_exit(config, calls_vendors=False)
    name = _workloads(migration, workload)[0]
    if force and not (reason and reason.strip()):
        raise fail("--force needs --reason '...': it goes in the audit trail")
    try:
        with open_store(migration.store) as store:
            flag.check_stage(stage, share)
            blockers = stage_change_blockers(live_controller(migration, store), name, stage, share)
            if blockers and not force:
                listed = "\n  ".join(blockers)
                raise fail(
                    f"{name}: the evidence does not support {stage}"
                    + (f" {share:g} %" if share is not None else "")
                    + f" yet:\n  {listed}\nwait for the controller (modelswap rollout status), or override with "
                    "--force --reason '...'"
                )
            if blockers:
                reason = f"FORCED past: {'; '.join(blockers)} — {reason}"
            f = flag.set_stage(store, name, stage, share, actor(by), reason, clear_rollback=clear_rollback)
    except (StoreError, flag.FlagError) as exc:
        raise fail(str(exc)) from None
    _print_flips([f], "change")
    if f.before.rollback:
        out.print(f"rollback of {name} cleared by {actor(by)} (audited as clear_rollback: {reason})", highlight=False)
