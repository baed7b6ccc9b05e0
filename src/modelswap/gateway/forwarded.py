"""Who is on the other end of a connection, believing ``X-Forwarded-*`` only from trusted proxies.

Behind a load balancer every request comes from the balancer's address; the client's is in
``X-Forwarded-For``. Anyone can send that header, so it is read only when the direct peer is
one of ``gateway.trusted_proxies``, and then from the right: the first address that is not
itself a trusted proxy is the client. ``X-Forwarded-Proto: https`` is believed the same way.
Pure functions over an ASGI scope.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_HOPS = 32
"""At most this many ``X-Forwarded-For`` entries are read, from the right."""


class TrustedProxies:
    """The reverse proxies whose forwarding headers the gateway believes."""

    __slots__ = ("_networks",)

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self._networks: tuple[Network, ...] = tuple(ipaddress.ip_network(e, strict=False) for e in entries)

    def __bool__(self) -> bool:
        return bool(self._networks)

    def trusts(self, address: str) -> bool:
        """``address`` is one of the trusted proxies."""
        if not self._networks:
            return False
        try:
            ip = ipaddress.ip_address(address.strip().split("%", 1)[0])
        except ValueError:
            return False
        ip = getattr(ip, "ipv4_mapped", None) or ip
        return any(ip in net for net in self._networks)


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    values = [v.decode("latin-1") for k, v in scope.get("headers", ()) if k.lower() == name]
    return ",".join(values) if values else None


def peer(scope: Mapping[str, Any]) -> str:
    """The direct peer's address (``""`` when the server does not say, e.g. in-process)."""
    client = scope.get("client")
    return str(client[0]) if client else ""


def client_address(scope: MutableMapping[str, Any], trusted: TrustedProxies) -> str:
    """The client's address: the peer, or from ``X-Forwarded-For`` when the peer is trusted."""
    address = peer(scope)
    if not trusted or not trusted.trusts(address):
        return address
    forwarded = _header(scope, b"x-forwarded-for")
    if not forwarded:
        return address
    for hop in reversed(forwarded.split(",")[-MAX_HOPS:]):
        hop = hop.strip()
        if not hop:
            continue
        if not trusted.trusts(hop):
            return hop[:64]
        address = hop
    return address


def is_https(scope: MutableMapping[str, Any], trusted: TrustedProxies) -> bool:
    """The browser reached us over HTTPS: TLS here, or a trusted proxy says so."""
    if scope.get("scheme") == "https":
        return True
    if not trusted.trusts(peer(scope)):
        return False
    proto = _header(scope, b"x-forwarded-proto") or ""
    return proto.split(",")[0].strip().lower() == "https"
