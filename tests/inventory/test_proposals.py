"""Untagged traffic is proposed as workloads by system-prompt fingerprint; accepted names stick."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from modelswap.config import Migration
from modelswap.inventory import fingerprint, take_inventory
from modelswap.inventory.proposals import normalize_prompt, propose_name

from .conftest import openai_record, spread, write_jsonl

T0 = datetime(2025, 3, 1, tzinfo=UTC)
NAMES = ["Alice", "Bob", "Chidi", "Dana", "Eun-ji", "Farid"]
PROMPTS = {
    "support": "You are a support agent for Acme Corp, helping {name} (customer #{n}). Be concise and friendly; "
    "escalate billing disputes to a human agent.",
    "triage": "Classify the support ticket into exactly one of: billing, bug, feature, account. "
    "Ticket {n} was filed today. Reply with JSON only.",
    "sql": "Translate the analyst's question into a single read-only SQL query over the warehouse "
    "schema below. Never modify data.\n\nSchema version {n}:\n  orders(id, customer_id, total)",
}


def _untagged_log(path: Path, counts: dict[str, int], seed: int = 1) -> None:
    rng = random.Random(seed)
    records = []
    for kind, n in counts.items():
        for i, ts in enumerate(spread(T0, 7, n)):
            system = PROMPTS[kind].format(name=rng.choice(NAMES), n=rng.randint(1, 10**6))
            records.append(openai_record(ts, system=system, user_text=f"{kind} question {i}"))
    rng.shuffle(records)
    write_jsonl(path, records)


def test_untagged_logs_with_three_system_prompts_are_proposed_as_three_workloads(
    tmp_path: Path, migration: Migration
) -> None:
    _untagged_log(tmp_path / "log.jsonl", {"support": 300, "triage": 200, "sql": 100})
    inv = take_inventory([str(tmp_path / "log.jsonl")], migration=migration)
    assert [(p.id, p.requests) for p in inv.proposals] == [("P1", 300), ("P2", 200), ("P3", 100)]
    support, triage, sql = inv.proposals
    assert support.example_system is not None and support.example_system.startswith("You are a support agent")
    assert triage.example_system is not None and triage.example_system.startswith("Classify the support ticket")
    assert sql.example_system is not None and "read-only SQL" in sql.example_system
    assert support.example_user is not None and support.example_user.startswith("support question")
    assert support.example_where is not None  # the example request, by id and time, to grep for
    assert support.example_where.startswith(str(tmp_path / "log.jsonl") + ": request chatcmpl-")
    assert [p.name for p in inv.proposals] == [
        "support-agent-acme",
        "classify-support-ticket",
        "translate-analyst-question",
    ]
    assert len({p.name for p in inv.proposals}) == 3
    assert [w.requests for w in inv.workloads if w.origin == "proposed"] == [300, 200, 100]
    assert inv.workload("support-chat").requests == 0  # defined in the migration file, no traffic seen


def test_fingerprints_are_stable_and_names_can_be_given(tmp_path: Path, migration: Migration) -> None:
    _untagged_log(tmp_path / "a.jsonl", {"support": 50, "triage": 40, "sql": 30}, seed=1)
    _untagged_log(tmp_path / "b.jsonl", {"support": 50, "triage": 40, "sql": 30}, seed=2)
    first = take_inventory([str(tmp_path / "a.jsonl")], migration=migration)
    second = take_inventory([str(tmp_path / "b.jsonl")], migration=migration, names={"P1": "web-chat"})
    assert set(first.proposals[0].fingerprints) & set(second.proposals[0].fingerprints)
    assert second.proposals[0].name == "web-chat" and second.workload("web-chat").requests == 50
    with pytest.raises(ValueError, match="already a workload"):
        take_inventory([str(tmp_path / "b.jsonl")], migration=migration, names={"P2": "support-chat"})


def test_tagged_and_untagged_traffic_mix(tmp_path: Path, migration: Migration) -> None:
    records = [openai_record(t, metadata={"workload": "support-chat"}) for t in spread(T0, 1, 10)]
    records += [openai_record(t, system="Summarise the meeting notes.") for t in spread(T0, 1, 5)]
    write_jsonl(tmp_path / "log.jsonl", records)
    inv = take_inventory([str(tmp_path / "log.jsonl")], migration=migration)
    assert [(w.name, w.origin, w.requests) for w in inv.workloads] == [
        ("support-chat", "rule", 10),
        ("ticket-triage", "rule", 0),
        ("summarise-meeting-notes", "proposed", 5),
    ]


def test_normalisation_and_names() -> None:
    assert normalize_prompt("  Ticket 123\n\nfiled  on 2025-03-01 ") == "Ticket # filed on #-#-#"
    a = fingerprint("Hello 1", None, "gpt-4o-2024-08-06")
    assert a == fingerprint("Hello   22", None, "gpt-4o") != fingerprint("Hello 1", '[{"type": "function"}]', "gpt-4o")
    assert a != fingerprint("Hello 1", None, "gpt-4o-mini")
    taken: set[str] = {"support-agent"}
    assert propose_name("You are a support agent.", taken) == "support-agent-2"
    assert propose_name(None, taken) == "no-system-prompt"
    assert propose_name("!!!", taken) == "workload"
