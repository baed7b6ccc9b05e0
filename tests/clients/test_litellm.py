"""LiteLLM's SDK as a client (``litellm.completion`` with ``api_base``) through the gateway."""

from __future__ import annotations

import asyncio
import os

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # its price map from the package, not the network
litellm = pytest.importorskip("litellm")

from .common import ARITHMETIC, ARITHMETIC_ANSWER, ORDER, ORDER_ID, QUESTION  # noqa: E402
from .conftest import APP_KEY, Stage  # noqa: E402

# LiteLLM's own models trip pydantic's warnings (ReadOnly TypedDict items); they say nothing about the gateway
pytestmark = [
    pytest.mark.filterwarnings("ignore:Items? .* using the `ReadOnly` qualifier:UserWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
]

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Look up an order by id.",
            "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
        },
    }
]


def _kw(stage: Stage) -> dict[str, object]:
    return {"model": f"openai/{stage.app_model}", "api_base": stage.openai_url, "api_key": APP_KEY, "num_retries": 0}


async def test_completion_sync_and_stream(openai_app: Stage) -> None:
    reply = await asyncio.to_thread(litellm.completion, messages=ARITHMETIC, **_kw(openai_app))
    assert reply.choices[0].message.content == ARITHMETIC_ANSWER
    assert reply.usage.prompt_tokens > 0

    def streamed() -> str:
        return "".join(
            c.choices[0].delta.content or ""
            for c in litellm.completion(messages=QUESTION, stream=True, **_kw(openai_app))
        )

    whole = await litellm.acompletion(messages=QUESTION, **_kw(openai_app))
    assert await asyncio.to_thread(streamed) == whole.choices[0].message.content


async def test_tool_calls(openai_app: Stage) -> None:
    reply = await litellm.acompletion(messages=ORDER, tools=TOOLS, **_kw(openai_app))
    (call,) = reply.choices[0].message.tool_calls
    assert call.function.name == "lookup_order" and ORDER_ID in call.function.arguments
