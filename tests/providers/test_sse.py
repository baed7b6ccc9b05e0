from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.providers.sse import EventTooLarge, SSEEvent, SSEFrames, SSEParser, iter_sse, parse_sse

from .payloads import OPENAI_TOOL_CHUNKS, anthropic_events_tools, anthropic_sse, openai_sse


def test_event_and_data_lines() -> None:
    events = parse_sse([b'event: message_start\ndata: {"a": 1}\n\n'])
    assert events == [SSEEvent(data='{"a": 1}', event="message_start")]


def test_multiline_data_joins_with_newline() -> None:
    assert parse_sse([b"data: one\ndata: two\ndata:\n\n"]) == [SSEEvent(data="one\ntwo\n")]


def test_comments_keepalives_and_unknown_fields_are_skipped() -> None:
    raw = b": keep-alive\n\n:\ndata: x\nfoo: bar\n: another\n\n"
    assert parse_sse([raw]) == [SSEEvent(data="x")]


def test_crlf_and_cr_line_endings() -> None:
    assert parse_sse([b"event: e\r\ndata: a\r\n\r\ndata: b\r\rdata: c\n\n"]) == [
        SSEEvent(data="a", event="e"),
        SSEEvent(data="b"),
        SSEEvent(data="c"),
    ]


def test_crlf_split_between_chunks_is_one_line_end() -> None:
    assert parse_sse([b"data: a\r", b"\n", b"\r", b"\n", b"data: b\r", b"\n\r\n"]) == [
        SSEEvent(data="a"),
        SSEEvent(data="b"),
    ]


def test_field_without_space_and_value_with_colon() -> None:
    assert parse_sse([b'data:{"t":"a:b"}\n\n']) == [SSEEvent(data='{"t":"a:b"}')]


def test_id_and_retry_fields() -> None:
    assert parse_sse([b"id: 7\nretry: 1500\ndata: x\n\n"]) == [SSEEvent(data="x", id="7", retry=1500)]


def test_event_name_resets_after_dispatch_and_without_data() -> None:
    assert parse_sse([b"event: ping\n\ndata: x\n\n"]) == [SSEEvent(data="x")]


def test_multibyte_character_split_across_chunks() -> None:
    raw = "data: héllo ☃\n\n".encode()
    cut = raw.index("☃".encode()) + 1
    assert parse_sse([raw[:cut], raw[cut:]]) == [SSEEvent(data="héllo ☃")]


def test_unterminated_final_event_is_dispatched_at_close() -> None:
    assert parse_sse([b"data: a\n\ndata: tail"]) == [SSEEvent(data="a"), SSEEvent(data="tail")]


def test_feed_returns_events_as_soon_as_complete() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a\n") == []
    assert parser.feed(b"\ndata: b") == [SSEEvent(data="a")]
    assert parser.close() == [SSEEvent(data="b")]


def _split(raw: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(raw)) for c in cuts})
    pieces, last = [], 0
    for point in points:
        pieces.append(raw[last:point])
        last = point
    pieces.append(raw[last:])
    return pieces


STREAMS = [
    anthropic_sse(anthropic_events_tools()),
    openai_sse(OPENAI_TOOL_CHUNKS),
    anthropic_sse(anthropic_events_tools()).replace(b"\n", b"\r\n"),
    b": ping\r\n\r\nevent: a\rdata: x\rdata: y\r\r" + "data: ünï\n\n".encode(),
]


@given(st.sampled_from(STREAMS), st.lists(st.integers(min_value=0, max_value=4000), max_size=40))
def test_any_chunk_split_gives_the_same_events(raw: bytes, cuts: list[int]) -> None:
    assert parse_sse(_split(raw, cuts)) == parse_sse([raw])


@given(st.sampled_from(STREAMS))
def test_byte_at_a_time_gives_the_same_events(raw: bytes) -> None:
    assert parse_sse([raw[i : i + 1] for i in range(len(raw))]) == parse_sse([raw])


_line_text = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=30)


@given(
    st.lists(
        st.tuples(
            st.none() | st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
            st.lists(_line_text, min_size=1, max_size=3),
        ),
        max_size=6,
    ),
    st.sampled_from([b"\n", b"\r\n", b"\r"]),
    st.lists(st.integers(min_value=0, max_value=2000), max_size=20),
)
def test_generated_events_round_trip(spec: list[tuple[str | None, list[str]]], eol: bytes, cuts: list[int]) -> None:
    raw = b""
    for name, lines in spec:
        if name is not None:
            raw += b"event: " + name.encode() + eol
        for line in lines:
            raw += b"data: " + line.encode() + eol
        raw += eol
    expected = [SSEEvent(data="\n".join(lines), event=name) for name, lines in spec]
    assert parse_sse(_split(raw, cuts)) == expected


async def test_iter_sse_over_async_chunks() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for piece in (b"data: a\n", b"\ndata:", b" b\n\n"):
            yield piece

    assert [e async for e in iter_sse(chunks())] == [SSEEvent(data="a"), SSEEvent(data="b")]


# -- SSEFrames: the same events, plus each plain frame's raw bytes --------------------------------

FRAME_STREAMS = [
    *STREAMS,
    b'data: {"a": 1}\n\ndata:{"b":2}\n\n: ping\n\nid: 7\ndata: x\n\ndata: y\n\nretry: 5\n\ndata: z\n\n',
    b"data: one\ndata: two\n\n\n\ndata: three\n\ndata: [DONE]\n\ndata: unterminated",
    b"data: a\n\ndata: b\r\n\r\ndata: c\n\n",
    b'event: message_start\ndata: {"t": 1}\n\nevent:ping\ndata:\n\n'
    b"event: x\ndata: 1\ndata: 2\n\nid: 3\nevent: y\ndata: q\n\n",
]


def _frames(pieces: list[bytes]) -> list[tuple[bytes | None, SSEEvent]]:
    frames = SSEFrames()
    out = [pair for piece in pieces for pair in frames.feed(piece)]
    return out + frames.close()


@given(st.sampled_from(FRAME_STREAMS), st.lists(st.integers(min_value=0, max_value=4000), max_size=40))
def test_frames_give_the_parsers_events_for_any_split(raw: bytes, cuts: list[int]) -> None:
    pairs = _frames(_split(raw, cuts))
    assert [event for _, event in pairs] == parse_sse([raw])
    for frame, event in pairs:
        if frame is not None:  # a raw frame is exactly the bytes of one lone data line
            assert frame in raw
            assert frame.endswith(b"\n\n")
            assert parse_sse([frame]) == [SSEEvent(data=event.data, event=event.event)]


def test_plain_data_frames_come_back_byte_for_byte() -> None:
    raw = b'data: {"a": 1}\n\ndata:{"b":2}\n\nevent: e\ndata: x\n\n'
    assert _frames([raw[:9], raw[9:30], raw[30:]]) == [
        (b'data: {"a": 1}\n\n', SSEEvent(data='{"a": 1}')),
        (b'data:{"b":2}\n\n', SSEEvent(data='{"b":2}')),
        (b"event: e\ndata: x\n\n", SSEEvent(data="x", event="e")),
    ]


def test_anthropic_event_frames_come_back_byte_for_byte_and_others_are_parsed() -> None:
    raw = (
        b'event: message_start\ndata: {"type":"message_start"}\n\n'
        b"event:ping\ndata:{}\n\n"
        b"event: two\ndata: a\ndata: b\n\n"  # two data lines: parsed, not relayed raw
        b"data: a\nevent: late\n\n"  # data before event: parsed
    )
    assert _frames([raw[:20], raw[20:]]) == [
        (
            b'event: message_start\ndata: {"type":"message_start"}\n\n',
            SSEEvent('{"type":"message_start"}', "message_start"),
        ),
        (b"event:ping\ndata:{}\n\n", SSEEvent("{}", "ping")),
        (None, SSEEvent("a\nb", "two")),
        (None, SSEEvent("a", "late")),
    ]


# -- bounds: a line or an event past max_event_bytes is refused, in linear time -------------------

LIMIT = 1024


def _fed(make: type[SSEParser] | type[SSEFrames], pieces: list[bytes]) -> list[str]:
    """The data of every event ``pieces`` give, up to the ``EventTooLarge`` they raise (if any)."""
    parser = make(LIMIT)
    got: list[str] = []
    for piece in pieces:
        got += [e.data for e in _events(parser.feed(piece))]
    got += [e.data for e in _events(parser.close())]
    return got


def _events(out: list[SSEEvent] | list[tuple[bytes | None, SSEEvent]]) -> list[SSEEvent]:
    return [e if isinstance(e, SSEEvent) else e[1] for e in out]


@pytest.mark.parametrize("make", [SSEParser, SSEFrames])
@pytest.mark.parametrize(
    "flood",
    [b"data: " + b"x" * 2 * LIMIT, b"data: x\n" * LIMIT, b":" + b"c" * 2 * LIMIT, b"data: x\r" * LIMIT],
    ids=["long-line", "many-data-lines", "long-comment", "cr-lines"],
)
@settings(max_examples=40)
@given(cuts=st.lists(st.integers(min_value=0, max_value=3 * LIMIT), max_size=20))
def test_an_event_past_the_limit_raises_after_the_events_before_it(
    make: type[SSEParser] | type[SSEFrames], flood: bytes, cuts: list[int]
) -> None:
    raw = b"data: before\n\n" + flood + b"\n\ndata: after\n\n"
    parser = make(LIMIT)
    got: list[SSEEvent] = []
    with pytest.raises(EventTooLarge, match="1 KiB limit"):
        for piece in _split(raw, cuts):
            got += _events(parser.feed(piece))
        parser.close()
    assert [e.data for e in got] == ["before"], "the events before it came out, nothing after it"


@pytest.mark.parametrize("make", [SSEParser, SSEFrames])
def test_an_event_just_within_the_limit_passes(make: type[SSEParser] | type[SSEFrames]) -> None:
    data = "y" * (LIMIT - 10)
    raw = f"data: {data}\n\n".encode()
    assert _fed(make, _split(raw, [1, 100, 500])) == [data]


@pytest.mark.parametrize("make", [SSEParser, SSEFrames])
def test_an_event_fed_in_tiny_pieces_costs_linear_time(make: type[SSEParser] | type[SSEFrames]) -> None:
    size = 1 << 20
    raw = b"data: " + b"z" * size + b"\n\n"
    parser = make(2 * size)
    started = time.perf_counter()
    events = [e for i in range(0, len(raw), 64) for e in _events(parser.feed(raw[i : i + 64]))]
    assert time.perf_counter() - started < 1.0, "each piece is held, not copied with all before it"
    assert [len(e.data) for e in events] == [size]
