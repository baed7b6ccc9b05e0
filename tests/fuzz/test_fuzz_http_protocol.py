"""Generated request heads and bodies thrown at the gateway's HTTP/1.1 server protocol on a real
socket: whatever arrives, the server answers or closes within its timeouts, never answers a
malformed request with a 5xx, and keeps serving a good request afterwards."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelswap.gateway.asgi import Receive, Scope, Send
from modelswap.gateway.http_protocol import HttpProtocol, Limits

LIMITS = Limits(header_timeout_s=0.2, body_timeout_s=0.2, max_connections=1000)
KEEP_ALIVE_S = 0.2
WITHIN_S = 4.0
"""The longest any connection may stay open: a timeout (0.2 s), one check period (0.2 s), the
refusal linger (1 s), and room for a loaded machine."""
GOOD = b"POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}"


async def drain_and_answer(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the whole body, answers 200 with an empty body (so HEAD and GET frame alike)."""
    if scope["type"] != "http":
        return
    while True:
        message = await receive()
        if message["type"] == "http.disconnect" or not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    """The protocol under short limits, served by uvicorn on uvloop in a thread of its own."""
    sock = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(
        drain_and_answer,
        http=HttpProtocol.with_limits(LIMITS),
        loop="uvloop",
        lifespan="off",
        log_level="critical",
        timeout_keep_alive=KEEP_ALIVE_S,  # type: ignore[arg-type]
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.01)
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join(10)


def exchange(port: int, pieces: list[bytes]) -> bytes:
    """Send ``pieces`` on one connection and read until the server closes it (failing past ``WITHIN_S``)."""
    deadline = time.monotonic() + WITHIN_S
    with socket.create_connection(("127.0.0.1", port), timeout=WITHIN_S) as conn:
        try:
            for piece in pieces:
                conn.sendall(piece)
        except OSError:
            pass  # the server already refused and closed: what it said is still readable, or reset
        received = b""
        while True:
            conn.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = conn.recv(65_536)
            except TimeoutError:
                raise AssertionError(f"the connection was still open after {WITHIN_S} s") from None
            except ConnectionResetError:
                return received
            if not data:
                return received
            received += data


_STATUS = re.compile(rb"HTTP/1\.[01] (\d{3}) ")


def statuses(received: bytes) -> list[int]:
    """The status of each response in ``received`` (each has a Content-Length; 100s have no body)."""
    found = []
    while received:
        match = _STATUS.match(received)
        assert match, f"not an HTTP response: {received[:200]!r}"
        head, _, rest = received.partition(b"\r\n\r\n")
        length = re.search(rb"(?im)^content-length: *(\d+)\r?$", head)
        found.append(int(match.group(1)))
        received = rest[int(length.group(1)) if length else 0 :]
    return found


def served_after(port: int) -> None:
    assert statuses(exchange(port, [GOOD + b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"])) == [200, 200]


def check(port: int, pieces: list[bytes]) -> None:
    answers = statuses(exchange(port, pieces))
    assert all(status < 500 for status in answers), answers
    served_after(port)


# -- strategies -----------------------------------------------------------------------------------

_TOKEN = st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=20)
_ANY_TEXT = st.text(max_size=40)  # includes non-ASCII, CR, LF, NUL
_METHOD = st.sampled_from(["GET", "POST", "HEAD", "PUT", "OPTIONS", "CONNECT", "PRI", "G\x00T", ""]) | _TOKEN
_PATH = st.sampled_from(["/v1/chat/completions", "/v1/messages", "*", "http://h/x?y", "/%zz", "/a#b"]) | _ANY_TEXT
_VERSION = st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/0.9", "HTTP/1.1 ", "http/1.1", ""])
_ODD_LENGTHS = ["0", "2", "-1", "1e3", " 5", "5,5", "99999999999999999999999", "0x10", "", "7 "]
_LENGTH = st.sampled_from(_ODD_LENGTHS) | st.integers(0, 10**6).map(str)
_CODING = st.sampled_from(["chunked", "identity, chunked", "gzip", "chunked, identity", "CHUNKED", "chunked\t", ""])
_NAME = st.sampled_from(["Host", "Content-Length", "Transfer-Encoding", "Expect", "Connection", "Upgrade"]) | _TOKEN
_HEADER = st.one_of(
    st.tuples(st.just("Content-Length"), _LENGTH),
    st.tuples(st.just("Transfer-Encoding"), _CODING),
    st.tuples(st.just("Expect"), st.sampled_from(["100-continue", "nonsense"])),
    st.tuples(st.just("Connection"), st.sampled_from(["close", "keep-alive", "upgrade"])),
    st.tuples(_NAME, _ANY_TEXT),
)
_ENCODING = st.sampled_from(["utf-8", "latin-1"])


@st.composite
def chunked_body(draw: st.DrawFn) -> bytes:
    """Chunk framing, right or wrong: sizes that lie, extensions, trailers, a missing end."""
    out = b""
    for data in draw(st.lists(st.binary(max_size=30), max_size=4)):
        size = draw(st.sampled_from([len(data), len(data) + 1, max(0, len(data) - 1)]))
        ext = draw(st.sampled_from([b"", b";x=1", b" ;", b";\x00"]))
        hexed = draw(st.sampled_from([b"%x" % size, b"%X" % size, b"-%x" % size, b"0x%x" % size]))
        out += hexed + ext + b"\r\n" + data + draw(st.sampled_from([b"\r\n", b"\n", b""]))
    return out + draw(st.sampled_from([b"0\r\n\r\n", b"0\r\nX-Trailer: t\r\n\r\n", b"0\r\n", b""]))


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    encoding = draw(_ENCODING)
    line = f"{draw(_METHOD)} {draw(_PATH)} {draw(_VERSION)}".encode(encoding, "replace")
    separator = st.sampled_from([b": ", b":", b" : "])
    headers = b"".join(
        name.encode(encoding, "replace") + draw(separator) + value.encode(encoding, "replace") + b"\r\n"
        for name, value in draw(st.lists(_HEADER, max_size=6))
    )
    body = draw(chunked_body() | st.binary(max_size=200))
    return line + b"\r\n" + headers + draw(st.sampled_from([b"\r\n", b"", b"\n"])) + body


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True) if data[a:b]] or [data]


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(data=st.binary(max_size=400), cuts=st.lists(st.integers(0, 400), max_size=3))
def test_random_bytes_never_get_a_5xx_nor_hang(port: int, data: bytes, cuts: list[int]) -> None:
    check(port, split(data, cuts))


@FUZZ
@given(first=requests(), then=st.none() | requests(), cuts=st.lists(st.integers(0, 2000), max_size=3))
def test_generated_requests_never_get_a_5xx_nor_hang(
    port: int, first: bytes, then: bytes | None, cuts: list[int]
) -> None:
    check(port, split(first + (then or b""), cuts))


@FUZZ
@given(prefix=st.sampled_from([GOOD, b""]), request=requests())
def test_a_bad_request_after_a_good_one_on_the_same_connection(port: int, prefix: bytes, request: bytes) -> None:
    answers = statuses(exchange(port, [prefix + request]))
    assert all(status < 500 for status in answers), answers
    if prefix:
        assert answers and answers[0] == 200, "the good request before it is answered"
    served_after(port)
