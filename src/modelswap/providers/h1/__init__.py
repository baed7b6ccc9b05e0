"""A lean HTTP/1.1 client for upstream calls: asyncio protocols, httptools parsing, keep-alive pool.

The gateway pays its upstream client's cost on every request it serves. A general-purpose
client carries layers a model API call never uses (cookie jars, redirects, tracing
signals, per-request timer contexts, stream readers); on loopback they cost more CPU than
the rest of the proxy hop. This client does exactly what the providers need: ``POST`` a
body, read the status and headers, then the whole body or its chunks as they arrive, over
pooled keep-alive connections (TLS for ``https``), with a deadline or a read-silence limit.

Errors are Python's own (``ConnectionError``/``TimeoutError`` subclasses below) plus
``BadResponse`` for bytes that are not HTTP/1.1 and ``TooLarge`` for an answer past its
``Limits``; ``providers.errors.transport_error`` turns them into ``UpstreamError``.
Outbound proxies come from the environment (``proxy``).

A request is written once: a connection the server closed while it sat idle is noticed
before the request is written to it, and a connection that closes after the request went
out is a ``Disconnected`` error, never a silent re-send (the server may have acted on it).
"""

from modelswap.providers.h1.client import H1Client
from modelswap.providers.h1.errors import (
    BadResponse,
    ConnectFailed,
    ConnectTimeout,
    Disconnected,
    ReadTimeout,
    TooLarge,
)
from modelswap.providers.h1.limits import Limits
from modelswap.providers.h1.proxy import OutboundProxy, ProxyRules
from modelswap.providers.h1.response import Headers, Response

__all__ = [
    "BadResponse",
    "ConnectFailed",
    "ConnectTimeout",
    "Disconnected",
    "H1Client",
    "Headers",
    "Limits",
    "OutboundProxy",
    "ProxyRules",
    "ReadTimeout",
    "Response",
    "TooLarge",
]
