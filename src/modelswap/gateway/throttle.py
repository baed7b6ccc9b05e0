"""Throttling failed authentication per client address: a token bucket of allowed failures.

Each client address may fail ``burst`` times in a row; it earns one failure back every
``refill_s`` seconds. Once its bucket is empty every request from it that needs
authentication gets a 429 with ``Retry-After`` *before* its credential is checked, so a
guesser learns nothing while blocked. Successes cost nothing. IPv6 clients are counted per
/64 (one host usually owns a whole /64). Memory is bounded: at most ``max_clients``
addresses are tracked; when full, the longest-idle ones are forgotten.

Pure bookkeeping over an injected clock; the gateway calls it, tests drive it with plain numbers.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from modelswap.gateway.errors import ClientError
from modelswap.gateway.forwarded import TrustedProxies, client_address

# TrustedProxies is re-exported: the gateway app takes the throttle and the proxies it trusts from here.
__all__ = ["AuthGuard", "AuthThrottle", "TrustedProxies", "blocked_message", "client_bucket"]


def client_bucket(address: str) -> str:
    """The unit throttled for ``address``: the address itself, or its /64 for IPv6."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class AuthThrottle:
    """Failed-authentication budget per client address (see the module docstring)."""

    __slots__ = ("_buckets", "burst", "max_clients", "refill_s")

    def __init__(self, burst: int = 10, refill_s: float = 6.0, max_clients: int = 10_000) -> None:
        if burst < 1 or refill_s <= 0 or max_clients < 1:
            raise ValueError("burst and max_clients must be at least 1, refill_s positive")
        self.burst = burst
        self.refill_s = refill_s
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def _level(self, bucket: _Bucket, now: float) -> float:
        return min(float(self.burst), bucket.tokens + max(0.0, now - bucket.at) / self.refill_s)

    def retry_after(self, address: str, now: float) -> float | None:
        """Seconds ``address`` must wait before it may try again, or ``None`` if it may try now."""
        if not self._buckets:
            return None
        bucket = self._buckets.get(client_bucket(address))
        if bucket is None:
            return None
        level = self._level(bucket, now)
        return None if level >= 1.0 else (1.0 - level) * self.refill_s

    def failed(self, address: str, now: float) -> None:
        """Spend one of ``address``'s failures."""
        key = client_bucket(address)
        bucket = self._buckets.pop(key, None)
        level = float(self.burst) if bucket is None else self._level(bucket, now)
        self._buckets[key] = _Bucket(max(0.0, level - 1.0), now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)


class AuthGuard:
    """One replica's failed-authentication throttle with the rule for who the client is;
    shared by the API, the admin API, ``/metrics`` and the console."""

    __slots__ = ("clock", "throttle", "trusted")

    def __init__(
        self,
        throttle: AuthThrottle | None = None,
        trusted: TrustedProxies | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.throttle = throttle or AuthThrottle()
        self.trusted = trusted or TrustedProxies()
        self.clock = clock

    def address(self, scope: MutableMapping[str, Any]) -> str:
        """The client address the throttle counts for this request."""
        return client_address(scope, self.trusted)

    def retry_after(self, address: str) -> float | None:
        """Seconds ``address`` must wait before trying to authenticate again, else ``None``."""
        return self.throttle.retry_after(address, self.clock())

    def failed(self, address: str) -> None:
        """Count one failed authentication against ``address``."""
        self.throttle.failed(address, self.clock())

    def refuse_if_blocked(self, address: str) -> None:
        """A 429 (OpenAI's error shape, with ``Retry-After``) while ``address`` is blocked."""
        wait = self.retry_after(address)
        if wait is not None:
            raise ClientError(429, blocked_message(wait), code="too_many_failed_authentications", retry_after=wait)


def blocked_message(wait: float) -> str:
    """What a blocked client is told."""
    return (
        "too many failed authentications from your address; "
        f"wait {max(1, math.ceil(wait))} s (Retry-After) and check the key or token you send"
    )
