"""The migration file's rules, applied in SQL to log records, decide exactly as the gateway's matcher does."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelswap.config import MatchRule, Workload
from modelswap.inventory.detect import resolve_sources
from modelswap.inventory.inventory import connect
from modelswap.inventory.readers import READERS, ReaderOptions
from modelswap.inventory.rules import rule_inputs, rules_sql
from modelswap.workload_match import WorkloadMatcher

from .conftest import openai_record

WORKLOADS = (
    Workload(name="chat", match=(MatchRule(header={"X-Team": "chat"}), MatchRule(metadata={"app": "chat"}))),
    Workload(name="triage", match=(MatchRule(user_prefix="triage-", metadata={"env": "prod"}),)),
    Workload(name="keyed", match=(MatchRule(api_key="batch-app"),)),
    Workload(name="pathy", match=(MatchRule(path_prefix="/triage/"),)),
    Workload(name="both", match=(MatchRule(header={"x-team": "ops"}, user_prefix="ops"),)),
)


def _random_request(rng: random.Random) -> dict[str, Any]:
    headers = {}
    if rng.random() < 0.5:
        headers[rng.choice(["X-Team", "x-team", "X-TEAM"])] = rng.choice(["chat", "ops", "Chat", "other"])
    metadata = {
        k: rng.choice(["chat", "prod", "dev", "x"]) for k in rng.sample(["app", "env", "other"], rng.randint(0, 3))
    }
    return {
        "headers": headers,
        "metadata": metadata,
        "user": rng.choice([None, "triage-7", "ops-1", "opsx", "tri", "someone"]),
        "key_name": rng.choice([None, "batch-app", "batch-app-2"]),
        "path": rng.choice([None, "/triage", "/triage/v1/chat/completions", "/triagex/v1", "/v1/chat/completions"]),
    }


def test_sql_rules_agree_with_the_gateway_matcher(tmp_path: Path) -> None:
    rng = random.Random(42)
    requests = [_random_request(rng) for _ in range(400)]
    with (tmp_path / "log.jsonl").open("w") as f:
        for r in requests:
            rec = openai_record(
                datetime(2025, 3, 1, tzinfo=UTC), user=r["user"], metadata=r["metadata"], headers=r["headers"]
            )
            if r["key_name"] is not None:
                rec["key_name"] = r["key_name"]
            if r["path"] is not None:
                rec["path"] = r["path"]
            f.write(json.dumps(rec) + "\n")
    matcher = WorkloadMatcher(WORKLOADS, None)
    expected = []
    for r in requests:
        body: dict[str, Any] = {"metadata": r["metadata"]}
        if r["user"] is not None:
            body["user"] = r["user"]
        headers = {k.lower(): v for k, v in r["headers"].items()}
        # a record without a path cannot satisfy a path rule (the gateway always has one)
        expected.append(matcher.match(path=r["path"] or "", headers=headers, body=body, key_name=r["key_name"]))

    inputs = rule_inputs(WORKLOADS)
    (source,) = resolve_sources([str(tmp_path / "log.jsonl")])
    query = READERS["openai"](source, inputs, ReaderOptions())
    con = connect()
    got = [
        w
        for _, w in con.sql(f"SELECT line, {rules_sql(WORKLOADS, inputs)} FROM ({query.sql}) ORDER BY line").fetchall()
    ]
    assert got == expected
    assert {w for w in expected} >= {"chat", "triage", "keyed", "pathy", "both", None}
