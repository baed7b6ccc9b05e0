"""The red-team runner: every sampled probe against every workload's target, on old and new.

Calls go through the same ``EvalEndpoint``s as evals (rate limits, shared concurrency,
retries). Each outcome is stored as it lands, with the prompt, the answer and the detectors
that fired, so ``resume=run_id`` skips what a run already holds. A call that still fails
transiently after the endpoint's retries (a burst of 429s or timeouts under load, a store too
busy to read the cache) is sent again in a later pass, after a pause, up to ``RETRY_PASSES``
times: dropping it would shrink that family's sample and can turn a verdict INCONCLUSIVE. What
fails for good (a request the model refuses as invalid, or every pass) is stored with its error
and left out of the attack success rates.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from modelswap.evals.cache import cache_key, from_entry, to_entry
from modelswap.evals.endpoint import EvalEndpoint
from modelswap.providers.base import UpstreamError
from modelswap.redteam.pack import Json, Probe, Target
from modelswap.redteam.registry import all_families, judge
from modelswap.redteam.verdict import Reply
from modelswap.store import RedteamResultRow, Store

log = logging.getLogger("modelswap.redteam")

DEFAULT_SAMPLE = 100
"""Probes per family at run time (a seeded sample of the family's variants)."""
MAX_STORED_CHARS = 4000
"""Prompts and answers are stored up to this many characters each."""
RETRY_PASSES = 3
"""Further passes over the probes whose call failed transiently."""
RETRY_PAUSE_S = 2.0
"""Pause before retry pass ``k`` is ``k`` times this (the endpoint's limiter and the vendor recover)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """One probe against one arm: what was sent, what came back, and whether the attack succeeded."""

    workload: str | None
    probe: Probe
    arm: str
    succeeded: bool
    refused: bool
    answer: str
    findings: tuple[tuple[str, str], ...]
    error: str | None = None
    cached: bool = False
    """The answer came from the response cache."""
    transient: bool = False
    """The call failed in a way a later attempt may not (anything but an invalid request)."""


@dataclass(frozen=True, slots=True)
class RedteamSummary:
    """What one session of a red-team run did."""

    run_id: str
    calls: int
    skipped: int
    errors: int
    succeeded: int
    elapsed_s: float
    cached: int = 0
    """Answers read from the response cache (already paid for) instead of calling the model."""
    retried: int = 0
    """Calls sent again in a later pass after a transient failure."""


def _obj(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def reply_of(body: Json) -> Reply:
    """The answer text and tool calls of an OpenAI chat completion (anything else reads as empty)."""
    choices = body.get("choices") if isinstance(body, dict) else None
    first = choices[0] if isinstance(choices, list) and choices else None
    message = _obj(_obj(first).get("message"))
    calls = []
    tool_calls = message.get("tool_calls")
    for call in tool_calls if isinstance(tool_calls, list) else ():
        fn = _obj(_obj(call).get("function"))
        raw = fn.get("arguments")
        try:
            args: Any = json.loads(raw) if isinstance(raw, str) else (raw or {})
        except ValueError:
            args = raw
        calls.append((str(fn.get("name") or ""), args))
    content = message.get("content")
    return Reply(content if isinstance(content, str) else "", tuple(calls))


def prompt_text(probe: Probe) -> str:
    """The attacker's messages as one text (what the findings list shows)."""
    return "\n\n".join(str(m.get("content") or "") for m in probe.messages)


def row_of(run_id: str, outcome: Outcome, model: str, now: datetime) -> RedteamResultRow:
    """The stored form of an outcome (detail keeps prompt, answer, findings and the pack spec)."""
    family = all_families()[outcome.probe.family]
    detail: Json = {
        **family.spec(),
        "model": model,
        "prompt": prompt_text(outcome.probe)[:MAX_STORED_CHARS],
        "answer": outcome.answer[:MAX_STORED_CHARS],
        "findings": [{"detector": d, "evidence": e} for d, e in outcome.findings],
        "refused": outcome.refused,
    }
    if outcome.error is not None:
        detail["error"] = outcome.error
    return RedteamResultRow(
        run_id=run_id,
        ts=now,
        probe_id=outcome.probe.id,
        arm=outcome.arm,
        attack_succeeded=outcome.succeeded,
        workload=outcome.workload,
        detail=detail,
    )


CACHE_SCOPE = "redteam"
"""Red-team answers are cached apart from golden-set answers (same request, same model: same answer)."""


async def ask(endpoint: EvalEndpoint, request: Json, store: Store | None) -> tuple[Json, bool]:
    """The model's answer to ``request`` and whether it came from the response cache.

    With ``store``, an answer already paid for (an earlier run of the same probe on the same model)
    is read back, and a new one is kept, as evals do; without it, the model is always called."""
    if store is None:
        return (await endpoint.answer(request)).body, False
    key = cache_key(endpoint.model, request, CACHE_SCOPE)
    try:
        entry = await asyncio.to_thread(store.cache.get, key)
    except Exception:  # a busy store is a cache miss, not a lost probe
        log.warning("red-team: response cache unreadable; asking the model", exc_info=True)
        entry = None
    if entry is not None:
        return from_entry(entry).body, True
    answer = await endpoint.answer(request)
    try:
        await asyncio.to_thread(store.cache.put, to_entry(key, endpoint.model, answer, datetime.now(UTC)))
    except Exception:  # the answer is judged and stored with the run either way
        log.warning("red-team: answer not cached", exc_info=True)
    return answer.body, False


async def attack(endpoint: EvalEndpoint, target: Target, probe: Probe, arm: str, cache: Store | None = None) -> Outcome:
    """Send one probe to one arm (through the response cache in ``cache``) and judge the answer."""
    try:
        body, cached = await ask(endpoint, probe.request(endpoint.model, target), cache)
    except Exception as exc:  # a failed call is recorded, not fatal: the run goes on
        transient = not isinstance(exc, UpstreamError) or exc.retryable
        error = f"{type(exc).__name__}: {exc}"
        return Outcome(target.workload, probe, arm, False, False, "", (), error=error, transient=transient)
    reply = reply_of(body)
    findings = judge(reply, probe, target)
    refused = bool(judge(reply, probe, target, ["refusal"]))
    return Outcome(
        target.workload,
        probe,
        arm,
        bool(findings),
        refused,
        reply.text,
        tuple((f.detector, f.evidence) for f in findings),
        cached=cached,
    )


Job = tuple[Target, Probe, str]
"""One call of a run: a probe against one workload's target on one arm."""


RunOne = Callable[[Job, bool, list[Job]], Coroutine[Any, Any, None]]
"""Runs one job; ``True`` on the last pass; appends the job to the list to have it run again."""


async def in_passes(jobs: Sequence[Job], one: RunOne, pause_s: float) -> int:
    """Run every job; those ``one`` hands back (in its list) run again in later passes, the last
    pass told so (``True``) and made to keep what it gets. Returns how many calls were sent again."""
    pending, retried = list(jobs), 0
    for attempt in range(RETRY_PASSES + 1):
        if attempt:
            retried += len(pending)
            log.info("red-team: %d calls failed transiently; pass %d of %d", len(pending), attempt, RETRY_PASSES)
            await asyncio.sleep(pause_s * attempt)
        again: list[Job] = []
        async with asyncio.TaskGroup() as tg:
            for job in pending:
                tg.create_task(one(job, attempt == RETRY_PASSES, again))
        if not again:
            break
        pending = again
    return retried


async def run_redteam(
    store: Store,
    targets: Mapping[str, Target],
    probes: Sequence[Probe],
    endpoints: Mapping[str, EvalEndpoint],
    *,
    run_id: str | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    fresh: bool = False,
    retry_pause_s: float = RETRY_PAUSE_S,
) -> RedteamSummary:
    """Run ``probes`` against every target on every endpoint (arm → endpoint) and store the outcomes.

    With ``run_id`` of an earlier run, (workload, probe, arm) triples it already holds without
    an error are skipped (resume). Answers go through the response cache (a probe already sent to
    the same model is not paid for again) unless ``fresh``. Transient failures are asked again in
    up to ``RETRY_PASSES`` later passes, ``retry_pause_s`` × the pass number apart.
    """
    started = time.perf_counter()
    run_id = run_id or f"rt-{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    done = {
        (r.workload, r.probe_id, r.arm)
        for r in await asyncio.to_thread(store.review.redteam_results, run_id)
        if not (r.detail or {}).get("error")
    }
    jobs = [
        (target, probe, arm)
        for target in targets.values()
        for probe in probes
        for arm in endpoints
        if (target.workload, probe.id, arm) not in done
    ]
    counts = {"errors": 0, "succeeded": 0, "cached": 0}

    async def one(job: Job, last: bool, again: list[Job]) -> None:
        target, probe, arm = job
        outcome = await attack(endpoints[arm], target, probe, arm, None if fresh else store)
        if outcome.error is not None and outcome.transient and not last:
            again.append(job)  # not stored yet: asked again in the next pass
            return
        counts["errors"] += outcome.error is not None
        counts["cached"] += outcome.cached
        counts["succeeded"] += outcome.succeeded
        row = row_of(run_id, outcome, endpoints[arm].model, datetime.now(UTC))
        await asyncio.to_thread(store.review.add_redteam_results, [row])
        if on_outcome is not None:
            on_outcome(outcome)

    retried = await in_passes(jobs, one, retry_pause_s)
    return RedteamSummary(
        run_id,
        len(jobs),
        len(done),
        counts["errors"],
        counts["succeeded"],
        time.perf_counter() - started,
        counts["cached"],
        retried,
    )
