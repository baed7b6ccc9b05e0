"""Errors come in each vendor's exact shape, with the status codes and headers SDKs expect."""

from __future__ import annotations

from typing import Any

import aiohttp
import anthropic
import openai
import pytest

from modelswap.sim import ProfileOverride, RunningSim, SimConfig, start_sim

ANTHROPIC_HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
HELLO = [{"role": "user", "content": "hello"}]


async def _post(url: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    data = body if isinstance(body, bytes) else None
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=None if data else body, data=data, headers=headers) as resp,
    ):
        return resp.status, await resp.json(), resp.headers


def _openai_shape(body: Any) -> dict[str, Any]:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return dict(body["error"])


def _anthropic_shape(body: Any) -> dict[str, Any]:
    assert body["type"] == "error" and set(body) == {"type", "error"}
    assert set(body["error"]) == {"type", "message"}
    return dict(body["error"])


async def test_forced_429_raises_rate_limit_error_with_retry_after(oai: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as info:
        await oai.chat.completions.create(
            model="gpt-4o",
            messages=HELLO,
            extra_headers={"x-sim-error": "429"},
        )
    assert info.value.status_code == 429
    assert "retry-after" in info.value.response.headers
    assert info.value.response.headers["retry-after"].isdigit()
    error = _openai_shape(info.value.response.json())
    assert error["code"] == "rate_limit_exceeded"


async def test_profile_429_rate_of_one_rate_limits_every_attempt() -> None:
    config = SimConfig(time_scale=0, models={"gpt-4o": ProfileOverride(rate_limit_rate=1.0)})
    async with await start_sim(config) as sim:
        client = anthropic.AsyncAnthropic(base_url=sim.anthropic_base_url, api_key="k", max_retries=0)
        async with client:
            with pytest.raises(anthropic.RateLimitError) as info:
                await client.messages.create(model="gpt-4o", max_tokens=10, messages=HELLO)
    assert "retry-after" in info.value.response.headers
    assert _anthropic_shape(info.value.body)["type"] == "rate_limit_error"


async def test_retry_after_a_fault_can_succeed() -> None:
    """Faults are drawn per attempt: with a 50 % 429 rate, SDK retries get every request through."""
    config = SimConfig(time_scale=0.001, models={"gpt-4o": ProfileOverride(rate_limit_rate=0.5)})
    async with await start_sim(config) as sim:
        async with openai.AsyncOpenAI(base_url=sim.base_url, api_key="k", max_retries=12) as client:
            for i in range(12):
                content = f"What is {i} + 1?"
                r = await client.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": content}]
                )
                assert r.choices[0].message.content
        assert sim.engine.counts[("gpt-4o", 429)] > 0
        assert sim.engine.counts[("gpt-4o", 200)] == 12


@pytest.mark.parametrize("status", [500, 503])
async def test_openai_server_errors(oai: openai.AsyncOpenAI, status: int) -> None:
    with pytest.raises(openai.InternalServerError) as info:
        await oai.chat.completions.create(
            model="gpt-4o",
            messages=HELLO,
            extra_headers={"x-sim-error": str(status)},
        )
    assert info.value.status_code == status
    assert _openai_shape(info.value.response.json())["type"] == "server_error"


async def test_anthropic_overloaded_529(claude: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.OverloadedError) as info:
        await claude.messages.create(
            model="claude-opus-4-7",
            max_tokens=10,
            messages=HELLO,
            extra_headers={"x-sim-error": "529"},
        )
    assert _anthropic_shape(info.value.body) == {"type": "overloaded_error", "message": "Overloaded"}


async def test_unknown_model_is_404_in_both_shapes(oai: openai.AsyncOpenAI, claude: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(openai.NotFoundError) as o_info:
        await oai.chat.completions.create(model="gpt-nope", messages=HELLO)
    error = _openai_shape(o_info.value.response.json())
    assert error["code"] == "model_not_found" and "gpt-nope" in error["message"]
    with pytest.raises(anthropic.NotFoundError) as a_info:
        await claude.messages.create(model="claude-nope", max_tokens=5, messages=HELLO)
    assert _anthropic_shape(a_info.value.body) == {"type": "not_found_error", "message": "model: claude-nope"}


async def test_bad_requests_raise_sdk_bad_request_error(
    oai: openai.AsyncOpenAI, claude: anthropic.AsyncAnthropic
) -> None:
    with pytest.raises(openai.BadRequestError) as o_info:
        await oai.chat.completions.create(model="gpt-4o", messages=[])
    assert _openai_shape(o_info.value.response.json())["param"] == "messages"
    with pytest.raises(anthropic.BadRequestError) as a_info:
        await claude.messages.create(
            model="claude-opus-4-7",
            max_tokens=10,
            messages=[{"role": "robot", "content": "x"}],
        )
    assert _anthropic_shape(a_info.value.body)["message"].startswith("messages.0.role:")


@pytest.mark.parametrize(
    ("body", "param", "needle"),
    [
        (b"{not json", None, "JSON"),
        ({"messages": HELLO}, "model", "model"),
        ({"model": "gpt-4o"}, "messages", "'messages'"),
        ({"model": "gpt-4o", "messages": "hi"}, "messages", "'messages'"),
        ({"model": "gpt-4o", "messages": [{"content": "x"}]}, "messages[0].role", "messages[0].role"),
        ({"model": "gpt-4o", "messages": HELLO, "max_tokens": 0}, "max_tokens", "max_tokens"),
        (
            {"model": "gpt-4o", "messages": [*HELLO, {"role": "tool", "tool_call_id": "x", "content": "r"}]},
            "messages[1].role",
            "tool",
        ),
    ],
)
async def test_openai_400_names_the_field(sim: RunningSim, body: Any, param: str | None, needle: str) -> None:
    status, payload, _ = await _post(f"{sim.base_url}/chat/completions", body)
    assert status == 400
    error = _openai_shape(payload)
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert needle in error["message"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"[oops", "JSON"),
        ({"model": "claude-opus-4-7", "messages": HELLO}, "max_tokens: Field required"),
        ({"max_tokens": 5, "messages": HELLO}, "model: Field required"),
        ({"model": "claude-opus-4-7", "max_tokens": 5}, "messages: Field required"),
        ({"model": "claude-opus-4-7", "max_tokens": 5, "messages": []}, "messages:"),
        (
            {
                "model": "claude-opus-4-7",
                "max_tokens": 5,
                "messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1"}]}],
            },
            "tool_use_id",
        ),
    ],
)
async def test_anthropic_400_names_the_field(sim: RunningSim, body: Any, needle: str) -> None:
    status, payload, _ = await _post(f"{sim.anthropic_base_url}/v1/messages", body, ANTHROPIC_HEADERS)
    assert status == 400
    error = _anthropic_shape(payload)
    assert error["type"] == "invalid_request_error"
    assert needle in error["message"]


async def test_anthropic_version_header_is_required(sim: RunningSim) -> None:
    body = {"model": "claude-opus-4-7", "max_tokens": 5, "messages": HELLO}
    status, payload, _ = await _post(f"{sim.anthropic_base_url}/v1/messages", body, {"x-api-key": "k"})
    assert status == 400
    assert "anthropic-version" in _anthropic_shape(payload)["message"]


async def test_missing_key_is_401_when_required() -> None:
    config = SimConfig(time_scale=0, require_api_key=True, api_keys=frozenset({"good"}))
    async with await start_sim(config) as sim:
        status, payload, _ = await _post(f"{sim.base_url}/chat/completions", {"model": "gpt-4o", "messages": HELLO})
        assert status == 401 and "API key" in _openai_shape(payload)["message"]
        body = {"model": "claude-opus-4-7", "max_tokens": 5, "messages": HELLO}
        status, payload, _ = await _post(
            f"{sim.anthropic_base_url}/v1/messages", body, {"anthropic-version": "2023-06-01"}
        )
        assert status == 401 and _anthropic_shape(payload)["type"] == "authentication_error"
        async with openai.AsyncOpenAI(base_url=sim.base_url, api_key="bad", max_retries=0) as client:
            with pytest.raises(openai.AuthenticationError):
                await client.chat.completions.create(model="gpt-4o", messages=HELLO)
        async with openai.AsyncOpenAI(base_url=sim.base_url, api_key="good", max_retries=0) as client:
            await client.chat.completions.create(model="gpt-4o", messages=HELLO)


async def test_unknown_models_served_when_configured() -> None:
    async with (
        await start_sim(SimConfig(time_scale=0, accept_unknown_models=True)) as sim,
        openai.AsyncOpenAI(base_url=sim.base_url, api_key="k", max_retries=0) as client,
    ):
        r = await client.chat.completions.create(model="my-finetune", messages=HELLO)
    assert r.model == "my-finetune"


@pytest.mark.parametrize("name", [[None], None, 3])
async def test_a_function_message_without_a_string_name_is_a_400_naming_it(oai: openai.AsyncOpenAI, name: Any) -> None:
    # found by the gateway's endpoint fuzz test: the simulator crashed (a plain 500) on name=[null]
    message: dict[str, Any] = {"role": "function", "content": ""}
    if name is not None:
        message["name"] = name
    with pytest.raises(openai.BadRequestError) as caught:
        await oai.chat.completions.create(model="gpt-5", messages=[message])  # type: ignore[list-item]
    assert "messages[0].name" in str(caught.value)
