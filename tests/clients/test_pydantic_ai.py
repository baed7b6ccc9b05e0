"""pydantic-ai agents on Chat Completions (``OpenAIChatModel``) through the gateway, same vendor and translated."""

from __future__ import annotations

from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

from .common import ARITHMETIC_ANSWER, ORDER_ID, Ticket, lookup_order
from .conftest import APP_KEY, Stage


def _model(stage: Stage) -> OpenAIChatModel:
    return OpenAIChatModel(stage.app_model, provider=OpenAIProvider(base_url=stage.openai_url, api_key=APP_KEY))


async def test_text_agent(openai_app: Stage) -> None:
    result = await Agent(_model(openai_app)).run("What is 17 * 23?")
    assert result.output == ARITHMETIC_ANSWER
    assert result.usage.input_tokens > 0


async def test_structured_output_agent(openai_app: Stage) -> None:
    """Output through pydantic-ai's output tool (a forced tool call)."""
    result = await Agent(_model(openai_app), output_type=Ticket).run("Classify: my invoice is wrong")
    assert isinstance(result.output, Ticket)


async def test_agent_calls_a_tool_and_answers_from_its_result(openai_app: Stage) -> None:
    seen: list[str] = []
    agent = Agent(_model(openai_app))

    @agent.tool_plain(name="lookup_order")
    def lookup(order_id: str) -> str:
        """Look up an order by id."""
        seen.append(order_id)
        return lookup_order(order_id)

    result = await agent.run(f"Where is my order {ORDER_ID}?")
    assert seen == [ORDER_ID]
    assert "shipped" in result.output


async def test_streamed_text(openai_app: Stage) -> None:
    agent = Agent(_model(openai_app))
    whole = (await agent.run("How do I export my projects?")).output
    async with agent.run_stream("How do I export my projects?") as run:
        pieces = [piece async for piece in run.stream_text(delta=True)]
    assert "".join(pieces) == whole
