"""``modelswap demo``: the sample migration, end to end on simulated vendors."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

if TYPE_CHECKING:
    from modelswap.demo import DemoResult
    from modelswap.gates import GateResult

from modelswap.cli.app import app, fail, out


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


def _report(result: DemoResult) -> None:
    traffic = Table("phase", "sent", "ok", "errors", "p50", "p95", title="Traffic through the gateway")
    for phase, s in result.traffic:
        errors = ", ".join(f"{k}×{v}" for k, v in s.errors.items()) or "0"
        traffic.add_row(
            phase,
            str(s.sent),
            str(s.ok),
            errors,
            f"{s.latency_p50_ms or 0:,.0f} ms",
            f"{s.latency_p95_ms or 0:,.0f} ms",
        )
    out.print(traffic)
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
    out.print(table)
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
    out.print(gates)
    out.print(f"[dim]{reproducibility_note(result.time_scale)}[/]", highlight=False, soft_wrap=True)
    color = "green" if result.drill.met else "red"
    out.print(f"rollback drill: [{color}]{result.drill.summary}[/]", highlight=False)
    out.print("[bold]Cutover[/] (the rollout controller's decisions, on the demo's stepped clock):", highlight=False)
    for line in result.cutover.decisions:
        out.print(f"  {line}", highlight=False, soft_wrap=True)
    for name, headline in result.cutover.final.items():
        out.print(f"  [bold]{name}[/]: {headline}", highlight=False, soft_wrap=True)
    out.print(
        f"\nmigration file: {result.migration}\nstore: {result.store_url}\nconsole: {result.console_url}",
        highlight=False,
    )
    out.print(f"next: modelswap plan -c {result.migration}", highlight=False)


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
    from modelswap.demo import run_demo

    keep = sys.stdout.isatty() if serve is None else serve
    try:
        asyncio.run(
            run_demo(
                directory,
                requests=requests,
                rate=rate,
                port=port or None,
                serve=keep,
                progress=lambda m: out.print(f"[cyan]•[/] {m}", highlight=False, soft_wrap=True),
                on_result=_report,
            )
        )
    except KeyboardInterrupt:
        out.print("stopped")
    except OSError as exc:
        raise fail(f"could not start the demo: {exc} (is port {port} taken? try --port 0)") from None
