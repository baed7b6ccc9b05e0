"""Client address and HTTPS: forwarding headers are believed from trusted proxies only."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from modelswap.gateway.forwarded import TrustedProxies, client_address, is_https

LB = TrustedProxies(["10.0.0.0/8", "2001:db8::/32"])


def scope(peer: str, scheme: str = "http", **headers: str) -> dict[str, Any]:
    raw = [(k.replace("_", "-").encode(), v.encode("latin-1")) for k, v in headers.items()]
    return {"type": "http", "client": (peer, 1234), "scheme": scheme, "headers": raw}


def test_an_untrusted_peer_cannot_pick_its_address_or_claim_https() -> None:
    s = scope("203.0.113.5", x_forwarded_for="192.0.2.1", x_forwarded_proto="https")
    assert client_address(s, LB) == "203.0.113.5"
    assert not is_https(s, LB)
    assert client_address(s, TrustedProxies()) == "203.0.113.5"


def test_a_trusted_proxy_forwards_the_rightmost_untrusted_address() -> None:
    s = scope("10.0.0.2", x_forwarded_for="6.6.6.6, 192.0.2.1, 10.0.0.9")
    assert client_address(s, LB) == "192.0.2.1", "the leftmost entry is whatever the client wrote"
    assert client_address(scope("10.0.0.2"), LB) == "10.0.0.2"
    assert client_address(scope("::ffff:10.0.0.2", x_forwarded_for="192.0.2.3"), LB) == "192.0.2.3"


def test_https_from_tls_or_a_trusted_proxy() -> None:
    assert is_https(scope("203.0.113.5", scheme="https"), LB)
    assert is_https(scope("10.1.1.1", x_forwarded_proto="https"), LB)
    assert is_https(scope("10.1.1.1", x_forwarded_proto="HTTPS, http"), LB)
    assert not is_https(scope("10.1.1.1", x_forwarded_proto="http"), LB)


@given(st.binary(max_size=200), st.binary(max_size=50))
def test_any_header_bytes_give_an_address(forwarded: bytes, proto: bytes) -> None:
    s = {"client": ("10.0.0.1", 1), "headers": [(b"x-forwarded-for", forwarded), (b"x-forwarded-proto", proto)]}
    assert isinstance(client_address(s, LB), str)
    assert isinstance(is_https(s, LB), bool)
