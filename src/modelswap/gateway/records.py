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

from modelswap.store.rows import RequestRow

log = logging.getLogger("modelswap.gateway")

MAX_ERROR_CHARS = 1000
"""Longest error text kept in a record or a log line (a provider may answer megabytes)."""

REJECTED_ARM = "gateway"
"""The ``arm`` of a request the gateway refused itself: no endpoint or model was called."""

_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]{1,15}://[^\s'\"<>]*[^\s'\"<>:,.;)\]]")
_ADDRESS = re.compile(r"\(\s*'[^']*',\s*\d+(?:,\s*\d+)*\s*\)|\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b")
_USERINFO = re.compile(r"\b[^\s:/@'\"]+:[^\s/@'\"]+@(?=[\w.\-\[]+)")
_SECRET = re.compile(
    r"(?:sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{8,}"
    r"|AKIA[0-9A-Z]{16}"
    r"|AIza[0-9A-Za-z_\-]{20,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}"
    r"|xox[abposr]-[A-Za-z0-9\-]{10,}"
    r"|(?i:bearer|basic)\s+[A-Za-z0-9._~+/=\-]{8,}"
    r"|(?i:api[_-]?key|access[_-]?key|token)[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9._~+/\-]{12,}"
    r"|(?i:password|passwd|secret)[\"']?\s*[:=]\s*[\"']?[^\s\"',;&]{4,})"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _safe_error(text: str) -> str:
    """``text`` without URLs, IP addresses, userinfo, key-like tokens or control characters, at most
    ``MAX_ERROR_CHARS`` long. (A provider-aware version replaces this one later.)"""
    text = text[: MAX_ERROR_CHARS * 4]
    text = _URL.sub("<url>", text)
    text = _ADDRESS.sub("<address>", text)
    text = _USERINFO.sub("<credentials>@", text)
    text = _SECRET.sub("<secret>", text)
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


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
