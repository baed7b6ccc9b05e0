"""Outbound proxies from the environment: which origins go through which proxy.

The variables are the ones curl, requests and httpx read: ``HTTPS_PROXY`` for ``https``
origins, ``HTTP_PROXY`` for ``http`` ones, ``ALL_PROXY`` for both when the specific one is
unset (lower-case names win over upper-case ones, as in curl), and ``NO_PROXY``: a comma
list of hosts that go direct, where ``example.com`` and ``.example.com`` both cover the
domain and its sub-domains, ``10.0.0.0/8`` covers addresses, ``host:port`` one port only,
and ``*`` every host. Loopback (``localhost``, ``127.0.0.0/8``, ``::1``) always goes direct:
no proxy can reach this machine's own loopback.

Only ``http://`` proxies are spoken to (an ``https`` origin is tunnelled through them with
``CONNECT``, so TLS still runs end to end with the vendor). Credentials in the proxy URL
(``http://user:password@proxy:3128``) are sent as ``Proxy-Authorization: Basic`` and never
appear in an error message or a ``repr``.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from modelswap.providers.h1.url import split_url

__all__ = ["OutboundProxy", "ProxyRules"]

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


@dataclass(frozen=True, slots=True)
class OutboundProxy:
    """One ``http://`` proxy; ``authorization`` is the ``Proxy-Authorization`` value, if any."""

    host: str
    port: int
    authorization: str | None = field(default=None, repr=False)

    @property
    def where(self) -> str:
        """``host:port`` (never the credentials), for messages."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_proxy(url: str, variable: str) -> OutboundProxy:
    """A proxy from ``url`` (``host:port`` alone means ``http://``); a ``ValueError`` naming
    ``variable`` when it is not one this client can use. The message never repeats credentials."""
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{variable}: not a proxy URL ({exc})") from None
    shown = f"{parts.scheme}://{parts.hostname or ''}" + (f":{port}" if port else "")
    if parts.scheme != "http":
        raise ValueError(
            f"{variable}={shown}: only http:// proxies are supported (https origins are tunnelled through them)"
        )
    if not parts.hostname:
        raise ValueError(f"{variable}={shown}: the proxy URL has no host")
    authorization = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    return OutboundProxy(parts.hostname, port or 80, authorization)


@dataclass(frozen=True, slots=True)
class _Bypass:
    """One ``NO_PROXY`` entry."""

    domain: str | None = None
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    port: int | None = None

    def covers(self, host: str, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.network is not None:
            try:
                return ipaddress.ip_address(host) in self.network
            except ValueError:
                return False
        assert self.domain is not None
        return host == self.domain or host.endswith("." + self.domain)


def _bypass(entry: str) -> _Bypass | None:
    entry = entry.strip().lower()
    if not entry:
        return None
    port = None
    if entry.startswith("["):  # [::1]:8080
        host, _, rest = entry[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdecimal() else None
        entry = host
    elif entry.count(":") == 1:
        host, _, tail = entry.partition(":")
        if tail.isdecimal():
            entry, port = host, int(tail)
    try:
        return _Bypass(network=ipaddress.ip_network(entry, strict=False), port=port)
    except ValueError:
        return _Bypass(domain=entry.lstrip("*").lstrip("."), port=port)


@dataclass(frozen=True, slots=True)
class ProxyRules:
    """Which proxy, if any, an origin goes through."""

    http: OutboundProxy | None = None
    https: OutboundProxy | None = None
    bypass: tuple[_Bypass, ...] = ()
    bypass_all: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ProxyRules:
        """The rules the proxy variables of ``env`` describe (``config.proxy_environment()`` for this process's)."""

        def read(name: str) -> tuple[str, str] | None:
            for variable in (name.lower(), name.upper()):
                value = env.get(variable, "").strip()
                if value:
                    return variable, value
            return None

        proxies: dict[str, OutboundProxy | None] = {}
        for scheme in ("http", "https"):
            found = read(f"{scheme}_proxy") or read("all_proxy")
            proxies[scheme] = parse_proxy(found[1], found[0]) if found else None
        no_proxy = (read("no_proxy") or ("", ""))[1]
        entries = [e for e in no_proxy.split(",") if e.strip()]
        bypass_all = any(e.strip() == "*" for e in entries)
        rules = tuple(b for e in entries if e.strip() != "*" and (b := _bypass(e)) is not None)
        return cls(proxies["http"], proxies["https"], rules, bypass_all)

    @property
    def any(self) -> bool:
        """Whether any proxy is configured at all."""
        return self.http is not None or self.https is not None

    def for_url(self, url: str) -> OutboundProxy | None:
        """The proxy for a URL's origin (``None``: direct, or not an http(s) URL)."""
        try:
            origin = split_url(url)[0]
        except ValueError:
            return None
        return self.for_origin(*origin)

    def for_origin(self, scheme: str, host: str, port: int) -> OutboundProxy | None:
        """The proxy for ``scheme://host:port``, or ``None`` to connect directly."""
        proxy = self.https if scheme == "https" else self.http
        if proxy is None or self.bypass_all:
            return None
        host = host.lower().strip("[]").rstrip(".")
        if _is_loopback(host) or any(rule.covers(host, port) for rule in self.bypass):
            return None
        return proxy


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
