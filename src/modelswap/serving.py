"""The whole service one replica serves: the gateway with the console mounted beside the admin API, run on uvicorn.

This is the composition root above ``gateway/`` and ``console/`` (neither imports the other's app):
it builds the gateway, mounts the console at ``/console`` in the gateway's route table, and serves it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from modelswap.config import Migration
from modelswap.console.app import Console
from modelswap.gateway.app import GatewayApp
from modelswap.gateway.http_protocol import HttpProtocol
from modelswap.gateway.server import assemble_gateway, limits_of, raise_file_limit, settle_cut_requests
from modelswap.gateway.startcheck import require_safe_start
from modelswap.store import Store

log = logging.getLogger("modelswap.gateway")


def build_gateway(
    migration: Migration,
    *,
    store: Store | None = None,
    sim_port: int | None = None,
    replica_id: str | None = None,
    poll_interval_s: float = 0.2,
    flush_interval_s: float = 0.25,
    admin_token: str | None = None,
    rollout_controller: bool = False,
) -> GatewayApp:
    """A ready-to-serve gateway with the console at ``/console``; starts an embedded simulator in its
    lifespan when needed, and the rollout controller with ``rollout_controller`` (``modelswap serve``)."""
    app = assemble_gateway(
        migration,
        store=store,
        sim_port=sim_port,
        replica_id=replica_id,
        poll_interval_s=poll_interval_s,
        flush_interval_s=flush_interval_s,
        admin_token=admin_token,
    )
    app.mount("/console", Console(migration, app.routes, app.admin_token, app.guard))
    if rollout_controller:
        _run_controller(app, migration)
    return app


def _run_controller(app: GatewayApp, migration: Migration) -> None:
    """The rollout controller and the daily retention probe in the gateway's lifespan; among replicas
    on one store, the lock holders lead."""
    import asyncio

    from modelswap.rollout.readiness import live_controller
    from modelswap.rollout.retention import probe_daily

    controller = live_controller(migration, app.routes.store)
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        tasks.append(asyncio.create_task(controller.run(stop), name="rollout-controller"))
        tasks.append(asyncio.create_task(probe_daily(migration, controller.store, stop), name="retention-probe"))

    async def halt() -> None:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    app.add_lifespan(start, halt)


def serve(
    migration: Migration,
    *,
    host: str | None = None,
    port: int | None = None,
    log_level: str = "warning",
    insecure: bool = False,
    warn: Callable[[str], object] = log.warning,
) -> None:
    """Run one gateway replica until SIGINT/SIGTERM. A graceful stop refuses new connections, gives
    requests in flight ``gateway.shutdown_grace_s`` to finish, cuts the rest (503, recorded as
    ``shutdown``), then flushes every record.

    Raises ``UnsafeStart`` before binding anything when ``startcheck`` refuses the set-up."""
    import uvicorn

    for warning in require_safe_start(migration, host or migration.gateway.host, insecure=insecure):
        warn(warning)
    g = migration.gateway
    slowest = max(e.timeouts(migration.upstream)[1] for e in migration.endpoints.values())
    if g.shutdown_grace_s < slowest:
        log.warning(
            "gateway.shutdown_grace_s (%d s) is shorter than the slowest endpoint's first_byte_timeout_s (%g s): "
            "a graceful stop may cut requests that would have been answered",
            g.shutdown_grace_s,
            slowest,
        )
    raise_file_limit(migration)
    app = build_gateway(migration, rollout_controller=True)
    config = uvicorn.Config(
        app,
        host=host or g.host,
        port=port if port is not None else g.port,
        loop="uvloop",
        http=HttpProtocol.with_limits(limits_of(migration)),
        ws="none",
        lifespan="on",
        access_log=False,
        proxy_headers=False,  # the gateway never reads the client address; skip the middleware
        log_level=log_level,
        timeout_keep_alive=g.keep_alive_s,
        timeout_graceful_shutdown=g.shutdown_grace_s,
        server_header=False,
        date_header=False,
    )
    server = uvicorn.Server(config)
    app.before_shutdown.append(lambda: settle_cut_requests(server.server_state.tasks))
    server.run()
