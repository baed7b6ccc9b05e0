"""Cascade: the cheap model answers first; its answer is kept or the strong model answers instead."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.providers.base import Json, UpstreamError
from modelswap.providers.cascade import Cascade, CheapAnswer, Escalation

from .scripted_upstream import ScriptedUpstream, failure

ASK = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}


def chunk(text: str) -> Json:
    return {"choices": [{"index": 0, "delta": {"content": text}}]}


def streamed_text(cheap_answer: CheapAnswer | None) -> str:
    assert cheap_answer is not None
    if cheap_answer.body is not None:
        return str(cheap_answer.body["choices"][0]["message"]["content"])
    return "".join(e["choices"][0]["delta"].get("content") or "" for e in cheap_answer.events)


class Judge:
    """Keeps an answer whose text is in ``good``; remembers what it was shown."""

    def __init__(self, *good: str, fail: bool = False) -> None:
        self.good = set(good)
        self.fail = fail
        self.seen: list[CheapAnswer | None] = []

    async def __call__(self, request: Json, answer: CheapAnswer | None) -> bool:
        self.seen.append(answer)
        if self.fail:
            raise RuntimeError("the signal broke")
        if answer is None:
            return "up front" in self.good
        return streamed_text(answer) in self.good


def whole(text: str) -> Json:
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}


def build(
    cheap: list[Any], strong: list[Any], judge: Judge, **options: Any
) -> tuple[Cascade, ScriptedUpstream, ScriptedUpstream, list[Escalation]]:
    heard: list[Escalation] = []
    small, big = ScriptedUpstream("new", cheap), ScriptedUpstream("old", strong)
    return Cascade(small, big, judge, on_escalate=heard.append, **options), small, big, heard


async def read(cascade: Cascade, body: Json = ASK) -> list[str]:
    return [e["choices"][0]["delta"]["content"] async for e in cascade.stream(body)]


# -- whole answers -------------------------------------------------------------------------------


async def test_a_confident_cheap_answer_is_kept_and_the_strong_model_never_asked() -> None:
    cascade, small, big, heard = build([whole("bug")], [whole("BUG")], Judge("bug"))
    assert await cascade.complete(ASK) == whole("bug")
    assert (len(small.bodies), len(big.bodies), heard) == (1, 0, [])
    assert (cascade.name, cascade.model) == ("new", "new-model")


async def test_a_doubtful_cheap_answer_is_escalated_and_heard_of() -> None:
    cascade, small, big, heard = build([whole("maybe")], [whole("BUG")], Judge("bug"))
    assert await cascade.complete(ASK) == whole("BUG")
    assert big.bodies == [ASK]
    [escalation] = heard
    assert (escalation.reason, escalation.cheap, escalation.error) == ("low_confidence", small, None)
    assert escalation.answer == CheapAnswer(body=whole("maybe")) and escalation.latency_s >= 0


@pytest.mark.parametrize("kind", ["server", "overloaded", "timeout", "rate_limited", "auth", "quota"])
async def test_a_failed_cheap_call_is_escalated(kind: str) -> None:
    judge = Judge("bug")
    cascade, _, _big, heard = build([failure(kind)], [whole("BUG")], judge)
    assert await cascade.complete(ASK) == whole("BUG")
    assert [(e.reason, getattr(e.error, "kind", None)) for e in heard] == [("cheap_failed", kind)]
    assert judge.seen == [], "nothing to rate"


async def test_a_rejected_request_is_not_asked_of_the_strong_model() -> None:
    cascade, _, big, heard = build([failure("bad_request", 400)], [whole("BUG")], Judge("bug"))
    with pytest.raises(UpstreamError) as raised:
        await cascade.complete(ASK)
    assert raised.value.kind == "bad_request"
    assert (big.bodies, heard) == ([], [])


async def test_the_strong_models_failure_is_raised_as_it_is() -> None:
    cascade, _, _, _ = build([whole("maybe")], [failure("timeout", 504)], Judge("bug"))
    with pytest.raises(UpstreamError) as raised:
        await cascade.complete(ASK)
    assert raised.value.kind == "timeout"


async def test_a_signal_that_breaks_escalates_rather_than_failing_the_request() -> None:
    cascade, _, _, heard = build([whole("bug")], [whole("BUG")], Judge("bug", fail=True))
    assert await cascade.complete(ASK) == whole("BUG")
    [escalation] = heard
    assert escalation.reason == "signal_failed" and isinstance(escalation.error, RuntimeError)


async def test_up_front_decides_before_any_call() -> None:
    judge = Judge()  # not "up front": the request goes to the strong model at once
    cascade, small, big, heard = build([whole("bug")], [whole("BUG")], judge, up_front=True)
    assert await cascade.complete(ASK) == whole("BUG")
    assert (small.bodies, judge.seen, [e.reason for e in heard]) == ([], [None], ["up_front"])
    assert heard[0].answer is None

    cascade, small, big, heard = build([whole("bug")], [whole("BUG")], Judge("up front"), up_front=True)
    assert await cascade.complete(ASK) == whole("bug")
    assert (len(small.bodies), big.bodies, heard) == (1, [], [])


# -- streams -------------------------------------------------------------------------------------


async def test_a_kept_stream_is_released_whole_after_rating() -> None:
    judge = Judge("bug")
    cascade, small, big, heard = build([[chunk("b"), chunk("u"), chunk("g")]], [[chunk("BUG")]], judge)
    assert await read(cascade) == ["b", "u", "g"]
    assert (big.bodies, heard) == ([], [])
    assert [streamed_text(a) for a in judge.seen] == ["bug"], "rated once, on the whole answer"
    assert small.closed_streams == 1


async def test_an_escalated_stream_shows_only_the_strong_answer() -> None:
    cascade, small, big, heard = build([[chunk("may"), chunk("be")]], [[chunk("B"), chunk("UG")]], Judge("bug"))
    assert await read(cascade) == ["B", "UG"], "no part of the cheap answer reaches the client"
    assert [e.reason for e in heard] == ["low_confidence"]
    assert streamed_text(heard[0].answer) == "maybe"
    assert small.closed_streams == 1 and big.closed_streams == 1


async def test_a_stream_over_the_bound_is_closed_and_escalated_without_duplicate_output() -> None:
    long = [chunk("x" * 400) for _ in range(10)]
    judge = Judge("x" * 4000)  # would keep it, but it cannot be held
    cascade, small, _big, heard = build([long], [[chunk("short")]], judge, buffer_max_bytes=1024)
    assert await read(cascade) == ["short"]
    [escalation] = heard
    assert escalation.reason == "over_buffer" and judge.seen == []
    assert escalation.answer is not None and 1 < len(escalation.answer.events) < len(long), "stopped reading early"
    assert small.closed_streams == 1, "the cheap stream was closed, not read to its end"


async def test_a_stream_failing_midway_is_escalated_before_the_client_sees_anything() -> None:
    cascade, _, _big, heard = build([[chunk("b"), failure("connection", 502)]], [[chunk("BUG")]], Judge("b"))
    assert await read(cascade) == ["BUG"]
    assert [e.reason for e in heard] == ["cheap_failed"]
    assert heard[0].answer == CheapAnswer(events=(chunk("b"),))


async def test_up_front_streams_the_chosen_model_untouched() -> None:
    judge = Judge("up front")
    cascade, small, big, heard = build([[chunk("b"), chunk("ug")]], [[chunk("BUG")]], judge, up_front=True)
    assert await read(cascade) == ["b", "ug"]
    assert (judge.seen, big.bodies, heard) == ([None], [], [])

    cascade, small, big, heard = build([[chunk("b")]], [[chunk("B"), chunk("UG")]], Judge(), up_front=True)
    assert await read(cascade) == ["B", "UG"]
    assert (small.bodies, [e.reason for e in heard]) == ([], ["up_front"])


async def test_up_front_escalates_a_cheap_stream_that_fails_before_its_first_event() -> None:
    cascade, _, _, heard = build([failure("overloaded", 529)], [[chunk("BUG")]], Judge("up front"), up_front=True)
    assert await read(cascade) == ["BUG"]
    assert [e.reason for e in heard] == ["cheap_failed"]


async def test_a_client_leaving_an_escalated_stream_closes_it() -> None:
    cascade, small, big, _ = build([[chunk("maybe")]], [[chunk("B"), chunk("U"), chunk("G")]], Judge("bug"))
    events = cascade.stream(ASK)
    assert (await anext(events))["choices"][0]["delta"]["content"] == "B"
    await events.aclose()  # type: ignore[attr-defined]
    assert (small.closed_streams, big.closed_streams) == (1, 1)


async def test_cancelling_while_the_cheap_stream_is_held_closes_it() -> None:
    release = asyncio.Event()
    cascade, small, big, _ = build([[chunk("b")]], [[chunk("BUG")]], Judge("b"))

    closed: list[bool] = []

    async def slow_stream(body: Json) -> Any:
        try:
            yield chunk("b")
            await release.wait()
            yield chunk("ug")
        finally:
            closed.append(True)

    small.stream = slow_stream  # type: ignore[method-assign]
    task = asyncio.create_task(read(cascade))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert closed == [True], "the held cheap stream was closed"
    assert big.bodies == []


# -- the decision's invariants ---------------------------------------------------------------------

OUTCOMES = st.sampled_from(["good", "bad", "server", "bad_request"])


@settings(max_examples=60, deadline=None)
@given(cheap=OUTCOMES, strong_ok=st.booleans(), up_front=st.booleans(), stream=st.booleans())
def test_whichever_way_it_goes_exactly_one_model_answers(
    cheap: str, strong_ok: bool, up_front: bool, stream: bool
) -> None:
    """The client gets the cheap answer only when it was kept, the strong answer only after an
    escalation that was heard of, and a rejected request is never sent on."""
    cheap_outcome: Any = (
        failure(cheap, 400 if cheap == "bad_request" else 500) if cheap in ("server", "bad_request") else None
    )
    strong_outcome: Any = None if strong_ok else failure("server")
    judge = Judge("good", "up front" if cheap == "good" else "-")

    def answer(text: str, outcome: Any) -> Any:
        if outcome is not None:
            return outcome
        return [chunk(text)] if stream else whole(text)

    cascade, _small, big, heard = build(
        [answer(cheap, cheap_outcome)], [answer("STRONG", strong_outcome)], judge, up_front=up_front
    )

    async def run() -> str:
        if stream:
            return "".join(await read(cascade))
        return str((await cascade.complete(ASK))["choices"][0]["message"]["content"])

    try:
        got = asyncio.run(run())
    except UpstreamError as exc:
        if exc.kind == "bad_request":
            assert (heard, big.bodies) == ([], []), "a rejected request is never sent on"
        else:
            assert not strong_ok and len(heard) == 1 and len(big.bodies) == 1, (
                "only the strong model's failure is raised"
            )
        return
    if got == "good":
        assert heard == [] and big.bodies == [], "the cheap answer is returned only when kept"
    else:
        assert got == "STRONG" and len(heard) == 1 and len(big.bodies) == 1
    assert len(heard) <= 1 and len(big.bodies) <= 1


async def test_prepare_changes_only_what_the_cheap_model_is_asked() -> None:
    heard: list[Escalation] = []
    small, big = ScriptedUpstream("new", [whole("maybe")]), ScriptedUpstream("old", [whole("BUG")])
    cascade = Cascade(small, big, Judge("bug"), on_escalate=heard.append, prepare=lambda b: {**b, "logprobs": True})
    assert await cascade.complete(ASK) == whole("BUG")
    assert small.bodies == [{**ASK, "logprobs": True}] and big.bodies == [ASK]


@pytest.mark.parametrize("stream", [False, True])
async def test_tidy_takes_out_of_a_kept_answer_what_the_app_did_not_ask_for(stream: bool) -> None:
    def tidy(request: Json, item: Json) -> Json | None:
        return {k: v for k, v in item.items() if k != "extra"} if "extra" in item else None

    marked = {**chunk("bug"), "extra": 1} if stream else {**whole("bug"), "extra": 1}
    small = ScriptedUpstream("new", [[marked, chunk("!")] if stream else marked])
    cascade = Cascade(small, ScriptedUpstream("old", [whole("BUG")]), Judge("bug", "bug!"), tidy=tidy)
    if stream:
        frames = [batch async for batch in cascade.stream_frames(ASK)]
        assert [event for batch in frames for _, event in batch] == [chunk("bug"), chunk("!")]
    else:
        assert await cascade.complete(ASK) == whole("bug")


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(1, 700), min_size=1, max_size=12), bound=st.integers(1024, 4096))
def test_a_held_stream_is_released_whole_exactly_when_it_fits_the_bound(sizes: list[int], bound: int) -> None:
    events = [chunk("x" * n) for n in sizes]
    fits = sum(len(orjson.dumps(e)) for e in events) <= bound
    judge = Judge("x" * sum(sizes))
    cascade, small, big, heard = build([events], [[chunk("STRONG")]], judge, buffer_max_bytes=bound)
    got = asyncio.run(read(cascade))
    if fits:
        assert got == ["x" * n for n in sizes] and heard == [] and big.bodies == []
    else:
        assert got == ["STRONG"] and [e.reason for e in heard] == ["over_buffer"] and judge.seen == []
    assert small.closed_streams == 1
