"""``modelswap review``: draw the review set, report on it, judge the human-review gate, and move
verdicts in and out (CSV/JSONL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelswap.cli.eval_cmd import DEFAULT_CONFIG, WorkloadOpt
from modelswap.cli.gate_cmd import exit_code
from modelswap.cli.root import ConfigOpt, actor, app, fail, load_or_exit, out, store_or_exit

if TYPE_CHECKING:
    from modelswap.config import Migration
    from modelswap.review.review_set import Reviewed
    from modelswap.store import Store

review_app = typer.Typer(
    help="Human review of shadow pairs: sample, report, gate, export, import.", no_args_is_help=True
)
app.add_typer(review_app, name="review")

SampleOpt = Annotated[int | None, typer.Option("--sample", help="Review set id (default: the latest).")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="csv or jsonl.")]


def _names(migration: Migration, workload: list[str] | None) -> list[str]:
    names = [w.name for w in migration.workloads]
    unknown = sorted(set(workload or ()) - set(names))
    if unknown:
        raise fail(f"no workload named {', '.join(unknown)} in the migration file; it has {', '.join(names)}")
    return list(workload) if workload else names


def _reviewed(store: Store, sample: int | None) -> Reviewed:
    from modelswap.review.review_set import reviewed

    done = reviewed(store, sample)
    if done is None:
        raise fail(
            "no review set yet; draw one with `modelswap review sample`"
            if sample is None
            else f"no review set {sample}"
        )
    return done


@review_app.command("sample")
def sample(
    config: ConfigOpt = DEFAULT_CONFIG,
    workload: WorkloadOpt = None,
    size: Annotated[
        int | None, typer.Option("--size", help="Pairs in all (default: the workloads' sample_size, else 200).")
    ] = None,
    floor: Annotated[int | None, typer.Option("--floor", help="Pairs per workload at least (default 20).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed (the same seed and pairs draw the same set).")] = 0,
    by: Annotated[str | None, typer.Option("--by", help="Who drew it (default: the OS user).")] = None,
) -> None:
    """Draw a review set from recorded shadow pairs: stratified by workload, oversampling pairs that differ."""
    from modelswap.review.review_set import create_review_set

    migration = load_or_exit(config)
    names = _names(migration, workload)
    gates = [w.gates.human_review for w in migration.workloads if w.name in names and w.gates.human_review]
    total = size if size is not None else (sum(g.sample_size for g in gates) if gates else 200)
    least = floor if floor is not None else (min(g.floor for g in gates) if gates else 20)
    if total < 1 or least < 0:
        raise fail("--size must be at least 1 and --floor not negative")
    with store_or_exit(migration) as store:
        sample_id, drawn = create_review_set(
            store, names, size=total, floor=least, seed=seed, actor=actor(by), now=datetime.now(UTC)
        )
    out.print(
        f"review set {sample_id}: {len(drawn.pairs)} pairs drawn from {sum(drawn.population.values())} reviewable"
    )
    for w in sorted(drawn.population):
        out.print(f"  {w}: {drawn.allocation.get(w, 0)} of {drawn.population[w]:,}")
    if drawn.excluded_no_body:
        out.print(
            f"  {drawn.excluded_no_body} shadow pairs left out: their bodies were not recorded (record_bodies: none)"
        )


@review_app.command("report")
def report(
    config: ConfigOpt = DEFAULT_CONFIG,
    sample: SampleOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Progress per reviewer, agreement (kappa), conflicts and the weighted share where new is worse."""
    from modelswap.review.report import build_report

    migration = load_or_exit(config)
    with store_or_exit(migration) as store:
        r = build_report(_reviewed(store, sample))
    if as_json:
        data = {
            "sample": r.sample_id, "pairs": r.pairs, "reviewed": r.reviewed, "progress": r.progress,
            "kappa": r.agreement.kappa, "kappa_method": r.agreement.method, "kappa_pairs": r.agreement.pairs,
            "conflicts": r.conflicts, "excluded_no_body": r.excluded_no_body,
            "judge_kappa": r.judge_kappa, "judge_pairs": r.judge_pairs,
            "new_worse": {"estimate": r.overall.estimate, "lower": r.overall.lower, "upper": r.overall.upper,
                          "effective_pairs": r.overall.n_effective},
        }  # fmt: skip
        typer.echo(json.dumps(data, indent=2))
        return
    out.print(f"review set {r.sample_id}: {r.reviewed} of {r.pairs} pairs reviewed")
    for reviewer, n in r.progress.items():
        out.print(f"  {reviewer}: {n} pairs")
    kappa = "—" if r.agreement.kappa is None else f"{r.agreement.kappa:.2f}"
    out.print(f"agreement: {kappa} ({r.agreement.method}; {r.agreement.pairs} pairs)")
    if r.conflicts:
        out.print(f"conflicts for a third opinion: {', '.join(map(str, r.conflicts[:20]))}")
    if r.judge_kappa is not None:
        out.print(f"LLM judge vs people: κ = {r.judge_kappa:.2f} on {r.judge_pairs} pairs")
    o = r.overall
    out.print(
        f"new worse on {100 * o.estimate:.1f} % of traffic [{100 * o.lower:.1f}, {100 * o.upper:.1f}] at 95 % "
        f"(effective pairs {o.n_effective:.1f})"
    )
    for w, s in r.by_workload.items():
        out.print(f"  {w}: {100 * s.estimate:.1f} % [{100 * s.lower:.1f}, {100 * s.upper:.1f}] from {s.n} pairs")


@review_app.command("gate")
def gate(
    config: ConfigOpt = DEFAULT_CONFIG,
    sample: SampleOpt = None,
    allow_inconclusive: Annotated[bool, typer.Option("--allow-inconclusive")] = False,
) -> None:
    """Judge each workload's human_review gate on the review set: exit 0 PASS, 1 FAIL, 2 INCONCLUSIVE.

    A workload without ``gates.human_review`` is judged at the gate's defaults (new worse on at most
    5 % of traffic at 95 %), as the plan judges item 7."""
    from modelswap.config_workload import HumanReviewGate
    from modelswap.gates import decide_human_review, overall

    migration = load_or_exit(config)
    configured = {w.name: w.gates.human_review or HumanReviewGate() for w in migration.workloads}
    with store_or_exit(migration) as store:
        done = _reviewed(store, sample)
    results = []
    for name, spec in configured.items():
        worse, weights = done.worse_and_weights(name)
        result = decide_human_review(worse, weights, spec)
        results.append(result)
        out.print(f"{name}: [bold]{result.verdict}[/] — {result.reason}", highlight=False)
    raise typer.Exit(exit_code(overall(results), allow_inconclusive=allow_inconclusive))


@review_app.command("export")
def export(
    config: ConfigOpt = DEFAULT_CONFIG,
    sample: SampleOpt = None,
    format: FormatOpt = "csv",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here (default: stdout).")] = None,
) -> None:
    """The review set's pairs with their verdicts as CSV or JSONL."""
    from modelswap.review.exchange import export_rows
    from modelswap.review.review_set import export_table

    if format not in ("csv", "jsonl"):
        raise fail(f"--format must be csv or jsonl; got {format!r}")
    migration = load_or_exit(config)
    with store_or_exit(migration) as store:
        text = export_rows(export_table(_reviewed(store, sample)), format)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@review_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL with pair_id, reviewer, verdict (note, tags optional).")],
    config: ConfigOpt = DEFAULT_CONFIG,
    sample: SampleOpt = None,
) -> None:
    """Import verdicts made in another tool (Label Studio, Argilla, a spreadsheet); all rows or none."""
    from modelswap.review.exchange import VerdictImportError, parse_verdicts
    from modelswap.review.review_set import record_imported

    kind = "jsonl" if file.suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv"
    try:
        text = file.read_text(encoding="utf-8")
        verdicts = parse_verdicts(text, where=str(file), kind=kind)
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {file}: {exc}") from None
    except VerdictImportError as exc:
        for problem in exc.problems:
            out.print(problem, highlight=False, soft_wrap=True)
        raise fail(f"nothing imported: {len(exc.problems)} bad row(s) in {file}") from None
    migration = load_or_exit(config)
    with store_or_exit(migration) as store:
        done = _reviewed(store, sample)
        try:
            count = record_imported(store, done.sample, verdicts, datetime.now(UTC))
        except ValueError as exc:
            raise fail(f"nothing imported: {exc}") from None
    out.print(f"imported {count} verdicts into review set {done.sample.id}")


@review_app.command("judge")
def judge(
    judge_endpoint: Annotated[str, typer.Option("--judge", help="Endpoint of the migration file that judges.")],
    config: ConfigOpt = DEFAULT_CONFIG,
    sample: SampleOpt = None,
    concurrency: Annotated[int, typer.Option(help="Judge calls in flight at once.")] = 8,
) -> None:
    """Optional LLM-judge pre-screen: the judge rates every pair of the review set (not counted as review)."""
    import asyncio

    from modelswap.evals.targets import migration_endpoints
    from modelswap.review.judge_screen import judge_pairs, judge_rows

    migration = load_or_exit(config)
    if judge_endpoint not in migration.endpoints:
        raise fail(f"no endpoint named {judge_endpoint!r}; the migration file has {', '.join(migration.endpoints)}")
    if concurrency < 1:
        raise fail("--concurrency must be at least 1")
    with store_or_exit(migration) as store:
        done = _reviewed(store, sample)
        found = store.review.pairs_by_id([p.pair_id for p in done.sample.pairs])

        async def rate() -> dict[int, str]:
            async with migration_endpoints(migration, [], judge=judge_endpoint, concurrency=concurrency) as eps:
                return await judge_pairs(list(found.values()), eps[judge_endpoint], concurrency=concurrency)

        ratings = asyncio.run(rate())
        store.review.add_verdicts(judge_rows(ratings, done.sample.id, datetime.now(UTC)))
    out.print(f"the judge rated {len(ratings)} of {len(done.sample.pairs)} pairs of review set {done.sample.id}")
