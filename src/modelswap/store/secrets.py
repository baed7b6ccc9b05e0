"""Per-store secrets: random keys made once, at the first start on a store, and shared by every
replica on it (e.g. the key of the sticky-key HMAC).

Creation is race-free across replicas: each one offers a fresh random value with
``INSERT ... ON CONFLICT DO NOTHING`` and then reads back whichever value won. A secret is
never overwritten, shown, logged or exported.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa

from modelswap.store.engine import WRITE_OPTION
from modelswap.store.schema import insert_ignoring_conflicts, store_secrets
from modelswap.store.store import Store

STICKY_KEY_SECRET = "sticky_key_hmac"
"""The key of the HMAC that turns a sticky key (a user id) into the ``sticky_key_hash`` stored."""

SECRET_BYTES = 32
"""Size of a new secret: 256 random bits."""


def get_or_create_secret(store: Store, name: str, *, now: datetime | None = None) -> bytes:
    """The store's secret called ``name``, created with ``SECRET_BYTES`` random bytes if it is new."""
    if not name:
        raise ValueError("a store secret needs a name")
    offered = {"name": name, "value": secrets.token_hex(SECRET_BYTES), "created_at": now or datetime.now(UTC)}
    insert = insert_ignoring_conflicts(store.dialect, store_secrets).values(offered)
    read = sa.select(store_secrets.c.value).where(store_secrets.c.name == name)
    with store.engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            conn.execute(insert)
            value = conn.execute(read).scalar_one()
    return bytes.fromhex(value)
