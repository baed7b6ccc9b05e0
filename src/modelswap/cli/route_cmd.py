"""``modelswap route calibrate``: pick a routed workload's threshold on evidence, and optionally write it.

Exit codes: 0 a threshold was found and held on the held-out split; 1 a usage, config or data error;
2 no threshold keeps the routed pass rate within the gate's margin (or it did not hold on split B).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from modelswap.cli.eval_cmd import DEFAULT_CONCURRENCY, DEFAULT_CONFIG, EXIT_PARTIAL, compact_table
from modelswap.cli.root import ConfigOpt, app, fail, load_or_exit, out, store_or_exit

if TYPE_CHECKING:
    from modelswap.routing.calibrate import Calibration, Verification

route_app = typer.Typer(help="Route to a cheaper model behind a confidence gate: calibrate its threshold.")
app.add_typer(route_app, name="route")


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %"


def _curve_table(calibration: Calibration) -> None:
    table = compact_table("cost–quality curve (all cases)", ["threshold", "kept cheap", "pass rate", "strong", "cost"])
    from modelswap.routing.calibrate import thin

    for p in thin(calibration.curve, calibration.threshold):
        mark = " ◀" if calibration.threshold is not None and p.threshold == calibration.threshold else ""
        table.add_row(f"{p.threshold:g}{mark}", _pct(p.share_cheap), _pct(p.pass_rate), _pct(p.strong_pass_rate),
                      f"{p.cost_ratio * 100:.1f} % of strong")  # fmt: skip
    out.print(table)


def _verified(v: Verification, margin: float) -> None:
    lo, hi = v.difference
    slo, shi = v.saving_interval
    elo, ehi = v.escalation_interval
    out.print(
        f"held-out split ({v.n} cases): routed pass rate {_pct(v.pass_rate)} vs strong {_pct(v.strong_pass_rate)}, "
        f"difference {v.difference_estimate:+.1f} points [{lo:+.1f}, {hi:+.1f}] (must stay above −{margin:g})",
        highlight=False,
    )
    out.print(
        f"cost cut {_pct(v.saving)} [{_pct(slo)}, {_pct(shi)}] (mean cost per request, routed vs strong); "
        f"escalated {_pct(v.escalation)} [{_pct(elo)}, {_pct(ehi)}]",
        highlight=False,
    )


def _chart_file(path: Path, result: Calibration) -> None:
    from modelswap.console.chart_route import route_curve_svg, standalone
    from modelswap.routing.calibrate import thin

    picked = next((p for p in result.curve if p.threshold == result.threshold), None)
    shown = thin(result.curve, result.threshold, most=12)
    path.write_text(standalone(route_curve_svg(shown, picked)), encoding="utf-8")
    out.print(f"chart written to {path}", highlight=False)


def _write_back(config: Path, workload: str, threshold: float, seed: int) -> None:
    from modelswap.routing.writeback import ThresholdWriteError, write_threshold

    note = f"calibrated by modelswap route calibrate on {date.today().isoformat()} (seed {seed})"
    try:
        line = write_threshold(config, workload, threshold, note)
    except (ThresholdWriteError, OSError) as exc:
        raise fail(str(exc)) from None
    out.print(f"wrote threshold {threshold:g} to {config}:{line}", highlight=False)


def _split_for(
    spec: Mapping[str, Any], split: float | None, seed: int | None
) -> tuple[float, int, Callable[[Sequence[str]], None]]:
    """The split and seed to calibrate with (a classifier's training split unless given), and a check
    that raises ``ValueError`` when the verification split holds cases the classifier was trained on."""
    from modelswap.routing.calibrate import split_ids
    from modelswap.routing.signal import build_signal
    from modelswap.routing.training import classifier_of, seen_in_verification

    model = classifier_of(build_signal(dict(spec)))
    trained = model.split if model is not None else None
    share = split if split is not None else (trained.share if trained is not None else 0.5)
    chosen_seed = seed if seed is not None else (trained.seed if trained is not None else 0)

    def unseen(case_ids: Sequence[str]) -> None:
        if model is None:
            return
        _, verify = split_ids(case_ids, share, chosen_seed)
        problem = seen_in_verification(model, verify, str(spec.get("path")))
        if problem is not None:
            raise ValueError(f"refusing to calibrate: {problem}")

    return share, chosen_seed, unseen


@route_app.command()
def calibrate(
    config: ConfigOpt = DEFAULT_CONFIG,
    workload: Annotated[str | None, typer.Option("--workload", "-w", help="The routed workload.")] = None,
    split: Annotated[
        float | None,
        typer.Option(help="Share of cases the threshold is picked on (default 0.5, or a classifier's training split)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed of the split and the bootstrap (default 0, or a classifier's).")
    ] = None,
    chart: Annotated[Path | None, typer.Option("--chart", help="Write the cost–quality curve here (SVG).")] = None,
    write: Annotated[bool, typer.Option("--write", help="Write the threshold into the migration file.")] = False,
    concurrency: Annotated[int, typer.Option(help="Calls in flight at once, across both endpoints.", min=1)] = (
        DEFAULT_CONCURRENCY
    ),
) -> None:
    """Replay the golden set through the cheap and the strong model; pick the threshold at least cost
    whose routed pass rate stays within the pass-rate gate's margin; verify it on the other split
    (with a classifier signal: the split it was not trained on)."""
    import asyncio

    from modelswap.routing.calibrate import calibrate as pick_threshold
    from modelswap.routing.replay import RoutingSetupError, replay, routed_workload
    from modelswap.routing.stored import calibration_row

    migration = load_or_exit(config)
    try:
        chosen, routing = routed_workload(migration, workload)
        split, seed, unseen = _split_for(routing.signal, split, seed)
    except (RoutingSetupError, ValueError) as exc:
        raise fail(str(exc)) from None
    gate = chosen.gates.pass_rate
    margin, confidence = (gate.max_drop_points, gate.confidence) if gate is not None else (2.0, 0.95)
    with store_or_exit(migration) as store:
        try:
            replayed = asyncio.run(replay(migration, chosen.name, store, concurrency=concurrency))
            unseen([c.case_id for c in replayed.cases])
            result = pick_threshold(replayed.cases, margin_points=margin, confidence=confidence,
                                    needs_answer=replayed.needs_answer, split=split, seed=seed)  # fmt: skip
        except (RoutingSetupError, ValueError) as exc:
            raise fail(str(exc)) from None
        store.routing.add_calibration(calibration_row(replayed, result, routing.signal, datetime.now(UTC)))
    out.print(
        f"{replayed.workload}: {replayed.cheap_model} (cheap) vs {replayed.strong_model} (strong) on "
        f"{len(replayed.cases)} golden cases, eval run {replayed.run_id}",
        highlight=False,
    )
    _curve_table(result)
    if chart is not None:
        _chart_file(chart, result)
    if result.threshold is None or result.verification is None:
        out.print(f"no threshold keeps the routed pass rate within {margin:g} points of the strong model's on "
                  f"{result.picked_on} cases: keep this workload on the strong model", highlight=False)  # fmt: skip
        raise typer.Exit(EXIT_PARTIAL)
    out.print(f"threshold {result.threshold:g}, picked on {result.picked_on} cases (seed {seed})", highlight=False)
    _verified(result.verification, margin)
    if not result.verification.non_inferior:
        out.print("it did not hold on the held-out split: not written; collect more cases or widen the margin",
                  highlight=False)  # fmt: skip
        raise typer.Exit(EXIT_PARTIAL)
    if write:
        _write_back(config, chosen.name, result.threshold, seed)


@route_app.command()
def train(
    config: ConfigOpt = DEFAULT_CONFIG,
    workload: Annotated[str | None, typer.Option("--workload", "-w", help="The routed workload.")] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write the classifier (default: <workload>-router.json)."),
    ] = None,
    split: Annotated[float, typer.Option(help="Share of cases trained on; the rest measures it.")] = 0.5,
    seed: Annotated[int, typer.Option(help="Seed of the split.")] = 0,
    concurrency: Annotated[int, typer.Option(help="Calls in flight at once, across both endpoints.", min=1)] = (
        DEFAULT_CONCURRENCY
    ),
) -> None:
    """Train the classifier signal on the golden set: label each case by whether the cheap model's answer
    passed (the calibration replay, cached), fit on one split, report how well it ranks the other, and
    write the artefact (with its format version) that ``signal: {type: classifier, path: ...}`` loads."""
    import asyncio

    from modelswap.routing.classifier import ClassifierError, save
    from modelswap.routing.classifier import train as fit
    from modelswap.routing.replay import RoutingSetupError, replay, routed_workload
    from modelswap.routing.training import held_out_auc, split_labels

    migration = load_or_exit(config)
    try:
        chosen, _ = routed_workload(migration, workload)
        with store_or_exit(migration) as store:
            replayed = asyncio.run(replay(migration, chosen.name, store, concurrency=concurrency))
        ids = [c.case_id for c in replayed.cases]
        train_on, measure_on, trained = split_labels(ids, replayed.labels, split, seed)
        model = dataclasses.replace(fit(train_on), split=trained)
    except (RoutingSetupError, ClassifierError, ValueError) as exc:
        raise fail(str(exc)) from None
    target = output or config.parent / f"{chosen.name}-router.json"
    save(model, target)
    auc = held_out_auc(model, measure_on)
    kept = sum(ok for _, ok in replayed.labels)
    out.print(
        f"{chosen.name}: trained on {len(train_on)} cases ({model.cheap_ok} the cheap model got right); "
        f"on the other {len(measure_on)}: AUC {'—' if auc is None else f'{auc:.2f}'} "
        f"(0.5 = no better than chance); {kept} of {len(replayed.labels)} cheap answers passed overall",
        highlight=False,
    )
    out.print(f"wrote {target}; use it with  signal: {{type: classifier, path: {target.name}}}", highlight=False)
    out.print(
        f"it records the {len(train_on)} cases it was fitted on (split A, --seed {seed} --split {split:g}): "
        f"`modelswap route calibrate` verifies on the other {len(measure_on)}",
        highlight=False,
    )
