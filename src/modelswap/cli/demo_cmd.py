"""``modelswap demo``: the sample migration, end to end on simulated vendors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from modelswap.demo import DemoResult
    from modelswap.gates import GateResult

from modelswap.cli.root import app, fail, out
from modelswap.cli.sim_cmd import traffic_table
from modelswap.cli.tables import fit


def _fmt_ms(values: list[float]) -> str:
    from modelswap.demo import p95

    value = p95(values)
    return f"{value:,.0f}ms" if value is not None else "–"


def _fmt_cost(values: list[float]) -> str:
    return f"{sum(values) / len(values) * 1000:,.2f}" if values else "–"


def _gate_cell(r: GateResult) -> str:
    from modelswap.gates import estimate_cell, interval_cell

    color = {"PASS": "green", "FAIL": "red"}.get(str(r.verdict), "yellow")
    if r.estimate is None or r.interval is None:
        return f"[{color}]{r.verdict}[/]"
    return f"[{color}]{r.verdict}[/] {estimate_cell(r)} {interval_cell(r)}"


def reproducibility_note(time_scale: float) -> str:
    """What a second run with the same seed reproduces, and what it does not."""
    speed = f"running {1 / time_scale:g}× faster than real models" if time_scale > 0 else "with no delay at all"
    return (
        "Same seed, same answers, pass rates, costs and intervals: the simulator and the statistics are seeded. "
        f"Latencies are not: they are wall-clock times of a simulator {speed}, so a few ms of scheduling "
        "jitter on this machine moves them, and p95 latency verdicts can differ between runs."
    )


def command_prefix(argv0: str | None = None, executable: str | None = None) -> str:
    """How to run modelswap again as this process was run, so printed commands work as they stand.

    ``scripts/demo`` runs ``.venv/bin/modelswap`` without activating the venv: a bare ``modelswap`` would
    not be found, so the path is printed (relative to the current directory when it is below it).
    """
    import os
    import shutil

    argv0 = sys.argv[0] if argv0 is None else argv0
    path = Path(argv0)
    if path.name in ("__main__.py", "-m", "-c") or not path.name:
        exe = Path(executable or sys.executable)
        return f"{_shown(exe)} -m modelswap"
    found = shutil.which(path.name)
    if found and path.exists() and os.path.samefile(found, path):
        return path.name  # on PATH (an activated venv, pipx): the bare name works
    return _shown(path)


def _shown(path: Path) -> str:
    """``path`` as a user types it: relative to the current directory when under it."""
    try:
        rel = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return str(path)
    return str(rel) if len(rel.parts) > 1 else f"./{rel}"  # a path with a slash runs as typed


def reopen_note(cmd: str, migration: Path) -> str:
    """How to bring the console back after a ``--no-serve`` run (its gateway stopped with the demo)."""
    return (
        "console: closed with the demo (--no-serve). To reopen it:\n"
        f"  export MODELSWAP_ADMIN_TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')\n"
        f"  {cmd} serve -c {migration} &\n"
        f"  {cmd} console-link -c {migration}    # prints a one-time login link"
    )


def _report(result: DemoResult, cmd: str = "modelswap", served: bool = True) -> None:
    from rich.table import Table

    from modelswap.demo import retention_line

    out.print(fit(traffic_table(result.traffic)))
    table = Table(
        "workload",
        "reqs",
        "by new",
        "pairs",
        "agree",
        "p95 old",
        "p95 new",
        "$/1k old",
        "$/1k new",
        title="Recorded by the gateway (agree: the shadow answer equals the served one)",
    )
    for r in result.reports:
        agreement = f"{r.agreement:.1%}" if r.agreement is not None else "–"
        style = "red" if r.agreement is not None and r.agreement < 0.9 else ""
        table.add_row(
            r.name,
            str(r.requests),
            str(r.served_new),
            str(r.pairs),
            f"[{style}]{agreement}[/]" if style else agreement,
            _fmt_ms(r.latency_old),
            _fmt_ms(r.latency_new),
            _fmt_cost(r.cost_old),
            _fmt_cost(r.cost_new),
        )
    out.print(fit(table))
    gates = Table(
        "workload",
        "pass rate (new − old)",
        "p95 latency (new/old)",
        "cost (new/old)",
        title="Quality gates on the latest golden-set run (95 % intervals)",
    )
    for item in result.gates:
        by_gate = {r.gate: _gate_cell(r) for r in item.results}
        gates.add_row(item.workload, *(by_gate.get(g, "–") for g in ("pass_rate", "p95_latency", "cost_per_request")))
    out.print(fit(gates))
    out.print(f"[dim]{reproducibility_note(result.time_scale)}[/]", highlight=False, soft_wrap=True)
    color = "green" if result.drill.met else "red"
    out.print(f"rollback drill: [{color}]{result.drill.summary}[/]", highlight=False, soft_wrap=True)
    out.print("[bold]Cutover[/] (the rollout controller's decisions, on the demo's stepped clock):", highlight=False)
    for line in result.cutover.decisions:
        out.print(f"  {line}", highlight=False, soft_wrap=True)
    for name, headline in result.cutover.final.items():
        out.print(f"  [bold]{name}[/]: {headline}", highlight=False, soft_wrap=True)
    out.print(f"retention: {retention_line(result.cutover)}", highlight=False, soft_wrap=True)
    out.print(f"\nmigration file: {result.migration}\nstore: {result.store_url}", highlight=False, soft_wrap=True)
    if served:
        out.print(f"console: {result.console_url}", highlight=False, soft_wrap=True)
    else:
        out.print(reopen_note(cmd, result.migration), highlight=False, soft_wrap=True)
    for line in (f"{cmd} plan -c {result.migration}", f"{cmd} gate -c {result.migration}"):
        out.print(f"next: {line}", highlight=False, soft_wrap=True)


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Where the demo's files go.")] = Path("modelswap-demo"),
    requests: Annotated[int, typer.Option(help="Requests per traffic phase.")] = 400,
    rate: Annotated[float, typer.Option(help="Requests per second.")] = 80.0,
    port: Annotated[int, typer.Option(help="Gateway and console port (0: any free port).")] = 8787,
    serve: Annotated[
        bool | None, typer.Option("--serve/--no-serve", help="Keep the console up afterwards (default: on a terminal).")
    ] = None,
) -> None:
    """Run a sample migration on simulated vendors: shadow, drill, canary → 100 % or rollback, report."""
    import logging

    from modelswap.demo import run_demo

    # the simulated vendors fail a few requests on purpose (429, 500, 503): the traffic table counts
    # them and the store keeps each one; a WARNING line per request would bury the demo's story
    logging.getLogger("modelswap.gateway").setLevel(logging.ERROR)
    keep = sys.stdout.isatty() if serve is None else serve
    cmd = command_prefix()
    try:
        import asyncio

        asyncio.run(
            run_demo(
                directory,
                requests=requests,
                rate=rate,
                port=port or None,
                serve=keep,
                progress=lambda m: out.print(f"[cyan]•[/] {m}", highlight=False, soft_wrap=True),
                on_result=lambda result: _report(result, cmd, keep),
                command=cmd,
            )
        )
    except KeyboardInterrupt:
        out.print("stopped")
    except OSError as exc:
        raise fail(f"could not start the demo: {exc} (is port {port} taken? try --port 0)") from None
