"""Who retries what: the serving policy retries only requests that never left; the error it gives
up with says whether the caller may retry; a budget caps both."""

from __future__ import annotations

from typing import Any

import pytest

from modelswap.providers import Retrying, RetryPolicy, UpstreamError
from modelswap.providers.base import ErrorKind, VendorError
from modelswap.providers.retry import MAX_CLIENT_WAIT_S, client_may_retry, grant_client_retry
from modelswap.providers.retry_budget import BudgetSpec, RetryBudget

from .test_retry import REQUEST, FakeUpstream

SERVING = RetryPolicy(max_retries=2, only_unsent=True)


def error(kind: ErrorKind, *, unsent: bool = False, retry_after: float | None = None, **vendor: Any) -> UpstreamError:
    said = VendorError(wire="openai", status=503, **vendor) if vendor else None
    return UpstreamError("x", kind=kind, status=503, provider="p", retry_after=retry_after, vendor=said, unsent=unsent)


async def no_sleep(_: float) -> None:
    return None


async def test_the_serving_policy_retries_a_request_that_never_left() -> None:
    inner = FakeUpstream([error("connection", unsent=True), error("timeout", unsent=True), {"ok": True}])
    assert await Retrying(inner, SERVING, sleep=no_sleep).complete(REQUEST) == {"ok": True}  # type: ignore[arg-type]
    assert inner.calls == 3


@pytest.mark.parametrize("kind", ["overloaded", "rate_limited", "server", "timeout", "connection"])
async def test_the_serving_policy_leaves_what_the_vendor_saw_to_the_app(kind: ErrorKind) -> None:
    inner = FakeUpstream([error(kind)])
    with pytest.raises(UpstreamError) as caught:
        await Retrying(inner, SERVING, sleep=no_sleep).complete(REQUEST)  # type: ignore[arg-type]
    assert inner.calls == 1, "one call: the app's SDK owns this retry"
    assert grant_client_retry(caught.value) is True


async def test_what_the_gateway_retried_itself_the_app_is_told_not_to_retry() -> None:
    inner = FakeUpstream([error("connection", unsent=True)] * 3)
    with pytest.raises(UpstreamError) as caught:
        await Retrying(inner, SERVING, sleep=no_sleep).complete(REQUEST)  # type: ignore[arg-type]
    assert inner.calls == 3 and grant_client_retry(caught.value) is False


async def test_a_stream_follows_the_same_owner_rule() -> None:
    inner = FakeUpstream([[error("connection", unsent=True)], [error("overloaded")]])
    with pytest.raises(UpstreamError) as caught:
        async for _ in Retrying(inner, SERVING, sleep=no_sleep).stream(REQUEST):  # type: ignore[arg-type]
            pass
    assert inner.calls == 2 and caught.value.kind == "overloaded" and grant_client_retry(caught.value) is True


async def test_an_empty_budget_stops_both_kinds_of_retry() -> None:
    budget = RetryBudget(BudgetSpec(ratio=0, min_per_s=0, burst=0))
    inner = FakeUpstream([error("connection", unsent=True), error("overloaded")])
    upstream = Retrying(inner, SERVING, budget=budget, sleep=no_sleep)  # type: ignore[arg-type]
    for _ in range(2):
        with pytest.raises(UpstreamError) as caught:
            await upstream.complete(REQUEST)
        assert grant_client_retry(caught.value) is False
    assert inner.calls == 2, "no retry of the unsent one either"


async def test_a_retry_is_charged_only_when_the_caller_is_told_it_may_retry() -> None:
    budget = RetryBudget(BudgetSpec(ratio=0, min_per_s=0, burst=1))
    inner = FakeUpstream([error("overloaded"), error("overloaded")])
    upstream = Retrying(inner, SERVING, budget=budget, sleep=no_sleep)  # type: ignore[arg-type]
    with pytest.raises(UpstreamError):
        await upstream.complete(REQUEST)  # a shadow call, say: nobody answers an app with it
    assert budget.available == 1
    with pytest.raises(UpstreamError) as caught:
        await upstream.complete(REQUEST)
    assert grant_client_retry(caught.value) is True and budget.available == 0


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (error("overloaded"), True),
        (error("bad_request"), False),
        (error("quota"), False),
        (error("auth"), False),
        (error("rate_limited", retry_after=MAX_CLIENT_WAIT_S), True),
        (error("rate_limited", retry_after=MAX_CLIENT_WAIT_S + 1), False),
        (error("overloaded", should_retry=False), False),
        (error("server", should_retry=True), True),
        (error("bad_request", should_retry=True), True),
        (error("auth", should_retry=True), False),
    ],
    ids=[
        "overloaded",
        "bad-request",
        "quota",
        "auth",
        "wait-ok",
        "wait-too-long",
        "vendor-no",
        "vendor-yes",
        "vendor-yes-on-a-409",
        "our-key-refused",
    ],
)
def test_client_may_retry(exc: UpstreamError, expected: bool) -> None:
    assert client_may_retry(exc) is expected
