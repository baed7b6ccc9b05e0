"""Hostile clients against ``POST /v1/responses`` and ``GET /v1/responses/{id}`` of a real
``modelswap serve`` (the stock ``gpt-5-to-sonnet`` scenario: a Claude model behind the
Responses API, so every request is translated): an answer or a 4xx in OpenAI's error shape,
never a 5xx; afterwards the gateway still stores and retrieves responses."""

# ruff: noqa: F811  (the gateway fixture is imported by name and then requested as an argument)
from __future__ import annotations

import urllib.parse
from typing import Any

import httpx
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.fuzz.test_fuzz_endpoints import HEADERS, JSON_VALUES, _vendor_error_shape, gateway  # noqa: F401
from tests.gateway.procs import GatewayProcess

PART = st.fixed_dictionaries(
    {"type": st.sampled_from(["input_text", "output_text", "input_image", "input_file", "refusal", "??"])},
    optional={"text": JSON_VALUES, "image_url": JSON_VALUES, "file_data": JSON_VALUES},
)
ITEM = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["message", "function_call", "function_call_output", "reasoning", "item_reference"])
        | JSON_VALUES,
        "role": st.sampled_from(["user", "assistant", "system", "developer", "tool", ""]) | JSON_VALUES,
        "content": st.text(max_size=60) | st.lists(PART, max_size=3) | JSON_VALUES,
        "call_id": st.sampled_from(["call_1", ""]) | JSON_VALUES,
        "name": st.sampled_from(["lookup_order"]) | JSON_VALUES,
        "arguments": st.sampled_from(["{}", '{"order_id": "ORD-1"}', "{"]) | JSON_VALUES,
        "output": st.text(max_size=20) | JSON_VALUES,
    },
)
TOOL = st.fixed_dictionaries(
    {"type": st.sampled_from(["function", "web_search", ""]) | JSON_VALUES},
    optional={"name": st.sampled_from(["lookup_order", ""]) | JSON_VALUES, "parameters": JSON_VALUES},
)
EXTRA = st.fixed_dictionaries(
    {},
    optional={
        "instructions": st.text(max_size=40) | JSON_VALUES,
        "stream": st.sampled_from([False, True]) | JSON_VALUES,
        "store": st.sampled_from([False, True]) | JSON_VALUES,
        "max_output_tokens": st.integers(-5, 5000) | JSON_VALUES,
        "tools": st.lists(TOOL, max_size=2) | JSON_VALUES,
        "tool_choice": st.sampled_from(["auto", "required", {"type": "function", "name": "lookup_order"}])
        | JSON_VALUES,
        "text": st.sampled_from([{"format": {"type": "json_schema", "name": "x", "schema": {"type": "object"}}}])
        | JSON_VALUES,
        "reasoning": JSON_VALUES,
        "previous_response_id": st.sampled_from(["resp_unknown", ""]) | JSON_VALUES,
        "metadata": JSON_VALUES,
        "background": JSON_VALUES,
    },
)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return orjson.dumps(draw(JSON_VALUES))
    body: dict[str, Any] = {
        "model": draw(st.sampled_from(["gpt-5", "claude-sonnet-4-5", "gpt-unknown", ""])),
        "input": draw(st.text(max_size=80) | st.lists(ITEM, max_size=4) | JSON_VALUES),
        **draw(EXTRA),
    }
    return orjson.dumps(body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies(), headers=HEADERS, response_id=st.text(max_size=30))
def test_generated_responses_requests_never_get_a_5xx(
    gateway: GatewayProcess, body: bytes, headers: dict[str, str], response_id: str
) -> None:
    raw = {name.encode(): value.encode("latin-1") for name, value in headers.items()}
    r = httpx.post(gateway.url + "/v1/responses", content=body, headers=raw, timeout=30)
    assert r.status_code < 500, f"{r.status_code} for {body[:200]!r}: {r.text[:300]}"
    if r.status_code >= 400:
        assert _vendor_error_shape("/v1/responses", r.status_code, r.content), r.text[:300]
    got = httpx.get(f"{gateway.url}/v1/responses/{urllib.parse.quote(response_id, safe='')}", timeout=30)
    assert got.status_code in (200, 404), got.text[:300]


def test_after_the_fuzzing_responses_are_still_stored_and_retrieved(gateway: GatewayProcess) -> None:
    body = {"model": "gpt-5", "input": "Ticket: I was charged twice.", "instructions": "Classify it."}
    created = httpx.post(gateway.url + "/v1/responses", json=body, timeout=30)
    assert created.status_code == 200, created.text[:300]
    response = created.json()
    again = httpx.get(f"{gateway.url}/v1/responses/{response['id']}", timeout=30)
    assert again.status_code == 200 and again.json()["output"] == response["output"]
