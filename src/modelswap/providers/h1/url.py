"""Splitting an ``http``/``https`` URL into what a request needs: origin, target and Host header."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

__all__ = ["Origin", "split_url"]

Origin = tuple[str, str, int]
"""(scheme, host, port): what a pool of connections and a proxy rule are chosen by."""


@functools.lru_cache(maxsize=256)
def split_url(url: str) -> tuple[Origin, str, str]:
    """(origin, request target, Host header) for an ``http``/``https`` URL; a ``ValueError`` otherwise."""
    parts = urlsplit(url)  # a malformed port is a ValueError here too
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    default = 443 if parts.scheme == "https" else 80
    port = parts.port or default
    host = parts.hostname
    host_header = (f"[{host}]" if ":" in host else host) + ("" if port == default else f":{port}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return (parts.scheme, host, port), target, host_header
