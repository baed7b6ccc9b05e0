"""``modelswap eval``, ``baseline`` and ``trend``: golden-set evals from a shell or cron (``gate``: gate_cmd).

Exit codes (cron and CI read them): 0 done; 1 a usage, config or data error (a golden set that
cannot be loaded or would score nothing); 2 the eval ran but some calls failed after their
retries or a workload could not run; 130 interrupted (the runs can be resumed).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelswap.cli.root import ConfigOpt, app, err, fail, load_or_exit, out, store_or_exit
from modelswap.cli.tables import fit

if TYPE_CHECKING:  # the evals stack (numpy, scipy, aiohttp) is imported when a command runs: start-up stays light
    from rich.console import Console
    from rich.table import Table

    from modelswap.config import Migration
    from modelswap.evals.batch import EvalBatch
    from modelswap.evals.ratelimit import RateLimit
    from modelswap.evals.results import ArmFigures
    from modelswap.evals.runner import PairResult, RunPlan
    from modelswap.store import Store

EXIT_PARTIAL = 2
EXIT_INTERRUPTED = 130
DEFAULT_CONFIG = Path("migration.yaml")
DEFAULT_CONCURRENCY = 16  # evals.targets.DEFAULT_CONCURRENCY, here so --help needs no evals stack (tested equal)

WorkloadOpt = Annotated[
    list[str] | None, typer.Option("--workload", "-w", help="Only this workload (repeat for several).")
]


def _split(values: Sequence[str] | None) -> list[str]:
    return [p.strip() for v in values or () for p in v.split(",") if p.strip()]


def _limits(specs: Sequence[str] | None, migration: Migration) -> dict[str, RateLimit]:
    from modelswap.evals.ratelimit import RateLimit

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
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, padding=0, title_justify="left")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i < left else "right", no_wrap=True)
    return table


class _Progress:
    """A Rich progress bar per (workload, arm), fed by the runner's callbacks."""

    def __init__(self, console: Console, enabled: bool, plain_starts: bool = False) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

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
        self.first_errors: dict[tuple[str, str], str] = {}
        self.plain = not enabled and plain_starts

    def started(self, plan: RunPlan) -> None:
        self.run_ids.append(plan.run_id)
        if self.plain:  # cron and CI: a line per run as it starts, so a long night is visibly moving
            calls = ", ".join(f"{arm} {plan.pending[arm]:,}" for arm in plan.arms)
            self.progress.console.print(f"{plan.workload}: started, calls to make: {calls}", highlight=False)
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
        if pair.error is not None:
            self.first_errors.setdefault((f"{pair.arm} ({pair.model})", error_kind(pair.error, pair.arm)), pair.error)
        self.progress.update(
            self.tasks[key],
            advance=1,
            rate=f"{tally[0] / tally[1] * 100:.1f} %" if tally[1] else "—",
            cost=f"${tally[2]:.4f}",
            errors=f"{int(tally[3])} errors" if tally[3] else "",
        )


def error_kind(error: str, arm: str = "") -> str:
    """What kind of failure an error text is: its leading words, before any detail (pure).

    ``old: could not connect: Connection refused`` is a ``could not connect`` of ``old``.
    """
    text = error.removeprefix(f"{arm}:").strip() if arm else error
    head = text.split(":", 1)[0].strip()
    return " ".join(head.split()[:6]) or "error"


def first_error_lines(first_errors: dict[tuple[str, str], str], limit: int = 8) -> list[str]:
    """One line per kind of failure: the endpoint and what its first failure of that kind said."""
    lines = [f"first error from {arm}: {text}" for (arm, _), text in list(first_errors.items())[:limit]]
    if len(first_errors) > limit:
        lines.append(f"… and {len(first_errors) - limit} more kinds of error")
    return lines


def _run_table(store: Store, batch: EvalBatch) -> Table:
    from modelswap.evals.results import run_figures
    from modelswap.stats import wilson_interval

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
    from rich.markup import escape

    from modelswap.evals.errors import GoldenSetError
    from modelswap.evals.runner import EvalRunError
    from modelswap.evals.targets import EvalSetupError
    from modelswap.store import StoreError
    from modelswap.store.locks import StoreLock

    migration = load_or_exit(config)
    limits = _limits(rate_limit, migration)
    arms = _split([endpoints]) if endpoints else (["old", "new"] if nightly else None)
    resume_ids = _split(resume)
    _refuse_contradictions(resume_ids, workload, endpoints, nightly, fresh, retry_failed)
    progress = _Progress(out, enabled=out.is_terminal, plain_starts=nightly)
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
            raise _interrupted(config, progress.run_ids) from None
        except (EvalSetupError, EvalRunError, GoldenSetError, StoreError) as exc:
            raise fail(str(exc)) from None
        if retry_failed and not batch.summaries:
            out.print("no failed calls to retry in the latest eval runs", highlight=False)
            return
        _report_batch(store, batch, nightly)
    for line in first_error_lines(progress.first_errors):
        err.print(f"[red]![/] {escape(line)}", highlight=False, soft_wrap=True)
    if not batch.ok:
        raise typer.Exit(EXIT_PARTIAL)


def _refuse_contradictions(
    resume: list[str], workload: list[str] | None, endpoints: str | None, nightly: bool, fresh: bool, retry: bool
) -> None:
    if resume and (workload or endpoints):
        raise fail("--resume continues runs as they were started: leave out --workload and --endpoints")
    if retry and (resume or nightly or endpoints or fresh):
        raise fail("--retry-failed asks the latest runs' failed calls again: drop --resume, --nightly, -e, --fresh")


def _interrupted(config: Path, run_ids: list[str]) -> typer.Exit:
    """Say what was kept and how to resume; the exit to raise (130, as for Ctrl-C)."""
    if run_ids:
        resume = f"modelswap eval -c {config} --resume {','.join(run_ids)}"
        err.print(f"[yellow]interrupted:[/] every answer received so far is stored; resume with\n  {resume}",
                  highlight=False, soft_wrap=True)  # fmt: skip
    else:
        err.print("[yellow]interrupted[/] before any eval run started; nothing was stored", highlight=False)
    return typer.Exit(EXIT_INTERRUPTED)


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
    import asyncio
    import signal
    import threading

    from modelswap.evals.batch import run_workloads
    from modelswap.routing.eval_arm import RoutedArms

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
                arms_for=RoutedArms.of(migration, store=None if nightly or fresh else store),
            )
        finally:
            if main_thread:
                loop.remove_signal_handler(signal.SIGTERM)

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:  # SIGTERM: the main task was cancelled
        raise KeyboardInterrupt from None


def _routed_line(store: Store, workload: str, run_id: str) -> None:
    """For a routed workload: its escalation share and cost cut vs old, with intervals."""
    from modelswap.evals.results import outcomes, routed_figures

    figures = routed_figures(outcomes(store.evals.results(run_id)))
    if figures is None:
        return
    lo, hi = figures.escalation_interval
    line = (
        f"{workload}: routed arm escalated {figures.escalated}/{figures.routed} "
        f"({figures.escalated / figures.routed * 100:.1f} % [{lo * 100:.1f}, {hi * 100:.1f}])"
    )
    if figures.saving is not None and figures.saving_interval is not None:
        slo, shi = figures.saving_interval
        line += f"; cost cut vs old {figures.saving * 100:.1f} % [{slo * 100:.1f}, {shi * 100:.1f}] at 95 %"
    out.print(line, highlight=False, soft_wrap=True)


def _report_batch(store: Store, batch: EvalBatch, nightly: bool) -> None:
    from modelswap.evals.results import run_figures

    if nightly:
        for summary in batch.summaries:
            figures = run_figures(store.evals.results(summary.run_id))
            arms = " · ".join(f"{arm} {rate(figures[arm])}" for arm in summary.arms if arm in figures)
            out.print(f"nightly {summary.workload} {summary.status} run {summary.run_id}: {arms}; "
                      f"{summary.calls} calls, {summary.errors} failed", highlight=False, soft_wrap=True)  # fmt: skip
    else:
        out.print(fit(_run_table(store, batch)))
        out.print(_session_line(batch), highlight=False)
    for summary in batch.summaries:
        _routed_line(store, summary.workload, summary.run_id)
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
