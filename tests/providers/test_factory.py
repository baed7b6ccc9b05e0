from __future__ import annotations

import pytest

from modelswap.providers import (
    AnthropicOverOpenAI,
    AnthropicUpstream,
    HttpPool,
    OpenAIOverAnthropic,
    OpenAIUpstream,
    Retrying,
    Upstream,
    build_upstream,
)

from .conftest import Serve
from .fakes import Script, json_reply
from .payloads import ANTHROPIC_MESSAGE


def layers(upstream: Upstream) -> list[type]:
    out: list[type] = []
    while True:
        out.append(type(upstream))
        inner = getattr(upstream, "inner", None)
        if inner is None:
            return out
        upstream = inner


@pytest.mark.parametrize(
    ("kind", "dialect", "expected"),
    [
        ("openai", "openai", [Retrying, OpenAIUpstream]),
        ("anthropic", "anthropic", [Retrying, AnthropicUpstream]),
        ("anthropic", "openai", [Retrying, OpenAIOverAnthropic, AnthropicUpstream]),
        ("openai", "anthropic", [Retrying, AnthropicOverOpenAI, OpenAIUpstream]),
    ],
)
async def test_layers(pool: HttpPool, kind: str, dialect: str, expected: list[type]) -> None:
    up = build_upstream(kind, "ep", "model-x", "http://127.0.0.1:1", "k", pool, dialect=dialect)  # type: ignore[arg-type]
    assert layers(up) == expected
    assert (up.name, up.model, up.dialect) == ("ep", "model-x", dialect)


async def test_no_retries_means_no_retry_layer(pool: HttpPool) -> None:
    up = build_upstream("openai", "ep", "m", "http://127.0.0.1:1/v1", "k", pool, dialect="openai", max_retries=0)
    assert isinstance(up, OpenAIUpstream)


async def test_settings_reach_the_native_upstream(pool: HttpPool) -> None:
    up = build_upstream(
        "openai", "ep", "m", "http://127.0.0.1:1/v1", "k", pool, dialect="openai", timeout_s=7, max_retries=5
    )
    assert isinstance(up, Retrying) and up.policy.max_retries == 5
    assert isinstance(up.inner, OpenAIUpstream) and up.inner.timeout_s == 7


async def test_unknown_kind_or_dialect(pool: HttpPool) -> None:
    with pytest.raises(ValueError, match="unknown provider kind 'gemini'"):
        build_upstream("gemini", "ep", "m", "u", "k", pool, dialect="openai")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown dialect 'cohere'"):
        build_upstream("openai", "ep", "m", "u", "k", pool, dialect="cohere")  # type: ignore[arg-type]


async def test_cross_vendor_end_to_end(serve: Serve, pool: HttpPool) -> None:
    script = Script([json_reply(ANTHROPIC_MESSAGE)])
    base = await serve(script.app("/v1/messages"))
    up = build_upstream("anthropic", "new", "claude-sonnet-4-20250514", base, "k", pool, dialect="openai")
    result = await up.complete({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]})
    assert result["choices"][0]["message"]["content"] == "Hello! How can I help you today?"
    assert script.seen[0].body["max_tokens"] == 64000  # the model's output limit, from the catalog
