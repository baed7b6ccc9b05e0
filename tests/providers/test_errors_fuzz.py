"""Hostile error answers (huge, deep, malformed, odd types) still give a bounded, safe error."""

from __future__ import annotations

import re
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.providers.errors import error_from_response, stream_error, vendor_identity
from modelswap.providers.safe_text import MAX_ERROR_CHARS

IDENTIFIER = re.compile(r"[A-Za-z0-9_.:\-\[\]]{1,128}")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=30,
)
error_fields = st.fixed_dictionaries(
    {},
    optional={
        "message": json_values,
        "type": json_values,
        "code": json_values,
        "param": json_values,
        "details": st.dictionaries(st.just("error_code"), json_values) | json_values,
    },
)
bodies = st.one_of(
    st.fixed_dictionaries({"error": error_fields | json_values}),
    st.fixed_dictionaries({"type": st.just("error"), "error": error_fields}),
    json_values,
)


def check(exc: Any) -> None:
    assert len(exc.message) <= MAX_ERROR_CHARS
    if exc.vendor is not None:
        assert len(exc.vendor.message) <= MAX_ERROR_CHARS
        for field in (exc.vendor.type, exc.vendor.code, exc.vendor.param, exc.vendor.detail_code):
            assert field is None or IDENTIFIER.fullmatch(field)


@settings(max_examples=300)
@given(status=st.integers(400, 599), body=bodies, wire=st.sampled_from(["openai", "anthropic", None]))
def test_any_json_error_body_gives_a_bounded_identity(status: int, body: Any, wire: Any) -> None:
    raw = orjson.dumps(body)
    check(error_from_response(status, {}, raw, provider="p", now=0.0, wire=wire))
    if isinstance(body, dict):
        check(stream_error(body, provider="p", wire=wire))


@given(raw=st.binary(max_size=2000), status=st.integers(400, 599))
def test_any_bytes_give_an_error(raw: bytes, status: int) -> None:
    check(error_from_response(status, {"x-should-retry": "maybe"}, raw, provider="p", now=0.0, wire="openai"))


def test_a_huge_or_deep_body_is_bounded() -> None:
    huge = orjson.dumps({"error": {"message": "x" * (8 << 20), "type": "t" * 10_000, "code": "c"}})
    exc = error_from_response(500, {}, huge, provider="p", now=0.0, wire="openai")
    check(exc)
    assert exc.vendor is not None and exc.vendor.type is None and exc.vendor.code == "c"
    deep = b'{"error": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    check(error_from_response(500, {}, deep, provider="p", now=0.0, wire="anthropic"))


def test_identity_fields_that_are_not_identifiers_are_dropped() -> None:
    body = {"error": {"message": "m", "type": "<script>", "code": 404, "param": "messages[0].content"}}
    assert vendor_identity(body) == ("m", None, "404", "messages[0].content", None)
