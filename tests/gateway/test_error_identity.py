"""The error identity table: same dialect untouched, across dialects the faithful equivalent."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelswap.gateway.error_identity import identity_for, meaning_of
from modelswap.gateway.errors import ClientError, error_frame, from_upstream
from modelswap.providers.base import Dialect, UpstreamError, VendorError


def said(wire: Dialect, status: int, etype: str | None, message: str = "m", **extra: str) -> VendorError:
    return VendorError(wire=wire, status=status, type=etype, message=message, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error",
    [
        said("openai", 400, "invalid_request_error", code="context_length_exceeded", param="messages"),
        said("openai", 429, "tokens", code="rate_limit_exceeded"),
        said("anthropic", 529, "overloaded_error"),
        said("anthropic", 429, "rate_limit_error", detail_code="enforced_spend_limit_reached"),
        said("openai", 418, None),
    ],
)
def test_the_same_dialect_keeps_status_type_code_and_param(error: VendorError) -> None:
    ident = identity_for(error, error.wire)
    assert (ident.status, ident.code, ident.param, ident.detail_code) == (
        error.status,
        error.code,
        error.param,
        error.detail_code,
    )
    assert ident.type == (error.type or "invalid_request_error")


@pytest.mark.parametrize(
    ("error", "status", "etype", "code"),
    [
        (said("anthropic", 529, "overloaded_error"), 503, "server_error", None),
        (
            said("anthropic", 400, "invalid_request_error", "prompt is too long: 9 > 8"),
            400,
            "invalid_request_error",
            "context_length_exceeded",
        ),
        (said("anthropic", 429, "rate_limit_error", "output tokens per minute"), 429, "tokens", "rate_limit_exceeded"),
        (
            said("anthropic", 429, "rate_limit_error", detail_code="enforced_spend_limit_reached"),
            429,
            "insufficient_quota",
            "insufficient_quota",
        ),
        (said("anthropic", 404, "not_found_error", "model: claude-x"), 404, "invalid_request_error", "model_not_found"),
        (said("anthropic", 413, "request_too_large"), 413, "invalid_request_error", None),
        (said("anthropic", 500, "api_error"), 500, "server_error", None),
        (said("anthropic", 504, "timeout_error"), 504, "server_error", None),
    ],
)
def test_claude_errors_in_openai_terms(error: VendorError, status: int, etype: str, code: str | None) -> None:
    ident = identity_for(error, "openai")
    assert (ident.status, ident.type, ident.code) == (status, etype, code)


@pytest.mark.parametrize(
    ("error", "status", "etype"),
    [
        (said("openai", 503, "server_error"), 529, "overloaded_error"),
        (said("openai", 400, "invalid_request_error", code="context_length_exceeded"), 400, "invalid_request_error"),
        (said("openai", 429, "requests", code="rate_limit_exceeded"), 429, "rate_limit_error"),
        (said("openai", 429, "insufficient_quota", code="insufficient_quota"), 402, "billing_error"),
        (said("openai", 404, "invalid_request_error", code="model_not_found"), 404, "not_found_error"),
        (said("openai", 422, "invalid_request_error"), 400, "invalid_request_error"),
        (said("openai", 500, "server_error"), 500, "api_error"),
    ],
)
def test_openai_errors_in_anthropic_terms(error: VendorError, status: int, etype: str) -> None:
    ident = identity_for(error, "anthropic")
    assert (ident.status, ident.type) == (status, etype)
    if error.code == "context_length_exceeded":
        assert ident.message.startswith("prompt is too long: ")


def test_the_vendors_message_comes_first_with_modelswaps_context_after() -> None:
    exc = UpstreamError(
        "x",
        kind="overloaded",
        status=529,
        provider="new",
        vendor=said("anthropic", 529, "overloaded_error", "Overloaded"),
    )
    error = from_upstream(exc, "new", "claude-x")
    body = orjson.loads(error.body("anthropic"))
    assert body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded (from the new model (claude-x) via modelswap)"},
    }
    assert error.status_for("anthropic") == 529 and error.status_for("openai") == 503


def test_every_error_answer_says_whether_to_retry() -> None:
    assert (b"x-should-retry", b"false") in ClientError(400, "bad").headers()
    assert (b"x-should-retry", b"true") in ClientError(503, "busy").headers()
    assert (b"x-should-retry", b"false") in ClientError(503, "busy", should_retry=False).headers()
    headers = dict(ClientError(429, "slow", retry_after=0.25).headers())
    assert headers[b"retry-after"] == b"1" and headers[b"retry-after-ms"] == b"250"


def test_a_mid_stream_error_frame_keeps_the_vendors_type() -> None:
    exc = UpstreamError(
        "x",
        kind="overloaded",
        status=529,
        provider="old",
        vendor=said("anthropic", 529, "overloaded_error", "Overloaded", in_stream=True),
    )  # type: ignore[arg-type]
    frame = error_frame(exc, "anthropic")
    assert frame.startswith(b"event: error\ndata: ") and frame.endswith(b"\n\n")
    assert orjson.loads(frame.split(b"data: ", 1)[1])["error"]["type"] == "overloaded_error"
    own = error_frame(UpstreamError("old: dropped", kind="connection", status=0, provider="old"), "openai")
    assert orjson.loads(own[6:])["error"]["code"] == "upstream_connection"


identifiers = st.none() | st.from_regex(r"[a-z_]{1,20}", fullmatch=True)


@given(
    wire=st.sampled_from(["openai", "anthropic"]),
    dialect=st.sampled_from(["openai", "anthropic"]),
    status=st.integers(0, 999),
    etype=identifiers,
    code=identifiers,
    detail=identifiers,
    message=st.text(max_size=200),
    in_stream=st.booleans(),
)
def test_any_vendor_error_becomes_a_valid_error_answer(
    wire: Dialect,
    dialect: Dialect,
    status: int,
    etype: str | None,
    code: str | None,
    detail: str | None,
    message: str,
    in_stream: bool,
) -> None:
    error = VendorError(
        wire=wire, status=status, type=etype, code=code, detail_code=detail, message=message, in_stream=in_stream
    )
    ident = identity_for(error, dialect)
    assert 400 <= ident.status <= 999 and ident.type
    meaning_of(error)  # total: every error means something
    client = ClientError(ident.status, "ctx", vendor=error)
    assert orjson.loads(client.body(dialect))
