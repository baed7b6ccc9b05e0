"""In shadow, a request the new model's dialect cannot express is served by the old model as usual
and recorded as an untranslatable pair (a 400 on the shadow side that names the field)."""

from __future__ import annotations

from pathlib import Path

import openai

from modelswap.sim import RunningSim

from .common import QUESTION
from .conftest import (
    APP_KEY,
    CLAUDE_NEW,
    OLD,
    StartGateway,
    anthropic_endpoint,
    migration_of,
    openai_endpoint,
)


async def test_logprobs_in_shadow_serve_the_old_answer_and_record_the_refusal(
    start_gateway: StartGateway, tmp_path: Path, sim: RunningSim
) -> None:
    migration = migration_of(
        tmp_path, openai_endpoint(sim, OLD, max_retries=0), anthropic_endpoint(sim, CLAUDE_NEW, max_retries=0)
    )
    gw = await start_gateway(migration)  # stage shadow: old serves, new is mirrored
    async with openai.AsyncOpenAI(base_url=gw.openai_url, api_key=APP_KEY, max_retries=0) as client:
        reply = await client.chat.completions.create(model=OLD, messages=QUESTION, logprobs=True)  # type: ignore[arg-type]
    assert reply.choices[0].logprobs is not None and reply.choices[0].logprobs.content
    await gw.settle(requests=1, pairs=1)
    (row,) = gw.requests()
    (pair,) = gw.pairs()
    assert (row.arm, row.status) == ("old", 200)
    assert (pair.request_id, pair.arm, pair.status, pair.error_kind) == (row.id, "new", 400, "bad_request")
    assert pair.error is not None and "logprobs" in pair.error
