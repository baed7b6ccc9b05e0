"""Shadowed wraps an upstream: every request's copy goes to the shadow off the caller's path."""

from __future__ import annotations

import asyncio

import pytest

from modelswap.providers.frames import frames_of
from modelswap.providers.shadowed import Shadowed, ShadowJob, ShadowResult

from .scripted_upstream import ScriptedUpstream, failure

ASK = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
CHUNKS = [{"choices": [{"delta": {"content": "a"}}]}]


class Queue:
    """Holds submitted jobs until the test runs them (or refuses them all, as a full pool does)."""

    def __init__(self, accept: bool = True) -> None:
        self.accept = accept
        self.jobs: list[ShadowJob] = []

    def __call__(self, job: ShadowJob) -> bool:
        if self.accept:
            self.jobs.append(job)
        return self.accept

    async def run(self) -> None:
        for job in self.jobs:
            await job()


def shadowed(
    shadow_outcome: object, accept: bool = True
) -> tuple[Shadowed, ScriptedUpstream, Queue, list[ShadowResult]]:
    old, new, queue, results = (
        ScriptedUpstream("old", [{"id": "old"}]),
        ScriptedUpstream("new", [shadow_outcome]),
        Queue(accept),
        [],
    )
    old.outcomes.append(CHUNKS)
    return Shadowed(old, new, queue, results.append), new, queue, results


async def test_the_primary_answers_and_the_copy_waits_for_the_pool() -> None:
    upstream, new, queue, results = shadowed({"id": "new"})
    assert await upstream.complete(ASK) == {"id": "old"}
    assert (new.bodies, len(queue.jobs)) == ([], 1), "nothing was asked of the shadow on the caller's path"
    await queue.run()
    [result] = results
    assert (result.upstream.name, result.answer, result.error) == ("new", {"id": "new"}, None)
    assert result.latency_s >= 0


@pytest.mark.parametrize("frames", [False, True])
async def test_a_streamed_requests_copy_is_asked_whole(frames: bool) -> None:
    upstream, new, queue, _ = shadowed({"id": "new"})
    old = upstream.primary
    assert isinstance(old, ScriptedUpstream)
    old.outcomes[:] = [CHUNKS]
    body = {**ASK, "stream": True, "stream_options": {"include_usage": True}}
    events = frames_of(upstream, body) if frames else upstream.stream(body)
    assert len([e async for e in events]) == 1
    await queue.run()
    assert new.bodies == [ASK]


async def test_a_failing_shadow_is_reported_not_raised() -> None:
    upstream, _, queue, results = shadowed(failure("timeout", 504))
    assert await upstream.complete(ASK) == {"id": "old"}
    await queue.run()
    [result] = results
    assert result.answer is None and result.error is not None and result.error.kind == "timeout"


async def test_a_slow_shadow_does_not_hold_the_caller() -> None:
    upstream, new, queue, results = shadowed({"id": "new"})
    new.release = asyncio.Event()
    assert await upstream.complete(ASK) == {"id": "old"}
    running = asyncio.create_task(queue.run())
    await asyncio.sleep(0)
    assert results == [] and not running.done()
    new.release.set()
    await running
    assert len(results) == 1


async def test_a_refused_copy_changes_nothing_for_the_caller() -> None:
    upstream, new, queue, results = shadowed({"id": "new"}, accept=False)
    assert await upstream.complete(ASK) == {"id": "old"}
    assert (queue.jobs, new.bodies, results) == ([], [], [])
