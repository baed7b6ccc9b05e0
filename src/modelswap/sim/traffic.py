"""Traffic generator: replay a workload mix at a Poisson rate against any OpenAI-compatible URL.

Requests are built from the same generators as the golden sets, tagged with the
``x-modelswap-workload`` header and a ``user`` id drawn from a pool (so sticky routing
can be exercised), and optionally streamed. Arrival times and request contents come from
separate seeded streams, so a run is reproducible whatever the server's speed. At most
``concurrency`` requests are in flight; an arrival waits for a free slot (and is counted
as ``late``) rather than spawning an unbounded number of tasks.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from modelswap.sim.engine import WORKLOAD_HEADER
from modelswap.sim.workloads import GENERATORS, make_case


class TrafficSpec(BaseModel):
    """What traffic to send: mix, rate, how much, and how it looks on the wire."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mix: dict[str, float] = Field(description="Workload → relative weight, e.g. {'support-chat': 0.5, ...}.")
    rate: float = Field(gt=0, description="Mean arrivals per second (Poisson process).")
    duration_s: float | None = Field(None, gt=0, description="Stop scheduling arrivals after this long.")
    count: int | None = Field(None, gt=0, description="Stop after this many requests.")
    seed: int = Field(0, description="Seeds arrival times and request contents.")
    model: str = Field("gpt-4o", description="The `model` field sent.")
    stream_fraction: float = Field(0.0, ge=0, le=1, description="Fraction of requests sent with stream=true.")
    users: int = Field(100, gt=0, description="Size of the pool of `user` ids (user-0 … user-N-1).")
    concurrency: int = Field(64, gt=0, description="Most requests in flight at once.")
    timeout_s: float = Field(30.0, gt=0, description="Per-request timeout.")
    api_key: str | None = Field(None, description="Sent as `Authorization: Bearer …` when set.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra headers on every request.")

    @field_validator("mix")
    @classmethod
    def _check_mix(cls, mix: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(mix) - set(GENERATORS))
        if unknown:
            raise ValueError(f"unknown workloads {unknown}; known: {sorted(GENERATORS)}")
        if not mix or any(w < 0 for w in mix.values()) or sum(mix.values()) <= 0:
            raise ValueError("mix needs at least one workload and non-negative weights with a positive sum")
        return mix

    @model_validator(mode="after")
    def _check_bound(self) -> TrafficSpec:
        if self.duration_s is None and self.count is None:
            raise ValueError("give duration_s or count (or both) so the run ends")
        return self


class TrafficSummary(BaseModel):
    """What happened: counts, errors by status, the achieved rate and latency percentiles."""

    sent: int
    ok: int
    errors: dict[str, int] = Field(description="HTTP status (as text), 'timeout' or 'connection' → count.")
    by_workload: dict[str, int]
    streamed: int
    late: int = Field(description="Arrivals that had to wait for a free concurrency slot.")
    elapsed_s: float
    achieved_rate: float = Field(description="Requests sent per second over the scheduling window.")
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    ttft_p50_ms: float | None = Field(description="Median time to first chunk of streamed requests.")
    first_errors: dict[str, str] = Field(
        default_factory=dict, description="Each kind of error in ``errors`` → what the first one said (shortened)."
    )


@dataclass(frozen=True, slots=True)
class _Outcome:
    workload: str
    status: str
    latency_s: float
    ttft_s: float | None
    streamed: bool
    detail: str | None = None


ERROR_DETAIL_CHARS = 300
"""How much of an error answer a summary keeps: enough to read the gateway's message."""


def error_detail(raw: bytes) -> str:
    """The message of an error answer (OpenAI's or Anthropic's shape), else its first characters."""
    try:
        doc = orjson.loads(raw)
        message = doc["error"]["message"] if isinstance(doc, dict) and isinstance(doc.get("error"), dict) else None
    except (orjson.JSONDecodeError, KeyError, TypeError):
        message = None
    text = message if isinstance(message, str) else raw.decode("utf-8", "replace")
    text = " ".join(text.split())
    return text if len(text) <= ERROR_DETAIL_CHARS else text[: ERROR_DETAIL_CHARS - 1] + "…"


def arrivals(spec: TrafficSpec) -> Iterator[float]:
    """Arrival offsets in seconds from the start (exponential gaps), bounded by count/duration."""
    rng = random.Random(f"{spec.seed}:arrivals")
    t, n = 0.0, 0
    while spec.count is None or n < spec.count:
        t += rng.expovariate(spec.rate)
        if spec.duration_s is not None and t > spec.duration_s:
            return
        n += 1
        yield t


def build_request(spec: TrafficSpec, rng: random.Random) -> tuple[str, dict[str, Any], dict[str, str]]:
    """(workload, body, headers) of the next request."""
    workload = rng.choices(list(spec.mix), weights=list(spec.mix.values()))[0]
    case = make_case(workload, rng)
    body: dict[str, Any] = {
        "model": spec.model,
        "messages": case["messages"],
        "user": f"user-{rng.randrange(spec.users)}",
    }
    if case.get("tools"):
        body["tools"] = case["tools"]
    if rng.random() < spec.stream_fraction:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    headers = {"Content-Type": "application/json", WORKLOAD_HEADER: workload, **spec.headers}
    if spec.api_key:
        headers["Authorization"] = f"Bearer {spec.api_key}"
    return workload, body, headers


async def _send(
    session: aiohttp.ClientSession, url: str, workload: str, body: dict[str, Any], headers: dict[str, str]
) -> _Outcome:
    """Send one request and read it to the end (the whole stream, if streamed)."""
    start = time.perf_counter()
    ttft: float | None = None
    detail: str | None = None
    try:
        async with session.post(url, data=orjson.dumps(body), headers=headers) as resp:
            if resp.status == 200 and body.get("stream"):
                async for line in resp.content:
                    if ttft is None and line.startswith(b"data: "):
                        ttft = time.perf_counter() - start
            else:
                raw = await resp.read()
                detail = None if resp.status == 200 else error_detail(raw)
            status = "200" if resp.status == 200 else str(resp.status)
    except TimeoutError:
        status, detail = "timeout", "no answer within the request timeout"
    except (aiohttp.ClientError, OSError) as exc:
        status, detail = "connection", error_detail(str(exc).encode())
    except Exception as exc:  # a load generator reports every failure rather than dying mid-run
        status, detail = type(exc).__name__, error_detail(str(exc).encode())
    return _Outcome(workload, status, time.perf_counter() - start, ttft, bool(body.get("stream")), detail)


async def run_traffic(base_url: str, spec: TrafficSpec, session: aiohttp.ClientSession | None = None) -> TrafficSummary:
    """Send ``spec``'s traffic to ``{base_url}/chat/completions`` and summarise the outcome."""
    url = base_url.rstrip("/") + "/chat/completions"
    own = session is None
    if session is None:
        connector = aiohttp.TCPConnector(limit=spec.concurrency)
        session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=spec.timeout_s))
    try:
        return await _dispatch(session, url, spec)
    finally:
        if own:
            await session.close()


async def _dispatch(session: aiohttp.ClientSession, url: str, spec: TrafficSpec) -> TrafficSummary:
    """The arrival loop: wait for each arrival, take a slot, start the request."""
    loop = asyncio.get_running_loop()
    content_rng = random.Random(f"{spec.seed}:content")
    slots = asyncio.Semaphore(spec.concurrency)
    in_flight: set[asyncio.Task[_Outcome]] = set()
    outcomes: list[_Outcome] = []
    late, last_arrival = 0, 0.0
    start = loop.time()

    def finished(task: asyncio.Task[_Outcome]) -> None:
        in_flight.discard(task)
        slots.release()
        if not task.cancelled() and task.exception() is None:
            outcomes.append(task.result())

    for offset in arrivals(spec):
        delay = start + offset - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if slots.locked():
            late += 1
        await slots.acquire()
        workload, body, headers = build_request(spec, content_rng)
        task = asyncio.create_task(_send(session, url, workload, body, headers))
        in_flight.add(task)
        task.add_done_callback(finished)
        last_arrival = offset
    if in_flight:
        await asyncio.wait(set(in_flight))
    window = spec.duration_s if spec.count is None and spec.duration_s else last_arrival
    return _summarise(outcomes, late, loop.time() - start, window)


def _percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``None`` for no data)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 3)


def _summarise(outcomes: list[_Outcome], late: int, elapsed: float, window: float) -> TrafficSummary:
    ok = [o for o in outcomes if o.status == "200"]
    latencies = sorted(o.latency_s for o in ok)
    ttfts = sorted(o.ttft_s for o in ok if o.ttft_s is not None)
    errors = Counter(o.status for o in outcomes if o.status != "200")
    first: dict[str, str] = {}
    for o in outcomes:
        if o.status != "200" and o.detail:
            first.setdefault(o.status, o.detail)
    return TrafficSummary(
        sent=len(outcomes),
        ok=len(ok),
        errors=dict(sorted(errors.items())),
        by_workload=dict(sorted(Counter(o.workload for o in outcomes).items())),
        streamed=sum(o.streamed for o in outcomes),
        late=late,
        elapsed_s=round(elapsed, 3),
        achieved_rate=len(outcomes) / window if window > 0 else float(len(outcomes)),
        first_errors=dict(sorted(first.items())),
        latency_p50_ms=_ms(_percentile(latencies, 0.5)),
        latency_p95_ms=_ms(_percentile(latencies, 0.95)),
        ttft_p50_ms=_ms(_percentile(ttfts, 0.5)),
    )
