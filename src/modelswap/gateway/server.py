"""Assembling a gateway replica from a migration file and running it on uvicorn."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable

from modelswap.config import Migration
from modelswap.gateway.app import GatewayApp
from modelswap.gateway.arms import Arms, SimUrls, needs_embedded_sim
from modelswap.gateway.http_protocol import HttpProtocol
from modelswap.gateway.recorder import Recorder
from modelswap.gateway.routes import RoutingTable
from modelswap.providers.http import HttpPool
from modelswap.store import Store, open_store

log = logging.getLogger("modelswap.gateway")


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _nightly_hooks(
    migration: Migration, store: Store
) -> tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]:
    """Start and stop the nightly eval schedule with the gateway (``nightly.enabled``)."""
    import asyncio

    from modelswap.evals.nightly import NightlySchedule, run_nightly_forever

    n = migration.nightly
    schedule = NightlySchedule(
        at=n.at, timezone=n.timezone, workloads=n.workloads, arms=n.endpoints, concurrency=n.concurrency
    )
    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        tasks.append(asyncio.create_task(run_nightly_forever(migration, store, schedule=schedule), name="nightly"))
        log.info("nightly eval scheduled at %s %s", n.at, n.timezone)

    async def stop() -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    return start, stop


def build_gateway(
    migration: Migration,
    *,
    store: Store | None = None,
    sim_port: int | None = None,
    replica_id: str | None = None,
    poll_interval_s: float = 0.2,
    flush_interval_s: float = 0.25,
    admin_token: str | None = None,
) -> GatewayApp:
    """A ready-to-serve ASGI app; starts an embedded simulator in its lifespan when needed."""
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
    arms = Arms(migration, HttpPool(), sim_urls)
    mirror = {w.name: w.rollout.mirror_old_when_full for w in migration.workloads}
    routes = RoutingTable(store, [w.name for w in migration.workloads], mirror)
    g = migration.gateway
    recorder = Recorder(
        store, g.record_bodies, flush_interval_s=flush_interval_s, max_pending=g.record_queue, stall_s=g.record_stall_s
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


def serve(
    migration: Migration, *, host: str | None = None, port: int | None = None, log_level: str = "warning"
) -> None:
    """Run one gateway replica until SIGINT/SIGTERM; a graceful stop flushes every record."""
    import uvicorn

    app = build_gateway(migration)
    config = uvicorn.Config(
        app,
        host=host or migration.gateway.host,
        port=port if port is not None else migration.gateway.port,
        loop="uvloop",
        http=HttpProtocol,
        ws="none",
        lifespan="on",
        access_log=False,
        proxy_headers=False,  # the gateway never reads the client address; skip the middleware
        log_level=log_level,
        timeout_graceful_shutdown=30,
        server_header=False,
        date_header=False,
    )
    uvicorn.Server(config).run()
