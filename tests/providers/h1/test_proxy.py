"""Outbound proxies: the rules read from the environment, and requests through a real proxy on a socket.

The vendor's host names in these tests (``api.vendor.test``) do not resolve: only the proxy
knows where they are, so a request that arrives proves it went through the proxy.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from modelswap.providers.base import UpstreamError
from modelswap.providers.h1 import ConnectFailed, H1Client, OutboundProxy, ProxyRules
from modelswap.providers.h1.proxy import parse_proxy
from modelswap.providers.http import HttpPool

from .conftest import StartRaw, TlsFiles, answer_each, read_request, response, server_tls

VENDOR = "api.vendor.test"

# ---------------------------------------------------------------- the rules


def rules(**env: str) -> ProxyRules:
    return ProxyRules.from_env(env)


def test_each_scheme_takes_its_own_variable_and_all_proxy_fills_the_gaps() -> None:
    r = rules(HTTPS_PROXY="http://secure:3128", ALL_PROXY="proxy.corp:8080")
    assert r.for_origin("https", "api.openai.com", 443) == OutboundProxy("secure", 3128)
    assert r.for_origin("http", "api.openai.com", 80) == OutboundProxy("proxy.corp", 8080)
    assert rules().for_origin("https", "api.openai.com", 443) is None


def test_lower_case_variables_win_as_in_curl() -> None:
    r = rules(https_proxy="http://lower:1", HTTPS_PROXY="http://upper:2")
    assert r.for_origin("https", "api.anthropic.com", 443) == OutboundProxy("lower", 1)


@pytest.mark.parametrize(
    ("no_proxy", "host", "port", "direct"),
    [
        ("openai.com", "api.openai.com", 443, True),
        (".openai.com", "api.openai.com", 443, True),
        ("openai.com", "notopenai.com", 443, False),
        ("*.internal", "llm.internal", 443, True),
        ("10.0.0.0/8", "10.2.3.4", 443, True),
        ("10.0.0.0/8", "11.2.3.4", 443, False),
        ("gateway.local:8443", "gateway.local", 8443, True),
        ("gateway.local:8443", "gateway.local", 443, False),
        ("[fd00::1]:443", "fd00::1", 443, True),
        (" a.com , B.COM ", "b.com", 443, True),
        ("*", "anything.example", 443, True),
        ("", "localhost", 443, True),
        ("", "127.0.0.2", 443, True),
        ("", "::1", 443, True),
        ("", "api.openai.com", 443, False),
    ],
)
def test_no_proxy_and_loopback_go_direct(no_proxy: str, host: str, port: int, direct: bool) -> None:
    r = rules(HTTPS_PROXY="http://proxy:3128", NO_PROXY=no_proxy)
    assert (r.for_origin("https", host, port) is None) is direct


def test_credentials_become_basic_auth_and_stay_out_of_reprs() -> None:
    proxy = parse_proxy("http://alice:s%40cret@proxy:3128", "HTTPS_PROXY")
    assert proxy.authorization == "Basic " + base64.b64encode(b"alice:s@cret").decode()
    assert "cret" not in repr(proxy) and "cret" not in repr(rules(HTTPS_PROXY="http://alice:s3cret@p:1"))
    assert proxy.where == "proxy:3128"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("https://alice:s3cret@proxy:3128", "HTTPS_PROXY=https://proxy:3128: only http:// proxies"),
        ("socks5://alice:s3cret@proxy:1080", "HTTPS_PROXY=socks5://proxy:1080: only http:// proxies"),
        ("http://alice:s3cret@proxy:notaport", "HTTPS_PROXY: not a proxy URL"),
        ("http://alice:s3cret@:3128", "has no host"),
    ],
)
def test_an_unusable_proxy_variable_is_a_clear_error_at_start_without_its_password(value: str, words: str) -> None:
    with pytest.raises(ValueError) as caught:
        HttpPool(proxies=ProxyRules.from_env({"HTTPS_PROXY": value}))
    assert words in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_the_pool_reads_the_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "socks5://proxy:1080")
    with pytest.raises(ValueError, match="HTTPS_PROXY"):
        HttpPool()


# ---------------------------------------------------------------- a real proxy


@dataclass
class ProxyServer:
    """A forward proxy on 127.0.0.1: ``CONNECT`` tunnels and absolute-form requests."""

    port: int = 0
    routes: dict[str, int] = field(default_factory=dict)  # vendor host -> local port
    password: str | None = None
    seen: list[str] = field(default_factory=list)  # request lines
    credentials: list[str | None] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def url(self, user: str | None = None, password: str | None = None) -> str:
        auth = f"{user}:{password}@" if user else ""
        return f"http://{auth}127.0.0.1:{self.port}"


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


@pytest.fixture
async def proxy() -> AsyncIterator[Callable[..., Awaitable[ProxyServer]]]:
    servers: list[tuple[asyncio.Server, ProxyServer]] = []

    async def start(routes: dict[str, int], password: str | None = None) -> ProxyServer:
        state = ProxyServer(routes=routes, password=password)

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            state.tasks.add(task)
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ")
                state.seen.append(f"{method} {target}")
                fields = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)}
                given = fields.get("proxy-authorization")
                state.credentials.append(given)
                wanted = "Basic " + base64.b64encode(f"alice:{password}".encode()).decode()
                if password is not None and given != wanted:
                    writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
                    await writer.drain()
                    return
                host = target.rsplit(":", 1)[0] if method == "CONNECT" else target.split("/")[2].split(":")[0]
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", state.routes[host])
                if method == "CONNECT":
                    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                else:  # forward the request as it came (origin servers accept the absolute form)
                    up_writer.write(head)
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            except (asyncio.CancelledError, ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        state.port = server.sockets[0].getsockname()[1]
        servers.append((server, state))
        return state

    yield start
    for server, state in servers:
        server.close()
        for task in state.tasks:
            task.cancel()
        await asyncio.gather(*state.tasks, return_exceptions=True)


def client_through(url: str, *, tls_files: TlsFiles | None = None) -> H1Client:
    client = H1Client(proxies=ProxyRules.from_env({"HTTPS_PROXY": url, "HTTP_PROXY": url}))
    if tls_files is not None:
        client._tls = ssl.create_default_context(cafile=str(tls_files.ca))
    return client


async def fetch(client: H1Client, url: str) -> tuple[int, bytes]:
    resp = await client.post(url, b'{"q":1}', {"Authorization": "Bearer sk-vendor"}, timeout_s=2, streaming=False)
    try:
        return resp.status, await resp.read()
    finally:
        resp.release()


async def test_https_goes_through_a_connect_tunnel_with_tls_to_the_vendor(
    raw: StartRaw, proxy: Callable[..., Awaitable[ProxyServer]], tls_files: TlsFiles
) -> None:
    vendor = await raw(lambda r, w: answer_each(r, w, response(b'{"ok":true}')), tls=server_tls(tls_files))
    via = await proxy({VENDOR: vendor.port}, password="s3cret")
    client = client_through(via.url("alice", "s3cret"), tls_files=tls_files)
    try:
        for _ in range(2):
            assert await fetch(client, f"https://{VENDOR}:8443/v1/chat/completions") == (200, b'{"ok":true}')
    finally:
        await client.aclose()
    assert via.seen == [f"CONNECT {VENDOR}:8443"], "one tunnel, kept alive for the second request"
    assert vendor.connections == 1


async def test_the_vendors_certificate_is_still_checked_inside_the_tunnel(
    raw: StartRaw, proxy: Callable[..., Awaitable[ProxyServer]], tls_files: TlsFiles
) -> None:
    vendor = await raw(answer_each, tls=server_tls(tls_files))
    via = await proxy({"other.vendor.test": vendor.port})
    client = client_through(via.url(), tls_files=tls_files)
    try:
        with pytest.raises(ConnectFailed, match=r"CERTIFICATE_VERIFY_FAILED|Hostname mismatch|doesn't match"):
            await fetch(client, "https://other.vendor.test/v1/x")  # the certificate names api.vendor.test
    finally:
        await client.aclose()
    assert client.open_connections == 0


async def test_http_goes_to_the_proxy_in_absolute_form_with_its_credentials(
    raw: StartRaw, proxy: Callable[..., Awaitable[ProxyServer]]
) -> None:
    heads: list[bytes] = []

    async def vendor_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            heads.append(await read_request(reader))
            writer.write(response(b"fine"))
            await writer.drain()

    vendor = await raw(vendor_handler)
    via = await proxy({VENDOR: vendor.port}, password="s3cret")
    client = client_through(via.url("alice", "s3cret"))
    try:
        assert await fetch(client, f"http://{VENDOR}:8080/v1/x?a=1") == (200, b"fine")
    finally:
        await client.aclose()
    assert via.seen == [f"POST http://{VENDOR}:8080/v1/x?a=1"]
    assert via.credentials == ["Basic " + base64.b64encode(b"alice:s3cret").decode()]
    assert f"Host: {VENDOR}:8080".encode() in heads[0]


async def test_a_proxy_refusing_the_tunnel_is_a_connect_failure_naming_it_not_the_password(
    proxy: Callable[..., Awaitable[ProxyServer]],
) -> None:
    via = await proxy({VENDOR: 1}, password="right")
    pool = HttpPool(proxies=ProxyRules.from_env({"HTTPS_PROXY": via.url("alice", "wrong-s3cret")}))
    try:
        with pytest.raises(UpstreamError) as caught:
            async with pool.post(f"https://{VENDOR}/v1/x", {}, {}, timeout_s=2, streaming=False, provider="openai"):
                pass
    finally:
        await pool.aclose()
    message = caught.value.message
    assert caught.value.kind == "connection"
    assert "the outbound proxy refused the tunnel" in message and "407" in message
    assert str(via.port) not in message and VENDOR not in message, "no address reaches records or the app"
    assert "s3cret" not in message
    low_level = caught.value.__cause__
    assert isinstance(low_level, ConnectFailed) and f"127.0.0.1:{via.port}" in str(low_level)


async def test_a_proxy_that_is_down_is_named_in_the_error(unused_tcp_port: int) -> None:
    client = client_through(f"http://127.0.0.1:{unused_tcp_port}")
    try:
        with pytest.raises(ConnectFailed, match=f"through the proxy 127.0.0.1:{unused_tcp_port}"):
            await fetch(client, f"https://{VENDOR}/v1/x")
    finally:
        await client.aclose()


async def test_loopback_vendors_bypass_the_proxy(raw: StartRaw, proxy: Callable[..., Awaitable[ProxyServer]]) -> None:
    vendor = await raw(answer_each)
    via = await proxy({})
    client = client_through(via.url())
    try:
        assert await fetch(client, vendor.url) == (200, b"ok")
    finally:
        await client.aclose()
    assert via.seen == []
