"""Keeping the old model deployable after 100 %: lifecycle checks and health probes.

* ``lifecycle_issues`` (pure): a target model already retired is a problem (``modelswap check``
  fails); an old model the catalog says retires before the retention window ends is a warning.
* ``probe_old``: for each workload at 100 % and still inside ``rollout.retain_old_days``, ask the
  old model its golden set afresh (no cached answers) and record a ``retention_probe``: healthy
  when every call was answered. The plan's item 12 reads these; a failing one shows there.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from modelswap.catalog.deprecations import lifecycle_messages
from modelswap.catalog.models import default_catalog
from modelswap.config import Migration
from modelswap.rollout import flag
from modelswap.store import EvidenceRow, Store, record_evidence
from modelswap.store.summaries import pass_counts

TARGETS = ("new",)
"""Endpoints a migration moves traffic to."""


def lifecycle_issues(migration: Migration, today: date) -> tuple[list[str], list[str]]:
    """(problems, warnings): a retired target, an old model retiring inside the retention window."""
    catalog = default_catalog()
    problems, warnings = [], []
    for name in TARGETS:
        endpoint = migration.endpoints[name]
        info = catalog.lookup(endpoint.model)
        if info is not None and info.retires is not None and info.retires <= today:
            (message,) = lifecycle_messages(info, today, 0, requested=endpoint.model)
            problems.append(f"endpoints.{name}.model: the migration's target is retired: {message}")
    old = migration.endpoints["old"]
    info = catalog.lookup(old.model)
    window = max((w.rollout.retain_old_days for w in migration.workloads), default=0)
    if info is not None and info.retires is not None and today < info.retires < today + timedelta(days=window):
        warnings.append(
            f"endpoints.old.model: {old.model!r} retires on {info.retires.isoformat()}, before the "
            f"{window:g}-day retention window ends: the rollback target disappears with it"
        )
    return problems, warnings


async def probe_old(
    migration: Migration, store: Store, *, at: datetime | None = None, concurrency: int = 16
) -> list[EvidenceRow]:
    """Probe the old model for every workload at 100 % within its retention window; record and return."""
    from modelswap.evals.workloads import run_workloads

    now = at or datetime.now(UTC)
    due = list(due_workloads(migration, store))
    if not due:
        return []
    batch = await run_workloads(migration, store, workloads=due, arms=["old"], fresh=True, concurrency=concurrency)
    found: list[tuple[str, bool, dict[str, object]]] = []
    for s in batch.summaries:
        counts = pass_counts(store, s.run_id).get("old")
        summary = f"old model answered {s.answered - s.errors} of {s.answered} golden cases" + (
            f", passed {counts.passed}" if counts else ""
        )
        healthy = s.status == "finished" and s.errors == 0
        found.append((s.workload, healthy, {"summary": summary, "run_id": s.run_id, "errors": s.errors}))
    found += [(k.workload, False, {"summary": f"not probed: {k.reason}"}) for k in (*batch.skipped, *batch.failed)]
    rows = [
        EvidenceRow(kind="retention_probe", ts=now, source="modelswap rollout probe", ok=ok, workload=w, figures=f)
        for w, ok, f in found
    ]
    for row in rows:
        record_evidence(store, row)
    return rows


def due_workloads(migration: Migration, store: Store) -> list[str]:
    """Workloads whose old model should be probed now (at 100 %, not rolled back)."""
    states = flag.states(store, [w.name for w in migration.workloads])
    return [n for n, s in states.items() if s.stage == "full" and not s.rollback]
