"""The stored sticky key is a keyed hash: not recomputable from the user id, stable per store."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
from hypothesis import given
from hypothesis import strategies as st

from modelswap.config import Migration
from modelswap.gateway.pseudonym import sticky_pseudonym
from modelswap.serving import build_gateway
from modelswap.store import STICKY_KEY_SECRET, RequestRow, Store, get_or_create_secret, open_store

from .conftest import OLD, WORKLOAD

USER = "jane.doe@example.com"


async def stored_hash(migration: Migration, store: Store) -> str | None:
    """Start a gateway on ``store``, send one request as USER, stop it; the hash it recorded."""
    app = build_gateway(migration, store=store, flush_interval_s=0.02)
    await app.startup()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            body = {"model": OLD, "messages": [{"role": "user", "content": "hi"}], "user": USER}
            assert (await client.post("/v1/chat/completions", json=body)).status_code == 200
    finally:
        await app.shutdown()
    rows: list[RequestRow] = store.requests.recent(WORKLOAD, limit=1)
    return rows[0].sticky_key_hash


async def test_the_stored_hash_is_keyed_stable_per_store_and_differs_across_stores(
    migration: Migration, store: Store, tmp_path: Path
) -> None:
    first = await stored_hash(migration, store)
    assert first is not None
    unkeyed = {
        hashlib.blake2b(USER.encode(), digest_size=8).hexdigest(),
        hashlib.blake2b(USER.encode()).hexdigest(),
        hashlib.sha256(USER.encode()).hexdigest(),
        hashlib.md5(USER.encode()).hexdigest(),
    }
    assert not any(first in h or h.startswith(first) for h in unkeyed), "an unkeyed hash of the user id"
    assert await stored_hash(migration, store) == first, "a restart on the same store keeps the pseudonym"
    with open_store(f"sqlite:///{tmp_path / 'other.db'}") as other:
        assert await stored_hash(migration, other) != first, "another store gives another pseudonym"
    assert first == sticky_pseudonym(get_or_create_secret(store, STICKY_KEY_SECRET), USER)


@given(st.binary(min_size=16, max_size=32), st.text(max_size=50) | st.none())
def test_pseudonyms_are_hex_and_need_the_secret(secret: bytes, sticky: str | None) -> None:
    value = sticky_pseudonym(secret, sticky)
    if not sticky:
        assert value is None
        return
    assert value is not None and len(value) == 32 and int(value, 16) >= 0
    assert sticky_pseudonym(None, sticky) is None
    assert sticky_pseudonym(secret + b"x", sticky) != value
