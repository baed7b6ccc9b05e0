from __future__ import annotations

import json

import pytest

from modelswap.providers.errors import (
    error_from_response,
    kind_for_status,
    parse_retry_after,
    protocol_error,
    stream_error,
)

from .payloads import ANTHROPIC_OVERLOADED, OPENAI_ERROR_400, OPENAI_ERROR_429

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "bad_request"),
        (404, "bad_request"),
        (413, "bad_request"),
        (422, "bad_request"),
        (401, "auth"),
        (403, "auth"),
        (408, "timeout"),
        (429, "rate_limited"),
        (500, "server"),
        (502, "server"),
        (503, "overloaded"),
        (529, "overloaded"),
    ],
)
def test_kind_for_status(status: int, kind: str) -> None:
    assert kind_for_status(status) == kind


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after": "Tue, 14 Nov 2023 22:13:50 GMT"}, 30.0),
        ({"retry-after": "Tue, 14 Nov 2023 22:00:00 GMT"}, 0.0),
        ({"retry-after": "Tue, 14 Nov 2023 22:13:25 -0000"}, 5.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "junk", "retry-after": "9"}, 9.0),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, NOW) == expected


def test_openai_error_shape_is_read() -> None:
    err = error_from_response(400, {}, json.dumps(OPENAI_ERROR_400).encode(), provider="old", now=NOW)
    assert err.kind == "bad_request" and err.status == 400 and err.provider == "old"
    assert "maximum context length" in err.message and "invalid_request_error" in err.message
    assert err.body == OPENAI_ERROR_400
    assert not err.retryable


def test_rate_limit_carries_retry_after() -> None:
    raw = json.dumps(OPENAI_ERROR_429).encode()
    err = error_from_response(429, {"retry-after": "2"}, raw, provider="old", now=NOW)
    assert (err.kind, err.retry_after, err.retryable) == ("rate_limited", 2.0, True)
    assert "rate_limit_exceeded" in err.message


def test_insufficient_quota_is_not_retried() -> None:
    body = {
        "error": {
            "message": "You exceeded your current quota",
            "type": "insufficient_quota",
            "code": "insufficient_quota",
        }
    }
    err = error_from_response(429, {}, json.dumps(body).encode(), provider="old", now=NOW)
    assert err.kind == "quota" and err.status == 429 and not err.retryable


def test_anthropic_error_shape_is_read() -> None:
    err = error_from_response(529, {}, json.dumps(ANTHROPIC_OVERLOADED).encode(), provider="new", now=NOW)
    assert (err.kind, err.status) == ("overloaded", 529)
    assert err.message == "new: HTTP 529 overloaded_error: Overloaded"


def test_non_json_error_body_is_quoted_briefly() -> None:
    raw = b"<html><body>502 Bad Gateway</body></html>" + b"x" * 1000
    err = error_from_response(502, {}, raw, provider="old", now=NOW)
    assert err.kind == "server" and "502 Bad Gateway" in err.message and len(err.message) < 400
    assert err.body is None


def test_empty_error_body() -> None:
    assert "(empty body)" in error_from_response(500, {}, b"", provider="p", now=NOW).message


@pytest.mark.parametrize(
    ("etype", "kind", "status"),
    [
        ("overloaded_error", "overloaded", 529),
        ("api_error", "server", 500),
        ("rate_limit_error", "rate_limited", 429),
        ("invalid_request_error", "bad_request", 400),
        ("something_new", "server", 500),
    ],
)
def test_stream_error_kinds(etype: str, kind: str, status: int) -> None:
    err = stream_error({"type": "error", "error": {"type": etype, "message": "m"}}, provider="p")
    assert (err.kind, err.status) == (kind, status)


def test_protocol_error_names_what_was_received() -> None:
    err = protocol_error("old", "body is not JSON", b"<html>")
    assert err.kind == "protocol" and "<html>" in err.message and not err.retryable
