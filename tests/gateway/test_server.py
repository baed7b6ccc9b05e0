"""``modelswap serve`` runs the nightly eval on its schedule when the migration file enables it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import uvicorn

from modelswap.config import load_migration
from modelswap.gateway.server import build_gateway, free_port
from modelswap.starter import write_starter


async def _serve_briefly(config: Path) -> set[str]:
    migration = load_migration(config)
    app = build_gateway(migration)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="error"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    names = {t.get_name() for t in asyncio.all_tasks()}
    server.should_exit = True
    await task
    assert not any(t.get_name() == "nightly" and not t.done() for t in asyncio.all_tasks())
    return names


async def test_nightly_schedule_starts_and_stops_with_the_gateway(tmp_path: Path) -> None:
    write_starter(tmp_path)
    config = tmp_path / "migration.yaml"
    assert "nightly" not in await _serve_briefly(config)
    config.write_text(config.read_text().replace("  enabled: false", "  enabled: true"))
    assert "nightly" in await _serve_briefly(config)
