"""Hostile clients against both API endpoints of a real ``modelswap serve`` on the stock
``gpt-5-to-sonnet`` scenario (embedded simulator, default ``redacted`` recording).

Generated bodies and headers — valid-looking requests with wrong types, unknown and deeply
nested fields, odd Unicode, non-JSON — must get an answer or a 4xx in the vendor's error shape:
never a 5xx, never a hang, and afterwards the gateway is healthy and still recording.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.gateway.procs import GatewayProcess

MODELS = ["gpt-5", "claude-sonnet-4-5", "gpt-4o-mini", "", "x" * 300]
ROLES = ["user", "assistant", "system", "developer", "tool", "function", "", "ü"]
JSON_SCALARS = (
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=40)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def _nested(depth: int) -> bytes:
    """``{"k":[{"k":[ ... "bottom" ... ]}]}`` nested ``depth`` levels (written by hand: JSON encoders refuse it)."""
    opening = "".join('{"k":' if i % 2 == 0 else "[" for i in range(depth))
    closing = "".join("}" if i % 2 == 0 else "]" for i in reversed(range(depth)))
    return (opening + '"bottom"' + closing).encode()


CONTENT = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.fixed_dictionaries({"type": st.sampled_from(["text", "image_url", "tool_use", "??"]), "text": JSON_VALUES}),
        max_size=3,
    ),
    JSON_VALUES,
)
MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(ROLES), "content": CONTENT},
    optional={"name": JSON_VALUES, "tool_calls": JSON_VALUES, "tool_call_id": JSON_VALUES},
)
EXTRA = st.dictionaries(
    st.sampled_from(["temperature", "max_tokens", "n", "tools", "tool_choice", "stop", "user", "metadata", "zzz"]),
    JSON_VALUES,
    max_size=4,
)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["request", "request", "request", "deep", "json", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "json":
        return orjson.dumps(draw(JSON_VALUES))
    body: dict[str, Any] = {
        "model": draw(st.sampled_from(MODELS)),
        "messages": draw(st.lists(MESSAGE, max_size=4)),
        "stream": draw(st.sampled_from([False, True, "yes", None])),
        **draw(EXTRA),
    }
    text = orjson.dumps(body)
    if kind == "deep":
        key = draw(st.sampled_from(["metadata", "zzz", "tools"])).encode()
        text = text[:-1] + b',"' + key + b'":' + _nested(draw(st.integers(100, 2_000))) + b"}"
    return text


HEADER_NAMES = st.sampled_from(
    ["content-type", "authorization", "x-api-key", "anthropic-version", "x-modelswap-workload", "accept", "x-junk"]
)
HEADER_VALUES = st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=60)
HEADERS = st.dictionaries(HEADER_NAMES, HEADER_VALUES.map(str.strip), max_size=4)  # h11 refuses edge spaces


def _vendor_error_shape(path: str, status: int, body: bytes) -> bool:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    if path == "/v1/messages":
        return doc.get("type") == "error" and isinstance(doc.get("error", {}).get("message"), str)
    return isinstance(doc.get("error"), dict) and isinstance(doc["error"].get("message"), str)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    root = tmp_path_factory.mktemp("fuzz-gateway")
    subprocess.run(
        [sys.executable, "-m", "modelswap", "init", str(root / "m"), "--scenario", "gpt-5-to-sonnet"],
        check=True,
        capture_output=True,
    )
    config = root / "m" / "migration.yaml"
    text = config.read_text()
    fast = text.replace("  time_scale: 1.0 ", "  time_scale: 0\n  error_scale: 0 ")
    assert fast != text, "the scenario's simulator settings changed shape"
    config.write_text(fast)
    process = GatewayProcess(config)
    try:
        process.wait_ready(60.0)
        yield process
    finally:
        process.terminate()
        process.kill()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/v1/chat/completions", "/v1/messages"]), body=bodies(), headers=HEADERS)
def test_generated_requests_never_get_a_5xx(
    gateway: GatewayProcess, path: str, body: bytes, headers: dict[str, str]
) -> None:
    started = time.monotonic()
    raw = {name.encode(): value.encode("latin-1") for name, value in headers.items()}  # non-ASCII on the wire
    r = httpx.post(gateway.url + path, content=body, headers=raw, timeout=30)
    assert time.monotonic() - started < 20, "the gateway took too long to answer"
    assert r.status_code < 500, f"{r.status_code} for {body[:200]!r}: {r.text[:300]}"
    if r.status_code >= 400:
        assert _vendor_error_shape(path, r.status_code, r.content), f"not the vendor's error shape: {r.text[:300]}"


def test_after_the_fuzzing_the_gateway_is_healthy_and_still_recording(gateway: GatewayProcess) -> None:
    db = gateway.log.parent / "modelswap.db"

    def count() -> int:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT count(*) FROM requests").fetchone()[0])

    before = count()
    body = {"model": "gpt-5", "messages": [{"role": "user", "content": "Ticket: I was charged twice."}]}
    for _ in range(20):
        assert httpx.post(gateway.url + "/v1/chat/completions", json=body, timeout=30).status_code == 200
    assert httpx.get(gateway.url + "/healthz", timeout=5).status_code == 200
    deadline = time.monotonic() + 5
    while count() < before + 20:
        assert time.monotonic() < deadline, f"only {count() - before} of 20 new requests were recorded"
        time.sleep(0.05)
