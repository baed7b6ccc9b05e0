"""Keeping the old model deployable after 100 %: lifecycle checks and health probes.

* ``lifecycle_issues`` (pure): a target model already retired is a problem (``modelswap check``
  fails); an old model the catalog says retires before the retention window ends is a warning.
* ``probe_old``: for each workload at 100 % and still inside ``rollout.retain_old_days``, ask the
  old model a subset of its golden set afresh (the first ``PROBE_CASES`` cases, no cached answers)
  and record a ``retention_probe``: healthy when every call was answered. The plan's item 12
  reads these; a failing one shows there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, date, datetime, timedelta

from modelswap.catalog.deprecations import lifecycle_messages
from modelswap.catalog.models import default_catalog
from modelswap.config import Migration
from modelswap.rollout import flag
from modelswap.rollout.history import serving_share
from modelswap.store import EvidenceRow, Store, read_evidence, record_evidence
from modelswap.store.locks import StoreLock
from modelswap.store.summaries import pass_counts

log = logging.getLogger("modelswap.rollout")

PROBE_CASES = 20
"""Golden cases a daily health probe asks the old model (the first ones of each set)."""
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
    migration: Migration,
    store: Store,
    *,
    at: datetime | None = None,
    concurrency: int = 16,
    cases: int | None = PROBE_CASES,
) -> list[EvidenceRow]:
    """Probe the old model for every workload at 100 % within its retention window; record and return.

    ``at`` is the moment of the probe (default: now; a compressed clock passes its own), which
    stamps the eval run and the evidence; ``cases`` bounds the golden cases asked (None: all)."""
    from modelswap.evals.batch import run_workloads

    now = at or datetime.now(UTC)
    due = due_workloads(migration, store, now)
    if not due:
        return []
    batch = await run_workloads(
        migration, store, workloads=due, arms=["old"], fresh=True, concurrency=concurrency, started_at=now, limit=cases
    )
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


def due_workloads(migration: Migration, store: Store, now: datetime | None = None) -> list[str]:
    """Workloads whose old model should be probed: at 100 %, not rolled back, inside ``retain_old_days``."""
    now = now or datetime.now(UTC)
    states = flag.states(store, [w.name for w in migration.workloads])
    due = []
    for w in migration.workloads:
        s = states[w.name]
        if s.stage != "full" or s.rollback:
            continue
        since = None  # the start of the current, uninterrupted stay at 100 %
        for e in store.rollout_events(w.name, limit=1000):  # newest first
            if not isinstance(e.to_state, dict):
                continue
            if serving_share(e.to_state) < 100:
                break
            since = e.ts
        if since is None or now - since <= timedelta(days=w.rollout.retain_old_days):
            due.append(w.name)
    return due


async def probe_daily(migration: Migration, store: Store, stop: asyncio.Event, *, every_s: float = 86_400) -> None:
    """Probe once a day while holding the store's ``retention-probe`` lock (one replica probes), until ``stop``."""
    lock = StoreLock(store, "retention-probe")
    try:
        while not stop.is_set():
            try:
                last = await asyncio.to_thread(read_evidence, store, "retention_probe")
                fresh = last and (datetime.now(UTC) - last[-1].ts).total_seconds() < every_s
                if not fresh and await asyncio.to_thread(lock.try_acquire):
                    await probe_old(migration, store)
            except Exception:
                log.exception("retention probe failed; retrying at the next round")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=min(every_s, 3600))
    finally:
        await asyncio.to_thread(lock.release)
