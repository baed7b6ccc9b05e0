"""``modelswap redteam run|report|gate``: probe packs against old and new, ASR per family, the gate.

Exit codes of ``gate``: 0 every family PASSes; 1 one FAILs (or a usage or data error); 2 one is
INCONCLUSIVE (0 with ``--allow-inconclusive``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelswap.cli.root import ConfigOpt, app, fail, load_or_exit, out, store_or_exit
from modelswap.cli.tables import fit

if TYPE_CHECKING:
    from modelswap.redteam.report import RunReport

redteam_app = typer.Typer(help="Red-team old vs new: probe families, attack success per family, the gate.")
app.add_typer(redteam_app, name="redteam")

DEFAULT_CONFIG = Path("migration.yaml")
WorkloadsOpt = Annotated[
    list[str] | None, typer.Option("--workload", "-w", help="Only this workload (repeat for several).")
]
RunOpt = Annotated[str | None, typer.Option("--run", help="This red-team run (default: the newest).")]
_STYLE = {"PASS": "green", "FAIL": "red", "INCONCLUSIVE": "yellow"}


@redteam_app.command("run")
def run(
    config: ConfigOpt = DEFAULT_CONFIG,
    workload: WorkloadsOpt = None,
    family: Annotated[
        list[str] | None, typer.Option("--family", help="Only this probe family (repeat for several).")
    ] = None,
    sample: Annotated[
        int | None, typer.Option(help="Probes per family (default: the workload gate's `sample`, 100).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seeds the probe sample and the planted canary/secret.")] = 0,
    concurrency: Annotated[int, typer.Option(help="Calls in flight across both models.")] = 32,
    resume: Annotated[str | None, typer.Option(help="Continue this run: skip outcomes it already holds.")] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Call the models again instead of reading answers already paid for.")
    ] = False,
) -> None:
    """Send a seeded sample of every probe family to old and new on each workload's system prompt."""
    from modelswap.evals.targets import EvalSetupError, migration_endpoints
    from modelswap.redteam.registry import sample_probes
    from modelswap.redteam.report import load_run
    from modelswap.redteam.runner import DEFAULT_SAMPLE, run_redteam
    from modelswap.redteam.targets import workload_targets

    migration = load_or_exit(config)
    with store_or_exit(migration) as store:
        try:
            targets = workload_targets(migration, workload, seed, store)
            specs = [w.gates.redteam for w in migration.workloads if w.name in targets and w.gates.redteam]
            n = sample or max((s.sample for s in specs), default=DEFAULT_SAMPLE)
            probes = sample_probes(family, n, seed)
        except ValueError as exc:
            raise fail(str(exc)) from None
        out.print(f"red-team: {len(probes)} probes × {len(targets)} workload(s) × old, new", highlight=False)

        async def go() -> str:
            async with migration_endpoints(migration, ["old", "new"], concurrency=concurrency) as endpoints:
                summary = await run_redteam(store, targets, probes, endpoints, run_id=resume, fresh=fresh)
            out.print(
                f"run {summary.run_id}: {summary.calls} calls in {summary.elapsed_s:.1f} s, "
                f"{summary.succeeded} attacks succeeded, {summary.errors} failed calls, {summary.skipped} resumed, "
                f"{summary.cached} answers from the response cache",
                highlight=False,
            )
            return summary.run_id

        try:
            import asyncio

            run_id = asyncio.run(go())
        except EvalSetupError as exc:
            raise fail(str(exc)) from None
        _print(load_run(store, migration, run_id), findings=0)


@redteam_app.command("report")
def report(
    config: ConfigOpt = DEFAULT_CONFIG,
    run: RunOpt = None,
    workload: Annotated[str | None, typer.Option("--workload", "-w", help="Only this workload.")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    findings: Annotated[int, typer.Option(help="Findings to list (attacks that succeeded).")] = 5,
) -> None:
    """Attack success per family, old vs new, with paired intervals, and the first findings."""
    report = _load(config, run, workload)
    if format == "json":
        from modelswap.redteam.report import as_json

        out.print_json(json.dumps(as_json(report, findings)))
    elif format == "table":
        _print(report, findings)
    else:
        raise fail(f"--format must be table or json; got {format!r}")


@redteam_app.command("gate")
def gate(
    config: ConfigOpt = DEFAULT_CONFIG,
    run: RunOpt = None,
    workload: Annotated[str | None, typer.Option("--workload", "-w", help="Only this workload.")] = None,
    allow_inconclusive: Annotated[bool, typer.Option("--allow-inconclusive", help="Exit 0 on INCONCLUSIVE.")] = False,
) -> None:
    """Judge the red-team gate (new ASR ≤ old ASR + margin per family), record it for the plan, exit 0/1/2."""
    from modelswap.redteam.report import record_gate

    migration = load_or_exit(config)
    report = _load(config, run, workload, migration)
    _print(report, findings=0)
    with store_or_exit(migration) as store:
        record_gate(store, report)
    verdict = report.verdict.value
    out.print(f"red-team gate: [{_STYLE[verdict]}]{verdict}[/]", highlight=False)
    if verdict == "FAIL":
        raise typer.Exit(1)
    if verdict == "INCONCLUSIVE" and not allow_inconclusive:
        raise typer.Exit(2)


def _load(config: Path, run: str | None, workload: str | None, migration: object = None) -> RunReport:
    from modelswap.config import Migration
    from modelswap.redteam.report import RedteamReportError, load_run

    m = migration if isinstance(migration, Migration) else load_or_exit(config)
    with store_or_exit(m) as store:
        try:
            return load_run(store, m, run, workload)
        except RedteamReportError as exc:
            raise fail(str(exc)) from None


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _print(report: RunReport, findings: int) -> None:
    from rich.markup import escape

    from modelswap.cli.eval_cmd import compact_table

    table = compact_table(
        f"red-team run {report.run_id}", ["workload", "family", "n", "old ASR", "new ASR", "Δ [95 % CI]", "gate"], 2
    )
    for f in report.families:
        ci = f.gate.interval
        delta = "–" if ci is None else f"{f.gate.estimate:+.1f} [{ci[0]:+.1f}, {ci[1]:+.1f}]"
        v = f.gate.verdict.value
        table.add_row(
            f.workload or "(all)",
            f.family,
            str(f.probes),
            _pct(f.old_asr),
            _pct(f.new_asr),
            delta,
            f"[{_STYLE[v]}]{v}[/]",
        )
    out.print(fit(table))
    for f in report.families:
        if f.gate.verdict.value != "PASS":
            out.print(f"  {escape(f.workload or '(all)')}: {escape(f.gate.reason)}", highlight=False)
    for r in report.findings(findings):
        detail = r.detail or {}
        fired = ", ".join(str(x.get("detector")) for x in detail.get("findings", []))
        out.print(f"\n[bold]{escape(r.probe_id)}[/] on {r.arm} ({escape(r.workload or '')}) — {fired}", highlight=False)
        out.print(f"  prompt: {escape(str(detail.get('prompt', ''))[:300])!s}", highlight=False, markup=True)
        out.print(f"  answer: {escape(str(detail.get('answer', ''))[:300])!s}", highlight=False, markup=True)


@redteam_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="garak *.hitlog.jsonl / *.report.jsonl, or promptfoo results JSON.")],
    arm: Annotated[str, typer.Option(help="Which model the file scanned: old or new.")],
    tool: Annotated[str, typer.Option("--from", help="garak or promptfoo.")],
    run: Annotated[str, typer.Option("--run", help="Run id (import old and new under the same one).")] = "imported",
    workload: Annotated[str | None, typer.Option("--workload", "-w", help="The workload the scan covered.")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Store a garak or promptfoo scan of one model as red-team evidence (families mapped from probe names)."""
    from modelswap.redteam.importers import RedteamImportError, read_garak, read_promptfoo

    readers = {"garak": read_garak, "promptfoo": read_promptfoo}
    if tool not in readers or arm not in ("old", "new"):
        raise fail(f"--from must be garak or promptfoo and --arm old or new; got {tool!r}, {arm!r}")
    migration = load_or_exit(config)
    try:
        imported = readers[tool](file, run_id=run, arm=arm, workload=workload)
    except RedteamImportError as exc:
        raise fail(str(exc)) from None
    with store_or_exit(migration) as store:
        store.review.add_redteam_results(imported.rows)
    hits = sum(r.attack_succeeded for r in imported.rows)
    out.print(
        f"imported {len(imported.rows)} {tool} results for {arm} into run {run} ({hits} attacks succeeded; "
        f"{imported.skipped} skipped: no matching family)",
        highlight=False,
    )
