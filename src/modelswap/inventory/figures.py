"""Per-workload figures from slices: volume, tokens, cost at each endpoint's price, latency percentiles.

Pure functions over values. Definitions, stated once:

* **period**: the UTC calendar days from the first to the last request in scope, both
  included; ``requests_per_day = requests / days`` (and cost likewise).
* **percentiles**: numpy's default (linear interpolation between order statistics,
  Hyndman & Fan type 7; the same as pandas' default and DuckDB's ``quantile_cont``), over
  the successful requests that logged a latency (TTFT: that logged a first-token time).
* **cost** at an endpoint's price: the catalog price (or the migration file's override) applied
  to the workload's token totals: uncached prompt at ``input``, cached prompt at
  ``cached_input``, completion at ``output``. Projections assume the same token counts on every
  model; tokenizers differ between vendors, so a cross-vendor projection is an estimate.
* **error rate**: requests that failed (HTTP status ≥ 400 or an error logged) over all requests.
* **usage unknown**: successful requests that logged no token counts. They count as requests
  (and in the error rate's denominator) but not in token totals or cost: totals and ``cost_per_day``
  cover the other requests, and per-request figures are over those other requests only, so they
  stay unbiased. Reports show such figures as "… + unknown for N requests".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from modelswap.catalog import Price
from modelswap.inventory.proposals import Proposal
from modelswap.inventory.scan import Slice

PERCENTILES = (50.0, 95.0, 99.0)


@dataclass(frozen=True, slots=True)
class Percentiles:
    """p50/p95/p99 in milliseconds over ``n`` values (None when there are none)."""

    n: int
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None


def percentiles(values: np.ndarray) -> Percentiles:
    """p50, p95 and p99 exactly as ``numpy.percentile`` computes them by default (linear)."""
    if values.size == 0:
        return Percentiles(0)
    p50, p95, p99 = (float(v) for v in np.percentile(values, PERCENTILES))
    return Percentiles(int(values.size), p50, p95, p99)


@dataclass(frozen=True, slots=True)
class Period:
    """The days the inventory covers."""

    start: datetime
    end: datetime
    days: int
    """UTC calendar days from ``start`` to ``end``, both included."""


def period_of(slices: Sequence[Slice]) -> Period | None:
    """The calendar-day span of the slices' requests; None when there are none."""
    firsts = [s.first for s in slices if s.first is not None]
    lasts = [s.last for s in slices if s.last is not None]
    if not firsts or not lasts:
        return None
    start, end = min(firsts), max(lasts)
    return Period(start, end, (end.date() - start.date()).days + 1)


@dataclass(frozen=True, slots=True)
class WorkloadFigures:
    """What one workload costs and how it performs, from the logs."""

    name: str
    origin: str
    """``rule`` (a workload of the migration file, found by its rules or named by the log), ``tag`` (a
    workload only the log names), ``accepted`` (a fingerprint accepted earlier), ``proposed`` (clustered
    from untagged traffic) or ``unassigned``."""
    requests: int
    requests_per_day: float
    share: float
    """Fraction of the requests in scope."""
    errors: int
    error_rate: float
    usage_unknown: int
    """Successful requests that logged no token counts: their tokens and cost are unknown."""
    prompt_tokens: int
    """Totals over the requests whose usage is known (``requests - usage_unknown``)."""
    completion_tokens: int
    cached_tokens: int
    prompt_tokens_per_request: float
    """Per request whose usage is known."""
    completion_tokens_per_request: float
    cost_per_day: dict[str, float | None]
    """Endpoint name (``old``, ``new``, candidates; ``actual`` without a migration file) → USD per day
    at that endpoint's price, for the requests whose usage is known (plus unknown for
    ``usage_unknown``); None when a model has no price."""
    cost_per_request: dict[str, float | None]
    """USD per request whose usage is known."""
    saving_per_day: float | None
    """Old minus new, USD per day (positive: the new model is cheaper)."""
    saving_fraction: float | None
    logged_cost_per_day: float | None
    """What the logs themselves recorded as cost (LiteLLM ``spend``, Langfuse cost, the gateway's
    ``cost_usd``), when they did for every successful request (a partial sum would mislead)."""
    latency_ms: Percentiles
    ttft_ms: Percentiles
    models: dict[str, int]
    """Requests per model as logged."""
    proposal: Proposal | None = None
    fingerprints: tuple[str, ...] = field(default_factory=tuple)
    named_by: dict[str, int] = field(default_factory=dict)
    """Log field → requests it named this workload for, when no rule of the migration file matched."""


def _cost(slices: Sequence[Slice], price: Price | None) -> float | None:
    if price is None:
        return None
    return float(sum(price.usd(s.prompt_tokens, s.completion_tokens, s.cached_tokens) for s in slices))


def workload_figures(
    name: str,
    origin: str,
    slices: Sequence[Slice],
    *,
    days: int,
    total_requests: int,
    prices: Mapping[str, Price | None],
    model_prices: Mapping[str, Price | None] | None = None,
    proposal: Proposal | None = None,
    fingerprints: tuple[str, ...] = (),
) -> WorkloadFigures:
    """Figures of one workload from its slices.

    ``prices`` maps endpoint names to prices (every slice priced at each); ``model_prices``, when
    given, adds an ``actual`` cost with each slice priced at its own logged model.
    """
    requests = sum(s.requests for s in slices)
    errors = sum(s.errors for s in slices)
    unknown = sum(s.without_usage for s in slices)
    known = requests - unknown
    pt = sum(s.prompt_tokens for s in slices)
    ct = sum(s.completion_tokens for s in slices)
    cached = sum(s.cached_tokens for s in slices)
    totals: dict[str, float | None] = {e: _cost(slices, p) for e, p in prices.items()}
    if model_prices is not None:
        parts = [_cost([s], model_prices.get(s.model)) for s in slices]
        totals = {"actual": None if any(p is None for p in parts) else float(sum(p for p in parts if p)), **totals}
    per_day = {e: None if c is None else c / days for e, c in totals.items()}
    per_request = {e: None if c is None or not known else c / known for e, c in totals.items()}
    old, new = per_day.get("old"), per_day.get("new")
    saving = None if old is None or new is None else old - new
    logged_n = sum(s.logged_cost_requests for s in slices)
    models: dict[str, int] = {}
    named_by: dict[str, int] = {}
    for s in slices:
        models[s.model] = models.get(s.model, 0) + s.requests
        if s.named_by is not None:
            named_by[s.named_by] = named_by.get(s.named_by, 0) + s.requests
    latency = np.concatenate([s.latency_ms for s in slices]) if slices else np.empty(0)
    ttft = np.concatenate([s.ttft_ms for s in slices]) if slices else np.empty(0)
    return WorkloadFigures(
        name=name,
        origin=origin,
        requests=requests,
        requests_per_day=requests / days,
        share=requests / total_requests if total_requests else 0.0,
        errors=errors,
        error_rate=errors / requests if requests else 0.0,
        usage_unknown=unknown,
        prompt_tokens=pt,
        completion_tokens=ct,
        cached_tokens=cached,
        prompt_tokens_per_request=pt / known if known else 0.0,
        completion_tokens_per_request=ct / known if known else 0.0,
        cost_per_day=per_day,
        cost_per_request=per_request,
        saving_per_day=saving,
        saving_fraction=None if saving is None or not old else saving / old,
        logged_cost_per_day=sum(s.logged_cost for s in slices) / days if logged_n >= requests - errors > 0 else None,
        latency_ms=percentiles(latency),
        ttft_ms=percentiles(ttft),
        models=dict(sorted(models.items(), key=lambda kv: -kv[1])),
        proposal=proposal,
        fingerprints=fingerprints,
        named_by=dict(sorted(named_by.items(), key=lambda kv: -kv[1])),
    )
