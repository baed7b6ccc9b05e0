"""The admin API: closed without a token, audited changes with one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from modelswap.config import Migration
from modelswap.gateway.admin import MAX_ADMIN_BODY
from modelswap.gateway.startcheck import UnsafeStart
from modelswap.serving import build_gateway
from modelswap.store import Store

from .conftest import ADMIN_TOKEN, OLD, WORKLOAD, Gateway, StartGateway

AUTH = {"authorization": f"Bearer {ADMIN_TOKEN}"}
ASK = {"model": OLD, "messages": [{"role": "user", "content": "hi"}], "user": "someone"}


@pytest.fixture
async def gw(start_gateway: StartGateway, migration: Migration, monkeypatch: pytest.MonkeyPatch) -> Gateway:
    monkeypatch.setenv("MODELSWAP_ADMIN_TOKEN", ADMIN_TOKEN)
    return await start_gateway(migration, wire=False)


async def routing(gw: Gateway) -> dict[str, Any]:
    r = await gw.client.get("/admin/routing", headers=AUTH)
    assert r.status_code == 200
    return r.json()["workloads"][WORKLOAD]


async def test_no_token_configured_refuses_everything(
    start_gateway: StartGateway, migration: Migration, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MODELSWAP_ADMIN_TOKEN", raising=False)
    gw = await start_gateway(migration, wire=False)
    for method, path in [("GET", "/admin/routing"), ("POST", "/admin/rollback")]:
        r = await gw.client.request(method, path, headers={"authorization": "Bearer anything"})
        assert r.status_code == 403
        assert "MODELSWAP_ADMIN_TOKEN" in r.json()["error"]["message"]


@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer wrong"}, {"x-api-key": ADMIN_TOKEN}])
async def test_missing_or_wrong_token_is_401(gw: Gateway, headers: dict[str, str]) -> None:
    r = await gw.client.post("/admin/rollback", headers=headers, json={"reason": "nope"})
    assert r.status_code == 401
    assert "admin token" in r.json()["error"]["message"]
    assert (await routing(gw))["rollback"] is False


async def test_routing_rollback_undo_and_events(gw: Gateway, store: Store) -> None:
    assert await routing(gw) == {"stage": "shadow", "share": 0.0, "rollback": False, "version": 0}

    r = await gw.client.post("/admin/rollback", headers=AUTH, json={"reason": "p95 doubled", "actor": "alice"})
    assert r.status_code == 200
    (change,) = r.json()["changed"]
    assert change["workload"] == WORKLOAD
    assert (change["before"]["rollback"], change["after"]["rollback"]) == (False, True)
    assert (await routing(gw))["rollback"] is True
    served = await gw.client.post("/v1/chat/completions", json=ASK)
    assert served.headers["x-modelswap-arm"] == "old"

    again = await gw.client.post("/admin/rollback", headers=AUTH, json={"reason": "twice"})
    assert again.json() == {"changed": []}, "an active rollback is left as it is"

    r = await gw.client.post("/admin/rollback/undo", headers=AUTH, json={"reason": "fixed", "actor": "bob"})
    assert r.status_code == 200 and len(r.json()["changed"]) == 1
    state = await routing(gw)
    assert (state["stage"], state["rollback"]) == ("shadow", False)

    r = await gw.client.get("/admin/events", headers=AUTH, params={"workload": WORKLOAD})
    events = r.json()["events"]
    assert [(e["action"], e["actor"], e["reason"]) for e in events] == [
        ("undo_rollback", "bob", "fixed"),
        ("rollback", "alice", "p95 doubled"),
    ]
    assert events[1]["from_state"]["rollback"] is False and events[1]["to_state"]["rollback"] is True
    assert [e.action for e in store.rollout_events(WORKLOAD)] == ["undo_rollback", "rollback"]


async def test_stage_set_takes_effect_at_once(gw: Gateway) -> None:
    r = await gw.client.post(
        "/admin/stage", headers=AUTH, json={"workload": WORKLOAD, "stage": "full", "reason": "promote"}
    )
    assert r.status_code == 200
    assert (await routing(gw))["stage"] == "full"
    served = await gw.client.post("/v1/chat/completions", json=ASK)
    assert served.headers["x-modelswap-arm"] == "new"

    r = await gw.client.post("/admin/stage", headers=AUTH, json={"workload": WORKLOAD, "stage": "split", "share": 25})
    assert r.status_code == 200
    state = await routing(gw)
    assert (state["stage"], state["share"]) == ("split", 25.0)
    (event, *_) = (await gw.client.get("/admin/events", headers=AUTH)).json()["events"]
    assert event["action"] == "set_stage" and event["to_state"]["share"] == 25.0
    assert event["actor"], "an event always names who made the change"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"workload": WORKLOAD, "stage": "canary"}, "unknown stage 'canary'"),
        ({"workload": WORKLOAD, "stage": "split"}, "needs --share"),
        ({"workload": WORKLOAD, "stage": "split", "share": 150}, "between 0 and 100"),
        ({"workload": WORKLOAD, "stage": "split", "share": "10"}, "share"),
        ({"workload": WORKLOAD, "stage": "split", "share": True}, "share"),
        ({"workload": "nope", "stage": "full"}, "unknown workload 'nope'"),
        ({"stage": "full"}, "'workload' is required"),
        ({"workload": WORKLOAD}, "'stage' is required"),
    ],
)
async def test_bad_stage_changes_are_400_and_change_nothing(gw: Gateway, body: dict[str, Any], words: str) -> None:
    r = await gw.client.post("/admin/stage", headers=AUTH, json=body)
    assert r.status_code == 400
    assert words in r.json()["error"]["message"]
    assert await routing(gw) == {"stage": "shadow", "share": 0.0, "rollback": False, "version": 0}


async def test_bad_admin_bodies_and_paths(gw: Gateway) -> None:
    r = await gw.client.post("/admin/rollback", headers=AUTH, json={"reason": {"why": "p95"}})
    assert r.status_code == 400 and "'reason' must be a string" in r.json()["error"]["message"]
    assert (await routing(gw))["rollback"] is False
    r = await gw.client.post("/admin/rollback", headers={**AUTH, "content-type": "application/json"}, content=b"{no")
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]["message"]
    r = await gw.client.post("/admin/rollback", headers=AUTH, json=[1, 2])
    assert r.status_code == 400 and "JSON object" in r.json()["error"]["message"]
    r = await gw.client.get("/admin/nothing", headers=AUTH)
    assert r.status_code == 404 and "/admin/routing" in r.json()["error"]["message"]


async def test_guessing_the_admin_token_is_throttled_with_429(gw: Gateway) -> None:
    wrong = {"authorization": "Bearer admin-Wrong0Guess1234567890abcd"}
    statuses = [(await gw.client.get("/admin/routing", headers=wrong)).status_code for _ in range(11)]
    assert statuses == [401] * 10 + [429]
    r = await gw.client.get("/admin/routing", headers=AUTH)
    assert r.status_code == 429, "while blocked, even the right token is not checked"
    error = r.json()["error"]
    assert error["type"] == "rate_limit_error" and "too many failed authentications" in error["message"]
    assert int(r.headers["retry-after"]) >= 1


async def test_a_big_admin_body_is_refused_before_it_is_read(gw: Gateway) -> None:
    pulled = 0

    async def huge() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(300):
            pulled += 1
            yield b" " * (1024 * 1024)

    r = await gw.client.post("/admin/rollback", headers=AUTH, content=huge())
    assert r.status_code == 413 and str(MAX_ADMIN_BODY) in r.json()["error"]["message"]
    assert pulled <= 2
    r = await gw.client.post("/admin/rollback", headers=AUTH, content=b"{" + b" " * MAX_ADMIN_BODY + b"}")
    assert r.status_code == 413
    assert (await routing(gw))["rollback"] is False


@pytest.mark.parametrize(
    "headers",
    [
        [(b"authorization", "Bearer t\u00f6ken-\u00e9".encode("latin-1"))],
        [(b"authorization", b"Bearer \xff\xfe\x80")],
        [(b"authorization", "Bearer \u2603".encode())],
    ],
)
async def test_non_ascii_admin_tokens_are_a_401(gw: Gateway, headers: list[tuple[bytes, bytes]]) -> None:
    r = await gw.client.get("/admin/routing", headers=headers)
    assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"


async def test_a_non_utf8_query_string_is_not_a_500(gw: Gateway) -> None:
    r = await gw.client.get("/admin/events?workload=%ff%fe", headers=AUTH)
    assert r.status_code == 200 and r.json() == {"events": []}


@pytest.mark.parametrize("weak", ["x", "short-token", "a" * 40, "abcd" * 8])
def test_a_weak_admin_token_is_refused_at_start(
    migration: Migration, store: Store, monkeypatch: pytest.MonkeyPatch, weak: str
) -> None:
    monkeypatch.setenv("MODELSWAP_ADMIN_TOKEN", weak)
    with pytest.raises(UnsafeStart, match="MODELSWAP_ADMIN_TOKEN is too weak") as info:
        build_gateway(migration, store=store)
    assert "secrets.token_urlsafe(32)" in str(info.value)
    assert len(weak) < 5 or weak not in str(info.value), "the refusal never repeats the token"


async def test_throttling_counts_the_real_peer_address_over_the_wire(
    start_gateway: StartGateway, migration: Migration, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELSWAP_ADMIN_TOKEN", ADMIN_TOKEN)
    gw = await start_gateway(migration, wire=True)
    wrong = {"authorization": "Bearer admin-Wrong0Guess1234567890abcd"}
    statuses = [(await gw.client.get("/admin/routing", headers=wrong)).status_code for _ in range(11)]
    assert statuses == [401] * 10 + [429]
    assert gw.app.guard.retry_after("127.0.0.1") is not None
