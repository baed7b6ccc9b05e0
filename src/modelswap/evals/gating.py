"""Judging a migration's gates on its eval runs, and the reports CI and people read.

For each workload, the gates in the migration file are judged on one eval run: the latest finished
run of old and new over the whole golden set, or one named. A newer ``--limit`` run on the first
cases (a quick ``choose``, a health probe) is passed over and named in the note; a named partial run
is judged with a warning. Paired pass/fail per case for the pass-rate gate (a call that failed
after its retries is a failed case for that model), failed calls per case for the error-rate gate,
per-case latency and cost of both arms for the ratio gates. A workload without such a run gets
INCONCLUSIVE gates with the reason — never a PASS on no data.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from modelswap.config import Migration
from modelswap.evals.failures import ArmErrors, describe_kinds, pair_outcomes
from modelswap.evals.results import choose_run, gate_data, outcomes, partial_reason
from modelswap.gates import GateData, GateResult, Verdict, evaluate, overall, render_junit, render_markdown, to_json
from modelswap.store import EvalRunRow, Store

SUITE = "modelswap.gates"


@dataclass(frozen=True, slots=True)
class WorkloadGates:
    """One workload's gate results and the eval run they rest on (None: there was none)."""

    workload: str
    run: EvalRunRow | None
    results: list[GateResult]
    note: str = ""
    errors: Mapping[str, ArmErrors] = field(default_factory=dict)
    """Per arm: calls that failed after their retries, by kind (they count as failed cases)."""
    excluded: Mapping[str, int] = field(default_factory=dict)
    """Reason → cases left out of the pass-rate comparison."""
    warning: str = ""
    """Set when the judged run covers only part of the golden set (``gate --run`` on a ``--limit`` run)."""
    skipped: tuple[tuple[str, str], ...] = ()
    """Newer partial runs (run id, why) passed over for the run judged."""

    @property
    def verdict(self) -> Verdict:
        return overall(self.results)


def golden_digest(migration: Migration, workload: str) -> str | None:
    """The sha256 of the workload's golden-set file as it is now (None: it has none, or it cannot be read)."""
    path = migration.workload(workload).golden_set
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path is not None else None
    except OSError:
        return None


def judge_run(
    migration: Migration, store: Store, run: EvalRunRow, *, seed: int = 0, skipped: tuple[tuple[str, str], ...] = ()
) -> WorkloadGates:
    """The gates of ``run``'s workload judged on that run (with a warning when it is a partial run);
    ``skipped``: the newer partial runs passed over for it, to report."""
    gates = migration.workload(run.workload).gates
    partial = partial_reason(run, golden_digest(migration, run.workload))
    warning = f"{partial}: these gates judge that subset, not the workload's whole golden set" if partial else ""
    by_arm = outcomes(store.evals.results(run.id))
    notes = [] if run.status == "finished" else [f"run {run.id} is {run.status}, not finished: figures are partial"]
    paired = pair_outcomes(by_arm)
    failed = {arm: e for arm, e in paired.errors.items() if e.count}
    if failed:
        counts = "; ".join(f"{arm} {e.count:,} ({describe_kinds(e.kinds)})" for arm, e in failed.items())
        notes.append(
            f"calls that failed after their retries count as failed cases: {counts}; "
            "if they were transient, retry them with `modelswap eval --retry-failed` before judging"
        )
    data = gate_data(by_arm, seed=seed)
    notes += [f"skipped newer {reason}" for _, reason in skipped]
    return WorkloadGates(
        run.workload, run, evaluate(gates, data), "; ".join(notes), dict(paired.errors), dict(paired.excluded),
        warning, skipped,
    )  # fmt: skip


def judge_workloads(
    migration: Migration,
    store: Store,
    *,
    workloads: Sequence[str] | None = None,
    run_id: str | None = None,
    seed: int = 0,
) -> list[WorkloadGates]:
    """Gate results per workload (all, or those named), or for the one run ``run_id``."""
    if run_id is not None:
        run = store.evals.run(run_id)
        if run is None:
            raise LookupError(f"no eval run {run_id!r} in {store.url_for_display}")
        if run.workload not in {w.name for w in migration.workloads}:
            raise LookupError(f"eval run {run_id} is of workload {run.workload!r}, which {migration.source} lacks")
        return [judge_run(migration, store, run, seed=seed)]
    names = list(workloads) if workloads else [w.name for w in migration.workloads]
    out = []
    for name in names:
        gates = migration.workload(name).gates
        chosen = choose_run(store, name, whole_sha256=golden_digest(migration, name))
        skipped = tuple((r.id, reason) for r, reason in chosen.skipped)
        if chosen.run is None:
            note = "; ".join(
                ["no finished eval run of both old and new over the whole golden set: run `modelswap eval` first"]
                + [f"skipped {reason}" for _, reason in skipped]
            )
            out.append(WorkloadGates(name, None, evaluate(gates, GateData()), note, skipped=skipped))
        else:
            out.append(judge_run(migration, store, chosen.run, seed=seed, skipped=skipped))
    return out


def verdict_of(items: Sequence[WorkloadGates]) -> Verdict:
    """FAIL if any gate of any workload fails, else INCONCLUSIVE if any is, else PASS."""
    return overall(r for item in items for r in item.results)


def markdown_report(items: Sequence[WorkloadGates], title: str) -> str:
    """A Markdown document: the overall verdict, then each workload's gate table and reasons."""
    parts = [f"# {title}: {verdict_of(items).value}", ""]
    for item in items:
        where = f"run `{item.run.id}`" if item.run else "no eval run"
        parts.append(render_markdown(item.results, title=f"{item.workload} ({where})").rstrip("\n"))
        if item.warning:
            parts += ["", f"> **warning**: {item.warning}"]
        if item.note:
            parts += ["", f"> {item.note}"]
        parts.append("")
    return "\n".join(parts)


def _errors_json(item: WorkloadGates) -> dict[str, Any]:
    return {arm: {"failed_calls": e.count, "kinds": dict(e.kinds)} for arm, e in item.errors.items()}


def json_report(items: Sequence[WorkloadGates], migration: str) -> dict[str, Any]:
    """A JSON-ready report: the overall verdict and each workload's gates with its run, failed
    calls per arm (with their kinds) and the cases left out of the pass-rate comparison."""
    return {
        "migration": migration,
        "overall": verdict_of(items).value,
        "workloads": [
            {
                "workload": item.workload,
                "run_id": item.run.id if item.run else None,
                "golden_set_sha256": item.run.golden_set_sha256 if item.run else None,
                "note": item.note or None,
                "warning": item.warning or None,
                "skipped_runs": [{"run_id": run_id, "reason": reason} for run_id, reason in item.skipped],
                "failed_calls": _errors_json(item),
                "excluded_cases": dict(item.excluded),
                **to_json(item.results),
            }
            for item in items
        ],
    }


def junit_report(items: Sequence[WorkloadGates], *, allow_inconclusive: bool = False) -> str:
    """JUnit XML with one ``testsuite`` per workload and one ``testcase`` per gate; a workload's
    note (failed calls, excluded cases) is its suite's ``system-out``. INCONCLUSIVE is a
    ``<failure type="inconclusive">`` unless ``allow_inconclusive``."""
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    suites = []
    for item in items:
        xml = render_junit(item.results, suite=f"{SUITE}.{item.workload}", allow_inconclusive=allow_inconclusive)
        for suite in ET.fromstring(xml).iter("testsuite"):
            for key in totals:
                totals[key] += int(suite.get(key, "0"))
            if item.note:
                ET.SubElement(suite, "system-out").text = item.note
            suites.append(suite)
    root = ET.Element("testsuites", {"name": SUITE, **{k: str(v) for k, v in totals.items()}})
    root.extend(suites)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
