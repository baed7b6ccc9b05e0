"""The rollback drill against two real gateway replicas sharing a store, under live traffic."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx
import pytest

from modelswap.config import Migration, parse_migration
from modelswap.demo import running_gateway
from modelswap.gateway.server import free_port
from modelswap.rollout import flag
from modelswap.rollout.drill import DrillError, rolled_back_on, run_drill
from modelswap.store import open_store, read_evidence

YAML = """
endpoints:
  old: {provider: sim, model: gpt-4o}
  new: {provider: sim, model: gpt-5}
simulator: {time_scale: 0, error_scale: 0}
workloads:
  - name: support
gateway: {default_workload: support}
"""


@pytest.fixture
def migration(tmp_path: Path) -> Migration:
    return parse_migration(YAML, str(tmp_path / "migration.yaml"), tmp_path)


async def test_two_replicas_obey_within_a_second_and_the_drill_is_recorded(migration: Migration) -> None:
    stores = [open_store(migration.store) for _ in range(2)]
    flag.set_stage(stores[0], "support", "split", 50, "test", "canary")
    async with contextlib.AsyncExitStack() as stack:
        urls = []
        for s in stores:
            gw = await stack.enter_async_context(running_gateway(migration, s, free_port()))
            urls.append(gw.url.removesuffix("/v1"))
        stop = asyncio.Event()

        async def traffic() -> int:
            sent = 0
            async with httpx.AsyncClient(timeout=10) as client:
                while not stop.is_set():
                    for url in urls:
                        body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
                        r = await client.post(f"{url}/v1/chat/completions", json=body)
                        assert r.status_code == 200
                        sent += 1
            return sent

        live = asyncio.create_task(traffic())
        result = await run_drill(stores[0], ["support"], urls, "ana")
        stop.set()
        assert await live > 0
    for s in stores:
        s.close()
    assert result.met, result.summary
    assert 0 < result.to_old_s <= 1 and 0 < result.back_s <= 1
    with open_store(migration.store) as store:
        (evidence,) = read_evidence(store, "rollback_drill", workload="support")
        assert evidence.ok and evidence.figures["replicas"] == 2 and evidence.figures["met"] is True  # type: ignore[index]
        state = flag.states(store, ["support"])["support"]
        assert (state.stage, state.share, state.rollback) == ("split", 50, False), (
            "the drill leaves things as they were"
        )
        actions = [e.action for e in store.rollout_events("support")][:2]
        assert actions == ["undo_rollback", "rollback"]


async def test_an_unreachable_replica_stops_the_drill_before_any_flip(migration: Migration) -> None:
    with open_store(migration.store) as store:
        with pytest.raises(DrillError, match="did not answer"):
            await run_drill(store, ["support"], [f"http://127.0.0.1:{free_port()}"], "ana")
        assert store.rollout_events("support") == []


def test_metrics_text_is_read_per_workload() -> None:
    text = 'modelswap_rollback_active{workload="a"} 1.0\nmodelswap_rollback_active{workload="b"} 0.0\n'
    assert rolled_back_on(text) == {"a": True, "b": False}
