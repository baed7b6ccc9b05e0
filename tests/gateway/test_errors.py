"""Client-facing errors: each API's shape, statuses the app can act on, usable as exceptions."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import orjson
import pytest

from modelswap.gateway.errors import ClientError, from_upstream
from modelswap.providers.base import UpstreamError


def test_openai_and_anthropic_shapes() -> None:
    error = ClientError(404, "no such model", param="model", code="model_not_found")
    assert orjson.loads(error.body("openai")) == {
        "error": {
            "message": "no such model",
            "type": "invalid_request_error",  # OpenAI's own type for an unknown model
            "param": "model",
            "code": "model_not_found",
        }
    }
    assert orjson.loads(error.body("anthropic")) == {
        "type": "error",
        "error": {"type": "not_found_error", "message": "no such model"},
    }
    assert orjson.loads(ClientError(502, "x").body("openai"))["error"]["type"] == "server_error"


def test_retry_after_header_is_whole_seconds_at_least_one() -> None:
    assert (b"retry-after", b"7") in ClientError(429, "slow down", retry_after=6.6).headers()
    assert (b"retry-after", b"1") in ClientError(429, "slow down", retry_after=0.0).headers()
    assert all(name != b"retry-after" for name, _ in ClientError(400, "x").headers())


def test_it_behaves_like_an_exception_through_context_managers() -> None:
    @contextlib.contextmanager
    def managed() -> Iterator[None]:
        yield

    with pytest.raises(ClientError) as caught, managed():
        raise ClientError(400, "'messages' is required")
    assert caught.value.status == 400 and str(caught.value) == "'messages' is required"


async def test_it_behaves_like_an_exception_through_async_context_managers() -> None:
    @contextlib.asynccontextmanager
    async def managed() -> AsyncIterator[None]:
        yield

    with pytest.raises(ClientError) as caught:
        async with managed():
            raise ClientError(413, "too large")
    assert caught.value.status == 413


def upstream(kind: str, status: int, message: str = "boom", retry_after: float | None = None) -> UpstreamError:
    return UpstreamError(message, kind=kind, status=status, provider="new", retry_after=retry_after)  # type: ignore[arg-type]


def test_from_upstream_keeps_request_errors_as_the_apps() -> None:
    error = from_upstream(upstream("bad_request", 422, "bad tool schema"), "new", "gpt-5")
    assert error.status == 422 and "the new model (gpt-5) rejected the request: bad tool schema" in error.message


@pytest.mark.parametrize(
    ("kind", "status", "expected"),
    [("server", 500, 502), ("overloaded", 529, 503), ("timeout", 0, 504), ("connection", 0, 502), ("auth", 401, 502)],
)
def test_from_upstream_provider_failures(kind: str, status: int, expected: int) -> None:
    error = from_upstream(upstream(kind, status), "new", "gpt-5")
    assert error.status == expected and "gpt-5" in error.message and error.code == f"upstream_{kind}"


def test_from_upstream_passes_retry_after_on_429() -> None:
    error = from_upstream(upstream("rate_limited", 429, retry_after=3), "old", "gpt-4o")
    assert error.status == 429 and error.retry_after == 3


def test_connection_failures_do_not_show_the_app_modelswaps_upstream_address() -> None:
    from modelswap.gateway.errors import from_upstream
    from modelswap.providers.base import UpstreamError

    exc = UpstreamError(
        "openai: could not connect to http://10.0.0.7:8443/v1/chat/completions: refused",
        kind="connection",
        status=502,
        provider="openai",
    )
    err = from_upstream(exc, "new", "gpt-5")
    assert err.status == 502
    assert "10.0.0.7" not in err.message and "8443" not in err.message
    assert "new model (gpt-5)" in err.message and "could not connect" in err.message


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("protocol", "answer refused: the body is larger than the 32 MiB limit"),
        ("timeout", "no stream event (comments and pings do not count) for 60s"),
        ("connection", "connection dropped: server closed the connection before the response was complete"),
    ],
)
def test_wire_failures_say_what_happened_without_repeating_the_provider(kind: str, said: str) -> None:
    exc = UpstreamError(f"openai: {said}", kind=kind, status=0, provider="openai")  # type: ignore[arg-type]
    err = from_upstream(exc, "old", "gpt-4o")
    assert err.message == f"the old model (gpt-4o) failed: {said}"
    assert err.status == (504 if kind == "timeout" else 502)
