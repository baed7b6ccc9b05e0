"""App keys and the admin token: names for right keys, refusals for wrong ones, closed admin by
default, strong tokens only, guessing throttled, any bytes refused cleanly; ``/metrics`` behind a token."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.config import GatewayKey, Migration
from modelswap.gateway.auth import (
    KeyRing,
    Refusal,
    admin_ok,
    bearer_token,
    hash_key,
    presented_key,
    same_secret,
    token_weakness,
)
from modelswap.sim import RunningSim

from .conftest import NEW, OLD, Gateway, StartGateway, migration_of, openai_endpoint

SUPPORT_KEY = "msk-support-0123456789"
TRIAGE_KEY = "msk-triage-abcdefghij"
ASK = {"model": OLD, "messages": [{"role": "user", "content": "hi"}]}


def ring(*pairs: tuple[str, str]) -> KeyRing:
    return KeyRing(GatewayKey(name=name, sha256=hash_key(key)) for name, key in pairs)


RING = ring(("support-app", SUPPORT_KEY), ("triage-app", TRIAGE_KEY))


def test_hash_key_is_hex_sha256() -> None:
    assert hash_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_the_right_key_gives_its_holders_name() -> None:
    assert RING.identify(SUPPORT_KEY) == "support-app"
    assert RING.identify(TRIAGE_KEY) == "triage-app"


@pytest.mark.parametrize("wrong", ["msk-support-012345678", SUPPORT_KEY + " ", SUPPORT_KEY.upper(), "x"])
def test_a_wrong_key_is_refused(wrong: str) -> None:
    assert RING.identify(wrong) is Refusal.UNKNOWN


@pytest.mark.parametrize("missing", [None, ""])
def test_a_missing_key_is_refused_with_a_hint(missing: str | None) -> None:
    assert RING.identify(missing) is Refusal.MISSING
    assert "Authorization: Bearer" in Refusal.MISSING.message


@given(st.text(max_size=30) | st.none())
def test_an_empty_ring_is_open_to_any_key_or_none(presented: str | None) -> None:
    open_ring = KeyRing([])
    assert open_ring.is_open
    assert open_ring.identify(presented) is None


def test_rotation_two_keys_for_one_name_both_work() -> None:
    rotating = ring(("support-app", "old-key"), ("support-app", "new-key"))
    assert rotating.identify("old-key") == rotating.identify("new-key") == "support-app"
    assert len(rotating) == 2


def test_one_key_for_two_names_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="same sha256"):
        ring(("a", "shared"), ("b", "shared"))


def test_the_presented_key_never_shows_in_messages_or_repr() -> None:
    text = " ".join([repr(RING), *(r.message for r in Refusal)])
    assert SUPPORT_KEY not in text
    assert hash_key(SUPPORT_KEY) not in text


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("BEARER   abc  ", "abc"),
        ("Bearer\tabc", "abc"),
        ("  Bearer abc", "abc"),
        ("Bearer", None),
        ("Bearer ", None),
        ("Bearerabc", None),
        ("Basic dXNlcjpwYXNz", None),
        ("abc", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_token(value: str | None, token: str | None) -> None:
    assert bearer_token(value) == token


@pytest.mark.parametrize(
    ("headers", "key"),
    [
        ({"authorization": "Bearer from-openai-sdk"}, "from-openai-sdk"),
        ({"x-api-key": "from-anthropic-sdk"}, "from-anthropic-sdk"),
        ({"authorization": "Bearer first", "x-api-key": "second"}, "first"),
        ({"authorization": "Basic xyz", "x-api-key": "second"}, "second"),
        ({"x-api-key": "  "}, None),
        ({}, None),
    ],
)
def test_presented_key(headers: dict[str, str], key: str | None) -> None:
    assert presented_key(headers) == key


def test_keys_from_either_sdk_header_identify_the_same_holder() -> None:
    for headers in ({"authorization": f"Bearer {TRIAGE_KEY}"}, {"x-api-key": TRIAGE_KEY}):
        assert RING.identify(presented_key(headers)) == "triage-app"


@pytest.mark.parametrize("token", [None, ""])
def test_admin_is_closed_when_no_token_is_configured(token: str | None) -> None:
    assert not admin_ok({"authorization": "Bearer "}, token)
    assert not admin_ok({"authorization": "Bearer anything"}, token)
    assert not admin_ok({}, token)


def test_admin_needs_the_exact_token_as_bearer() -> None:
    token = "admin-secret"
    assert admin_ok({"authorization": "Bearer admin-secret"}, token)
    assert not admin_ok({"authorization": "Bearer admin-secre"}, token)
    assert not admin_ok({"authorization": "admin-secret"}, token)
    assert not admin_ok({"x-api-key": "admin-secret"}, token)
    assert not admin_ok({}, token)


# -- token strength ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "why"),
    [
        ("x", "1 characters long"),
        ("admin-secret-token", "18 characters long"),
        ("a" * 64, "too few different characters"),
        ("abcd" * 10, "too few different characters"),
        ("0123456789" * 4, "too few different characters"),
        (" " + secrets.token_urlsafe(32), "whitespace"),
    ],
)
def test_weak_tokens_are_named_with_the_reason(token: str, why: str) -> None:
    reason = token_weakness(token)
    assert reason is not None and why in reason


@settings(max_examples=200)
@given(st.binary(min_size=18, max_size=64))
def test_random_tokens_of_18_bytes_or_more_are_strong(raw: bytes) -> None:
    token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert token_weakness(token) is None or len(set(raw)) < 12  # hypothesis also tries all-zero bytes


@settings(max_examples=200)
@given(st.binary(min_size=12, max_size=32))
def test_hex_tokens_of_12_random_bytes_or_more_are_strong(raw: bytes) -> None:
    assert token_weakness(raw.hex()) is None or len(set(raw)) < 10


def test_secrets_token_urlsafe_32_is_strong() -> None:
    assert all(token_weakness(secrets.token_urlsafe(32)) is None for _ in range(1000))


@given(st.text(max_size=80), st.text(max_size=80))
def test_same_secret_takes_any_text(a: str, b: str) -> None:
    assert same_secret(a, b) == (a == b)


def test_admin_token_comparison_takes_non_ascii() -> None:
    token = "admin-Qx7vR2mK9pL4sT8wZ1nB5cF3"
    assert not admin_ok({"authorization": "Bearer t\u00f6ken"}, token)
    assert admin_ok({"authorization": f"Bearer {token}"}, token)


# -- through the gateway -------------------------------------------------------------------------


@pytest.fixture
async def keyed(start_gateway: StartGateway, tmp_path: Path, sim: RunningSim) -> Gateway:
    key = GatewayKey(name="support-app", sha256=hash_key(SUPPORT_KEY)).model_dump()
    m = migration_of(tmp_path, openai_endpoint(sim, OLD), openai_endpoint(sim, NEW), gateway={"keys": [key]})
    return await start_gateway(m, wire=False)


async def test_guessing_app_keys_is_throttled_with_429_in_openais_shape(keyed: Gateway) -> None:
    wrong = {"authorization": "Bearer msk-guess"}
    statuses = [
        (await keyed.client.post("/v1/chat/completions", json=ASK, headers=wrong)).status_code for _ in range(11)
    ]
    assert statuses == [401] * 10 + [429]
    r = await keyed.client.post("/v1/chat/completions", json=ASK, headers={"authorization": f"Bearer {SUPPORT_KEY}"})
    assert r.status_code == 429
    assert r.json()["error"]["type"] == "rate_limit_error" and int(r.headers["retry-after"]) >= 1
    m = await keyed.client.post("/v1/messages", json={**ASK, "max_tokens": 5}, headers={"x-api-key": "wrong"})
    assert m.status_code == 429 and m.json()["type"] == "error", "Anthropic callers get Anthropic's shape"


async def test_a_blocked_client_recovers_and_others_are_untouched(keyed: Gateway) -> None:
    clock = [1000.0]
    keyed.app.guard.clock = lambda: clock[0]
    wrong = {"authorization": "Bearer msk-guess"}
    for _ in range(10):
        await keyed.client.get("/v1/models", headers=wrong)
    assert (await keyed.client.get("/v1/models", headers=wrong)).status_code == 429
    transport = httpx.ASGITransport(app=keyed.app, client=("192.0.2.44", 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as other:
        r = await other.get("/v1/models", headers={"authorization": f"Bearer {SUPPORT_KEY}"})
        assert r.status_code == 200
    clock[0] += keyed.app.migration.gateway.auth_failure_refill_s
    assert (await keyed.client.get("/v1/models", headers={"x-api-key": SUPPORT_KEY})).status_code == 200


@pytest.mark.parametrize(
    "value", ["Bearer t\u00f6ken".encode("latin-1"), b"Bearer \xff\xfe", "Bearer \u2603".encode(), b"\x80\x81"]
)
async def test_non_ascii_api_keys_are_a_401(keyed: Gateway, value: bytes) -> None:
    for name in (b"authorization", b"x-api-key"):
        r = await keyed.client.post("/v1/chat/completions", json=ASK, headers=[(name, value)])
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"


# -- /metrics behind a token ---------------------------------------------------------------------

METRICS_TOKEN = "metrics-Jd8Rw3Kp6Xn2Vb9Tq5Lm4Hz7"


async def test_metrics_can_require_a_token(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MS_METRICS_TOKEN", METRICS_TOKEN)
    m = migration_of(
        tmp_path,
        openai_endpoint(sim, OLD),
        openai_endpoint(sim, NEW),
        gateway={"metrics_token_env": "MS_METRICS_TOKEN"},
    )
    gw = await start_gateway(m, wire=False)
    assert (await gw.client.get("/metrics")).status_code == 401
    assert (await gw.client.get("/metrics", headers={"authorization": "Bearer nope"})).status_code == 401
    r = await gw.client.get("/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"})
    assert r.status_code == 200 and "modelswap" in r.text


async def test_metrics_are_open_by_default(start_gateway: StartGateway, migration: Migration) -> None:
    gw = await start_gateway(migration, wire=False)
    assert (await gw.client.get("/metrics")).status_code == 200
