"""Hostile input on the console's review pages: generated verdict forms (any choice, note, tags,
bytes) and pair paths. Whatever arrives, the answer is never a 5xx, a valid verdict is stored, and
an invalid one is refused with 400 and stores nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelswap.config import parse_migration
from modelswap.console.access import COOKIE, csrf_of
from modelswap.review.review_set import create_review_set
from modelswap.serving import build_gateway
from modelswap.store import RequestRow, ShadowPairRow, Store, create_session, open_store

from .test_fuzz_auth import Live, call

TOKEN = "fuzz-Rv3Vn8Qw2Jx6Tb9Lp4Mz7Hd5"
PAIRS = 4


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, Store]]:
    tmp = tmp_path_factory.mktemp("fuzz-review")
    mp = pytest.MonkeyPatch()
    mp.setenv("MODELSWAP_ADMIN_TOKEN", TOKEN)
    mp.setenv("MS_FUZZ_KEY", "sk-unused")
    endpoint = {"provider": "openai", "base_url": "http://127.0.0.1:9/v1", "api_key_env": "MS_FUZZ_KEY"}
    doc = {
        "store": "sqlite:///fuzz.db",
        "endpoints": {"old": {**endpoint, "model": "gpt-4o"}, "new": {**endpoint, "model": "gpt-5"}},
        "workloads": [{"name": "support"}],
        "gateway": {"default_workload": "support"},
    }
    migration = parse_migration(yaml.safe_dump(doc), str(tmp / "migration.yaml"), tmp)
    store = open_store(f"sqlite:///{tmp / 'fuzz.db'}")
    now = datetime.now(UTC)
    reqs = [
        RequestRow(ts=now, workload="support", arm="old", endpoint="old", model="gpt-4o", status=200, latency_ms=1.0,
                   response_body={"choices": [{"message": {"content": f"a {i}"}}]})
        for i in range(PAIRS)
    ]  # fmt: skip
    anthropic = {"content": [{"type": "text", "text": "b"}]}
    shadows = [ShadowPairRow(request_id=r.id, ts=now, arm="new", model="gpt-5", response_body=anthropic) for r in reqs]
    store.insert_records(reqs, shadows)
    create_review_set(store, ["support"], size=PAIRS, floor=PAIRS, seed=0, actor="t", now=now)
    app = build_gateway(migration, store=store)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(app.startup())
    session = create_session(store, "session", "fuzzer", timedelta(hours=1))
    try:
        yield Live(app, loop, session), store
    finally:
        loop.run_until_complete(app.shutdown())
        loop.close()
        store.close()
        mp.undo()


CHOICES = st.sampled_from(["left", "right", "same", "both_bad"]) | st.text(max_size=20)
TAGS = st.lists(st.sampled_from(["tag_format", "tag_facts", "tag_tone", "tag_x", "tag_"]), max_size=4)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_verdict_form_is_stored_or_refused_never_a_5xx(live: tuple[Live, Store], data: st.DataObject) -> None:
    app, store = live
    choice = data.draw(CHOICES)
    fields = [("csrf", csrf_of(app.session)), ("choice", choice), ("note", data.draw(st.text(max_size=3000)))]
    fields += [(t, "1") for t in data.draw(TAGS)]
    raw = data.draw(st.booleans())
    body = data.draw(st.binary(max_size=200)) if raw else urlencode(fields).encode()
    index = data.draw(st.integers(-2, PAIRS + 1) | st.sampled_from([10**12]))
    path = f"/console/review/pairs/{index}"
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": data.draw(st.sampled_from(["GET", "POST"])), "scheme": "http", "path": path,
        "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"cookie", f"{COOKIE}={app.session}".encode()),
                    (b"content-type", b"application/x-www-form-urlencoded")],
        "client": ("127.0.0.1", 5000), "server": ("gateway", 80),
    }  # fmt: skip
    before = len(store.review.sample_verdicts(1))
    status = app.loop.run_until_complete(call(app.app, scope, [body]))
    assert status < 500, f"{scope['method']} {path} -> {status}"
    stored = len(store.review.sample_verdicts(1)) - before
    valid = (
        scope["method"] == "POST" and not raw and 0 <= index < PAIRS and choice in ("left", "right", "same", "both_bad")
    )
    if valid:
        assert status == 303 and stored == 1
    else:
        assert stored == 0
