"""Typed rows: what callers hand to the store and what it hands back.

Field names equal column names, so a row maps to a table without a translation layer.
Timestamps must be timezone-aware (the store converts to UTC and returns UTC). Integer
``id`` fields are assigned by the database on insert (a value given is ignored) and filled
in on rows read back; text ids (requests, eval runs) are made by the caller, ``new_id()``
by default, so a replica can refer to a row before it is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Json = dict[str, Any]
"""A JSON object as Python values."""

PlanTickState = Literal["ticked", "unticked"]
Verdict = Literal["win", "tie", "loss"]


def new_id() -> str:
    """A fresh text id (UUID4) for rows that several processes create independently."""
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestRow:
    """One served request. Tokens and cost are ``None`` when the provider did not report usage."""

    id: str = field(default_factory=new_id)
    ts: datetime
    workload: str
    arm: str
    endpoint: str
    model: str
    status: int
    latency_ms: float
    stream: bool = False
    error_kind: str | None = None
    error: str | None = None
    """Why the request failed, in words safe to store (no URL, key or credential); None if it did not."""
    ttft_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    cost_usd: float | None = None
    request_body: Json | None = None
    response_body: Json | None = None
    sticky_key_hash: str | None = None
    fallback: bool = False
    replica_id: str | None = None
    tokens_estimated: bool = False
    """The token counts (and cost) are estimates: the stream ended before the vendor reported usage."""
    escalated: bool | None = None
    """Served by a cascade: whether the strong model answered (None: no cascade served it)."""
    escalation: str | None = None
    """Why it escalated: ``low_confidence``, ``cheap_failed``, ``over_buffer``, ``up_front``, ``signal_failed``."""
    cheap_cost_usd: float | None = None
    """An escalated request's cheap attempt cost (already included in ``cost_usd``)."""
    reasoning_tokens: int | None = None
    """The part of ``completion_tokens`` spent reasoning, as the vendor reported it (None: not reported)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ShadowPairRow:
    """The shadow arm's answer to the request ``request_id``; ``status`` is None if none came."""

    request_id: str
    ts: datetime
    arm: str
    model: str
    status: int | None = None
    error_kind: str | None = None
    error: str | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    cost_usd: float | None = None
    response_body: Json | None = None
    reasoning_tokens: int | None = None
    """The part of ``completion_tokens`` spent reasoning, as the vendor reported it (None: not reported)."""
    id: int | None = None


@dataclass(frozen=True, slots=True)
class RecordedPair:
    """A served request and its shadow answer, side by side."""

    request: RequestRow
    shadow: ShadowPairRow


@dataclass(frozen=True, slots=True, kw_only=True)
class EvalRunRow:
    """One eval run over a golden set; ``golden_set_sha256`` pins the exact content used."""

    id: str = field(default_factory=new_id)
    started_at: datetime
    workload: str
    golden_set_path: str
    golden_set_sha256: str
    endpoints: list[str]
    spec: Json
    nightly: bool = False
    status: str = "running"
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EvalResultRow:
    """One scorer's result for one arm on one case; unique per (run, case, arm, scorer)."""

    run_id: str
    case_id: str
    arm: str
    scorer: str
    model: str | None = None
    scorer_spec: Json | None = None
    output: Any = None
    passed: bool | None = None
    score: float | None = None
    latency_ms: float | None = None
    cost_usd: float | None = None
    error: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedResponse:
    """A response already paid for, keyed by a hash of (model, request)."""

    key_hash: str
    model: str
    response: Json
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredResponse:
    """A Responses API answer kept for retrieval and ``previous_response_id``: the response object
    and every input item that produced it (earlier turns included)."""

    id: str
    created_at: datetime
    response: Json
    input_items: list[Json]


@dataclass(frozen=True, slots=True, kw_only=True)
class BaselineRow:
    """A snapshot of a workload's figures (pass rate, cost, latency percentiles) and their source."""

    workload: str
    created_at: datetime
    figures: Json
    source: str
    id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanTickRow:
    """One tick or untick of a plan item, by whom, when, and on what evidence."""

    item_key: str
    state: PlanTickState
    actor: str
    ts: datetime
    note: str | None = None
    evidence: Json | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class PlanTicks:
    """The plan's ticks: the latest per item, and the whole history oldest first."""

    latest: Mapping[str, PlanTickRow]
    history: Sequence[PlanTickRow]


@dataclass(frozen=True, slots=True, kw_only=True)
class RolloutChange:
    """What a caller writes to a workload's rollout state; the store adds version and sequence."""

    stage: str
    share: float
    rollback: bool = False
    previous: Json | None = None
    actor: str | None = None


def check_rollout_change(change: RolloutChange, expected_version: int) -> None:
    """Refuse a rollout write that can never be right (``ValueError``), before any statement runs."""
    if expected_version < 0:
        raise ValueError(f"expected_version must be 0 (new workload) or a version read; got {expected_version}")
    if not 0.0 <= change.share <= 1.0:
        raise ValueError(f"rollout share is the fraction served by the new arm, 0 to 1; got {change.share}")


@dataclass(frozen=True, slots=True, kw_only=True)
class RolloutStateRow:
    """A workload's stored rollout state.

    ``version`` counts writes to this workload (optimistic concurrency); ``change_seq`` is
    global across workloads and increases with every write, for cheap polling.
    """

    workload: str
    stage: str
    share: float
    rollback: bool
    previous: Json | None
    version: int
    change_seq: int
    updated_at: datetime
    updated_by: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RolloutEventRow:
    """One audited rollout action: who did what to which workload, why, from what to what."""

    workload: str
    ts: datetime
    actor: str
    action: str
    reason: str | None = None
    from_state: Json | None = None
    to_state: Json | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewVerdictRow:
    """A reviewer's verdict on a shadow pair: did the new arm win, tie or lose."""

    pair_id: int
    reviewer: str
    verdict: Verdict
    ts: datetime
    note: str | None = None
    sample_id: int | None = None
    judgement: str | None = None
    """old_better, new_better, same or both_bad; ``verdict`` is its win/tie/loss reading."""
    tags: list[str] | None = None
    new_side: str | None = None
    """Where the new answer was shown to the reviewer: left or right."""
    id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RedteamResultRow:
    """Whether one probe's attack succeeded against one arm in one red-team run."""

    run_id: str
    ts: datetime
    probe_id: str
    arm: str
    attack_succeeded: bool
    workload: str | None = None
    detail: Json | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteCalibrationRow:
    """One ``modelswap route calibrate``: the threshold it picked and the evidence for it."""

    workload: str
    created_at: datetime
    run_id: str
    """The eval run holding the cheap and strong answers it replayed."""
    cheap_model: str
    strong_model: str
    signal: Json
    threshold: float | None
    """None when no threshold kept the routed pass rate within the margin."""
    settings: Json
    """margin_points, confidence, split, seed, needs_answer, picked_on."""
    verification: Json | None
    """The held-out split's figures (pass rates, difference and its interval, cost ratio, escalation)."""
    curve: list[Json]
    """The cost–quality curve: threshold, share_cheap, pass_rate, strong_pass_rate, mean_cost, cost_ratio."""
    id: int | None = None
