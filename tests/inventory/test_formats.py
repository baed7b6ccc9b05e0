"""Each supported format, read from a real-shaped export (field names and layout as the tool writes them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelswap.config import Migration
from modelswap.inventory import ColumnMapping, Inventory, take_inventory

from .conftest import FIXTURES, TRIAGE


def _inv(migration: Migration | None, *files: str, **kw: object) -> Inventory:
    return take_inventory([str(FIXTURES / f) for f in files], migration=migration, **kw)  # type: ignore[arg-type]


def test_openai_request_log(migration: Migration) -> None:
    inv = _inv(migration, "openai_requests.jsonl")
    assert inv.reports[0].format == "openai" and inv.reports[0].records == 5
    assert inv.period is not None and inv.period.days == 2
    support = inv.workload("support-chat")
    assert (support.requests, support.errors) == (3, 1)  # the 504 counts as a request and an error
    assert (support.prompt_tokens, support.completion_tokens, support.cached_tokens) == (2300, 200, 1024)
    assert support.cost_per_day["old"] == pytest.approx(((2300 - 1024) * 2 + 1024 * 1 + 200 * 8) / 1e6 / 2)
    assert (support.latency_ms.n, support.latency_ms.p50) == (2, 1200.0)
    assert (support.ttft_ms.n, support.ttft_ms.p50) == (2, 235.0)
    assert support.models == {"gpt-4o-2024-08-06": 2, "gpt-4o": 1}
    triage = inv.workload("ticket-triage")  # by user_prefix "triage-"
    assert (triage.requests, triage.prompt_tokens, triage.completion_tokens) == (2, 580, 23)
    assert triage.latency_ms.p50 == 400.0
    assert not inv.proposals


def test_batch_output_joined_to_its_input(migration: Migration) -> None:
    inv = _inv(migration, "batch_output.jsonl", "batch_input.jsonl")
    (report,) = inv.reports
    assert report.format == "batch" and report.records == 4 and report.malformed == 0
    assert report.companion == (str(FIXTURES / "batch_input.jsonl"),)
    # three input lines name their workload in body.metadata (no rule matches it): it is used
    named = inv.workload("ticket-triage")
    assert (named.origin, named.requests, named.errors) == ("rule", 3, 0)
    assert named.named_by == {"body.metadata.workload (input file)": 3}
    (p,) = inv.proposals  # the fourth names none: the input file supplies its system prompt
    assert p.example_system == TRIAGE and p.requests == 1
    w = inv.workload(p.name)
    assert (w.requests, w.errors) == (1, 1)
    assert named.prompt_tokens + w.prompt_tokens == 913 and named.completion_tokens + w.completion_tokens == 26
    assert named.latency_ms.n == 0  # the Batch API records no latency
    assert inv.period is not None and inv.period.start.isoformat() == "2025-03-10T09:00:00+00:00"
    assert any("Batch API" in warning for warning in inv.warnings)


def test_batch_output_alone_counts_what_it_can_and_reports_the_rest(migration: Migration) -> None:
    inv = _inv(migration, "batch_output.jsonl")
    (report,) = inv.reports
    assert report.records == 3 and report.malformed == 1
    assert [str(m) for m in report.examples] == ["line 4: no model"]


def test_batch_input_alone_is_refused_with_advice() -> None:
    from modelswap.inventory import InventoryError

    with pytest.raises(InventoryError, match=r"Batch API \*input\* file.*output"):
        _inv(None, "batch_input.jsonl")


@pytest.mark.parametrize("file", ["litellm_spendlogs.csv", "litellm_spendlogs.json"])
def test_litellm_spend_logs(migration: Migration, file: str) -> None:
    inv = _inv(migration, file)
    assert inv.reports[0].format == "litellm" and inv.reports[0].records == 4
    assert inv.period is not None and inv.period.days == 2
    support = inv.workload("support-chat")  # requester_metadata.workload
    assert (support.requests, support.prompt_tokens, support.completion_tokens, support.cached_tokens) == (
        2,
        2550,
        150,
        1024,
    )
    assert support.latency_ms.p50 == pytest.approx(1050.0)
    # completionStartTime equals endTime for non-streaming calls: only the first logged a real TTFT
    assert (support.ttft_ms.n, support.ttft_ms.p50) == (1, pytest.approx(300.0))
    assert support.logged_cost_per_day == pytest.approx((0.0036 + 0.003725) / 2)
    assert support.cost_per_day["old"] == pytest.approx(((2550 - 1024) * 2 + 1024 + 150 * 8) / 1e6 / 2)
    triage = inv.workload("ticket-triage")  # end_user "triage-svc" by user_prefix
    assert (triage.requests, triage.errors, triage.latency_ms.n) == (2, 1, 1)


def test_litellm_csv_and_json_agree(migration: Migration) -> None:
    a, b = _inv(migration, "litellm_spendlogs.csv"), _inv(migration, "litellm_spendlogs.json")
    assert [(w.name, w.requests, w.cost_per_day, w.latency_ms) for w in a.workloads] == [
        (w.name, w.requests, w.cost_per_day, w.latency_ms) for w in b.workloads
    ]


@pytest.mark.parametrize("file", ["langfuse_observations.json", "langfuse_observations.csv"])
def test_langfuse_observations_export(migration: Migration, file: str) -> None:
    inv = _inv(migration, file)
    (report,) = inv.reports
    assert report.format == "langfuse" and report.records == 3 and report.skipped == {"not an LLM call": 1}
    assert inv.period is not None and inv.period.days == 3
    support = inv.workload("support-chat")
    # Langfuse keeps cached prompt tokens apart (input_cached_tokens): prompt tokens are their sum
    assert (support.prompt_tokens, support.cached_tokens, support.completion_tokens) == (176 + 1024 + 1210, 1024, 215)
    assert support.latency_ms.p50 == pytest.approx(2000.0)
    assert support.ttft_ms.p50 == pytest.approx(450.0)
    assert support.logged_cost_per_day == pytest.approx((0.00243 + 0.004425) / 3)
    triage = inv.workload("ticket-triage")  # userId "triage-svc"; level ERROR
    assert (triage.requests, triage.error_rate) == (1, 1.0)


def test_generic_csv_through_a_column_mapping() -> None:
    mapping = ColumnMapping(
        {
            "timestamp": "created",
            "model": "llm",
            "prompt_tokens": "in_tok",
            "completion_tokens": "out_tok",
            "latency_s": "elapsed_s",
            "status": "http_status",
            "workload": "feature",
            "cost_usd": "cost",
        }
    )
    inv = _inv(None, "home_grown.csv", mapping=mapping)
    (w,) = inv.workloads
    assert (w.name, w.origin, w.requests, w.errors) == ("summaries", "tag", 3, 1)
    assert inv.period is not None and inv.period.end.isoformat() == "2025-03-07T08:30:00+00:00"  # +01:00 honoured
    assert w.latency_ms.p50 == pytest.approx(1000.0)
    assert w.cost_per_day["actual"] == pytest.approx((500 * 2.5 + 50 * 10 + 700 * 2.5 + 70 * 10 + 600 * 2.5) / 1e6 / 2)
    assert w.logged_cost_per_day == pytest.approx((0.00175 + 0.00245) / 2)


def test_generic_jsonl_through_a_column_mapping(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text(
        '{"at": 1741597200, "m": "gpt-4o", "u": {"in": 10, "out": 5}, "ms": 12.5, "msgs": [{"content": "Be terse."}]}\n'
        '{"at": 1741597260000, "m": "gpt-4o", "u": {"in": 20, "out": 5}, "ms": 13.5, '
        '"msgs": [{"content": "Be terse."}]}\n'
    )
    mapping = ColumnMapping(
        {
            "timestamp": "at",
            "model": "m",
            "prompt_tokens": "u.in",
            "completion_tokens": "u.out",
            "latency_ms": "ms",
            "system_prompt": "msgs.0.content",
        }
    )
    inv = take_inventory([str(tmp_path / "x.jsonl")], mapping=mapping)
    (w,) = inv.workloads
    assert (w.requests, w.prompt_tokens, w.latency_ms.p50, w.origin) == (2, 30, 13.0, "proposed")
    assert w.proposal is not None and w.proposal.example_system == "Be terse."
    assert inv.period is not None and inv.period.end.isoformat() == "2025-03-10T09:01:00+00:00"  # seconds and ms


def test_a_mapping_naming_missing_columns_is_refused() -> None:
    from modelswap.inventory import InventoryError

    mapping = ColumnMapping({"timestamp": "when", "model": "llm", "prompt_tokens": "in_tok", "completion_tokens": "x"})
    with pytest.raises(InventoryError, match=r"timestamp=when, completion_tokens=x; its columns are: created, llm"):
        _inv(None, "home_grown.csv", mapping=mapping)


def test_an_incomplete_mapping_is_refused() -> None:
    with pytest.raises(ValueError, match="must name completion_tokens"):
        ColumnMapping({"timestamp": "a", "model": "b", "prompt_tokens": "c"})
    with pytest.raises(ValueError, match="unknown field"):
        ColumnMapping({"timestamp": "a", "model": "b", "prompt_tokens": "c", "completion_tokens": "d", "tokenz": "e"})
