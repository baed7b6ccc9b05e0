"""Honest counts from logs whose true request, error and token counts are known in advance.

Every request is counted (a successful call that logged no usage too: its tokens and cost are
"unknown"); an empty file is skipped and reported; OpenAI's stored chat completions are read by
their top-level ``created``; a workload the log names is used when no rule matches.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from modelswap.config import Migration
from modelswap.inventory import InventoryError, inventory_dict, take_inventory, to_markdown

from .conftest import FIXTURES, openai_record, spread, write_jsonl

T0 = datetime(2025, 3, 1, tzinfo=UTC)
PRICE_OLD = {"input": 2.0, "output": 8.0}  # the conftest migration's old endpoint, USD per 1M tokens


def _usage_log(path: Path, ok: int, no_usage: int, failed: int) -> None:
    records = []
    for i, ts in enumerate(spread(T0, 5, ok + no_usage + failed)):
        record = openai_record(
            ts, prompt_tokens=1000, completion_tokens=100, status=500 if i < failed else 200, latency_ms=100.0 + i
        )
        if failed <= i < failed + no_usage:
            del record["response"]["usage"]  # answered, but the logger dropped the usage
        records.append(record)
    write_jsonl(path, records)


def test_successful_calls_without_usage_are_counted_with_tokens_and_cost_unknown(
    tmp_path: Path, migration: Migration
) -> None:
    _usage_log(tmp_path / "log.jsonl", ok=850, no_usage=100, failed=50)
    inv = take_inventory([str(tmp_path / "log.jsonl")], migration=migration)

    assert inv.total_requests == 1000 and inv.reports[0].records == 1000 and inv.reports[0].malformed == 0
    (w,) = [w for w in inv.workloads if w.requests]
    assert (w.requests, w.errors, w.usage_unknown) == (1000, 50, 100)
    assert w.error_rate == pytest.approx(0.05, rel=1e-15)  # not 50 / 900
    assert (w.prompt_tokens, w.completion_tokens) == (850 * 1000, 850 * 100)  # only what was logged
    per_call = (1000 * PRICE_OLD["input"] + 100 * PRICE_OLD["output"]) / 1e6
    assert w.cost_per_day["old"] == pytest.approx(850 * per_call / 5, rel=1e-12)  # the known part
    assert w.cost_per_request["old"] == pytest.approx(850 * per_call / 900, rel=1e-12)  # over known usage
    assert w.prompt_tokens_per_request == pytest.approx(850 * 1000 / 900, rel=1e-12)
    assert w.latency_ms.n == 950  # every answered call that logged a latency
    assert any("100 successful request(s) logged no token counts" in x for x in inv.warnings)
    assert "unknown for 100 req" in to_markdown(inv)
    assert inventory_dict(inv)["workloads"][-1]["usage_unknown"] == 100


def test_an_empty_file_in_a_directory_is_skipped_and_reported(tmp_path: Path, migration: Migration) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    write_jsonl(logs / "a.jsonl", [openai_record(t, metadata={"workload": "support-chat"}) for t in spread(T0, 2, 30)])
    (logs / "b.jsonl").write_text("")
    (logs / "c.jsonl").write_text("\n  \n\n")
    (logs / "d.json").write_text("[ ]\n")
    write_jsonl(logs / "e.jsonl", [openai_record(t, metadata={"workload": "support-chat"}) for t in spread(T0, 2, 12)])

    inv = take_inventory([str(logs)], migration=migration)
    assert inv.total_requests == 42 and inv.workload("support-chat").requests == 42
    assert [(Path(f.location).name, f.reason) for f in inv.skipped_files] == [
        ("b.jsonl", "empty file"),
        ("c.jsonl", "only blank lines"),
        ("d.json", "an empty JSON array"),
    ]
    assert [Path(r.location).name for r in inv.reports] == ["a.jsonl", "e.jsonl"]
    text = to_markdown(inv)
    assert f"{logs / 'b.jsonl'}: skipped (empty file)" in text
    assert any(w.startswith("skipped ") and "b.jsonl" in w for w in inv.warnings)


def test_only_empty_files_is_an_error_naming_them(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text("")
    (tmp_path / "b.csv").write_text("\n")
    with pytest.raises(InventoryError, match=r"nothing to read: .*a\.jsonl: empty file; .*b\.csv: only blank lines"):
        take_inventory([str(tmp_path)])


def _stored_completion(ts: datetime, i: int, workload: str, prompt: int, completion: int) -> dict[str, Any]:
    """One item of OpenAI's stored chat completions list (``GET /v1/chat/completions``)."""
    return {
        "object": "chat.completion",
        "id": f"chatcmpl-{i:06d}",
        "model": "gpt-4o-2024-08-06",
        "created": int(ts.timestamp()),
        "request_id": f"req_{i:06d}",
        "tool_choice": None,
        "usage": {
            "total_tokens": prompt + completion,
            "completion_tokens": completion,
            "prompt_tokens": prompt,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        },
        "seed": 1234,
        "top_p": 1.0,
        "temperature": 1.0,
        "presence_penalty": 0.0,
        "frequency_penalty": 0.0,
        "system_fingerprint": "fp_6b68a8204b",
        "metadata": {"workload": workload},
        "choices": [{"index": 0, "message": {"content": "ok", "role": "assistant"}, "finish_reason": "stop"}],
        "response_format": None,
        "tools": None,
    }


def test_openai_stored_chat_completions_are_read_by_their_created_time(tmp_path: Path, migration: Migration) -> None:
    times = spread(T0, 3, 90)
    names = ["billing-bot", "support-chat", "support-chat"]
    records = [_stored_completion(t, i, names[i % 3], 700, 70) for i, t in enumerate(times)]
    write_jsonl(tmp_path / "stored.jsonl", records)
    inv = take_inventory([str(tmp_path / "stored.jsonl")], migration=migration)

    (report,) = inv.reports
    assert (report.format, report.records, report.malformed) == ("openai", 90, 0)
    assert inv.period is not None and inv.period.days == 3 and inv.period.start == T0
    support = inv.workload("support-chat")  # by the rule on metadata.workload
    assert (support.origin, support.requests, support.prompt_tokens, support.completion_tokens) == (
        "rule",
        60,
        60 * 700,
        60 * 70,
    )
    billing = inv.workload("billing-bot")  # named by the record's metadata; no rule knows it
    assert (billing.origin, billing.requests, billing.named_by) == ("tag", 30, {"metadata.workload": 30})
    assert billing.requests_per_day == 10.0


def test_a_workload_the_openai_log_names_is_used_when_no_rule_matches(tmp_path: Path, migration: Migration) -> None:
    times = spread(T0, 2, 40)
    records = [openai_record(t, metadata={"workload": "invoice-extraction"}) for t in times[:10]]
    records += [{**openai_record(t), "workload": "sql-helper"} for t in times[10:25]]
    # a rule matches (user prefix): the rule wins over the log's own name
    records += [{**openai_record(t, user="triage-7"), "workload": "sql-helper"} for t in times[25:30]]
    records += [openai_record(t, system="Untagged: summarise the meeting.") for t in times[30:]]
    write_jsonl(tmp_path / "log.jsonl", records)
    inv = take_inventory([str(tmp_path / "log.jsonl")], migration=migration)

    by_name = {w.name: w for w in inv.workloads}
    assert by_name["invoice-extraction"].requests == 10
    assert by_name["invoice-extraction"].named_by == {"request.metadata.workload": 10}
    assert by_name["sql-helper"].requests == 15 and by_name["sql-helper"].named_by == {"workload": 15}
    assert by_name["ticket-triage"].requests == 5 and by_name["ticket-triage"].named_by == {}
    (proposal,) = inv.proposals
    assert proposal.requests == 10
    assert "invoice-extraction [named by request.metadata.workload]" in to_markdown(inv)


def test_litellm_tags_name_a_workload_when_no_rule_matches(tmp_path: Path, migration: Migration) -> None:
    records = json.loads((FIXTURES / "litellm_spendlogs.json").read_text())
    support = records[0]
    out = []
    for i in range(12):
        r = copy.deepcopy(support)
        r["request_id"] = f"chatcmpl-{i}"
        r["metadata"]["requester_metadata"] = {}
        r["proxy_server_request"]["metadata"] = {}  # no rule matches these calls
        if i < 5:  # LiteLLM adds User-Agent tags itself; "prod" is an environment, not a workload
            r["request_tags"] = ["User-Agent: OpenAI/Python 1.66.3", "prod", "refund-bot"]
        elif i < 9:
            r["request_tags"] = ["prod", "workload:contract-review", "team-legal"]
        else:
            r["request_tags"] = []
            r["metadata"]["tags"] = ["doc-summary"]
        out.append(r)
    (tmp_path / "spend.json").write_text(json.dumps(out))
    inv = take_inventory([str(tmp_path / "spend.json")], migration=migration)

    assert inv.total_requests == 12
    assert inv.workload("refund-bot").requests == 5 and inv.workload("refund-bot").named_by == {"request_tags": 5}
    assert inv.workload("contract-review").named_by == {"request_tags": 4}
    assert inv.workload("doc-summary").named_by == {"metadata.tags": 3}
    assert not inv.proposals


@pytest.mark.parametrize("layout", ["json", "csv"])
def test_a_langfuse_trace_name_names_a_workload_when_no_rule_matches(
    tmp_path: Path, migration: Migration, layout: str
) -> None:
    if layout == "json":
        records = json.loads((FIXTURES / "langfuse_observations.json").read_text())
        for r in records:
            r["metadata"] = {}
            r["userId"] = "someone"
            r["traceName"] = "faq-answers"
        (tmp_path / "obs.json").write_text(json.dumps(records))
        path = tmp_path / "obs.json"
    else:
        import csv
        import io

        rows = list(csv.DictReader(io.StringIO((FIXTURES / "langfuse_observations.csv").read_text())))
        for r in rows:
            r["metadata"], r["userId"], r["traceName"] = "{}", "someone", "faq-answers"
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        path = tmp_path / "obs.csv"
        path.write_text(buf.getvalue())
    inv = take_inventory([str(path)], migration=migration)
    w = inv.workload("faq-answers")
    assert (w.origin, w.requests, w.named_by) == ("tag", 3, {"traceName": 3})
    assert inv.total_requests == 3 and not inv.proposals
