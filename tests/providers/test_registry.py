"""A provider kind registered from one module works end to end: config, factory, translation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.catalog.providers import kind_names
from modelswap.config import ConfigError, load_migration, parse_migration
from modelswap.providers import HttpPool
from modelswap.providers.base import Dialect, Json
from modelswap.providers.registry import provider, registered, wire_of_kind
from modelswap.providers.wiring import PooledArms, SimUrls

SEEN: list[tuple[str, Json]] = []


@provider("acme-test", base_url="http://127.0.0.1:9/acme/v1", key_env="ACME_API_KEY")
class AcmeUpstream:
    """A vendor that speaks the OpenAI wire and answers every call with the model it was given."""

    dialect: Dialect = "openai"

    def __init__(
        self,
        name: str,
        model: str,
        base_url: str,
        api_key: str,
        pool: HttpPool,
        timeout_s: float = 60.0,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.name, self.model, self.base_url = name, model, base_url

    async def complete(self, body: Json) -> Json:
        SEEN.append((self.base_url, body))
        message = {"role": "assistant", "content": f"acme {self.model}"}
        usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return {"id": "x", "object": "chat.completion", "model": self.model, "choices": [choice], "usage": usage}

    async def stream(self, body: Json) -> AsyncIterator[Json]:
        yield await self.complete(body)

    async def aclose(self) -> None:
        return None


MIGRATION = """\
version: 1
name: acme
endpoints:
  old: {provider: sim, model: gpt-4o, base_url: "http://127.0.0.1:9/v1"}
  new: {provider: acme-test, model: acme-large, api_key_env: ACME_API_KEY}
workloads:
  - name: chat
    match: [{header: {x-modelswap-workload: chat}}]
"""


def test_a_registered_kind_is_used_from_the_migration_file_through_translation(tmp_path: Path) -> None:
    path = tmp_path / "migration.yaml"
    path.write_text(MIGRATION)
    migration = load_migration(path)
    assert migration.endpoints["new"].resolved_base_url() == "http://127.0.0.1:9/acme/v1"
    assert registered()["acme-test"] is AcmeUpstream and wire_of_kind("acme-test") == "openai"

    async def call() -> Json:
        arms = PooledArms(migration, HttpPool(), SimUrls("http://127.0.0.1:9/v1", "http://127.0.0.1:9"))
        try:
            body = {"model": "x", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
            return await arms.get("new", "anthropic").complete(body)  # an Anthropic-dialect app
        finally:
            await arms.aclose()

    answer: Any = asyncio.run(call())
    assert answer["content"][0]["text"] == "acme acme-large"  # translated back to the Messages shape
    assert SEEN[-1][0] == "http://127.0.0.1:9/acme/v1" and "messages" in SEEN[-1][1]


def test_a_registered_kind_needs_its_key_and_unknown_kinds_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "migration.yaml"
    path.write_text(MIGRATION.replace(", api_key_env: ACME_API_KEY", "").replace("provider: sim", "provider: acme"))
    with pytest.raises(ConfigError) as err:
        load_migration(path)
    issues = [str(i) for i in err.value.issues]
    assert any(i.startswith(f"{path}:4: endpoints.old.provider: got 'acme'; expected 'openai'") for i in issues)
    assert any("'acme-test'" in i for i in issues)
    assert any(
        i.startswith(f"{path}:5: endpoints.new: api_key_env is required") and "ACME_API_KEY" in i for i in issues
    )


def test_a_kind_cannot_be_registered_twice_or_without_a_wire() -> None:
    with pytest.raises(ValueError, match="already registered"):
        provider("acme-test")(type("Other", (), {"dialect": "openai"}))
    with pytest.raises(TypeError, match="dialect must be one of"):
        provider("acme-bad")(type("NoWire", (), {"dialect": "cohere"}))


@settings(max_examples=30, deadline=None)
@given(st.text(max_size=30))
def test_a_provider_name_is_accepted_exactly_when_it_is_registered(name: str) -> None:
    text = MIGRATION.replace("provider: acme-test", f"provider: {json.dumps(name)}")
    known = name in kind_names()
    try:
        migration = parse_migration(text, "m.yaml", Path("."))
    except ConfigError as exc:
        refused = any(": endpoints.new.provider: got" in str(i) for i in exc.issues)
        assert refused != known, exc.issues
        return
    assert known and migration.endpoints["new"].provider == name
