"""The simulator's embeddings and count_tokens endpoints, as the official SDKs see them, and fuzzed."""

from __future__ import annotations

import anthropic
import httpx
import openai
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelswap.sim import RunningSim
from modelswap.sim.extra_api import embedding_of


async def test_embeddings_are_deterministic_unit_vectors(sim: RunningSim) -> None:
    async with openai.AsyncOpenAI(base_url=sim.base_url, api_key="x", max_retries=0) as client:
        first = await client.embeddings.create(model="text-embedding-3-small", input=["a cat", "a dog"], dimensions=64)
        again = await client.embeddings.create(model="text-embedding-3-small", input="a cat", dimensions=64)
        encoded = await client.embeddings.create(model="text-embedding-3-small", input="a cat")
    assert [len(d.embedding) for d in first.data] == [64, 64] and first.data[0].embedding == again.data[0].embedding
    assert abs(sum(v * v for v in first.data[0].embedding) - 1.0) < 1e-6  # float32 on the wire
    assert len(encoded.data[0].embedding) == 1536  # the SDK asked for base64 and decoded it
    assert first.usage.prompt_tokens > 0 and first.model == "text-embedding-3-small"


async def test_count_tokens_counts_what_messages_would_send(sim: RunningSim) -> None:
    async with anthropic.AsyncAnthropic(base_url=sim.anthropic_base_url, api_key="x", max_retries=0) as client:
        hi = [{"role": "user", "content": "hi"}]
        short = await client.messages.count_tokens(model="claude-haiku-4-5", messages=hi)  # type: ignore[arg-type]
        long = await client.messages.count_tokens(
            model="claude-haiku-4-5",
            system="be brief " * 50,
            messages=hi,  # type: ignore[arg-type]
        )
    assert 0 < short.input_tokens < long.input_tokens


def test_embedding_of_is_a_unit_vector() -> None:
    vector = embedding_of("x", 8)
    assert len(vector) == 8 and abs(sum(v * v for v in vector) - 1.0) < 1e-9


json_bodies = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 5000) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["model", "input", "messages", "dimensions", "encoding_format", "system", "tools", "role", "content"]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=15,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=json_bodies | st.binary(max_size=40))
async def test_any_body_gets_a_vendor_shaped_answer_never_a_5xx(sim: RunningSim, body: object) -> None:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    async with httpx.AsyncClient(timeout=10) as client:
        for url, anthropic_shape in [
            (f"{sim.base_url}/embeddings", False),
            (f"{sim.anthropic_base_url}/v1/messages/count_tokens", True),
        ]:
            r = await client.post(url, content=raw, headers={"content-type": "application/json"})
            assert r.status_code in (200, 400), (url, r.status_code, r.text)
            if r.status_code == 400:
                doc = r.json()
                assert doc["type"] == "error" if anthropic_shape else set(doc["error"]) >= {"message", "type"}
