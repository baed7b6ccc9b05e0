"""``modelswap gate``: judge each workload's gates on its latest eval run, for people and CI.

Exit codes: 0 every gate PASSes; 1 a gate FAILs (or a usage, config or data error); 2 a gate is
INCONCLUSIVE — not enough evidence is not a green build — unless ``--allow-inconclusive``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelswap.cli.eval_cmd import DEFAULT_CONFIG, EXIT_PARTIAL, WorkloadOpt, compact_table
from modelswap.cli.root import ConfigOpt, app, err, fail, load_or_exit, out, store_or_exit
from modelswap.cli.tables import fit

if TYPE_CHECKING:  # the gates and the evals stack are imported when the command runs: start-up stays light
    from modelswap.evals.gating import WorkloadGates
    from modelswap.gates import Verdict

EXIT_INCONCLUSIVE = EXIT_PARTIAL
_STYLE = {"PASS": "green", "FAIL": "red", "INCONCLUSIVE": "yellow"}


def exit_code(verdict: Verdict, *, allow_inconclusive: bool = False) -> int:
    """PASS 0, FAIL 1, INCONCLUSIVE 2 (0 when ``allow_inconclusive``)."""
    if verdict == "FAIL":
        return 1
    if verdict == "INCONCLUSIVE" and not allow_inconclusive:
        return EXIT_INCONCLUSIVE
    return 0


@app.command()
def gate(
    config: ConfigOpt = DEFAULT_CONFIG,
    workload: WorkloadOpt = None,
    run: Annotated[str | None, typer.Option("--run", help="Judge this eval run (default: each workload's latest).")] = (
        None
    ),
    format: Annotated[str, typer.Option("--format", "-f", help="table, md, json or junit.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here.")] = None,
    allow_inconclusive: Annotated[
        bool,
        typer.Option(
            "--allow-inconclusive",
            help="Exit 0 (and mark JUnit <skipped>) when a gate is INCONCLUSIVE and none failed.",
        ),
    ] = False,
    strict: Annotated[bool, typer.Option(hidden=True, help="The default now: INCONCLUSIVE exits 2.")] = False,
    seed: Annotated[int, typer.Option(help="Bootstrap seed (the same seed gives the same intervals).")] = 0,
) -> None:
    """Judge each workload's gates on its latest eval run: exit 0 PASS, 1 FAIL, 2 INCONCLUSIVE (for CI)."""
    from modelswap.evals.gating import json_report, judge_workloads, junit_report, markdown_report, verdict_of

    if format not in ("table", "md", "json", "junit"):
        raise fail(f"--format must be one of table, md, json, junit; got {format!r}")
    if strict and allow_inconclusive:
        raise fail("--strict and --allow-inconclusive contradict each other (INCONCLUSIVE exits 2 by default)")
    migration = load_or_exit(config)
    with store_or_exit(migration) as store:
        try:
            items = judge_workloads(migration, store, workloads=workload, run_id=run, seed=seed)
        except LookupError as exc:
            raise fail(str(exc).strip("'\"")) from None
    for item in items:  # on stderr too, so a CI log shows it whatever the format
        if item.warning:
            err.print(f"[yellow]warning[/]: {item.workload}: {item.warning}", highlight=False, soft_wrap=True)
    title = f"Quality gates: {migration.name}"
    if format == "table" or output is not None:
        _gate_tables(items, allow_inconclusive)
    if format != "table":
        text = {
            "md": lambda: markdown_report(items, title),
            "json": lambda: json.dumps(json_report(items, migration.name), indent=2, ensure_ascii=False) + "\n",
            "junit": lambda: junit_report(items, allow_inconclusive=allow_inconclusive),
        }[format]()
        if output is None:
            typer.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
            err.print(f"wrote {format} report to {output}", highlight=False, soft_wrap=True)
    code = exit_code(verdict_of(items), allow_inconclusive=allow_inconclusive)
    if code:
        raise typer.Exit(code)


def _gate_tables(items: Sequence[WorkloadGates], allow_inconclusive: bool) -> None:
    from modelswap.evals.gating import verdict_of
    from modelswap.gates import Verdict, estimate_cell, interval_cell, limit_cell

    for item in items:
        run = f"judged run {item.run.id}" if item.run else "no eval run"
        run += " [yellow]over part of the golden set[/]" if item.warning else ""
        table = compact_table(f"{item.workload} ({run})", ("gate", "verdict", "estimate", "interval", "must be", "n",
                                                           "more"), left=2)  # fmt: skip
        for r in item.results:
            more = "" if r.more_cases_needed is None else f"{r.more_cases_needed:,}"
            verdict = f"[{_STYLE[r.verdict]}]{r.verdict.value}[/]"
            table.add_row(r.gate, verdict, estimate_cell(r), interval_cell(r), limit_cell(r), f"{r.n:,}", more)
        out.print(fit(table))
        for r in item.results:
            out.print(f"  [{_STYLE[r.verdict]}]{r.gate}[/]: {r.reason}", highlight=False, soft_wrap=True)
        if item.note:
            out.print(f"  [yellow]note[/]: {item.note}", highlight=False, soft_wrap=True)
        out.print()
    verdict = verdict_of(items)
    why = ""
    if verdict is Verdict.INCONCLUSIVE:
        why = " (exit 0: --allow-inconclusive)" if allow_inconclusive else " (not enough evidence: exit 2)"
    out.print(f"overall: [{_STYLE[verdict]}]{verdict.value}[/]{why}", highlight=False)
