"""``modelswap demo``: a sample migration run end to end on simulated vendors.

It writes a migration (three workloads; the new model is weaker at one of them),
starts the gateway with an embedded simulator on loopback, replays traffic in shadow
mode, opens a 10 % canary, rehearses the rollback flag, and reports what the store
recorded: traffic, old-vs-new agreement on shadow pairs, latency and cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from modelswap.config import Migration, load_migration
from modelswap.gateway.server import build_gateway, free_port
from modelswap.rollout import flag
from modelswap.sim import TrafficSpec, TrafficSummary, run_traffic
from modelswap.starter import render
from modelswap.store import RecordedPair, RequestRow, Store, open_store

REGRESSING = "extraction"
MIX = {"ticket-triage": 0.4, "extraction": 0.3, "order-tools": 0.3}


@dataclass(slots=True)
class WorkloadReport:
    """What the store holds for one workload after the demo."""

    name: str
    requests: int = 0
    served_new: int = 0
    pairs: int = 0
    agree: int = 0
    latency_old: list[float] = field(default_factory=list)
    latency_new: list[float] = field(default_factory=list)
    cost_old: list[float] = field(default_factory=list)
    cost_new: list[float] = field(default_factory=list)

    @property
    def agreement(self) -> float | None:
        return self.agree / self.pairs if self.pairs else None


@dataclass(slots=True)
class DemoResult:
    directory: Path
    migration: Path
    store_url: str
    base_url: str
    traffic: list[tuple[str, TrafficSummary]]
    rollback_served_old: bool
    reports: list[WorkloadReport]


def write_demo_migration(directory: Path, time_scale: float = 0.05) -> Path:
    """The starter migration, tuned for the demo: faster clock, one regressing workload."""
    text = render()
    text = text.replace("  time_scale: 1.0 ", f"  time_scale: {time_scale:g} ")
    text = text.replace(
        "  # models:                     # per-model overrides, e.g. make the new model weaker at extraction\n"
        "  #   gpt-5: {quality: {extraction: 0.80}}",
        "  models:                       # the demo's new model is weaker at extraction: the gates must catch it\n"
        "    gpt-5: {quality: {extraction: 0.80}}",
    )
    directory.mkdir(parents=True, exist_ok=True)
    from modelswap.starter import write_starter

    write_starter(directory, force=True)
    target = directory / "migration.yaml"
    target.write_text(text, encoding="utf-8")
    db = directory / "modelswap.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return target


@contextlib.asynccontextmanager
async def running_gateway(migration: Migration, store: Store, port: int) -> AsyncIterator[str]:
    """Serve the gateway on loopback for the duration of the block."""
    app = build_gateway(migration, store=store)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_level="error", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the gateway stopped during start-up")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        await task


def _text(body: dict[str, Any] | None) -> str:
    if not body:
        return ""
    if "choices" in body:
        message = (body["choices"] or [{}])[0].get("message") or {}
        calls = [(c["function"]["name"], c["function"]["arguments"]) for c in message.get("tool_calls") or []]
        return (message.get("content") or "") + repr(calls)
    calls = [(c["name"], c["arguments"]) for c in body.get("tool_calls") or []]
    return str(body.get("content", "")) + repr(calls)


def summarise(store: Store, migration: Migration) -> list[WorkloadReport]:
    """Per-workload figures from the records and shadow pairs in the store."""
    reports = []
    for w in migration.workloads:
        rep = WorkloadReport(w.name)
        rows: list[RequestRow] = store.recent_requests(w.name, limit=100_000)
        for r in rows:
            rep.requests += 1
            rep.served_new += r.arm == "new"
            (rep.latency_new if r.arm == "new" else rep.latency_old).append(r.latency_ms)
            if r.cost_usd is not None:
                (rep.cost_new if r.arm == "new" else rep.cost_old).append(r.cost_usd)
        pairs: list[RecordedPair] = store.shadow_pairs_for_workload(w.name, limit=100_000)
        for p in pairs:
            if p.shadow.status != 200 or p.request.status != 200:
                continue
            rep.pairs += 1
            rep.agree += _text(p.request.response_body) == _text(p.shadow.response_body)
            if p.shadow.latency_ms is not None:
                (rep.latency_new if p.shadow.arm == "new" else rep.latency_old).append(p.shadow.latency_ms)
            if p.shadow.cost_usd is not None:
                (rep.cost_new if p.shadow.arm == "new" else rep.cost_old).append(p.shadow.cost_usd)
        reports.append(rep)
    return reports


def p95(values: list[float]) -> float | None:
    return statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) >= 2 else None


async def run_demo(
    directory: Path,
    *,
    requests: int = 400,
    rate: float = 80.0,
    time_scale: float = 0.05,
    progress: Callable[[str], None] = lambda _: None,
) -> DemoResult:
    """Run the demo migration and return what it recorded."""
    path = write_demo_migration(directory, time_scale)
    migration = load_migration(path)
    store = open_store(migration.store)
    traffic: list[tuple[str, TrafficSummary]] = []
    try:
        async with running_gateway(migration, store, free_port()) as base_url:
            spec = TrafficSpec(mix=MIX, rate=rate, count=requests, stream_fraction=0.2, users=200, seed=1)
            progress(f"shadow: replaying {requests} requests (both models answer, only the old one serves)")
            traffic.append(("shadow", await run_traffic(base_url, spec)))
            progress("canary: ticket-triage at 10 % on the new model")
            await asyncio.to_thread(flag.set_stage, store, "ticket-triage", "split", 10, "demo", "canary")
            await asyncio.sleep(0.5)
            traffic.append(("canary 10 %", await run_traffic(base_url, spec.model_copy(update={"seed": 2}))))
            progress("rollback drill: one flag, every workload back on the old model")
            names = [w.name for w in migration.workloads]
            await asyncio.to_thread(flag.rollback, store, names, "demo", "rollback drill")
            await asyncio.sleep(0.5)
            small = spec.model_copy(update={"seed": 3, "count": max(20, requests // 10)})
            before = await asyncio.to_thread(_served_new_count, store, names)
            traffic.append(("rolled back", await run_traffic(base_url, small)))
            await asyncio.sleep(0.5)
            served_old = await asyncio.to_thread(_served_new_count, store, names) == before
            await asyncio.to_thread(flag.undo_rollback, store, names, "demo", "drill over")
        reports = summarise(store, migration)
    finally:
        store.close()
    return DemoResult(directory, path, migration.store, "", traffic, served_old, reports)


def _served_new_count(store: Store, names: list[str]) -> int:
    return sum(1 for n in names for r in store.recent_requests(n, limit=100_000) if r.arm == "new")
