"""Helpers for inventory tests: real-shaped fixtures, a migration file, and a log writer with known answers."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from modelswap.config import Migration, load_migration

FIXTURES = Path(__file__).parent / "fixtures"

SUPPORT = "You are a support agent for Acme Corp. Be concise and friendly. Escalate billing disputes to a human."
TRIAGE = 'Classify the ticket into exactly one of: billing, bug, feature, account. Reply with JSON {"label": ...}.'

MIGRATION = """\
version: 1
name: inventory-test
store: sqlite:///modelswap.db
endpoints:
  old:                       # the model serving today
    provider: sim
    model: gpt-4o
    price: {input: 2.0, output: 8.0, cached_input: 1.0}
  new:
    provider: sim
    model: gpt-5
    price: {input: 1.0, output: 4.0, cached_input: 0.5}
  mini: {provider: sim, model: gpt-4o-mini}
workloads:
  - name: support-chat       # customer chat
    match: [{metadata: {workload: support-chat}}]
  - name: ticket-triage
    match:
      - user_prefix: triage-
      - header: {x-modelswap-workload: ticket-triage}

gateway:
  default_workload: support-chat
"""


@pytest.fixture
def migration_path(tmp_path: Path) -> Path:
    path = tmp_path / "migration.yaml"
    path.write_text(MIGRATION)
    return path


@pytest.fixture
def migration(migration_path: Path) -> Migration:
    return load_migration(migration_path)


def openai_record(
    ts: datetime,
    *,
    system: str | None = SUPPORT,
    user_text: str = "Hello",
    prompt_tokens: int = 1000,
    completion_tokens: int = 200,
    cached_tokens: int = 0,
    latency_ms: float = 500.0,
    ttft_ms: float | None = None,
    status: int = 200,
    model: str = "gpt-4o",
    served_model: str = "gpt-4o-2024-08-06",
    user: str | None = None,
    metadata: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One line of an OpenAI-style request log, as a gateway or SDK wrapper writes it."""
    messages = [{"role": "user", "content": user_text}]
    if system is not None:
        messages.insert(0, {"role": "system", "content": system})
    request: dict[str, Any] = {"model": model, "messages": messages}
    if user is not None:
        request["user"] = user
    if metadata is not None:
        request["metadata"] = dict(metadata)
    record: dict[str, Any] = {
        "timestamp": ts.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "latency_ms": latency_ms,
        "status": status,
        "request": request,
    }
    if headers is not None:
        record["headers"] = dict(headers)
    if ttft_ms is not None:
        record["ttft_ms"] = ttft_ms
    if status < 400:
        record["response"] = {
            "id": f"chatcmpl-{int(ts.timestamp() * 1000):x}",
            "object": "chat.completion",
            "created": int(ts.timestamp()),
            "model": served_model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "prompt_tokens_details": {"cached_tokens": cached_tokens},
            },
        }
    else:
        record["error"] = {"message": "upstream failed", "type": "server_error"}
    return record


def write_jsonl(path: Path, records: Iterable[Mapping[str, Any] | str]) -> Path:
    with path.open("w") as f:
        for r in records:
            f.write((r if isinstance(r, str) else json.dumps(r)) + "\n")
    return path


def spread(start: datetime, days: int, n: int) -> list[datetime]:
    """``n`` times spread evenly over ``days`` whole UTC days from ``start``."""
    step = timedelta(days=days) / n
    return [start + i * step for i in range(n)]
