"""Split stage: a sticky share of users on the new model; the rollback flag wins within a poll."""

from __future__ import annotations

import asyncio
import time

import httpx

from modelswap.config import Migration
from modelswap.rollout import flag
from modelswap.rollout.routing import bucket
from modelswap.store import Store

from .conftest import OLD, WORKLOAD, Gateway, StartGateway

USERS = [f"user-{i}" for i in range(40)]


async def arm_of(client: httpx.AsyncClient, user: str, stream: bool = False) -> str:
    r = await client.post(
        "/v1/chat/completions",
        json={"model": OLD, "messages": [{"role": "user", "content": "hi"}], "user": user, "stream": stream},
    )
    assert r.status_code == 200, r.text
    return r.headers["x-modelswap-arm"]


async def arms(gw: Gateway) -> dict[str, str]:
    return {u: await arm_of(gw.client, u) for u in USERS}


async def test_split_is_sticky_per_user(start_gateway: StartGateway, migration: Migration, store: Store) -> None:
    flag.set_stage(store, WORKLOAD, "split", 50, "test", "canary")
    gw = await start_gateway(migration, wire=False)
    first = await arms(gw)
    assert set(first.values()) == {"old", "new"}
    assert first == {u: "new" if bucket(u, WORKLOAD) < 50 else "old" for u in USERS}
    for user in USERS[:10]:
        assert await arm_of(gw.client, user, stream=True) == first[user]
    assert await arms(gw) == first

    await gw.settle(requests=len(USERS) * 2 + 10)
    by_user: dict[str | None, set[str]] = {}
    for row in gw.requests():
        by_user.setdefault(row.sticky_key_hash, set()).add(row.arm)
    assert len(by_user) == len(USERS) and all(len(a) == 1 for a in by_user.values())
    assert gw.pairs() == [], "split does not mirror"


async def test_rollback_flag_is_obeyed_within_the_poll_interval(
    start_gateway: StartGateway, migration: Migration, store: Store
) -> None:
    flag.set_stage(store, WORKLOAD, "split", 50, "test", "canary")
    gw = await start_gateway(migration, wire=False, poll_interval_s=0.05)
    before = await arms(gw)
    on_new = [u for u, a in before.items() if a == "new"]
    assert on_new

    # written to the store by someone else (the CLI, another replica): this replica polls it
    await asyncio.to_thread(flag.rollback, store, [WORKLOAD], "alice", "p95 doubled")
    flipped = time.monotonic()
    while await arm_of(gw.client, on_new[0]) != "old":
        assert time.monotonic() - flipped < 1.0, "rollback not obeyed within a second"
        await asyncio.sleep(0.01)
    assert set((await arms(gw)).values()) == {"old"}

    await asyncio.to_thread(flag.undo_rollback, store, [WORKLOAD], "alice", "fixed")
    undone = time.monotonic()
    while await arm_of(gw.client, on_new[0]) != "new":
        assert time.monotonic() - undone < 1.0, "undo not obeyed within a second"
        await asyncio.sleep(0.01)
    assert await arms(gw) == before, "undo restores the same users on the new model"
