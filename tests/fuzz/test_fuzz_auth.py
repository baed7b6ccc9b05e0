"""Hostile input on the authenticated surfaces: the admin API, the console's sign-in and forms,
``/metrics`` and the API's key check get generated headers (any bytes), cookies, query strings
and bodies, from many client addresses. Whatever arrives, the answer is never a 5xx."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from modelswap.config import parse_migration
from modelswap.console.access import COOKIE, csrf_of
from modelswap.gateway.app import GatewayApp
from modelswap.gateway.auth import hash_key
from modelswap.serving import build_gateway
from modelswap.store import create_session, open_store

TOKEN = "fuzz-Rk3Vn8Qw2Jx6Tb9Lp4Mz7Hd5"
APP_KEY = "msk-fuzz-app-key-0123456789"
PATHS = [
    "/admin/routing",
    "/admin/rollback",
    "/admin/rollback/undo",
    "/admin/stage",
    "/admin/events",
    "/admin/nothing",
    "/console",
    "/console/login",
    "/console/logout",
    "/console/plan",
    "/console/plan/tick",
    "/console/rollback",
    "/console/workloads/support",
    "/metrics",
    "/v1/models",
]


class Live:
    """A started gateway, the loop it runs on, and credentials that work."""

    def __init__(self, app: GatewayApp, loop: asyncio.AbstractEventLoop, session: str) -> None:
        self.app = app
        self.loop = loop
        self.session = session


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("fuzz")
    mp = pytest.MonkeyPatch()
    mp.setenv("MODELSWAP_ADMIN_TOKEN", TOKEN)
    mp.setenv("MS_FUZZ_KEY", "sk-unused")
    mp.setenv("MS_FUZZ_METRICS", TOKEN + "-metrics")
    endpoint = {"provider": "openai", "base_url": "http://127.0.0.1:9/v1", "api_key_env": "MS_FUZZ_KEY"}
    doc = {
        "store": "sqlite:///fuzz.db",
        "endpoints": {"old": {**endpoint, "model": "gpt-4o"}, "new": {**endpoint, "model": "gpt-5"}},
        "workloads": [{"name": "support"}],
        "gateway": {
            "default_workload": "support",
            "keys": [{"name": "app", "sha256": hash_key(APP_KEY)}],
            "metrics_token_env": "MS_FUZZ_METRICS",
            "trusted_proxies": ["10.0.0.0/8"],
        },
    }
    migration = parse_migration(yaml.safe_dump(doc), str(tmp / "migration.yaml"), tmp)
    store = open_store(f"sqlite:///{tmp / 'fuzz.db'}")
    app = build_gateway(migration, store=store)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(app.startup())
    from datetime import timedelta

    session = create_session(store, "session", "fuzz", timedelta(hours=1))
    try:
        yield Live(app, loop, session)
    finally:
        loop.run_until_complete(app.shutdown())
        loop.close()
        store.close()
        mp.undo()


async def call(app: GatewayApp, scope: dict[str, Any], chunks: list[bytes]) -> int:
    """Drive one request through the ASGI app; the status it answered with."""
    pending = list(chunks) or [b""]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        if pending:
            chunk = pending.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(pending)}
        await asyncio.sleep(0)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    assert statuses, "the app sent no response"
    return statuses[0]


def _credentials(live: Live) -> st.SearchStrategy[list[tuple[bytes, bytes]]]:
    good = [
        (b"authorization", f"Bearer {TOKEN}".encode()),
        (b"authorization", f"Bearer {APP_KEY}".encode()),
        (b"cookie", f"{COOKIE}={live.session}".encode()),
    ]
    return st.lists(st.sampled_from(good), min_size=1, max_size=2) | st.just([])


HEADER_NAMES = st.sampled_from(
    [
        b"authorization",
        b"cookie",
        b"content-type",
        b"content-length",
        b"x-api-key",
        b"x-forwarded-for",
        b"x-forwarded-proto",
        b"transfer-encoding",
        b"anthropic-version",
    ]
) | st.binary(min_size=1, max_size=20)
CLIENTS = st.ip_addresses().map(str) | st.sampled_from(["10.0.0.1", "192.0.2.9", "2001:db8::1", "bogus", ""])
FORM_TYPES = st.sampled_from(
    [b"application/x-www-form-urlencoded", b"multipart/form-data; boundary=x", b"application/json", b"text/plain"]
)


def _form_body(live: Live) -> st.SearchStrategy[bytes]:
    csrf = csrf_of(live.session)
    field = st.sampled_from(["token", "next", "csrf", "item", "action", "by", "note", "workload", "undo", "back"])
    value = st.text(max_size=40) | st.just(csrf) | st.just(TOKEN)
    pairs = st.lists(st.tuples(field, value), max_size=8)
    encoded = pairs.map(lambda ps: "&".join(f"{k}={v}" for k, v in ps).encode("utf-8", "surrogatepass"))
    return encoded | st.binary(max_size=300) | st.just(b'{"workload": "support", "stage": "full"}')


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_input_gives_a_5xx(live: Live, data: st.DataObject) -> None:
    headers = data.draw(st.lists(st.tuples(HEADER_NAMES, st.binary(max_size=80)), max_size=4))
    headers += data.draw(_credentials(live))
    if data.draw(st.booleans()):
        headers.append((b"content-type", data.draw(FORM_TYPES)))
    body = data.draw(_form_body(live))
    split = data.draw(st.integers(0, len(body)))
    path = data.draw(st.sampled_from(PATHS))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": data.draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"])),
        "scheme": data.draw(st.sampled_from(["http", "https"])),
        "path": path,
        "raw_path": path.encode(),
        "query_string": data.draw(
            st.sampled_from([b"", b"token=x", b"link=abc", b"next=//x", b"workload=support"]) | st.binary(max_size=60)
        ),
        "root_path": "",
        "headers": [(k.lower(), v) for k, v in headers],
        "client": (data.draw(CLIENTS), 5000),
        "server": ("gateway", 80),
    }
    status = live.loop.run_until_complete(call(live.app, scope, [body[:split], body[split:]]))
    event(f"{status}")
    # a /v1/* request modelswap does not serve itself (POST /v1/models, ...) is passed to the vendor,
    # which this test leaves unreachable: that 502 is the vendor's absence reported, not a gateway fault
    passed_through = path.startswith("/v1/") and status == 502
    assert status < 500 or passed_through, f"{scope['method']} {path} -> {status}"
