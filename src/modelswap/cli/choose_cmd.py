"""``modelswap choose``: which model should each workload use? Candidates ranked on its golden set.

Exit codes: 0 every workload has a pick (a candidate passing every gate against the old model);
1 a workload has none (the output says which), or a usage, config or data error; 130 interrupted.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelswap.cli.eval_cmd import (
    DEFAULT_CONCURRENCY,
    DEFAULT_CONFIG,
    EXIT_INTERRUPTED,
    WorkloadOpt,
    _limits,
    _Progress,
    _split,
    compact_table,
)
from modelswap.cli.root import ConfigOpt, app, err, fail, load_or_exit, out, store_or_exit
from modelswap.cli.tables import fit

if TYPE_CHECKING:  # the evals stack is imported when the command runs: start-up stays light
    from rich.table import Table

    from modelswap.choose.ranking import CandidateFigures
    from modelswap.choose.report import WorkloadChoice
    from modelswap.choose.run import Choice

CANDIDATES_HELP = "Endpoint names or catalog model ids, e.g. new,gpt-4o-mini (default: every endpoint but old)."
_STYLE = {"PASS": "green", "FAIL": "red", "INCONCLUSIVE": "yellow", "baseline": "dim"}


def _candidate_cell(label: str, f: CandidateFigures, mark: str) -> str:
    model = f"\n[dim]{f.model}[/]" if f.model and f.model != f.name else ""
    tail = f" · [bold]{mark}[/]" if mark and f.verdict != "baseline" else ""
    return f"{label} {f.name}{model}\n[{_STYLE.get(f.verdict, 'white')}]{f.verdict}[/]{tail}"


def _interval(value: str, low: str | None) -> str:
    return value if low is None else f"{value}\n[dim]{low}[/]"


def _figure_cells(f: CandidateFigures) -> list[str]:
    from modelswap.choose.report import usd

    r, d, c, p = f.pass_rate, f.difference, f.cost, f.p95
    both = [(e.low, e.high) if e.low is not None and e.high is not None else None for e in (r, d, c, p)]
    return [
        _interval("—" if r.value is None else f"{r.value * 100:.1f} %", both[0] and "[{:.1f}, {:.1f}]".format(
            *(100 * v for v in both[0]))),
        "—" if f.verdict == "baseline" else _interval("—" if d.value is None else f"{d.value:+.1f}",
                                                      both[1] and "[{:+.1f}, {:+.1f}]".format(*both[1])),
        _interval(usd(c.value), both[2] and f"[{usd(both[2][0])[1:]}, {usd(both[2][1])[1:]}]"),
        _interval("—" if p.value is None else f"{p.value:,.0f}", both[3] and "[{:,.0f}, {:,.0f}]".format(*both[3])),
    ]  # fmt: skip


def choice_table(choice: WorkloadChoice) -> Table:
    """One workload's ranking, 80 columns wide: value over its 95 % interval in each cell."""
    from modelswap.choose.report import mark

    pick = choice.ranking.pick or "none passes every gate"
    table = compact_table(f"{choice.workload} ({choice.cases} cases): pick {pick}",
                          ("candidate", "pass", "vs old (pts)", "$/request", "p95 ms"))  # fmt: skip
    table.add_row(_candidate_cell("–", choice.baseline, "old"), *_figure_cells(choice.baseline), end_section=True)
    for r in choice.ranking.rows:
        table.add_row(_candidate_cell(f"{r.rank}", r.figures, mark(r.on_front, r.picked)), *_figure_cells(r.figures))
    return table


def _print_tables(choice: Choice) -> None:
    for line in choice.candidates.excluded:
        out.print(f"[yellow]![/] {line}", highlight=False, soft_wrap=True)
    for wc in choice.workloads:
        out.print(fit(choice_table(wc)))
        front = ", ".join(wc.ranking.front) or "—"
        out.print(f"  Pareto front (pass rate ↑, cost ↓, p95 ↓): {front}", highlight=False, soft_wrap=True)
        for r in wc.ranking.rows:
            if r.figures.lifecycle:
                out.print(f"  [yellow]![/] {r.figures.name}: {r.figures.lifecycle}", highlight=False, soft_wrap=True)
        if wc.ranking.pick is None:
            out.print(f"  [red]no candidate passes every gate of {wc.workload}[/] (each gate's reason: "
                      "`-f md` or the console)", highlight=False, soft_wrap=True)  # fmt: skip
        out.print()


def _write_charts(choice: Choice, chart: Path) -> list[Path]:
    from modelswap.console.chart_pareto import pareto_chart

    written = []
    for wc in choice.workloads:
        path = chart if len(choice.workloads) == 1 else chart.with_name(f"{chart.stem}-{wc.workload}{chart.suffix}")
        title = f"{wc.workload}: pass rate vs cost"
        path.write_text(pareto_chart(title, wc.baseline, wc.ranking.rows, standalone=True) + "\n", encoding="utf-8")
        written.append(path)
    return written


def _report(choice: Choice, format: str, output: Path | None, chart: Path | None) -> None:
    from modelswap.choose import to_json, to_markdown

    if format == "table" or output is not None:
        _print_tables(choice)
    if format != "table":
        text = {
            "md": lambda: to_markdown(choice.workloads, choice.candidates.excluded),
            "json": lambda: json.dumps(to_json(choice.choice_id, choice.workloads, choice.candidates.excluded),
                                       indent=2, ensure_ascii=False) + "\n",
        }[format]()  # fmt: skip
        if output is None:
            typer.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
            err.print(f"wrote {format} report to {output}", highlight=False, soft_wrap=True)
    for path in _write_charts(choice, chart) if chart else ():
        err.print(f"wrote the Pareto chart to {path}", highlight=False, soft_wrap=True)
    for skipped in choice.batch.skipped:
        err.print(f"[yellow]skipped[/] {skipped.workload}: {skipped.reason}", highlight=False, soft_wrap=True)
    for failed in choice.batch.failed:
        err.print(f"[red]failed[/] {failed.workload}: {failed.reason}", highlight=False, soft_wrap=True)


@app.command()
def choose(
    config: ConfigOpt = DEFAULT_CONFIG,
    candidates: Annotated[
        list[str] | None,
        typer.Option("--candidates", help=CANDIDATES_HELP),
    ] = None,
    workload: WorkloadOpt = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N cases of each golden set.", min=1)] = None,
    chart: Annotated[Path | None, typer.Option(help="Write the Pareto chart as SVG here.")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table, md or json.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the md or json report here.")] = None,
    concurrency: Annotated[int, typer.Option(help="Calls in flight at once.", min=1)] = DEFAULT_CONCURRENCY,
    rate_limit: Annotated[
        list[str] | None, typer.Option("--rate-limit", help="Per-endpoint limits, e.g. new:rpm=600.")
    ] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Ask the models again instead of using cached answers.")] = (
        False
    ),
) -> None:
    """Rank candidate models per workload on its golden set: pass rate, cost, p95; Pareto front and pick."""
    from modelswap.choose import ChooseError
    from modelswap.choose.run import run_choice
    from modelswap.evals.errors import GoldenSetError
    from modelswap.evals.targets import EvalSetupError
    from modelswap.store import StoreError

    if format not in ("table", "md", "json"):
        raise fail(f"--format must be table, md or json; got {format!r}")
    migration = load_or_exit(config)
    limits = _limits(rate_limit, migration)
    progress = _Progress(err, enabled=err.is_terminal)
    with store_or_exit(migration) as store:
        try:
            with progress.progress:
                import asyncio

                choice = asyncio.run(run_choice(
                    migration, store, _split(candidates), today=date.today(), workloads=workload, limit=limit,
                    concurrency=concurrency, limits=limits, fresh=fresh, on_start=progress.started,
                    on_result=progress.result,
                ))  # fmt: skip
        except KeyboardInterrupt:
            err.print("[yellow]interrupted[/]: the answers received so far are stored (and cached)", highlight=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (ChooseError, EvalSetupError, GoldenSetError, StoreError, ValueError) as exc:
            raise fail(str(exc)) from None
    _report(choice, format, output, chart)
    if choice.batch.failed or not choice.workloads or any(wc.ranking.pick is None for wc in choice.workloads):
        raise typer.Exit(1)
