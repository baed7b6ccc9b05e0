"""Fuzzing the gateway's request validation: whatever the body, the app gets a 200 or a 4xx in
its vendor's error shape (never a 5xx), and the recorder keeps writing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from modelswap.config import parse_migration
from modelswap.gateway.app import GatewayApp
from modelswap.serving import build_gateway
from modelswap.sim import ProfileOverride, SimConfig, start_sim

OLD, NEW = "gpt-4o", "claude-haiku-4-5"
PATHS = ("/v1/chat/completions", "/v1/messages")


@pytest.fixture
async def gateway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[GatewayApp, httpx.AsyncClient]]:
    monkeypatch.setenv("FUZZ_OPENAI_KEY", "sk-fuzz-openai-000000000000")
    monkeypatch.setenv("FUZZ_ANTHROPIC_KEY", "sk-ant-fuzz-000000000000")
    perfect = {m: ProfileOverride(quality=1.0) for m in (OLD, NEW)}
    sim = await start_sim(SimConfig(time_scale=0.0, error_scale=0.0, models=perfect))
    doc = {
        "store": f"sqlite:///{tmp_path / 'fuzz.db'}",
        "endpoints": {
            "old": {"provider": "openai", "model": OLD, "base_url": sim.base_url, "api_key_env": "FUZZ_OPENAI_KEY"},
            "new": {
                "provider": "anthropic",
                "model": NEW,
                "base_url": sim.anthropic_base_url,
                "api_key_env": "FUZZ_ANTHROPIC_KEY",
            },
        },
        "workloads": [{"name": "fuzz", "match": [{"metadata": {"team": "fuzz"}}]}],
        "gateway": {"default_workload": "fuzz", "record_bodies": "redacted"},
    }
    migration = parse_migration(yaml.safe_dump(doc), str(tmp_path / "migration.yaml"), tmp_path)
    app = build_gateway(migration, flush_interval_s=0.02, poll_interval_s=0.05)
    await app.startup()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway", timeout=30)
    try:
        yield app, client
    finally:
        await client.aclose()
        await app.shutdown()
        await sim.stop()


def _nest(depth: int, leaf: bytes) -> bytes:
    """``leaf`` inside ``depth`` alternating arrays and objects, as raw JSON (no encoder takes such depth)."""
    for level in range(depth):
        leaf = b'{"k":' + leaf + b"}" if level % 2 else b"[" + leaf + b"]"
    return leaf


def _with_field(body: dict[str, Any], name: bytes, raw_value: bytes) -> bytes:
    """``body`` as JSON with one more field whose value is given raw."""
    encoded = orjson.dumps(body)
    sep = b"" if encoded == b"{}" else b","
    return encoded[:-1] + sep + b'"' + name + b'":' + raw_value + b"}"


odd_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40) | st.sampled_from(
    ["", "\x00", "\u202e\u2066", "💥" * 30, "\ufeff", "a\r\nb", "{{[[", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\u0085\u2028"]
)
scalars = (
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False)
)
json_values = st.recursive(
    scalars | odd_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4),
    max_leaves=12,
)
deep_raw = st.builds(_nest, st.integers(100, 1100), st.sampled_from([b"0", b"null", b'"x"', b"{}", b"[]"]))
odd_raw = st.sampled_from([b'"\\ud800"', b'"\\udfff\\ud800"', b"1e999", b"123456789012345678901234567890", b'"\xff"'])
messages = (
    st.lists(
        st.fixed_dictionaries(
            {"role": st.sampled_from(["user", "assistant", "system"]) | odd_text},
            optional={"content": json_values | odd_text},
        ),
        max_size=3,
    )
    | json_values
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "model": st.sampled_from([OLD, NEW, "old", "new", "gpt-2"]) | json_values,
        "messages": messages,
        "max_tokens": st.integers(1, 50) | json_values,
        "stream": st.booleans() | json_values,
        "temperature": st.floats(0, 1) | json_values,
        "metadata": st.fixed_dictionaries({"team": st.just("fuzz")}) | json_values,
        "system": odd_text | json_values,
        "extra": json_values,
    },
)


def _raw(body: Any) -> st.SearchStrategy[bytes]:
    encoded = orjson.dumps(body)
    return st.sampled_from([encoded, encoded[: len(encoded) // 2], encoded.replace(b'"', b"'", 1)])


plausible = st.fixed_dictionaries(
    {
        "model": st.sampled_from([OLD, NEW, "old", "new"]),
        "messages": st.lists(
            st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant"]), "content": odd_text}),
            min_size=1,
            max_size=3,
        ),
        "max_tokens": st.integers(1, 30),
    },
    optional={
        "stream": st.booleans(),
        "metadata": st.dictionaries(odd_text, odd_text, max_size=3),
        "user": odd_text,
        "extra": json_values,
    },
)
raw_bodies = st.one_of(
    plausible.map(orjson.dumps),
    st.builds(_with_field, plausible, st.just(b"extra"), deep_raw | odd_raw),
    bodies.flatmap(_raw),
    st.builds(_with_field, bodies, st.sampled_from([b"extra", b"messages", b"metadata"]), deep_raw | odd_raw),
    st.binary(max_size=64),
    deep_raw,
    json_values.map(orjson.dumps),
)


def _in_vendor_shape(path: str, payload: Any) -> bool:
    if path == "/v1/messages":
        return payload.get("type") == "error" and set(payload["error"]) == {"type", "message"}
    return set(payload) == {"error"} and set(payload["error"]) == {"message", "type", "param", "code"}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), raw=raw_bodies)
async def test_any_body_gets_a_200_or_a_4xx_in_its_vendors_shape(
    gateway: tuple[GatewayApp, httpx.AsyncClient], path: str, raw: bytes
) -> None:
    app, client = gateway
    r = await client.post(path, content=raw, headers={"content-type": "application/json"})
    event(f"HTTP {r.status_code}")
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert _in_vendor_shape(path, r.json()), r.text
        assert "Traceback" not in r.text
    health = app.recorder.health()
    assert health.state.writer_alive and app.recorder.restarts == 0, health
    assert health.state.dropped.get("unstorable", 0) == 0, "every record could be stored"
