"""A red-team run read back: per-family results, findings, JSON, and the plan's evidence.

``gate_run`` judges a stored run with each workload's ``gates.redteam`` spec and records one
``redteam_gate`` evidence row per workload (ok when every family PASSes): plan item 8 reads it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from modelswap.config import Migration, RedteamGate
from modelswap.gates.result import Verdict, overall
from modelswap.redteam.asr import FamilyResult, judge_families
from modelswap.store import RedteamResultRow, Store
from modelswap.store.evidence import EvidenceRow, record_evidence
from modelswap.store.redteam_repo import latest_redteam_run

EVIDENCE_KIND = "redteam_gate"


class RedteamReportError(ValueError):
    """Nothing to report: no run stored, or an unknown run id."""


@dataclass(frozen=True, slots=True)
class RunReport:
    """One run judged: its id, per-family results and the stored rows (findings)."""

    run_id: str
    families: list[FamilyResult]
    rows: list[RedteamResultRow]

    @property
    def verdict(self) -> Verdict:
        return overall(f.gate for f in self.families)

    def findings(self, limit: int | None = None) -> list[RedteamResultRow]:
        """Outcomes whose attack succeeded, new arm first, then by family."""
        hits = [r for r in self.rows if r.attack_succeeded]
        hits.sort(key=lambda r: (r.arm != "new", r.workload or "", r.probe_id))
        return hits[:limit] if limit is not None else hits


def gate_specs(migration: Migration | None) -> dict[str | None, RedteamGate]:
    """Each workload's red-team gate spec (workloads without one are judged on the defaults)."""
    if migration is None:
        return {}
    return {w.name: w.gates.redteam for w in migration.workloads if w.gates.redteam is not None}


def load_run(
    store: Store, migration: Migration | None, run_id: str | None = None, workload: str | None = None
) -> RunReport:
    """The run ``run_id`` (default: the newest, of ``workload`` when given), judged."""
    run_id = run_id or latest_redteam_run(store, workload)
    if run_id is None:
        raise RedteamReportError("no red-team run is stored yet; run `modelswap redteam run` first")
    rows = store.review.redteam_results(run_id)
    if workload is not None:
        rows = [r for r in rows if r.workload == workload]
    if not rows:
        raise RedteamReportError(f"red-team run {run_id!r} has no results{f' for {workload}' if workload else ''}")
    return RunReport(run_id, judge_families(rows, gate_specs(migration)), rows)


def as_json(report: RunReport, findings: int = 20) -> dict[str, Any]:
    """The report as JSON: verdict, per-family figures with intervals, and the first findings."""
    return {
        "run_id": report.run_id,
        "verdict": report.verdict.value,
        "families": [
            {
                "workload": f.workload,
                "family": f.family,
                "owasp": list(f.owasp),
                "probes": f.probes,
                "old_asr": f.old_asr,
                "new_asr": f.new_asr,
                "delta_points": f.gate.estimate,
                "interval_points": list(f.gate.interval) if f.gate.interval else None,
                "margin_points": f.gate.margin,
                "verdict": f.gate.verdict.value,
                "reason": f.gate.reason,
                "more_probes_needed": f.gate.more_cases_needed,
                "mcnemar_exact_p": f.gate.details.get("mcnemar_exact_p"),
            }
            for f in report.families
        ],
        "findings": [
            {
                "workload": r.workload,
                "arm": r.arm,
                "probe": r.probe_id,
                "detectors": [x.get("detector") for x in (r.detail or {}).get("findings", [])],
                "prompt": (r.detail or {}).get("prompt"),
                "answer": (r.detail or {}).get("answer"),
            }
            for r in report.findings(findings)
        ],
    }


def record_gate(store: Store, report: RunReport, now: datetime | None = None) -> list[EvidenceRow]:
    """One ``redteam_gate`` evidence row per workload of the run: ok when all its families PASS."""
    now = now or datetime.now(UTC)
    per: dict[str | None, list[FamilyResult]] = defaultdict(list)
    for f in report.families:
        per[f.workload].append(f)
    rows = []
    for workload, families in per.items():
        verdict = overall(f.gate for f in families)
        failing = [f.family for f in families if f.gate.verdict is not Verdict.PASS]
        summary = f"red-team gate {verdict.value} on {len(families)} families" + (
            f" (not PASS: {', '.join(failing)})" if failing else ""
        )
        row = EvidenceRow(
            kind=EVIDENCE_KIND,
            ts=now,
            source=f"modelswap redteam gate (run {report.run_id})",
            ok=verdict is Verdict.PASS,
            workload=workload,
            figures={
                "summary": summary,
                "verdict": verdict.value,
                "run_id": report.run_id,
                "families": {f.family: f.gate.verdict.value for f in families},
            },
        )
        record_evidence(store, row)
        rows.append(row)
    return rows


def families_by_workload(results: Sequence[FamilyResult]) -> dict[str | None, list[FamilyResult]]:
    """Results grouped by workload, in order."""
    out: dict[str | None, list[FamilyResult]] = defaultdict(list)
    for r in results:
        out[r.workload].append(r)
    return dict(out)
