"""Headers between app and vendor: an allow-list each way, only to a vendor that speaks the app's API."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from modelswap.providers.forwarding import (
    UPSTREAM_REQUEST_ID,
    answer_headers,
    begin,
    forwarded_request_headers,
    note_answer,
    outgoing,
)
from modelswap.providers.passthrough import Vendor

APP = {
    "authorization": "Bearer sk-app",
    "x-api-key": "sk-ant-app",
    "cookie": "session=1",
    "anthropic-beta": "files-api-2025-04-14",
    "anthropic-version": "2023-06-01",
    "openai-organization": "org-1",
    "openai-project": "proj-1",
    "idempotency-key": "k-1",
    "x-modelswap-workload": "support",
}


def test_each_vendor_gets_its_own_headers_and_no_credentials() -> None:
    assert forwarded_request_headers(APP, "anthropic") == {
        "anthropic-beta": "files-api-2025-04-14",
        "anthropic-version": "2023-06-01",
        "idempotency-key": "k-1",
    }
    assert forwarded_request_headers(APP, "openai") == {
        "openai-organization": "org-1",
        "openai-project": "proj-1",
        "idempotency-key": "k-1",
    }


def test_vendor_answers_keep_rate_limits_and_rename_the_request_id() -> None:
    got = dict(
        answer_headers(
            [
                ("X-Request-Id", "req_1"),
                ("openai-processing-ms", "12"),
                ("x-ratelimit-remaining-tokens", "99"),
                ("anthropic-ratelimit-requests-limit", "50"),
                ("retry-after", "3"),
                ("set-cookie", "__cf=1"),
                ("content-length", "10"),
            ]
        )
    )
    assert got == {
        UPSTREAM_REQUEST_ID.encode(): b"req_1",
        b"openai-processing-ms": b"12",
        b"x-ratelimit-remaining-tokens": b"99",
        b"anthropic-ratelimit-requests-limit": b"50",
        b"retry-after": b"3",
    }


async def test_the_current_requests_headers_reach_only_its_own_calls() -> None:
    defaults = {"anthropic-version": "2023-06-01", "x-api-key": "sk-ant-endpoint"}
    assert outgoing(defaults, "anthropic") is defaults, "no request: nothing added"

    async def one_request(beta: str) -> dict[str, str]:
        exchange = begin({"anthropic-beta": beta, "anthropic-version": "2024-01-01", "x-api-key": "sk-ant-app"})
        await asyncio.sleep(0)
        note_answer([("request-id", f"req-{beta}")])
        assert exchange.received == [(UPSTREAM_REQUEST_ID.encode(), f"req-{beta}".encode())]
        return dict(outgoing(defaults, "anthropic"))

    a, b = await asyncio.gather(asyncio.create_task(one_request("a")), asyncio.create_task(one_request("b")))
    assert a == {"anthropic-version": "2024-01-01", "x-api-key": "sk-ant-endpoint", "anthropic-beta": "a"}
    assert b["anthropic-beta"] == "b"


@given(st.dictionaries(st.text(max_size=30).map(str.lower), st.text(max_size=30), max_size=20))
def test_no_credential_or_cookie_is_ever_forwarded(headers: dict[str, str]) -> None:
    for wire in ("openai", "anthropic"):
        out = forwarded_request_headers({**headers, **APP}, wire)
        assert not {"authorization", "x-api-key", "cookie", "x-modelswap-workload", "api-key"} & set(out)
        vendor = Vendor("old", wire, "https://api.example.com/v1", "sk-endpoint")
        sent = vendor.headers({**headers, **APP})
        assert "sk-app" not in str(sent) and "sk-ant-app" not in str(sent) and "cookie" not in sent


@given(st.text(max_size=60), st.text(max_size=30))
def test_a_passed_path_stays_under_the_vendors_base(path: str, query: str) -> None:
    vendor = Vendor("old", "openai", "https://api.example.com/v1", "k")
    url = vendor.url("/v1/" + path, query)
    assert url.startswith("https://api.example.com/v1/")
    assert not any(c in url for c in " \r\n#") and url.isascii()
