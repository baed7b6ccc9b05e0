"""Console sessions and one-time login links, kept server-side.

A caller gets a random token (256 bits, URL-safe); the store keeps only its SHA-256, so a copy
of the database signs nobody in. A ``session`` lives until it expires or is deleted at sign-out;
a ``login_link`` is deleted by its first use (``consume_login_link``, one ``DELETE ... RETURNING``,
so two browsers racing for one link cannot both win). Expired rows are refused on lookup and
removed by ``purge_expired_sessions``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import sqlalchemy as sa

from modelswap.store.engine import WRITE_OPTION
from modelswap.store.schema import console_sessions
from modelswap.store.store import Store

SessionKind = Literal["session", "login_link"]

MAX_TOKEN_CHARS = 128
"""Tokens longer than this are not looked up (ours are 43 characters)."""


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """Who a session or login link is for and when it ends (never the token itself)."""

    actor: str
    kind: SessionKind
    created_at: datetime
    expires_at: datetime


def token_hash(token: str) -> str:
    """Hex SHA-256 of a session or link token: what the store keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _write(store: Store) -> sa.Connection:
    conn = store.engine.connect()
    conn.execution_options(**{WRITE_OPTION: True})
    return conn


def create_session(store: Store, kind: SessionKind, actor: str, ttl: timedelta, *, now: datetime | None = None) -> str:
    """Store a new session or login link for ``actor`` lasting ``ttl``; returns its token (shown once)."""
    if ttl <= timedelta(0):
        raise ValueError(f"a {kind} must last a positive time; got {ttl}")
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    row = {"token_hash": token_hash(token), "actor": actor, "created_at": now, "expires_at": now + ttl, "kind": kind}
    with _write(store) as conn, conn.begin():
        conn.execute(console_sessions.insert().values(row))
    return token


def find_session(store: Store, token: str, *, now: datetime | None = None) -> ConsoleSession | None:
    """The live session ``token`` names, or ``None`` (unknown, expired, or a login link)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    c = console_sessions.c
    query = sa.select(c.actor, c.kind, c.created_at, c.expires_at).where(
        c.token_hash == token_hash(token), c.kind == "session", c.expires_at > (now or datetime.now(UTC))
    )
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else ConsoleSession(row.actor, row.kind, row.created_at, row.expires_at)


def consume_login_link(store: Store, token: str, *, now: datetime | None = None) -> ConsoleSession | None:
    """Use a login link: it is deleted whatever happens; returns it if it was live, else ``None``."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    c = console_sessions.c
    stmt = (
        sa.delete(console_sessions)
        .where(c.token_hash == token_hash(token), c.kind == "login_link")
        .returning(c.actor, c.kind, c.created_at, c.expires_at)
    )
    with _write(store) as conn, conn.begin():
        row = conn.execute(stmt).first()
    if row is None or row.expires_at <= (now or datetime.now(UTC)):
        return None
    return ConsoleSession(row.actor, row.kind, row.created_at, row.expires_at)


def delete_session(store: Store, token: str) -> bool:
    """End a session (sign-out); ``True`` if there was one."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return False
    c = console_sessions.c
    with _write(store) as conn, conn.begin():
        result = conn.execute(sa.delete(console_sessions).where(c.token_hash == token_hash(token)))
    return bool(result.rowcount)


def purge_expired_sessions(store: Store, *, now: datetime | None = None) -> int:
    """Delete every expired session and login link; returns how many went."""
    c = console_sessions.c
    with _write(store) as conn, conn.begin():
        result = conn.execute(sa.delete(console_sessions).where(c.expires_at <= (now or datetime.now(UTC))))
    return int(result.rowcount)
