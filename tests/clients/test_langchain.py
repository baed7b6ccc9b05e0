"""LangChain's ``ChatOpenAI`` and ``ChatAnthropic`` through the gateway, same vendor and translated."""

from __future__ import annotations

import asyncio

from langchain_anthropic import ChatAnthropic
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

from .common import ARITHMETIC_ANSWER, ORDER_ID, Ticket, lookup_order
from .conftest import APP_KEY, Stage

ORDER_TEXT = f"Where is my order {ORDER_ID}?"


def _openai(stage: Stage, **kw: object) -> ChatOpenAI:
    return ChatOpenAI(model=stage.app_model, base_url=stage.openai_url, api_key=APP_KEY, max_retries=0, **kw)  # type: ignore[arg-type]


def _anthropic(stage: Stage) -> ChatAnthropic:
    return ChatAnthropic(  # type: ignore[call-arg]
        model=stage.app_model, base_url=stage.anthropic_url, api_key=APP_KEY, max_retries=0, max_tokens=1000
    )


async def test_chat_openai_invoke_sync_and_async(openai_app: Stage) -> None:
    llm = _openai(openai_app)
    reply = await asyncio.to_thread(llm.invoke, "What is 17 * 23?")
    assert isinstance(reply, AIMessage) and reply.content == ARITHMETIC_ANSWER
    assert reply.usage_metadata is not None and reply.usage_metadata["input_tokens"] > 0
    again = await llm.ainvoke("What is 17 * 23?")
    assert again.content == ARITHMETIC_ANSWER


async def test_chat_openai_stream(openai_app: Stage) -> None:
    llm = _openai(openai_app, stream_usage=True)
    whole = await llm.ainvoke("How do I export my projects?")
    chunks = [c async for c in llm.astream("How do I export my projects?")]
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    assert "".join(str(c.content) for c in chunks) == whole.content
    merged = chunks[0]
    for c in chunks[1:]:
        merged = merged + c  # type: ignore[assignment]
    assert merged.usage_metadata is not None and merged.usage_metadata["output_tokens"] > 0


async def test_chat_openai_bind_tools_and_the_tool_loop(openai_app: Stage) -> None:
    lookup = tool(lookup_order)
    llm = _openai(openai_app).bind_tools([lookup])
    first = await llm.ainvoke([HumanMessage(ORDER_TEXT)])
    assert isinstance(first, AIMessage)
    (call,) = first.tool_calls
    assert call["name"] == "lookup_order" and call["args"] == {"order_id": ORDER_ID}
    result = ToolMessage(lookup_order(**call["args"]), tool_call_id=call["id"])
    final = await llm.ainvoke([HumanMessage(ORDER_TEXT), first, result])
    assert "shipped" in str(final.content)


async def test_chat_openai_with_structured_output(openai_app: Stage) -> None:
    """The default method (json_schema, strict) and function calling both give a Ticket."""
    for method in ("json_schema", "function_calling"):
        structured = _openai(openai_app).with_structured_output(Ticket, method=method)  # type: ignore[arg-type]
        ticket = await structured.ainvoke("Classify: my invoice is wrong")
        assert isinstance(ticket, Ticket), method


async def test_chat_anthropic_invoke_stream_and_structured_output(anthropic_app: Stage) -> None:
    llm = _anthropic(anthropic_app)
    reply = await llm.ainvoke("What is 17 * 23?")
    assert reply.content == ARITHMETIC_ANSWER
    whole = await llm.ainvoke("How do I export my projects?")
    chunks = [c async for c in llm.astream("How do I export my projects?")]
    assert "".join(c.text for c in chunks) == whole.text
    ticket = await llm.with_structured_output(Ticket).ainvoke("Classify: my invoice is wrong")
    assert isinstance(ticket, Ticket)
    tools_llm = llm.bind_tools([tool(lookup_order)])
    first = await tools_llm.ainvoke(ORDER_TEXT)
    assert [c["args"] for c in first.tool_calls] == [{"order_id": ORDER_ID}]  # type: ignore[attr-defined]
