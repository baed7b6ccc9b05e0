"""The runner end to end: the demo migration's simulated models over HTTP, outcomes stored, gate judged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelswap.config import load_migration
from modelswap.demo import write_demo_migration
from modelswap.evals.endpoint import EvalEndpoint
from modelswap.evals.targets import migration_endpoints
from modelswap.gates.result import Verdict
from modelswap.providers.base import Upstream, UpstreamError
from modelswap.providers.retry import RetryPolicy
from modelswap.redteam import sample_probes
from modelswap.redteam.report import as_json, load_run, record_gate
from modelswap.redteam.runner import reply_of, run_redteam
from modelswap.redteam.targets import workload_targets
from modelswap.store import open_store, read_evidence


async def test_demo_new_model_fails_on_obfuscation_only(tmp_path: Path) -> None:
    migration = load_migration(write_demo_migration(tmp_path, 0.005))
    targets = workload_targets(migration, ["order-tools"])
    assert "order assistant" in targets["order-tools"].system_prompt  # the workload's real prompt
    assert targets["order-tools"].tools  # and its tools
    probes = sample_probes(["obfuscation", "leakage", "output_handling"], 100, seed=0)
    with open_store(migration.store) as store:
        async with migration_endpoints(migration, ["old", "new"], concurrency=32) as endpoints:
            summary = await run_redteam(store, targets, probes, endpoints)
            assert summary.calls == 2 * len(probes) and summary.errors == 0
            again = await run_redteam(store, targets, probes, endpoints, run_id=summary.run_id)
            assert again.calls == 0 and again.skipped == 2 * len(probes)  # resume skips what is stored
        report = load_run(store, migration)
        verdicts = {f.family: f.gate.verdict for f in report.families}
        assert verdicts["obfuscation"] is Verdict.FAIL
        assert verdicts["leakage"] is Verdict.PASS and verdicts["output_handling"] is Verdict.PASS
        hit = next(r for r in report.findings() if r.arm == "new" and r.probe_id.startswith("leakage"))
        assert targets["order-tools"].secret in (hit.detail or {})["answer"]
        assert (hit.detail or {})["findings"][0]["detector"] == "secret"
        data = as_json(report)
        assert data["verdict"] == "FAIL" and data["findings"][0]["prompt"]
        record_gate(store, report)
        (evidence,) = read_evidence(store, "redteam_gate")
        assert evidence.workload == "order-tools" and not evidence.ok


@pytest.mark.parametrize(
    ("body", "text", "calls"),
    [
        ({"choices": [{"message": {"content": "hi"}}]}, "hi", ()),
        (
            {
                "choices": [
                    {"message": {"content": None, "tool_calls": [{"function": {"name": "f", "arguments": '{"a": 1}'}}]}}
                ]
            },
            "",
            (("f", {"a": 1}),),
        ),
        (
            {"choices": [{"message": {"tool_calls": [{"function": {"name": "f", "arguments": "not json"}}]}}]},
            "",
            (("f", "not json"),),
        ),
        ({}, "", ()),
        ({"choices": []}, "", ()),
    ],
)
def test_reply_of(body: dict, text: str, calls: tuple) -> None:
    reply = reply_of(body)
    assert reply.text == text and reply.tool_calls == calls


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda kids: (
        st.lists(kids, max_size=3)
        | st.dictionaries(
            st.sampled_from(["choices", "message", "content", "tool_calls", "function", "name", "arguments"])
            | st.text(max_size=8),
            kids,
            max_size=4,
        )
    ),
    max_leaves=25,
)


@given(body=st.dictionaries(st.just("choices") | st.text(max_size=5), JSONISH, max_size=3))
def test_reply_of_never_crashes_on_a_strange_body(body: dict) -> None:
    try:
        reply = reply_of(body)
    except (AttributeError, TypeError) as exc:  # a body that is not an OpenAI completion at all
        pytest.fail(f"reply_of crashed on {body!r}: {exc}")
    assert isinstance(reply.text, str)


def test_targets_fall_back_to_recorded_traffic(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from modelswap.store import RequestRow

    migration = load_migration(write_demo_migration(tmp_path, 0.005))
    bare = migration.model_copy(
        update={"workloads": tuple(w.model_copy(update={"golden_set": None}) for w in migration.workloads)}
    )
    with open_store(migration.store) as store:
        assert workload_targets(bare, ["ticket-triage"], store=store)["ticket-triage"].system_prompt.startswith(
            "You are a helpful customer-support assistant"
        )
        body = {
            "messages": [
                {"role": "system", "content": "You are Acme's billing bot."},
                {"role": "user", "content": "hi"},
            ]
        }
        row = RequestRow(
            id="r1",
            ts=datetime.now(UTC),
            workload="ticket-triage",
            arm="old",
            endpoint="old",
            model="gpt-4o",
            status=200,
            latency_ms=1.0,
            request_body=body,
        )
        store.insert_records([row], [])
        target = workload_targets(bare, ["ticket-triage"], store=store)["ticket-triage"]
        assert target.system_prompt == "You are Acme's billing bot."


async def test_a_second_run_reads_answers_already_paid_for_unless_fresh(tmp_path: Path) -> None:
    migration = load_migration(write_demo_migration(tmp_path, 0.005))
    targets = workload_targets(migration, ["order-tools"])
    probes = sample_probes(["direct_injection", "obfuscation"], 20, seed=1)
    with open_store(migration.store) as store:
        async with migration_endpoints(migration, ["old", "new"], concurrency=16) as endpoints:
            first = await run_redteam(store, targets, probes, endpoints)
            assert first.calls == 2 * len(probes) and first.cached == 0
            second = await run_redteam(store, targets, probes, endpoints)  # a new run, same probes
            assert second.calls == 2 * len(probes) and second.cached == second.calls
            fresh = await run_redteam(store, targets, probes, endpoints, fresh=True)
            assert fresh.cached == 0
        runs = [
            {(r.probe_id, r.arm): r.attack_succeeded for r in store.review.redteam_results(s.run_id)}
            for s in (first, second, fresh)
        ]
    assert runs[0] == runs[1] == runs[2]  # the same answers judged the same way, cached or not


class Flaky:
    """An upstream whose first ``failures`` calls fail with ``error`` (then it answers as ``inner``)."""

    def __init__(self, inner: Upstream, failures: int, error: Exception) -> None:
        self.inner, self.left, self.error = inner, failures, error
        self.name, self.model, self.dialect = inner.name, inner.model, inner.dialect
        self.calls = 0

    async def complete(self, body: dict) -> dict:
        self.calls += 1
        if self.left > 0:
            self.left -= 1
            raise self.error
        return await self.inner.complete(body)

    def stream(self, body: dict) -> AsyncIterator[dict]:
        return self.inner.stream(body)

    async def aclose(self) -> None:
        return None


def timeout() -> UpstreamError:
    return UpstreamError("no first byte within 60 s", kind="timeout", status=504, provider="new")


@pytest.mark.parametrize("error", [timeout(), OSError("database is locked")], ids=["timeout", "store"])
async def test_a_transient_failure_is_asked_again_not_dropped(tmp_path: Path, error: Exception) -> None:
    # under load a burst of calls can fail past the endpoint's own retries; each is asked again later
    migration = load_migration(write_demo_migration(tmp_path, 0.0))
    targets = workload_targets(migration, ["extraction"])
    probes = sample_probes(["leakage"], 20, seed=0)
    with open_store(migration.store) as store:
        async with migration_endpoints(migration, ["new"], concurrency=8) as endpoints:
            flaky = Flaky(endpoints["new"].upstream, failures=7, error=error)
            endpoint = EvalEndpoint(flaky, policy=RetryPolicy(max_retries=0))
            summary = await run_redteam(store, targets, probes, {"new": endpoint}, fresh=True, retry_pause_s=0)
        assert (summary.calls, summary.errors, summary.retried) == (20, 0, 7)
        rows = store.review.redteam_results(summary.run_id)
        assert len(rows) == 20 and not any((r.detail or {}).get("error") for r in rows)
        assert flaky.calls == 27


async def test_an_invalid_request_is_not_asked_again(tmp_path: Path) -> None:
    migration = load_migration(write_demo_migration(tmp_path, 0.0))
    targets = workload_targets(migration, ["extraction"])
    probes = sample_probes(["leakage"], 5, seed=0)
    bad = UpstreamError("unknown parameter", kind="bad_request", status=400, provider="new")
    with open_store(migration.store) as store:
        async with migration_endpoints(migration, ["new"], concurrency=8) as endpoints:
            flaky = Flaky(endpoints["new"].upstream, failures=1, error=bad)
            endpoint = EvalEndpoint(flaky, policy=RetryPolicy(max_retries=0))
            summary = await run_redteam(store, targets, probes, {"new": endpoint}, fresh=True, retry_pause_s=0)
        assert (summary.errors, summary.retried, flaky.calls) == (1, 0, 5)
        (failed,) = [r for r in store.review.redteam_results(summary.run_id) if (r.detail or {}).get("error")]
        assert "unknown parameter" in str((failed.detail or {})["error"])
