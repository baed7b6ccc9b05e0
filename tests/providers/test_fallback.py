"""Fallback wraps two upstreams: the backup answers when the primary fails before any output."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelswap.providers.base import ErrorKind, Upstream, UpstreamError
from modelswap.providers.fallback import Fallback, not_the_request
from modelswap.providers.frames import frames_of

from .scripted_upstream import ScriptedUpstream, failure

ASK = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
CHUNKS = [{"choices": [{"delta": {"content": "a"}}]}, {"choices": [{"delta": {"content": "b"}}]}]


class Heard:
    def __init__(self) -> None:
        self.failures: list[tuple[str, str, float]] = []

    def __call__(self, upstream: Upstream, exc: UpstreamError, elapsed_s: float) -> None:
        self.failures.append((upstream.name, exc.kind, elapsed_s))


def pair(primary: list[Any], backup: list[Any]) -> tuple[Fallback, ScriptedUpstream, ScriptedUpstream, Heard]:
    new, old, heard = ScriptedUpstream("new", primary), ScriptedUpstream("old", backup), Heard()
    return Fallback(new, old, on_fall_back=heard), new, old, heard


async def test_the_primary_answers_when_it_can() -> None:
    fallback, new, old, heard = pair([{"id": "new"}], [{"id": "old"}])
    assert await fallback.complete(ASK) == {"id": "new"}
    assert (len(new.bodies), len(old.bodies), heard.failures) == (1, 0, [])
    assert (fallback.name, fallback.model) == ("new", "new-model")


async def test_a_failed_primary_is_answered_by_the_backup_and_heard_of() -> None:
    fallback, _, old, heard = pair([failure("overloaded", 529)], [{"id": "old"}])
    assert await fallback.complete(ASK) == {"id": "old"}
    assert old.bodies == [ASK]
    [(name, kind, elapsed)] = heard.failures
    assert (name, kind) == ("new", "overloaded") and elapsed >= 0


async def test_a_rejected_request_is_not_asked_of_the_backup() -> None:
    fallback, _, old, heard = pair([failure("bad_request", 400)], [{"id": "old"}])
    with pytest.raises(UpstreamError) as raised:
        await fallback.complete(ASK)
    assert raised.value.kind == "bad_request"
    assert (old.bodies, heard.failures) == ([], [])


async def test_the_backups_own_failure_is_raised_as_it_is() -> None:
    fallback, _, _, heard = pair([failure("server")], [failure("timeout", 504)])
    with pytest.raises(UpstreamError) as raised:
        await fallback.complete(ASK)
    assert raised.value.kind == "timeout"
    assert [k for _, k, _ in heard.failures] == ["server"]


@pytest.mark.parametrize("frames", [False, True])
async def test_a_stream_falls_back_before_its_first_event(frames: bool) -> None:
    fallback, new, old, heard = pair([failure("connection", 502)], [CHUNKS])
    events = frames_of(fallback, ASK) if frames else fallback.stream(ASK)
    got = [e async for e in events]
    assert got == ([[(None, c)] for c in CHUNKS] if frames else CHUNKS)
    assert [k for _, k, _ in heard.failures] == ["connection"]
    assert (new.closed_streams, old.closed_streams) == (1, 1), "both streams are released"


async def test_a_stream_that_failed_after_output_is_not_repeated() -> None:
    fallback, _, old, heard = pair([[CHUNKS[0], failure("server")]], [CHUNKS])
    got = []
    with pytest.raises(UpstreamError):
        async for event in fallback.stream(ASK):
            got.append(event)
    assert got == CHUNKS[:1]
    assert (old.bodies, heard.failures) == ([], [])


async def test_a_stream_left_early_releases_the_upstream() -> None:
    fallback, new, _, _ = pair([CHUNKS], [CHUNKS])
    events = fallback.stream(ASK)
    assert await anext(events) == CHUNKS[0]
    await events.aclose()  # type: ignore[attr-defined]
    assert new.closed_streams == 1


async def test_an_empty_stream_ends_without_falling_back() -> None:
    fallback, _, old, _ = pair([[]], [CHUNKS])
    assert [e async for e in fallback.stream(ASK)] == []
    assert old.bodies == []


@given(st.sampled_from(["bad_request", "auth", "rate_limited", "overloaded", "server", "timeout", "connection"]))
def test_only_a_rejected_request_is_kept_from_the_backup(kind: ErrorKind) -> None:
    assert not_the_request(failure(kind)) is (kind != "bad_request")


async def test_a_custom_rule_decides_what_falls_back() -> None:
    new, old = ScriptedUpstream("new", [failure("rate_limited", 429)]), ScriptedUpstream("old", [{"id": "old"}])
    fallback = Fallback(new, old, fall_back_on=lambda exc: exc.kind != "rate_limited")
    with pytest.raises(UpstreamError):
        await fallback.complete(ASK)
    assert old.bodies == []
