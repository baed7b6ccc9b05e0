"""Bad requests get a clear 4xx in the caller's API shape, before any model is called."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.config import Migration
from modelswap.gateway.errors import ClientError
from modelswap.gateway.validate import _walk_exceeds, check_body, depth_exceeds, parse_body
from modelswap.sim import RunningSim

from .conftest import NEW, OLD, Gateway, StartGateway, migration_of, openai_endpoint

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture
async def gw(start_gateway: StartGateway, migration: Migration) -> Gateway:
    return await start_gateway(migration, wire=False)


def openai_error(body: dict[str, Any]) -> dict[str, Any]:
    """The error object, after checking it has exactly OpenAI's fields."""
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "request body is empty"),
        (b"[1, 2]", "must be a JSON object, got an array"),
        (b'"hello"', "must be a JSON object, got a string"),
    ],
)
async def test_unparseable_bodies(gw: Gateway, sim: RunningSim, raw: bytes, words: str) -> None:
    r = await gw.client.post("/v1/chat/completions", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400
    error = openai_error(r.json())
    assert error["type"] == "invalid_request_error" and words in error["message"]
    assert "Traceback" not in r.text
    assert not sim.engine.counts


@pytest.mark.parametrize(
    ("body", "param", "words"),
    [
        ({"model": OLD, "messages": "hi"}, "messages", "'messages' must be an array of message objects, got a string"),
        ({"model": OLD, "messages": MESSAGES, "stream": "yes"}, "stream", "'stream' must be a boolean, got a string"),
        ({"model": OLD, "messages": MESSAGES, "max_tokens": True}, "max_tokens", "an integer, got a boolean"),
        ({"model": OLD, "messages": MESSAGES, "temperature": "hot"}, "temperature", "a number, got a string"),
        ({"model": OLD}, "messages", "'messages' is required"),
        ({"model": OLD, "messages": []}, "messages", "'messages' is required and must not be empty"),
        ({"model": OLD, "messages": ["hi"]}, "messages[0]", "messages[0] must be an object with a string 'role'"),
        ({"messages": MESSAGES}, "model", "'model' is required"),
        ({"model": None, "messages": MESSAGES}, "model", "'model' is required"),
        ({"model": 4, "messages": MESSAGES}, "model", "'model' must be a string, got a number"),
    ],
)
async def test_wrong_fields_name_the_field(
    gw: Gateway, sim: RunningSim, body: dict[str, Any], param: str, words: str
) -> None:
    r = await gw.client.post("/v1/chat/completions", json=body)
    assert r.status_code == 400
    error = openai_error(r.json())
    assert error["param"] == param
    assert words in error["message"]
    assert not sim.engine.counts


async def test_unknown_model_is_404_listing_served_models(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim
) -> None:
    """With ``unknown_models: reject`` (the default passes them through: tests/gateway/test_model_names.py)."""
    migration = migration_of(
        tmp_path, openai_endpoint(sim, OLD), openai_endpoint(sim, NEW), gateway={"unknown_models": "reject"}
    )
    gw = await start_gateway(migration, wire=False)
    r = await gw.client.post("/v1/chat/completions", json={"model": "gpt-3.5-turbo", "messages": MESSAGES})
    assert r.status_code == 404
    error = openai_error(r.json())
    assert error["code"] == "model_not_found" and error["param"] == "model"
    assert "'gpt-3.5-turbo' is not served" in error["message"]
    assert OLD in error["message"] and NEW in error["message"]


async def test_endpoint_names_are_accepted_as_models(gw: Gateway) -> None:
    r = await gw.client.post("/v1/chat/completions", json={"model": "new", "messages": MESSAGES})
    assert r.status_code == 200 and r.json()["model"] == OLD, "modelswap chooses which model answers"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"model": OLD, "messages": MESSAGES}, 400, "'max_tokens' is required by the Messages API"),
        ({"model": OLD, "max_tokens": 10, "messages": "hi"}, 400, "'messages' must be an array"),
        ({"model": OLD, "max_tokens": 10, "messages": MESSAGES, "system": 3}, 400, "'system' must be a string"),
        ({"model": "claude-2", "max_tokens": 10, "messages": MESSAGES}, 404, "'claude-2' is not served"),
    ],
)
async def test_messages_api_errors_in_anthropic_shape(
    gw: Gateway, body: dict[str, Any], status: int, words: str
) -> None:
    r = await gw.client.post("/v1/messages", json=body, headers={"anthropic-version": "2023-06-01"})
    assert r.status_code == status
    payload = r.json()
    assert payload["type"] == "error" and set(payload["error"]) == {"type", "message"}
    assert payload["error"]["type"] == ("invalid_request_error" if status == 400 else "not_found_error")
    assert words in payload["error"]["message"]


async def test_messages_api_malformed_json_in_anthropic_shape(gw: Gateway) -> None:
    r = await gw.client.post("/v1/messages", content=b"{", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["type"] == "error" and "not valid JSON" in r.json()["error"]["message"]


# -- the pure checks ---------------------------------------------------------------------------------


def test_check_body_accepts_a_normal_request() -> None:
    body = {"model": OLD, "messages": MESSAGES, "stream": True, "temperature": 0.2, "max_tokens": 5, "user": "u"}
    check_body(body, "openai", {OLD})
    check_body({**body, "max_tokens": 5}, "anthropic", {OLD})


def test_parse_body_returns_the_object() -> None:
    assert parse_body(b'{"a": 1}') == {"a": 1}
    with pytest.raises(ClientError) as caught:
        parse_body(b"\xff")
    assert caught.value.status == 400


# -- nesting depth (hostile bodies) ------------------------------------------------------------------


def nested(depth: int, leaf: Any = 0) -> bytes:
    """``depth`` levels of alternating objects and arrays around ``leaf``, as raw JSON."""
    raw = orjson.dumps(leaf)
    for level in range(depth):
        raw = b'{"x":' + raw + b"}" if level % 2 else b"[" + raw + b"]"
    return raw


def deep_request(depth: int, dialect: str = "openai") -> bytes:
    """A normal chat request with one unknown field nested so that the body is ``depth`` levels deep."""
    extra = b', "max_tokens": 5' if dialect == "anthropic" else b""
    head = b'{"model": "' + OLD.encode() + b'", "messages": [{"role": "user", "content": "hi"}]' + extra
    return head + b', "extra": ' + nested(depth - 1) + b"}"


@pytest.mark.parametrize("depth", [129, 300, 600, 1100])
async def test_too_deep_bodies_get_a_400_in_openai_shape(gw: Gateway, sim: RunningSim, depth: int) -> None:
    r = await gw.client.post("/v1/chat/completions", content=deep_request(depth))
    assert r.status_code == 400
    error = openai_error(r.json())
    assert error["code"] == "body_too_deep" and "more than 128 levels deep" in error["message"]
    assert not sim.engine.counts, "refused before any model was called"


@pytest.mark.parametrize("depth", [129, 600])
async def test_too_deep_bodies_get_a_400_in_anthropic_shape(gw: Gateway, sim: RunningSim, depth: int) -> None:
    r = await gw.client.post("/v1/messages", content=deep_request(depth, "anthropic"))
    assert r.status_code == 400
    payload = r.json()
    assert payload["type"] == "error" and payload["error"]["type"] == "invalid_request_error"
    assert "more than 128 levels deep" in payload["error"]["message"]
    assert not sim.engine.counts


async def test_a_body_at_the_depth_limit_is_served(gw: Gateway) -> None:
    r = await gw.client.post("/v1/chat/completions", content=deep_request(128))
    assert r.status_code == 200


async def test_brackets_inside_strings_are_not_depth(gw: Gateway) -> None:
    code = "{[" * 2000 + "]}" * 2000  # a prompt full of brackets is text, not nesting
    r = await gw.client.post(
        "/v1/chat/completions", json={"model": OLD, "messages": [{"role": "user", "content": code}]}
    )
    assert r.status_code == 200


async def test_the_depth_limit_is_configurable(start_gateway: StartGateway, tmp_path: Path, sim: RunningSim) -> None:
    migration = migration_of(
        tmp_path, openai_endpoint(sim, OLD), openai_endpoint(sim, NEW), gateway={"max_body_depth": 10}
    )
    gw = await start_gateway(migration, wire=False)
    assert (await gw.client.post("/v1/chat/completions", content=deep_request(10))).status_code == 200
    r = await gw.client.post("/v1/chat/completions", content=deep_request(11))
    assert r.status_code == 400 and "more than 10 levels deep" in r.json()["error"]["message"]


def test_depth_exceeds_counts_levels() -> None:
    assert not depth_exceeds({}, 1) and depth_exceeds({"a": {}}, 1)
    assert not depth_exceeds(orjson.loads(nested(50)), 50) and depth_exceeds(orjson.loads(nested(51)), 50)
    assert not depth_exceeds(orjson.loads(nested(5000 // 5)), 10_000), "no recursion: any depth is walked"
    assert not depth_exceeds("text", 0)
    assert not depth_exceeds({"big": 2**70}, 1) and depth_exceeds({"big": [2**70]}, 1), "what orjson cannot encode"
    assert depth_exceeds(orjson.loads(nested(300)), 260) and not depth_exceeds(orjson.loads(nested(300)), 300)


def _depth(value: Any) -> int:
    """Reference: nesting depth by plain recursion (the top container is level 1; a scalar is 0)."""
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


_trees = st.recursive(
    st.none() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3),
    max_leaves=40,
)


@settings(max_examples=200, deadline=None)
@given(tree=_trees, limit=st.integers(0, 12))
def test_depth_exceeds_agrees_with_plain_recursion(tree: Any, limit: int) -> None:
    assert depth_exceeds(tree, limit) == (_depth(tree) > limit)
    if isinstance(tree, dict | list):
        assert _walk_exceeds(tree, limit) == (_depth(tree) > limit)
    if isinstance(tree, dict) and limit >= 1:  # and parse_body refuses exactly the bodies too deep
        raw = orjson.dumps(tree)
        if _depth(tree) > limit:
            with pytest.raises(ClientError, match=f"more than {limit} levels deep"):
                parse_body(raw, limit)
        else:
            assert parse_body(raw, limit) == tree
