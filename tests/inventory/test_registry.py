"""A log format registered from one module is detected, read and reported by the inventory."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.config import Migration
from modelswap.inventory import InventoryError, take_inventory
from modelswap.inventory.detect import classify
from modelswap.inventory.readers import ColumnMapping, ReaderOptions, RecordQuery, format_names, log_format
from modelswap.inventory.readers.generic import generic_records
from modelswap.inventory.rules import RuleInputs
from modelswap.inventory.sources import Source

ACME = ColumnMapping(
    {
        "timestamp": "acme_ts",
        "model": "acme_model",
        "prompt_tokens": "acme_in",
        "completion_tokens": "acme_out",
        "latency_ms": "acme_ms",
        "workload": "acme_feature",
    }
)


def looks_like_acme(keys: set[str], first: Mapping[str, Any]) -> bool:
    return {"acme_ts", "acme_model"} <= keys


@log_format("acme-test", "an Acme gateway log (acme_ts, acme_model, acme_in, ...)", detect=looks_like_acme)
def acme_records(source: Source, inputs: RuleInputs, options: ReaderOptions) -> RecordQuery:
    return generic_records(source, inputs, dataclasses.replace(options, mapping=ACME))


def _write(path: Path, n: int, feature: str = "support-chat") -> None:
    rows = [
        {"acme_ts": f"2025-03-0{1 + i % 3}T10:00:00Z", "acme_model": "gpt-4o", "acme_in": 100, "acme_out": 10}
        | {"acme_ms": 300 + i, "acme_feature": feature}
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_a_registered_format_is_detected_and_read_end_to_end(tmp_path: Path, migration: Migration) -> None:
    _write(tmp_path / "acme.jsonl", 7)
    inv = take_inventory([str(tmp_path / "acme.jsonl")], migration=migration)
    (report,) = inv.reports
    assert (report.format, report.records, report.malformed) == ("acme-test", 7, 0)
    support = inv.workload("support-chat")
    assert (support.requests, support.prompt_tokens, support.completion_tokens) == (7, 700, 70)
    assert "acme-test" in format_names()


def test_a_registered_format_is_named_in_mismatch_errors(tmp_path: Path, migration: Migration) -> None:
    _write(tmp_path / "acme.jsonl", 2)
    with pytest.raises(
        InventoryError,
        match=r"not an OpenAI-style request log .*; it looks like an Acme gateway log .*\(--format acme-test\)",
    ):
        take_inventory([str(tmp_path / "acme.jsonl")], migration=migration, fmt="openai")
    with pytest.raises(InventoryError, match="acme-test"):
        take_inventory([str(tmp_path / "acme.jsonl")], migration=migration, fmt="acme")


@settings(max_examples=50, deadline=None)
@given(st.sets(st.sampled_from(["acme_ts", "acme_model", "acme_in", "model", "usage", "timestamp", "traceId"])))
def test_detection_tries_formats_by_priority(keys: set[str]) -> None:
    found = classify(keys, {})
    if {"acme_ts", "acme_model"} <= keys:
        assert found == "acme-test"  # before the generic OpenAI check (priority 90)
    else:
        assert found != "acme-test"
