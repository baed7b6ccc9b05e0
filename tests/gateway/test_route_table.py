"""The gateway's route table: app paths behind the app-key check, site paths, mounts, and a 404 for the rest.

Called as plain ASGI (no sockets): the routes tested here answer without an upstream.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelswap.config import GatewayKey, Migration, parse_migration
from modelswap.gateway.app import GatewayApp
from modelswap.gateway.auth import hash_key
from modelswap.gateway.server import assemble_gateway
from modelswap.store import Store, open_store

KEY = "msk-route-table-0123456789"


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


def _migration(tmp_path: Path, **gateway: Any) -> Migration:
    endpoint = {"provider": "openai", "base_url": _dead_url(), "api_key_env": "MS_ROUTE_TEST_KEY"}
    doc = {
        "store": "sqlite:///routes.db",
        "endpoints": {"old": {**endpoint, "model": "gpt-4o"}, "new": {**endpoint, "model": "gpt-5"}},
        "workloads": [{"name": "support"}],
        "gateway": {"default_workload": "support", **gateway},
    }
    text = yaml.safe_dump(doc)
    return parse_migration(text, str(tmp_path / "migration.yaml"), tmp_path)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("MS_ROUTE_TEST_KEY", "sk-unused")
    s = open_store(f"sqlite:///{tmp_path / 'routes.db'}")
    try:
        yield s
    finally:
        s.close()


async def call(app: Any, method: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One request through the ASGI app: (status, body)."""
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(k.encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("198.51.100.7", 1234),
        "scheme": "http",
    }
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


class Echo:
    """A mounted app that answers with the path it was given."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["path"].encode()})


async def test_a_mounted_app_gets_its_prefix_and_nothing_beside_it(tmp_path: Path, store: Store) -> None:
    app = assemble_gateway(_migration(tmp_path), store=store)
    assert (await call(app, "GET", "/console"))[0] == 404  # the gateway alone knows no console
    app.mount("/console", Echo())
    assert await call(app, "GET", "/console") == (200, b"/console")
    assert await call(app, "POST", "/console/x/y") == (200, b"/console/x/y")
    status, body = await call(app, "GET", "/consolex")
    assert status == 404 and orjson.loads(body)["error"]["message"].startswith("no route GET /consolex")
    assert (await call(app, "GET", "/admin"))[0] == 404  # the admin API is /admin/..., not /admin


async def test_model_routes_are_behind_the_app_key(tmp_path: Path, store: Store) -> None:
    key = GatewayKey(name="support-app", sha256=hash_key(KEY)).model_dump()
    app = assemble_gateway(_migration(tmp_path, keys=[key]), store=store)
    for path in ("/v1/models", "/models", "/v1/models/gpt-5"):
        status, body = await call(app, "GET", path)
        assert status == 401 and orjson.loads(body)["error"]["code"] == "invalid_api_key"
        status, body = await call(app, "GET", path, {"authorization": f"Bearer {KEY}"})
        assert status == 200, body
    assert (await call(app, "GET", "/healthz"))[0] in (200, 503)  # health needs no key


async def test_serving_paths_pass_other_methods_to_the_vendor(tmp_path: Path, store: Store) -> None:
    """``GET /v1/chat/completions`` lists stored completions at OpenAI: not modelswap's to refuse.
    The vendor here is unreachable, so the app is told so (a 502 naming the endpoint, no address)."""
    app = assemble_gateway(_migration(tmp_path), store=store)
    for method, path in (("GET", "/v1/chat/completions"), ("DELETE", "/v1/files/file-1"), ("POST", "/v1/models")):
        status, body = await call(app, method, path)
        error = orjson.loads(body)["error"]
        assert status == 502 and error["code"] == "upstream_connection" and "127.0.0.1" not in error["message"]
    status, body = await call(app, "GET", "/v1/messages")  # Anthropic's API, and no endpoint speaks it
    assert status == 404 and orjson.loads(body)["type"] == "error" and "speaks Anthropic's API" in body.decode()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "G\u00c9T"]),
    path=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40).map(lambda p: "/" + p),
)
async def test_any_method_and_path_gets_an_answer_never_a_5xx(
    tmp_path: Path, store: Store, method: str, path: str
) -> None:
    """Paths the route table does not know get a 404 in OpenAI's error shape; none gets a 5xx but
    the 502 of a ``/v1/*`` path passed to a vendor that cannot be reached."""
    app: GatewayApp = assemble_gateway(_migration(tmp_path), store=store)
    app.mount("/console", Echo())
    status, body = await call(app, method, path)
    passed = path.startswith("/v1/") and status == 502 and b"upstream_connection" in body
    assert status < 500 or passed or (path == "/healthz" and status == 503), (status, body)
    if status == 404 and not path.startswith("/admin/"):
        assert "message" in orjson.loads(body)["error"]
