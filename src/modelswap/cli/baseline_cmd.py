"""``modelswap baseline`` and ``modelswap trend``: the old model's stored baseline, and nightly pass rates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from modelswap.cli.eval_cmd import DEFAULT_CONFIG, WorkloadOpt, _ms, _usd, compact_table
from modelswap.cli.root import ConfigOpt, app, err, fail, load_or_exit, out, store_or_exit
from modelswap.cli.tables import fit

if TYPE_CHECKING:
    from modelswap.evals.results import ArmFigures
    from modelswap.evals.trend import NightPoint

MIN_SAMPLE = 50  # evals.baseline.MIN_SAMPLE, here so --help needs no evals stack (tested equal)


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
    from modelswap.evals.baseline import take_baseline

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
    out.print(fit(table))
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
    from modelswap.evals.trend import nightly_trend
    from modelswap.gates import _format as fmt

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
        out.print(fit(table))


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
