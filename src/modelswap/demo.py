"""``modelswap demo``: a sample migration run end to end on simulated vendors.

It writes a migration (three workloads; the new model is weaker at one of them),
starts the gateway and console with an embedded simulator on loopback, and runs the
process on a compressed clock: golden-set evals and baselines (week 1), shadow traffic
and a week of nightly scoring (weeks 2–3), then week 4: a timed rollback drill under live
traffic, and the rollout controller on a stepped clock (``demo_cutover``) taking each
workload through canary 1 %, 10 %, 50 % and 100 %, or rolling it back when a trigger fires,
then the retention window with daily health probes of the old model.
It reports what the store recorded and the gate verdicts; the console shows the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import statistics
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn

from modelswap.config import Migration, load_migration
from modelswap.console.data import answer_text
from modelswap.demo_cutover import CutoverResult, cutover_start, run_cutover
from modelswap.evals.baseline import take_baseline
from modelswap.evals.batch import run_workloads
from modelswap.evals.gating import WorkloadGates, judge_workloads
from modelswap.gateway.server import free_port
from modelswap.redteam.demo import demo_redteam, summary_line, weaken
from modelswap.review.demo_verdicts import simulate_review
from modelswap.rollout.drill import DrillResult, run_drill
from modelswap.serving import build_gateway
from modelswap.sim import TrafficSpec, TrafficSummary, run_traffic
from modelswap.starter import write_starter
from modelswap.store import RecordedPair, RequestRow, Store, create_session, open_store

REGRESSING = "extraction"
EVAL_CONCURRENCY = 128
LOGIN_LINK_MINUTES = 15
"""How long each console login link the demo prints works (once)."""
MIX = {"ticket-triage": 0.4, "extraction": 0.3, "order-tools": 0.3}
DEMO_WORSE = {"ticket-triage": 0.02, REGRESSING: 0.4, "order-tools": 0.03}
"""The simulated reviewers' chance of finding the new answer worse on a differing pair."""


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
    """What the demo did and what the store holds afterwards."""

    directory: Path
    migration: Path
    store_url: str
    console_url: str
    traffic: list[tuple[str, TrafficSummary]]
    drill: DrillResult
    cutover: CutoverResult
    reports: list[WorkloadReport]
    gates: list[WorkloadGates]
    time_scale: float = 1.0
    """The simulator's clock speed-up: latencies are wall-clock times of calls this many times shorter."""


def write_demo_migration(directory: Path, time_scale: float = 0.05) -> Path:
    """The starter migration, tuned for the demo: faster clock, one regressing workload."""
    written = write_starter(directory, force=True)
    target, new_model = written.migration, written.picks[-1].model
    text = target.read_text(encoding="utf-8").replace("  time_scale: 1.0 ", f"  time_scale: {time_scale:g} ")
    text = text.replace(
        "  # models:                     # per-model overrides, e.g. make the new model weaker at extraction\n"
        f"  #   {new_model}: {{quality: {{extraction: 0.80}}}}",
        "  models:                       # the demo's new model is weaker at extraction: the gates must catch it\n"
        f"    {new_model}: {{quality: {weaken('{extraction: 0.60}')}}}",
    )
    text = text.replace(
        "  canary: {share: 1, hold_hours: 48}\n",
        "  canary: {share: 1, hold_hours: 48}\n"
        "  min_requests_per_arm: 3       # the demo's traffic is small: 1 % of it is a handful of requests\n",
    )
    text = text.replace(
        "      - {metric: p95_latency, max_ratio: 1.5}\n",
        "      - {metric: p95_latency, max_ratio: 1.5}\n"
        "      - {metric: feedback, max_increase_points: 5, min_samples: 30}   # users' ratings of the answers\n",
    )
    target.write_text(text, encoding="utf-8")
    for suffix in ("", "-wal", "-shm"):
        (directory / f"modelswap.db{suffix}").unlink(missing_ok=True)
    return target


@dataclass(slots=True)
class RunningGateway:
    """A gateway served in this process: its OpenAI base URL and the task serving it."""

    url: str
    task: asyncio.Task[None]


@contextlib.asynccontextmanager
async def running_gateway(
    migration: Migration, store: Store, port: int, admin_token: str | None = None
) -> AsyncIterator[RunningGateway]:
    """Serve the gateway (and its console) on loopback for the duration of the block."""
    app = build_gateway(migration, store=store, admin_token=admin_token)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_level="error", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the gateway stopped during start-up")
        await asyncio.sleep(0.02)
    try:
        yield RunningGateway(f"http://127.0.0.1:{port}/v1", task)
    finally:
        server.should_exit = True
        await task


def summarise(store: Store, migration: Migration) -> list[WorkloadReport]:
    """Per-workload figures from the records and shadow pairs in the store."""
    reports = []
    for w in migration.workloads:
        rep = WorkloadReport(w.name)
        rows: list[RequestRow] = store.requests.recent(w.name, limit=100_000)
        for r in rows:
            rep.requests += 1
            rep.served_new += r.arm == "new"
            (rep.latency_new if r.arm == "new" else rep.latency_old).append(r.latency_ms)
            if r.cost_usd is not None:
                (rep.cost_new if r.arm == "new" else rep.cost_old).append(r.cost_usd)
        pairs: list[RecordedPair] = store.requests.shadow_pairs(w.name, limit=100_000)
        for p in pairs:
            if p.shadow.status != 200 or p.request.status != 200:
                continue
            rep.pairs += 1
            rep.agree += answer_text(p.request.response_body) == answer_text(p.shadow.response_body)
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
    time_scale: float = 0.02,
    nights: int = 7,
    cutover_per_round: int = 160,
    port: int | None = None,
    admin_token: str | None = None,
    serve: bool = False,
    progress: Callable[[str], None] = lambda _: None,
    on_result: Callable[[DemoResult], None] = lambda _: None,
    command: str = "modelswap",
) -> DemoResult:
    """Run the demo migration and return what it recorded; with ``serve``, keep the gateway and
    console up until cancelled."""
    path = write_demo_migration(directory, time_scale)
    migration = load_migration(path)
    store = open_store(migration.store)
    token = admin_token or secrets.token_urlsafe(32)
    port = port or free_port()
    traffic: list[tuple[str, TrafficSummary]] = []
    names = [w.name for w in migration.workloads]
    try:
        async with running_gateway(migration, store, port, token) as gateway:
            base_url = gateway.url
            console = await asyncio.to_thread(login_link, store, port)
            progress(f"console (a one-time login link, valid {LOGIN_LINK_MINUTES} min): {console}")
            progress("week 1 · baseline: every golden set on the old and the new model")
            await run_workloads(migration, store, arms=["old", "new"], concurrency=EVAL_CONCURRENCY)
            for name in names:
                await asyncio.to_thread(take_baseline, store, name)
            spec = TrafficSpec(mix=MIX, rate=rate, count=requests, stream_fraction=0.2, users=200, seed=1)
            progress(f"weeks 2–3 · shadow: {requests} requests, both models answer, only the old one serves")
            traffic.append(("shadow", await run_traffic(base_url, spec)))
            progress(f"weeks 2–3 · nightly scoring on a compressed clock: {nights} nights")
            today = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0)
            for k in range(nights, 0, -1):
                await run_workloads(
                    migration, store, arms=["old", "new"], nightly=True, started_at=today - timedelta(days=k)
                )
            progress("weeks 2–3 · red-team: every probe family on each workload, old vs new")
            progress(summary_line((await demo_redteam(migration, store))[1]))
            progress("weeks 2–3 · human review: a weighted sample of shadow pairs, SIMULATED reviewer verdicts")
            await asyncio.to_thread(simulate_review, store, names, datetime.now(UTC), worse_chance=DEMO_WORSE)
            week4 = cutover_start(migration)  # the stepped clock's weeks 4–8 end before today
            progress("week 4 · rollback drill: one flag, every workload on the old model and back, under live traffic")
            live = asyncio.create_task(
                run_traffic(base_url, spec.model_copy(update={"seed": 2, "count": requests // 2}))
            )
            drill = await run_drill(store, names, [base_url.removesuffix("/v1")], "demo", at=week4 - timedelta(hours=1))
            traffic.append(("during the drill", await live))
            progress(f"  {drill.summary}")
            progress(
                "week 4 · cutover: the controller runs canary 1 % 48 h → 10 % 24 h → 50 % 24 h → 100 % on a stepped "
                f"clock from {week4:%Y-%m-%d} (the demo starts every canary, extraction's too despite its failed "
                "gate, to show a live trigger)"
            )
            cutover = await run_cutover(
                migration, store, base_url, MIX, per_round=cutover_per_round, start=week4, progress=progress
            )
            progress(f"weeks 5–8 · retention: {retention_line(cutover)}")
            reports = await asyncio.to_thread(summarise, store, migration)
            gates = await asyncio.to_thread(judge_workloads, migration, store)
            result = DemoResult(
                directory, path, migration.store, console, traffic, drill, cutover, reports, gates, time_scale
            )
            on_result(result)
            if serve:
                fresh = await asyncio.to_thread(login_link, store, port)
                progress(
                    f"serving: gateway http://127.0.0.1:{port}/v1 · console {fresh} (one-time link, valid "
                    f"{LOGIN_LINK_MINUTES} min; `{command} console-link -c {path}` makes another) · Ctrl-C stops"
                )
                await gateway.task  # until Ctrl-C / SIGTERM stops the server
    finally:
        store.close()
    return result


def retention_line(cutover: CutoverResult) -> str:
    """``the old model probed daily for 31 days after 100 % (62 probes): all healthy`` and the like."""
    probes = cutover.probes
    if not probes:
        return "no workload reached 100 %: nothing to keep deployable"
    days = (probes[-1].ts - probes[0].ts).days + 1
    sick = [p for p in probes if not p.ok]
    health = "all healthy" if not sick else f"{len(sick)} failed ({', '.join(sorted({str(p.workload) for p in sick}))})"
    return f"the old model probed daily for {days} days after 100 % ({len(probes)} probes): {health}"


def login_link(store: Store, port: int) -> str:
    """A one-time console login link for the demo's gateway (the admin token never goes in a URL)."""
    link = create_session(store, "login_link", "demo", timedelta(minutes=LOGIN_LINK_MINUTES))
    return f"http://127.0.0.1:{port}/console/login?link={link}"
