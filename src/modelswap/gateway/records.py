"""Why a request failed, in words a record and a log line may hold.

Every record of a failed request carries ``error``: the error's class and message, with URLs,
credentials and control characters taken out and the length bounded, so the store and the log
never hold modelswap's upstream addresses, keys or a client's forged log lines. Rejected
requests (refused before any model was called) get a record too, on the pseudo-arm ``gateway``.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from modelswap.providers.safe_text import safe_error_text
from modelswap.store.rows import RequestRow

log = logging.getLogger("modelswap.gateway")

REJECTED_ARM = "gateway"
"""The ``arm`` of a request the gateway refused itself: no endpoint or model was called."""

_LINE_BREAKS = re.compile(r"[\x80-\x9f\u2028\u2029]+")


def _safe_error(text: str) -> str:
    """``text`` made safe to store and log by the one rule every client-visible message follows
    (``safe_error_text``: no URL, address, credential or key), on one line."""
    return _LINE_BREAKS.sub(" ", safe_error_text(text)).strip()


def error_text(exc: BaseException, message: str | None = None) -> str:
    """``Class: message`` of ``exc`` (``message`` instead of ``str(exc)`` when given), made safe to store."""
    return _safe_error(f"{type(exc).__name__}: {exc if message is None else message}")


def rejection_row(
    *,
    request_id: str,
    ts: datetime,
    workload: str,
    status: int,
    kind: str,
    error: str,
    latency_s: float,
    stream: bool,
    replica_id: str,
) -> RequestRow:
    """The record of a request the gateway refused (bad body, unknown model, no workload, …)."""
    return RequestRow(
        id=request_id,
        ts=ts,
        workload=workload,
        arm=REJECTED_ARM,
        endpoint="",
        model="",
        status=status,
        latency_ms=latency_s * 1000,
        stream=stream,
        error_kind=kind,
        error=error,
        replica_id=replica_id,
    )


def log_failure(row: RequestRow) -> None:
    """One WARNING line for a failed request: its id, where it went and why (already made safe)."""
    log.warning(
        "request %s failed: status %d, workload %r, arm %s, %s: %s",
        row.id,
        row.status,
        row.workload,
        row.arm,
        row.error_kind,
        row.error,
    )
