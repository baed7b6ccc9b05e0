"""The simulator's core, shared by both wire formats: who answers, what, how fast, or which fault.

``SimEngine.plan()`` turns a parsed request into a ``Plan`` (an answer with its timings,
or a fault). The only state is the per-request attempt counter, which makes a retry of a
failed request draw a fresh fault decision while the answer itself stays the same.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from aiohttp import web

from modelswap.sim.answers import answer
from modelswap.sim.conversation import Answer, Conversation
from modelswap.sim.errors import SimError
from modelswap.sim.profiles import ModelProfile, SimConfig, default_profile, resolve_profiles
from modelswap.sim.redteam import attack_answer
from modelswap.sim.seeding import digest, normal, unit

_MAX_TRACKED_REQUESTS = 100_000
FAULT_HEADER = "x-sim-error"
"""Request header forcing a fault: an HTTP status (429, 500, 503, 529, ...) to answer with."""
WORKLOAD_HEADER = "x-modelswap-workload"
"""Request header naming the workload (recorded, never interpreted)."""


@dataclass(frozen=True, slots=True)
class Plan:
    """How to answer one attempt: the answer, token counts and (already scaled) timings."""

    model: str
    answer: Answer
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    ttft_s: float
    s_per_token: float
    more: tuple[Answer, ...] = ()
    """Further choices when the request asked for several (OpenAI's ``n``)."""

    @property
    def answers(self) -> tuple[Answer, ...]:
        """Every choice, the first being ``answer``."""
        return (self.answer, *self.more)


@dataclass(frozen=True, slots=True)
class Served:
    """One request the simulator answered (for tests and diagnostics)."""

    api: str
    model: str
    status: int
    stream: bool
    workload: str | None


@dataclass
class SimEngine:
    """Profiles, settings and the little state a simulated cloud keeps."""

    config: SimConfig
    profiles: dict[str, ModelProfile] = field(init=False)
    attempts: dict[bytes, int] = field(init=False, default_factory=dict)
    served: deque[Served] = field(init=False, default_factory=lambda: deque(maxlen=10_000))
    counts: Counter[tuple[str, int]] = field(init=False, default_factory=Counter)

    def __post_init__(self) -> None:
        self.profiles = resolve_profiles(self.config)

    def profile(self, model: str) -> ModelProfile:
        """The profile serving ``model``; 404 in the caller's shape if unknown."""
        found = self.profiles.get(model)
        if found is not None:
            return found
        if self.config.accept_unknown_models:
            return default_profile()
        raise SimError.not_found(model)

    def plan(
        self,
        model: str,
        conv: Conversation,
        *,
        max_tokens: int | None,
        server_statuses: tuple[int, int],
        forced_status: int | None = None,
        choices: int = 1,
    ) -> Plan:
        """Decide this attempt: raise the fault it suffers, or return the answer and its timings."""
        profile = self.profile(model)
        key = digest(self.config.seed, model, conv.canonical())
        attempt = self._next_attempt(key)
        attempt_key = key + attempt.to_bytes(8, "big")
        self._fault(profile, attempt_key, server_statuses, forced_status)
        result = attack_answer(conv, self.config.seed, profile) or answer(conv, key, profile, max_tokens)
        more = tuple(answer(conv, key + i.to_bytes(2, "big"), profile, max_tokens) for i in range(1, choices))
        scale = self.config.time_scale
        return Plan(
            model=model,
            answer=result,
            more=more,
            prompt_tokens=conv.prompt_tokens(),
            completion_tokens=sum(a.completion_tokens() for a in (result, *more)),
            latency_s=profile.latency_ms(normal(attempt_key, "latency")) / 1000 * scale,
            ttft_s=profile.ttft_ms(normal(attempt_key, "ttft")) / 1000 * scale,
            s_per_token=scale / profile.tokens_per_s,
        )

    def _next_attempt(self, key: bytes) -> int:
        if len(self.attempts) >= _MAX_TRACKED_REQUESTS:
            self.attempts.clear()
        attempt = self.attempts.get(key, 0)
        self.attempts[key] = attempt + 1
        return attempt

    def _fault(self, profile: ModelProfile, key: bytes, statuses: tuple[int, int], forced: int | None) -> None:
        """Raise a 429 or 5xx if this attempt draws one (or one is forced by header)."""
        if forced is not None:
            raise SimError.for_status(forced, self.retry_after_s())
        u = unit(key, "fault")
        limit = profile.rate_limit_rate * self.config.error_scale
        if u < limit:
            raise SimError.for_status(429, self.retry_after_s())
        if u < limit + profile.error_rate * self.config.error_scale:
            raise SimError.for_status(statuses[0] if unit(key, "status") < 0.5 else statuses[1])

    def retry_after_s(self) -> float:
        """Retry-After for a 429, scaled like every other delay."""
        return self.config.retry_after_s * self.config.time_scale

    def record(self, api: str, model: str, status: int, stream: bool, workload: str | None) -> None:
        """Remember a served request (bounded)."""
        self.served.append(Served(api, model, status, stream, workload))
        self.counts[(model, status)] += 1


def retry_after_headers(seconds: float) -> dict[str, str]:
    """``Retry-After`` (whole seconds, as HTTP wants) and ``retry-after-ms`` (what SDKs prefer).

    ``retry-after-ms`` is at least 1: the SDKs ignore 0 and fall back to their own (slow) backoff.
    """
    return {"retry-after": str(math.ceil(seconds)), "retry-after-ms": str(max(1, round(seconds * 1000)))}


def forced_status(headers: Mapping[str, str]) -> int | None:
    """The status forced by the ``x-sim-error`` header, if any (400 if it is not a 4xx/5xx)."""
    value = headers.get(FAULT_HEADER)
    if value is None:
        return None
    if not value.strip().isdecimal() or not 400 <= int(value) <= 599:
        raise SimError.bad_request(f"{FAULT_HEADER} header must be an HTTP status 400-599, got {value!r}")
    return int(value)


ENGINE: web.AppKey[SimEngine] = web.AppKey("modelswap_sim_engine", SimEngine)
"""Where the aiohttp app keeps its ``SimEngine``."""
