"""``modelswap eval`` + ``modelswap gate`` over real HTTP against a scripted OpenAI-compatible vendor.

The vendor knows each model's right and wrong answers in advance, and which calls fail: the
gates' verdicts can be checked against what a user of each model would really have got.
"""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from typer.testing import CliRunner

from modelswap.cli.app import app

Serve = Callable[[web.Application], Awaitable[str]]
ATTEMPTS = web.AppKey("attempts", Counter[tuple[str, str]])
CONTEXT_EXCEEDED = {
    "message": "This model's maximum context length is 8192 tokens. However, your messages resulted in 9100 tokens.",
    "type": "invalid_request_error",
    "param": "messages",
    "code": "context_length_exceeded",
}
SERVER_ERROR = {"message": "The server had an error while processing your request.", "type": "server_error"}


def script(n: int = 1000, only_old: int = 30, both_wrong: int = 70) -> dict[str, dict[str, str]]:
    """case id → model → ``right``, ``wrong`` or the failure it meets. The first ``only_old``
    cases only the old model gets right; the next ``both_wrong`` neither does."""
    plan = {}
    for i in range(n):
        case = f"case-{i:04d}"
        if i < only_old:
            plan[case] = {"old-model": "right", "new-model": "fail"}
        elif i < only_old + both_wrong:
            plan[case] = {"old-model": "wrong", "new-model": "wrong"}
        else:
            plan[case] = {"old-model": "right", "new-model": "right"}
    return plan


def vendor(plan: dict[str, dict[str, str]], failure: tuple[int, dict[str, str]], transient: int = 0) -> web.Application:
    """An OpenAI-compatible chat-completions server following ``plan``. A ``fail`` call answers
    ``failure`` (status, error object); with ``transient`` > 0 only its first ``transient`` attempts do."""
    attempts: Counter[tuple[str, str]] = Counter()

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        model, case = body["model"], body["messages"][-1]["content"]
        what = plan[case][model]
        attempts[(case, model)] += 1
        if what == "fail" and (transient == 0 or attempts[(case, model)] <= transient):
            status, error = failure
            return web.json_response({"error": error}, status=status, headers={"retry-after-ms": "0"})
        answer = "42" if what in ("right", "fail") else "41"
        return web.json_response(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1,
                "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 12, "completion_tokens": 1, "total_tokens": 13},
            }
        )

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app[ATTEMPTS] = attempts
    return app


def write(tmp_path: Path, url: str, plan: dict[str, dict[str, str]], *, max_retries: int = 1, extra: str = "") -> Path:
    check = [{"type": "equals", "value": "42"}]
    lines = [json.dumps({"id": c, "messages": [{"role": "user", "content": c}], "assert": check}) for c in plan]
    (tmp_path / "golden.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    common = f"base_url: {url}/v1, api_key_env: VENDOR_KEY, max_retries: {max_retries}, price: {{input: 1, output: 2}}"
    path = tmp_path / "migration.yaml"
    path.write_text(
        f"""\
name: failing-new-model
store: sqlite:///{tmp_path}/modelswap.db
endpoints:
  old: {{provider: openai, model: old-model, {common}}}
  new: {{provider: openai, model: new-model, {common}}}
workloads:
  - name: answers
    golden_set: golden.jsonl
    gates:
      pass_rate: {{max_drop_points: 2}}
{extra}""",
        encoding="utf-8",
    )
    return path


async def cli(*args: str) -> tuple[int, str]:
    """The CLI in a thread: it runs its own event loop while the vendor serves on this one."""
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args))
    return result.exit_code, result.output


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VENDOR_KEY", "test-key")


@pytest.mark.parametrize(
    "failure", [(500, SERVER_ERROR), (400, CONTEXT_EXCEEDED)], ids=["http-500", "context-length-400"]
)
async def test_new_model_failing_exactly_where_only_the_old_one_is_right_fails_the_gate(
    serve_vendor: Serve, tmp_path: Path, failure: tuple[int, dict[str, str]]
) -> None:
    # Before: the 30 failed calls were dropped and the gate said PASS, +0.0 [−0.4, +0.4] on 970
    # cases, exit 0 even with --strict. A user of the new model would have got 30 errors.
    plan = script()
    config = str(write(tmp_path, await serve_vendor(vendor(plan, failure)), plan))
    code, out = await cli("eval", "-c", config)
    assert code == 2, out  # some calls failed after their retries
    assert "the pass rates and the gates count each as a failed case for its model" in out
    assert "--retry-failed" in out
    assert "93.0 %" in out and "90.0 %" in out and "900/1000" in out  # old 930/1000, new 900/1000
    code, out = await cli("gate", "-c", config)
    assert code == 1, out
    assert "overall: FAIL" in out and "PASS" not in out.split("overall")[0].split("pass_rate")[1][:40]
    assert "on 1,000 paired cases" in out and "difference −3.0 points" in out
    kind = "HTTP 500 server_error" if failure[0] == 500 else "HTTP 400 invalid_request_error context_length_exceeded"
    assert f"New: 30 failed calls ({kind} ×30) — each counts as a failed case for that model" in out

    code, text = await cli("gate", "-c", config, "-f", "json")
    assert code == 1
    (workload,) = json.loads(text)["workloads"]
    gate = {g["gate"]: g for g in workload["gates"]}["pass_rate"]
    assert gate["verdict"] == "FAIL" and gate["n"] == 1000 and gate["interval"][1] < -2
    assert workload["failed_calls"]["new"] == {"failed_calls": 30, "kinds": {kind: 30}}
    assert workload["failed_calls"]["old"]["failed_calls"] == 0 and workload["excluded_cases"] == {}

    code, text = await cli("gate", "-c", config, "-f", "junit")
    root = ET.fromstring(text)
    (suite,) = root.findall("testsuite")
    assert f"count as failed cases: new 30 ({kind} ×30)" in (suite.findtext("system-out") or "")
    failure_el = next(c for c in suite.iter("testcase") if c.get("name") == "pass_rate").find("failure")
    assert failure_el is not None and kind in (failure_el.get("message") or "")


async def test_transient_failures_are_retried_before_judging(serve_vendor: Serve, tmp_path: Path) -> None:
    # The same 30 calls fail once with a 503 and no retry is configured: the gate FAILs on what
    # users would have got; `eval --retry-failed` asks exactly those 30 again, then it PASSes.
    plan = script()
    server = vendor(plan, (503, {"message": "overloaded", "type": "server_error"}), transient=1)
    config = str(write(tmp_path, await serve_vendor(server), plan, max_retries=0))
    assert (await cli("eval", "-c", config))[0] == 2
    assert (await cli("gate", "-c", config))[0] == 1
    before = sum(server[ATTEMPTS].values())
    code, out = await cli("eval", "-c", config, "--retry-failed")
    assert code == 0, out
    assert sum(server[ATTEMPTS].values()) - before == 30  # only the failed calls, nothing else
    code, out = await cli("gate", "-c", config)
    assert code == 0, out
    assert "overall: PASS" in out and "on 1,000 paired cases" in out and "failed call" not in out
    code, out = await cli("eval", "-c", config, "--retry-failed")
    assert code == 0 and "no failed calls to retry" in out


async def test_cases_both_models_fail_are_left_out_with_the_reason_and_the_error_rate_gate(
    serve_vendor: Serve, tmp_path: Path
) -> None:
    plan = script(n=400, only_old=0, both_wrong=0)
    for i in range(12):  # these prompts are too long for both models: the case is at fault
        plan[f"case-{i:04d}"] = {"old-model": "fail", "new-model": "fail"}
    for i in range(12, 40):  # and the new model's calls fail on 28 more
        plan[f"case-{i:04d}"]["new-model"] = "fail"
    extra = "      error_rate: {max_increase_points: 1}\n"
    config = str(write(tmp_path, await serve_vendor(vendor(plan, (400, CONTEXT_EXCEEDED))), plan, extra=extra))
    assert (await cli("eval", "-c", config))[0] == 2
    code, out = await cli("gate", "-c", config, "-f", "json")
    (workload,) = json.loads(out)["workloads"]
    assert workload["excluded_cases"] == {"both models' calls failed": 12}
    gates = {g["gate"]: g for g in workload["gates"]}
    assert gates["pass_rate"]["n"] == 388
    assert (
        "12 cases left out because both models' calls failed (HTTP 400 invalid_request_error"
        in (gates["pass_rate"]["reason"])
    )
    assert gates["error_rate"]["verdict"] == "FAIL" and gates["error_rate"]["n"] == 400
    assert gates["error_rate"]["details"]["new_failed"] == 40 and gates["error_rate"]["details"]["old_failed"] == 12
    assert code == 1
