"""Raw servers on 127.0.0.1 that write exact bytes, and a throwaway CA, for the HTTP/1.1 client's tests."""

from __future__ import annotations

import asyncio
import os
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def response(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    """A ``Content-Length`` response with ``body`` and the given extra header lines."""
    lines = [f"HTTP/1.1 {status}", *headers, f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """Read one request (head and body); returns the head."""
    head = await reader.readuntil(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            await reader.readexactly(int(value))
    return head


async def answer_each(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes = OK) -> None:
    """Answer every request on the connection with ``raw`` until the client hangs up."""
    while True:
        await read_request(reader)
        writer.write(raw)
        await writer.drain()


@dataclass
class RawServer:
    """A TCP server on 127.0.0.1 that counts its connections."""

    port: int = 0
    scheme: str = "http"
    connections: int = 0
    active: int = 0
    peak: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/v1/x"


StartRaw = Callable[..., Awaitable[RawServer]]


@pytest.fixture
async def raw() -> AsyncIterator[StartRaw]:
    """Start raw servers (``await raw(handler, tls=ctx)``); stopped and their handlers cancelled at teardown."""
    started: list[tuple[asyncio.Server, RawServer]] = []

    async def start(handler: Handler, *, tls: ssl.SSLContext | None = None) -> RawServer:
        state = RawServer(scheme="https" if tls else "http")

        async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            state.tasks.add(task)
            state.connections += 1
            state.active += 1
            state.peak = max(state.peak, state.active)
            try:
                await handler(reader, writer)
            except (asyncio.CancelledError, ConnectionError, EOFError, ssl.SSLError):
                pass  # the client hung up, or teardown: a finished handler keeps asyncio's logs quiet
            finally:
                state.active -= 1
                writer.close()

        server = await asyncio.start_server(wrapped, "127.0.0.1", 0, ssl=tls)
        state.port = server.sockets[0].getsockname()[1]
        started.append((server, state))
        return state

    yield start
    for server, state in started:
        server.close()
        for task in state.tasks:
            task.cancel()
        await asyncio.gather(*state.tasks, return_exceptions=True)


@dataclass
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


_CA_CONFIG = """\
[req]
distinguished_name = dn
x509_extensions = v3_ca
prompt = no
[dn]
CN = modelswap test CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""

_LEAF_EXTENSIONS = """\
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:api.vendor.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A throwaway CA and a certificate it signed for 127.0.0.1 and api.vendor.test (openssl CLI)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("neither trustme nor the openssl CLI is available to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    (d / "ca.cnf").write_text(_CA_CONFIG)
    (d / "leaf.ext").write_text(_LEAF_EXTENSIONS)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    steps = [
        ["req", "-x509", *ec, "-config", "ca.cnf", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2"],
        ["req", "-new", *ec, "-subj", "/CN=127.0.0.1", "-keyout", "leaf.key", "-out", "leaf.csr"],
        ["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.pem"],
    ]
    steps[2] += ["-days", "2", "-extfile", "leaf.ext"]
    env = {**os.environ, "OPENSSL_CONF": str(d / "ca.cnf")}
    for step in steps:
        subprocess.run([openssl, *step], cwd=d, check=True, capture_output=True, env=env)
    return TlsFiles(ca=d / "ca.pem", cert=d / "leaf.pem", key=d / "leaf.key")


def server_tls(files: TlsFiles) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(files.cert, files.key)
    return ctx
