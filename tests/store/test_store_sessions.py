"""Per-store secrets and console sessions, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from modelswap.store import (
    Store,
    consume_login_link,
    create_session,
    delete_session,
    find_session,
    get_or_create_secret,
    open_store,
    purge_expired_sessions,
    schema,
)

from .conftest import at


def test_a_secret_is_random_made_once_and_kept(store: Store, store_url: str) -> None:
    first = get_or_create_secret(store, "sticky_key_hmac", now=at(0))
    assert len(first) == 32 and len(set(first)) > 8
    assert get_or_create_secret(store, "sticky_key_hmac", now=at(5)) == first
    assert get_or_create_secret(store, "other") != first
    with open_store(store_url) as again:
        assert get_or_create_secret(again, "sticky_key_hmac") == first


def test_replicas_racing_to_create_a_secret_all_get_the_same_one(store: Store, store_url: str) -> None:
    stores = [open_store(store_url) for _ in range(4)]
    got: list[bytes] = []
    barrier = threading.Barrier(len(stores))

    def start(s: Store) -> None:
        barrier.wait()
        got.append(get_or_create_secret(s, "raced"))

    threads = [threading.Thread(target=start, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert len(got) == 4 and len(set(got)) == 1
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.store_secrets)).scalar_one() == 1


def test_the_store_keeps_only_a_hash_of_a_session_token(store: Store) -> None:
    token = create_session(store, "session", "alice", timedelta(hours=1), now=at(0))
    assert len(token) >= 40
    with store.engine.connect() as conn:
        dump = repr(conn.execute(sa.select(schema.console_sessions)).all())
    assert token not in dump and "alice" in dump


def test_a_session_is_found_until_it_expires(store: Store) -> None:
    token = create_session(store, "session", "alice", timedelta(hours=1), now=at(0))
    found = find_session(store, token, now=at(3599))
    assert found is not None and found.actor == "alice" and found.expires_at == at(3600)
    assert find_session(store, token, now=at(3600)) is None
    assert find_session(store, token + "x", now=at(0)) is None
    assert find_session(store, "", now=at(0)) is None
    assert find_session(store, "é" * 10_000, now=at(0)) is None


def test_sign_out_deletes_the_session(store: Store) -> None:
    token = create_session(store, "session", "alice", timedelta(hours=1), now=at(0))
    assert delete_session(store, token)
    assert find_session(store, token, now=at(1)) is None
    assert not delete_session(store, token)


def test_a_login_link_works_once_and_only_before_it_expires(store: Store) -> None:
    link = create_session(store, "login_link", "bob", timedelta(minutes=10), now=at(0))
    assert find_session(store, link, now=at(1)) is None, "a login link is not a session"
    used = consume_login_link(store, link, now=at(60))
    assert used is not None and used.actor == "bob"
    assert consume_login_link(store, link, now=at(61)) is None
    late = create_session(store, "login_link", "bob", timedelta(minutes=10), now=at(0))
    assert consume_login_link(store, late, now=at(600)) is None
    session = create_session(store, "session", "bob", timedelta(minutes=10), now=at(0))
    assert consume_login_link(store, session, now=at(1)) is None, "a session is not a login link"
    assert find_session(store, session, now=at(2)) is not None


def test_purge_removes_only_expired_rows(store: Store) -> None:
    old = create_session(store, "session", "a", timedelta(seconds=10), now=at(0))
    link = create_session(store, "login_link", "a", timedelta(seconds=10), now=at(0))
    live = create_session(store, "session", "a", timedelta(hours=1), now=at(0))
    assert purge_expired_sessions(store, now=at(10)) == 2
    assert find_session(store, live, now=at(11)) is not None
    assert not delete_session(store, old) and consume_login_link(store, link, now=at(0)) is None
