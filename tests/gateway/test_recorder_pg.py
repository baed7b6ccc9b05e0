"""PostgreSQL going away under a running recorder: records wait in memory and land when it is back.

The outage is real on the wire: the store connects through a TCP relay that the test cuts
(every connection reset, new ones refused) and then restores on the same port."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from modelswap.gateway.recorder import Recorder
from modelswap.store import RequestRow, new_id, open_store, schema

from .conftest import OLD


class TcpRelay:
    """Forwards 127.0.0.1:<port> to ``target``; ``cut()`` drops everything, ``restore()`` listens again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            if self._listener is not None:
                with contextlib.suppress(OSError):
                    self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (close alone does not)
                self._listener.close()
                self._listener = None
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def relay(pg_schema_url: str) -> Iterator[TcpRelay]:
    url = sa.make_url(pg_schema_url)
    r = TcpRelay((url.host or "127.0.0.1", url.port or 5432))
    r.restore()
    try:
        yield r
    finally:
        r.cut()


def row() -> RequestRow:
    return RequestRow(
        id=new_id(),
        ts=datetime.now(UTC),
        workload="w",
        arm="old",
        endpoint="old",
        model=OLD,
        status=200,
        latency_ms=1.0,
    )


def wait_for(condition: object, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_records_survive_a_postgresql_outage(pg_schema_url: str, relay: TcpRelay) -> None:
    through_relay = sa.make_url(pg_schema_url).set(port=relay.port).render_as_string(hide_password=False)
    store = open_store(through_relay, connect_args={"connect_timeout": 2})
    direct = sa.create_engine(pg_schema_url)

    def stored() -> int:
        with direct.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(schema.requests)).scalar_one())

    recorder = Recorder(store, "none", flush_interval_s=0.02, stall_s=0.3)
    recorder.start()
    try:
        before = [row() for _ in range(10)]
        for r in before:
            recorder.add_request(r)
        wait_for(lambda: stored() == 10, "the records written before the outage")

        relay.cut()
        during = [row() for _ in range(20)]
        for r in during:
            recorder.add_request(r)
        wait_for(lambda: any("refused writes" in x for x in recorder.health().reasons), "degraded health")
        assert recorder.health().status == "degraded" and stored() == 10
        assert recorder.depth == 20 and recorder.dropped == 0, "kept in memory, none lost"

        relay.restore()
        wait_for(lambda: stored() == 30, "the records kept during the outage")
        wait_for(lambda: recorder.health().status == "ok", "ok health")
    finally:
        recorder.close()
        store.close()
        direct.dispose()
    assert recorder.dropped == 0 and recorder.reduced == 0
