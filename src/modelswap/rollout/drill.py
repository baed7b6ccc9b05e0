"""The rollback drill: flip the flag under live traffic, time it on every replica, flip it back.

Each replica reports the routing state it serves with in ``/metrics``
(``modelswap_rollback_active{workload=...}``), straight from the in-memory table every request
reads. The drill sets the rollback flag in the store, polls every replica until all of them
serve the old model, undoes it, polls until all serve as before, and records the two times as
``rollback_drill`` evidence; ``ok`` says whether both met the target (1 s by default). The plan's
item 11 ticks from a drill that met it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from prometheus_client.parser import text_string_to_metric_families

from modelswap.rollout import flag
from modelswap.store import EvidenceRow, Store, record_evidence

TARGET_S = 1.0
"""How fast every replica must obey the flag (DESIGN: within a second)."""
POLL_S = 0.01


class DrillError(RuntimeError):
    """The drill could not run (a replica unreachable, nothing to flip); nothing is left flipped."""


@dataclass(frozen=True)
class DrillResult:
    """How long every replica took to serve the old model, and to come back."""

    workloads: tuple[str, ...]
    replicas: tuple[str, ...]
    to_old_s: float
    back_s: float
    target_s: float

    @property
    def met(self) -> bool:
        return self.to_old_s <= self.target_s and self.back_s <= self.target_s

    @property
    def summary(self) -> str:
        verdict = "met" if self.met else "MISSED"
        return (
            f"{len(self.replicas)} replica(s) on the old model in {self.to_old_s:.2f} s and back in "
            f"{self.back_s:.2f} s (target {self.target_s:g} s: {verdict})"
        )


def rolled_back_on(metrics_text: str) -> dict[str, bool]:
    """Per workload, whether a replica's ``/metrics`` says it serves the old model only."""
    found = {}
    for family in text_string_to_metric_families(metrics_text):
        if family.name == "modelswap_rollback_active":
            for s in family.samples:
                found[s.labels.get("workload", "")] = s.value >= 1
    return found


async def _all_show(
    client: httpx.AsyncClient, replicas: Sequence[str], workloads: Sequence[str], rolled: bool, timeout_s: float
) -> float:
    """Seconds until every replica shows ``rolled`` for every workload (raises past ``timeout_s``)."""
    start = time.monotonic()
    pending = set(replicas)
    while pending:
        for url in list(pending):
            r = await client.get(f"{url.rstrip('/')}/metrics")
            r.raise_for_status()
            state = rolled_back_on(r.text)
            if all(state.get(w) is rolled for w in workloads):
                pending.discard(url)
        if pending:
            if time.monotonic() - start > timeout_s:
                raise DrillError(
                    f"{len(pending)} replica(s) still not obeying after {timeout_s:g} s: {sorted(pending)}"
                )
            await asyncio.sleep(POLL_S)
    return time.monotonic() - start


async def run_drill(
    store: Store,
    workloads: Sequence[str],
    replicas: Sequence[str],
    actor: str,
    *,
    metrics_token: str | None = None,
    target_s: float = TARGET_S,
    timeout_s: float = 30.0,
    at: datetime | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> DrillResult:
    """Flip, time, flip back, record. Workloads already rolled back are left alone."""
    if not replicas:
        raise DrillError("name at least one replica (the gateway's base URL)")
    states = await asyncio.to_thread(flag.states, store, workloads)
    names = tuple(w for w in workloads if not states[w].rollback)
    if not names:
        raise DrillError("every workload named is already rolled back: nothing to drill")
    headers = {"authorization": f"Bearer {metrics_token}"} if metrics_token else {}
    async with httpx.AsyncClient(headers=headers, timeout=5.0, transport=transport) as client:
        try:
            await _all_show(client, replicas, names, False, timeout_s)
        except httpx.HTTPError as exc:
            raise DrillError(f"a replica did not answer /metrics: {exc}") from None
        await asyncio.to_thread(flag.rollback, store, names, actor, "rollback drill", at=at)
        try:
            to_old = await _all_show(client, replicas, names, True, timeout_s)
        finally:
            await asyncio.to_thread(flag.undo_rollback, store, names, actor, "rollback drill over", at=at)
        back = await _all_show(client, replicas, names, False, timeout_s)
    result = DrillResult(names, tuple(replicas), to_old, back, target_s)
    figures = {
        "summary": result.summary,
        "replicas": len(replicas),
        "to_old_s": round(to_old, 4),
        "back_s": round(back, 4),
        "target_s": target_s,
        "met": result.met,
        "workloads": list(names),
    }
    stamp = at or datetime.now(UTC)
    for name in names:
        row = EvidenceRow(
            kind="rollback_drill",
            ts=stamp,
            source=f"modelswap rollout drill ({actor})",
            ok=result.met,
            workload=name,
            figures=figures,
        )
        await asyncio.to_thread(record_evidence, store, row)
    return result
