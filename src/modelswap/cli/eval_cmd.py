"""``modelswap eval``, ``baseline`` and ``trend``: golden-set evals from a shell or cron (``gate``: gate_cmd).

Exit codes (cron and CI read them): 0 done; 1 a usage, config or data error (a golden set that
cannot be loaded or would score nothing); 2 the eval ran but some calls failed after their
retries or a workload could not run; 130 interrupted (the runs can be resumed).
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from modelswap.cli.app import ConfigOpt, app, err, fail, load_or_exit, out, store_or_exit
from modelswap.config import Migration
from modelswap.evals.baseline import MIN_SAMPLE, take_baseline
from modelswap.evals.errors import GoldenSetError
from modelswap.evals.ratelimit import RateLimit
from modelswap.evals.results import ArmFigures, run_figures
from modelswap.evals.runner import EvalRunError, PairResult, RunPlan
from modelswap.evals.targets import DEFAULT_CONCURRENCY, EvalSetupError
from modelswap.evals.trend import NightPoint, nightly_trend
from modelswap.evals.workloads import EvalBatch, run_workloads
from modelswap.gates import _format as fmt
from modelswap.stats import wilson_interval
from modelswap.store import Store, StoreError
from modelswap.store.locks import StoreLock

EXIT_PARTIAL = 2
EXIT_INTERRUPTED = 130
DEFAULT_CONFIG = Path("migration.yaml")

WorkloadOpt = Annotated[
    list[str] | None, typer.Option("--workload", "-w", help="Only this workload (repeat for several).")
]


def _split(values: Sequence[str] | None) -> list[str]:
    return [p.strip() for v in values or () for p in v.split(",") if p.strip()]


def _limits(specs: Sequence[str] | None, migration: Migration) -> dict[str, RateLimit]:
    limits = {}
    for spec in specs or ():
        name, sep, rest = spec.partition(":")
        if not sep or name.strip() not in migration.endpoints:
            raise fail(
                f"--rate-limit {spec!r}: expected ENDPOINT:key=value,..., e.g. new:concurrency=8,rpm=600,tpm=200000 "
                f"(endpoints: {', '.join(migration.endpoints)})"
            )
        try:
            limits[name.strip()] = RateLimit.parse(rest)
        except ValueError as exc:
            raise fail(f"--rate-limit {spec!r}: {exc}") from None
    return limits


def rate(figures: ArmFigures) -> str:
    """``91.2 % [85.0, 95.0] (104/114)`` or ``—``."""
    if figures.pass_rate is None or figures.interval is None:
        return "—"
    lo, hi = figures.interval
    return f"{figures.pass_rate * 100:.1f} % [{lo * 100:.1f}, {hi * 100:.1f}] ({figures.passed}/{figures.decided})"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _usd(value: float | None) -> str:
    return "—" if value is None else f"${value:.5f}" if value < 0.1 else f"${value:.3f}"


def compact_table(title: str, columns: Sequence[str], left: int = 1) -> Table:
    """A table that fits 80 columns (cron mail, CI logs): the first ``left`` columns left-aligned."""
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, padding=0, title_justify="left")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i < left else "right", no_wrap=True)
    return table


class _Progress:
    """A Rich progress bar per (workload, arm), fed by the runner's callbacks."""

    def __init__(self, console: Console, enabled: bool) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("pass {task.fields[rate]}"),
            TextColumn("{task.fields[cost]}"),
            TextColumn("[red]{task.fields[errors]}"),
            TimeElapsedColumn(),
            console=console,
            disable=not enabled,
        )
        self.tasks: dict[tuple[str, str], TaskID] = {}
        self.tallies: dict[tuple[str, str], list[float]] = {}
        self.run_ids: list[str] = []

    def started(self, plan: RunPlan) -> None:
        self.run_ids.append(plan.run_id)
        for arm in plan.arms:
            key = (plan.run_id, arm)
            done = plan.done.get(arm, 0)
            self.tallies[key] = [0, 0, 0.0, 0]
            self.tasks[key] = self.progress.add_task(
                f"{plan.workload} · {arm} ({plan.models[arm]})",
                total=done + plan.pending[arm],
                completed=done,
                rate="—",
                cost="",
                errors="",
            )

    def result(self, pair: PairResult) -> None:
        key = (pair.run_id, pair.arm)
        tally = self.tallies[key]
        if pair.passed is not None:
            tally[0] += pair.passed
            tally[1] += 1
        tally[2] += pair.output.cost_usd or 0.0
        tally[3] += pair.error is not None
        self.progress.update(
            self.tasks[key],
            advance=1,
            rate=f"{tally[0] / tally[1] * 100:.1f} %" if tally[1] else "—",
            cost=f"${tally[2]:.4f}",
            errors=f"{int(tally[3])} errors" if tally[3] else "",
        )


def _run_table(store: Store, batch: EvalBatch) -> Table:
    figures = {s.run_id: run_figures(store.evals.results(s.run_id)) for s in batch.summaries}
    with_errors = any(f.errors for by_arm in figures.values() for f in by_arm.values())
    columns = ["workload", "arm", "pass", "95 % CI", "n", *(["errors"] if with_errors else []), "$/req", "p50 ms",
               "p95 ms"]  # fmt: skip
    table = compact_table("Eval runs", columns, left=2)
    for summary in batch.summaries:
        for i, arm in enumerate(summary.arms):
            label = summary.workload if i == 0 else f"[dim]{summary.run_id[:8]}[/]" if i == 1 else ""
            f = figures[summary.run_id].get(arm)
            if f is None:
                table.add_row(label, arm, *["—"] * (len(columns) - 2))
                continue
            judged = f.decided + f.errors  # a failed call is a failed case: what a user would have got
            ci = "—" if not judged else "[{:.1f}, {:.1f}]".format(*(100 * b for b in wilson_interval(f.passed, judged)))
            table.add_row(
                label,
                f"{arm} [dim]{f.model or ''}[/]",
                "—" if not judged else f"{f.passed / judged * 100:.1f} %",
                ci,
                f"{f.passed}/{judged}",
                *([str(f.errors) if f.errors else ""] if with_errors else []),
                _usd(f.cost_per_request_usd),
                _ms(f.latency_p50_ms),
                _ms(f.latency_p95_ms),
            )
        table.add_section()
    return table


def _session_line(batch: EvalBatch) -> str:
    calls = sum(s.calls for s in batch.summaries)
    hits = sum(s.cache_hits for s in batch.summaries)
    errors = sum(s.errors for s in batch.summaries)
    elapsed = max((s.elapsed_s for s in batch.summaries), default=0.0)
    return f"{calls} model calls, {hits} answers from the cache, {errors} failed calls, {elapsed:.1f} s"


@app.command("eval")
def eval_command(
    config: ConfigOpt = DEFAULT_CONFIG,
    workload: WorkloadOpt = None,
    endpoints: Annotated[
        str | None, typer.Option("--endpoints", "-e", help="Endpoints to run, e.g. old,new (default: all).")
    ] = None,
    concurrency: Annotated[int, typer.Option(help="Calls in flight at once, across endpoints.", min=1)] = (
        DEFAULT_CONCURRENCY
    ),
    rate_limit: Annotated[
        list[str] | None,
        typer.Option("--rate-limit", help="Per-endpoint limits, e.g. new:concurrency=8,rpm=600,tpm=200000."),
    ] = None,
    nightly: Annotated[
        bool, typer.Option("--nightly", help="A nightly run: old and new, fresh answers, plain output for cron.")
    ] = False,
    resume: Annotated[
        list[str] | None, typer.Option("--resume", help="Resume these run ids (comma-separated or repeated).")
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Ask the models again instead of reusing earlier runs' cached answers.")
    ] = False,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed",
            help="Ask again only the calls that failed in each workload's latest run (before `modelswap gate`).",
        ),
    ] = False,
    judge: Annotated[str | None, typer.Option(help="Endpoint that grades llm_judge assertions.")] = None,
) -> None:
    """Run the golden sets on old, new and candidates; store every result (resumable)."""
    migration = load_or_exit(config)
    limits = _limits(rate_limit, migration)
    arms = _split([endpoints]) if endpoints else (["old", "new"] if nightly else None)
    resume_ids = _split(resume)
    if resume_ids and (workload or endpoints):
        raise fail("--resume continues runs as they were started: leave out --workload and --endpoints")
    if retry_failed and (resume_ids or nightly or endpoints or fresh):
        raise fail("--retry-failed asks the latest runs' failed calls again: drop --resume, --nightly, -e, --fresh")
    progress = _Progress(out, enabled=out.is_terminal and not nightly)
    with store_or_exit(migration) as store, StoreLock(store, "nightly") if nightly else nullcontext(True) as free:
        if not free:  # a gateway replica (or another cron) sharing the store runs tonight's eval now
            out.print("nightly: another process sharing the store is running the nightly eval; nothing to do")
            return
        try:
            with progress.progress:
                batch = _run_batch(
                    migration, store, workload, arms, concurrency, limits, nightly, fresh, resume_ids, judge, progress,
                    retry_failed,
                )  # fmt: skip
        except KeyboardInterrupt:
            if progress.run_ids:
                ids = ",".join(progress.run_ids)
                err.print(f"[yellow]interrupted:[/] every answer received so far is stored; resume with\n"
                          f"  modelswap eval -c {config} --resume {ids}", highlight=False, soft_wrap=True)  # fmt: skip
            else:
                err.print("[yellow]interrupted[/] before any eval run started; nothing was stored", highlight=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (EvalSetupError, EvalRunError, GoldenSetError, StoreError) as exc:
            raise fail(str(exc)) from None
        if retry_failed and not batch.summaries:
            out.print("no failed calls to retry in the latest eval runs", highlight=False)
            return
        _report_batch(store, batch, nightly)
    if not batch.ok:
        raise typer.Exit(EXIT_PARTIAL)


def _run_batch(
    migration: Migration,
    store: Store,
    workloads: Sequence[str] | None,
    arms: Sequence[str] | None,
    concurrency: int,
    limits: dict[str, RateLimit],
    nightly: bool,
    fresh: bool,
    resume: Sequence[str],
    judge: str | None,
    progress: _Progress,
    retry_failed: bool = False,
) -> EvalBatch:
    async def main() -> EvalBatch:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        main_thread = threading.current_thread() is threading.main_thread()  # signals reach only the main thread
        if task is not None and main_thread:
            loop.add_signal_handler(signal.SIGTERM, task.cancel)  # a cron timeout stops as Ctrl-C does
        try:
            return await run_workloads(
                migration,
                store,
                workloads=workloads,
                arms=arms,
                concurrency=concurrency,
                limits=limits,
                nightly=nightly,
                fresh=fresh,
                resume=resume,
                retry_failed=retry_failed,
                judge=judge,
                on_start=progress.started,
                on_result=progress.result,
            )
        finally:
            if main_thread:
                loop.remove_signal_handler(signal.SIGTERM)

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:  # SIGTERM: the main task was cancelled
        raise KeyboardInterrupt from None


def _report_batch(store: Store, batch: EvalBatch, nightly: bool) -> None:
    if nightly:
        for summary in batch.summaries:
            figures = run_figures(store.evals.results(summary.run_id))
            arms = " · ".join(f"{arm} {rate(figures[arm])}" for arm in summary.arms if arm in figures)
            out.print(f"nightly {summary.workload} {summary.status} run {summary.run_id}: {arms}; "
                      f"{summary.calls} calls, {summary.errors} failed", highlight=False, soft_wrap=True)  # fmt: skip
    else:
        out.print(_run_table(store, batch))
        out.print(_session_line(batch), highlight=False)
    for skipped in batch.skipped:
        err.print(f"[yellow]skipped[/] {skipped.workload}: {skipped.reason}", highlight=False)
    for failed in batch.failed:
        err.print(f"[red]failed[/] {failed.workload}: {failed.reason}", highlight=False, soft_wrap=True)
    errors = sum(s.errors for s in batch.summaries)
    if errors:
        err.print(
            f"[yellow]![/] {errors} call(s) failed after retries (errors column): the pass rates and the gates "
            "count each as a failed case for its model; if they were transient, retry them with "
            "`modelswap eval --retry-failed`",
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def baseline(
    config: ConfigOpt = DEFAULT_CONFIG,
    workload: WorkloadOpt = None,
    since_days: Annotated[
        float | None, typer.Option(help="Only gateway records from the last N days (default: all).", min=0)
    ] = None,
    min_sample: Annotated[
        int, typer.Option(help="Fewest cases/requests a figure should rest on (fewer: a warning).", min=1)
    ] = MIN_SAMPLE,
) -> None:
    """Store each workload's baseline: the old model's pass rate, cost per request, latency p50/p95/p99.

    Cost and latency come from gateway traffic when it has at least --min-sample requests, else
    from the eval run; each figure's source and sample size is printed, and a thin one in red."""
    migration = load_or_exit(config)
    names = workload or [w.name for w in migration.workloads]
    unknown = [n for n in names if n not in {w.name for w in migration.workloads}]
    if unknown:
        raise fail(f"unknown workload(s) {', '.join(unknown)}; known: {', '.join(w.name for w in migration.workloads)}")
    since = datetime.now(UTC) - timedelta(days=since_days) if since_days is not None else None
    table = compact_table("Baselines (old model)", ("workload", "pass", "95 % CI", "n", "$/req", "p50 ms", "p95 ms",
                                                      "p99 ms"))  # fmt: skip
    sources: list[str] = []
    warnings: list[str] = []
    stored = 0
    with store_or_exit(migration) as store:
        for name in names:
            outcome = take_baseline(store, name, since=since, min_sample=min_sample)
            if outcome.baseline is None:
                err.print(f"[yellow]no baseline[/] for {name}: {outcome.reason}", highlight=False)
                continue
            stored += 1
            f = outcome.baseline.figures
            ci = f.get("pass_rate_ci")
            table.add_row(
                name,
                "—" if f.get("pass_rate") is None else f"{f['pass_rate'] * 100:.1f} %",
                "—" if not ci else f"[{ci[0] * 100:.1f}, {ci[1] * 100:.1f}]",
                "—" if f.get("cases") is None else f"{f['passed']}/{f['cases']}",
                _usd(f.get("cost_per_request_usd")),
                _ms(f.get("latency_p50_ms")),
                _ms(f.get("latency_p95_ms")),
                _ms(f.get("latency_p99_ms")),
            )
            sources.append(f"{name}: {outcome.baseline.source} (cost from {f.get('cost_source', '—')}, "
                           f"n={f.get('cost_sample', 0)}; latency from {f.get('latency_source', '—')}, "
                           f"n={f.get('latency_sample', 0)})")  # fmt: skip
            warnings += [f"{name}: {w}" for w in outcome.warnings]
    out.print(table)
    for line in sources:
        out.print(f"  {line}", highlight=False, soft_wrap=True)
    for line in warnings:
        err.print(f"[bold red]! {line}[/]", highlight=False, soft_wrap=True)
    if not stored:
        raise typer.Exit(1)


@app.command()
def trend(
    config: ConfigOpt = DEFAULT_CONFIG,
    workload: WorkloadOpt = None,
    last: Annotated[int | None, typer.Option(help="Only the last N nights.", min=1)] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Old vs new pass rate night by night (nightly runs), with 95 % intervals."""
    if format not in ("table", "json"):
        raise fail(f"--format must be table or json; got {format!r}")
    migration = load_or_exit(config)
    names = workload or [w.name for w in migration.workloads]
    with store_or_exit(migration) as store:
        try:
            trends = {name: nightly_trend(store, migration.workload(name).name, last=last) for name in names}
        except KeyError as exc:
            raise fail(str(exc).strip("'\"")) from None
    if format == "json":
        typer.echo(json.dumps({name: [_point_json(p) for p in points] for name, points in trends.items()}, indent=2))
        return
    for name, points in trends.items():
        table = compact_table(
            f"Nightly trend: {name}", ("night", "old", "95 % CI", "new", "95 % CI", "new−old", "95 % CI", "n")
        )
        for p in points:
            old, new = p.arms.get("old"), p.arms.get("new")
            d = p.difference
            table.add_row(
                p.night.isoformat(),
                *_rate_cells(old),
                *_rate_cells(new),
                "—" if d is None else fmt.signed(d.points),
                "—" if d is None else f"[{fmt.signed(d.interval.lower)}, {fmt.signed(d.interval.upper)}]",
                "—" if d is None else str(d.n),
            )
        if not points:
            table.caption = "no finished nightly runs yet: schedule `modelswap eval --nightly`"
        out.print(table)


def _rate_cells(f: ArmFigures | None) -> tuple[str, str]:
    if f is None or f.pass_rate is None or f.interval is None:
        return "—", "—"
    return f"{f.pass_rate * 100:.1f} %", f"[{f.interval.lower * 100:.1f}, {f.interval.upper * 100:.1f}]"


def _point_json(p: NightPoint) -> dict[str, object]:
    return {
        "night": p.night.isoformat(),
        "run_id": p.run_id,
        "started_at": p.started_at.isoformat(),
        "arms": {
            arm: {
                "model": f.model,
                "passed": f.passed,
                "decided": f.decided,
                "pass_rate": f.pass_rate,
                "interval": None if f.interval is None else [f.interval.lower, f.interval.upper],
            }
            for arm, f in p.arms.items()
        },
        "difference_points": None
        if p.difference is None
        else {
            "estimate": p.difference.points,
            "interval": [p.difference.interval.lower, p.difference.interval.upper],
            "n": p.difference.n,
        },
    }
