"""The failed-authentication throttle: a token bucket per client address, bounded in memory."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.gateway.throttle import AuthThrottle, client_bucket


def test_burst_then_blocked_then_one_attempt_per_refill() -> None:
    t = AuthThrottle(burst=3, refill_s=10.0)
    for _ in range(3):
        assert t.retry_after("192.0.2.1", 0.0) is None
        t.failed("192.0.2.1", 0.0)
    assert t.retry_after("192.0.2.1", 0.0) == pytest.approx(10.0)
    assert t.retry_after("192.0.2.1", 4.0) == pytest.approx(6.0)
    assert t.retry_after("192.0.2.1", 10.0) is None
    t.failed("192.0.2.1", 10.0)
    assert t.retry_after("192.0.2.1", 15.0) == pytest.approx(5.0)
    assert t.retry_after("192.0.2.2", 0.0) is None, "another address is not affected"


def test_a_quiet_address_earns_its_whole_burst_back() -> None:
    t = AuthThrottle(burst=3, refill_s=10.0)
    for _ in range(3):
        t.failed("192.0.2.1", 0.0)
    for _ in range(3):
        assert t.retry_after("192.0.2.1", 1000.0) is None
        t.failed("192.0.2.1", 1000.0)
    assert t.retry_after("192.0.2.1", 1000.0) is not None


def test_ipv6_is_counted_per_64_and_mapped_ipv4_as_ipv4() -> None:
    assert client_bucket("2001:db8:1:2:aaaa::1") == client_bucket("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert client_bucket("2001:db8:1:3::1") != client_bucket("2001:db8:1:2::1")
    assert client_bucket("::ffff:192.0.2.7") == "192.0.2.7"
    assert client_bucket("not an address") == "not an address"
    assert len(client_bucket("x" * 10_000)) == 64
    t = AuthThrottle(burst=1, refill_s=60.0)
    t.failed("2001:db8:1:2::1", 0.0)
    assert t.retry_after("2001:db8:1:2::ffff", 0.0) is not None, "rotating within a /64 does not help"


def test_memory_is_bounded_by_forgetting_the_longest_idle() -> None:
    t = AuthThrottle(burst=1, refill_s=60.0, max_clients=100)
    for i in range(10_000):
        t.failed(f"10.0.{i // 256}.{i % 256}", float(i))
    assert len(t) == 100
    assert t.retry_after("10.0.39.15", 9999.0) is not None, "the most recent stay"


@settings(max_examples=100)
@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), st.floats(0, 5), st.booleans()), max_size=60))
def test_never_more_failures_than_the_budget_allows(events: list[tuple[str, float, bool]]) -> None:
    burst, refill = 4, 10.0
    t = AuthThrottle(burst=burst, refill_s=refill)
    now = 0.0
    allowed = {"a": 0, "b": 0}
    for who, step, fail in events:
        now += step
        if t.retry_after(who, now) is None and fail:
            t.failed(who, now)
            allowed[who] += 1
    for count in allowed.values():
        assert count <= burst + now / refill + 1e-9
