"""Assembling a gateway replica from a migration file, and the pieces ``modelswap.serving`` runs it on uvicorn with."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from modelswap.config import Migration
from modelswap.gateway.app import GatewayApp
from modelswap.gateway.http_protocol import Limits
from modelswap.gateway.recorder import Recorder
from modelswap.providers.wiring import PooledArms, SimUrls, needs_embedded_sim, pool_of
from modelswap.rollout.table import RoutingTable
from modelswap.store import Store, open_store

log = logging.getLogger("modelswap.gateway")

_SETTLE_S = 5.0
"""After the grace, how long the cut requests get to record themselves and send their 503s."""
_SPARE_FILES = 256
"""File descriptors beyond two per client connection: the store, logs, the shadow pool, the listener."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def nightly_schedule(migration: Migration, store: Store, **clock: Any) -> Coroutine[Any, Any, None]:
    """The nightly eval schedule ``modelswap serve`` runs (``nightly:`` of the migration file): a routed
    workload's ``new`` arm answers as its cascade, asked afresh each night. ``clock``: ``now``, ``sleep``
    and ``on_night`` of ``run_nightly_forever`` (tests run a night on a fake clock)."""
    from modelswap.evals.nightly import NightlySchedule, run_nightly_forever
    from modelswap.routing.eval_arm import RoutedArms

    n = migration.nightly
    schedule = NightlySchedule(
        at=n.at, timezone=n.timezone, workloads=n.workloads, arms=n.endpoints, concurrency=n.concurrency
    )
    return run_nightly_forever(migration, store, schedule=schedule, arms_for=RoutedArms.of(migration), **clock)


def _nightly_hooks(
    migration: Migration, store: Store
) -> tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]:
    """Start and stop the nightly eval schedule with the gateway (``nightly.enabled``)."""
    n = migration.nightly
    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        tasks.append(asyncio.create_task(nightly_schedule(migration, store), name="nightly"))
        log.info("nightly eval scheduled at %s %s", n.at, n.timezone)

    async def stop() -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    return start, stop


def assemble_gateway(
    migration: Migration,
    *,
    store: Store | None = None,
    sim_port: int | None = None,
    replica_id: str | None = None,
    poll_interval_s: float = 0.2,
    flush_interval_s: float = 0.25,
    admin_token: str | None = None,
) -> GatewayApp:
    """A ready-to-serve gateway ASGI app (without the console: see ``modelswap.serving``); starts an
    embedded simulator in its lifespan when needed."""
    store = store or open_store(migration.store)
    startup: list[Callable[[], Awaitable[None]]] = []
    shutdown: list[Callable[[], Awaitable[None]]] = []
    sim_urls = None
    if needs_embedded_sim(migration):
        port = sim_port or free_port()
        sim_urls = SimUrls(f"http://127.0.0.1:{port}/v1", f"http://127.0.0.1:{port}")
        running: list[object] = []

        async def start_sim() -> None:
            from modelswap.sim import start_sim as start

            running.append(await start(migration.simulator.sim_config(), port=port))

        async def stop_sim() -> None:
            for sim in running:
                await sim.stop()  # type: ignore[attr-defined]

        startup.append(start_sim)
        shutdown.append(stop_sim)
    if migration.nightly.enabled:
        startup_nightly, shutdown_nightly = _nightly_hooks(migration, store)
        startup.append(startup_nightly)
        shutdown.append(shutdown_nightly)
    arms = PooledArms(migration, pool_of(migration), sim_urls)
    mirror = {w.name: w.rollout.mirror_old_when_full for w in migration.workloads}
    routes = RoutingTable(store, [w.name for w in migration.workloads], mirror)
    g = migration.gateway
    recorder = Recorder(
        store,
        g.record_bodies,
        flush_interval_s=flush_interval_s,
        max_pending=g.record_queue,
        stall_s=g.record_stall_s,
        redact_in_worker=g.record_bodies != "none",
    )
    return GatewayApp(
        migration,
        arms,
        routes,
        recorder,
        replica_id=replica_id or f"{socket.gethostname()}-{os.getpid()}",
        poll_interval_s=poll_interval_s,
        on_startup=startup,
        on_shutdown=shutdown,
        admin_token=admin_token,
    )


def limits_of(migration: Migration) -> Limits:
    """The client-connection limits of ``migration.gateway`` for the server protocol."""
    g = migration.gateway
    return Limits(
        header_timeout_s=g.header_timeout_s, body_timeout_s=g.body_timeout_s, max_connections=g.max_connections
    )


async def settle_cut_requests(tasks: set[asyncio.Task[None]], timeout_s: float = _SETTLE_S) -> None:
    """Wait until the request tasks uvicorn cancelled at the end of the grace have finished (they
    record themselves as cut), so the recorder's final flush has their records."""
    deadline = time.monotonic() + timeout_s
    while tasks and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    if tasks:
        log.warning("%d request(s) still running %.0f s after the shutdown cut them", len(tasks), timeout_s)


def raise_file_limit(migration: Migration) -> None:
    """Each client connection costs a file descriptor and usually an upstream one: make room for
    ``max_connections`` under the hard limit, and say so when it cannot."""
    try:
        import resource
    except ImportError:  # not on this platform
        return
    g = migration.gateway
    wanted = 2 * g.max_connections + g.shadow_concurrency + _SPARE_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
        if soft < wanted:
            log.warning(
                "open-file limit %d is below the %d that gateway.max_connections = %d needs; "
                "lower max_connections or raise the limit (ulimit -n)",
                soft,
                wanted,
                g.max_connections,
            )
