"""Whether the recorder is doing its job, decided from a snapshot of its state (pure).

``/healthz`` turns a degraded verdict into HTTP 503 with the reasons, so a load balancer
or an operator learns that evidence is not reaching the store instead of finding out later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

DROP_REASONS = ("queue_full", "unmatched_pair", "unstorable", "shutdown")
"""Why a record was dropped: the queue was at its bound; a shadow pair's request never came;
the store refused the record even without its bodies; the store was down at shutdown."""


@dataclass(frozen=True, slots=True)
class RecorderState:
    """What the recorder knows about itself at one instant (durations in seconds)."""

    running: bool
    """Started and not closed: only then is a missing writer thread a problem."""
    writer_alive: bool
    pending: int
    """Records waiting for the store (shadow pairs waiting for their request not counted)."""
    max_pending: int
    since_write_s: float
    """Since the writer last finished a flush with the store reachable (an empty flush counts)."""
    failing_s: float | None
    """How long the store has been refusing writes, None while it accepts them."""
    last_error: str | None
    """The kind of the store's last refusal (an exception class name: no addresses, no values)."""
    since_drop_s: float | None
    """Since a record was last dropped; None if none ever was."""
    dropped: Mapping[str, int] = field(default_factory=dict)
    written: int = 0
    reduced: int = 0
    restarts: int = 0
    redaction_failures: int = 0
    """Batches the redaction worker process failed (each sent again to a new one, then redacted in-process)."""


@dataclass(frozen=True, slots=True)
class RecorderHealth:
    """``ok``, or ``degraded`` with the reasons in words."""

    status: Literal["ok", "degraded"]
    reasons: tuple[str, ...]
    state: RecorderState


def judge(state: RecorderState, stall_s: float) -> RecorderHealth:
    """Degraded while records are not being written (writer dead, store refusing or stuck for
    ``stall_s``), while the queue is at its bound, and for ``stall_s`` after any record was dropped."""
    reasons: list[str] = []
    if state.running and not state.writer_alive:
        reasons.append(f"the recorder's writer thread is not running (restarted {state.restarts} time(s) so far)")
    if state.failing_s is not None and state.failing_s >= stall_s:
        reasons.append(
            f"the store has refused writes for {state.failing_s:.1f} s ({state.last_error}); "
            f"{state.pending} record(s) wait in memory, up to {state.max_pending}"
        )
    elif state.running and state.pending and state.since_write_s >= stall_s:
        reasons.append(f"{state.pending} record(s) have waited {state.since_write_s:.1f} s without a write")
    if state.pending >= state.max_pending:
        reasons.append(f"the record queue is full ({state.pending} of {state.max_pending}): new records are dropped")
    if state.since_drop_s is not None and state.since_drop_s < stall_s:
        total = sum(state.dropped.values())
        reasons.append(
            f"a record was dropped {state.since_drop_s:.1f} s ago ({total} in all; see modelswap_records_dropped_total)"
        )
    return RecorderHealth("degraded" if reasons else "ok", tuple(reasons), state)
