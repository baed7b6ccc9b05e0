"""What of a request or response body is kept in a record: ``full``, ``redacted`` or ``none``.

Secrets are masked under every policy (a key pasted into a prompt never reaches the
store): API keys and tokens (OpenAI, Anthropic, Stripe, AWS, Google, GitHub, Slack, JWTs,
bearer tokens), PEM private keys, the values of ``password=``-like fields in text and in
JSON inside strings (tool-call arguments), and every JSON field named like a secret.
``redacted`` also masks personal data: e-mail addresses, card numbers (Luhn), phone
numbers and IBANs (mod-97).

Scanning is linear in the body's size (no pattern backtracks over more than a few dozen
characters) and runs at tens to hundreds of MB/s; see ``bench/redaction.py``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

from modelswap.gateway.redact._secrets import SECRET, SECRET_FIELD_SUFFIXES
from modelswap.gateway.redact._text import find_spans, scrub, scrub_many

if TYPE_CHECKING:  # not at run time: the redaction worker process starts without the store's imports
    from modelswap.store import RequestRow

__all__ = ["MAX_DEPTH", "Policy", "find_spans", "keep", "keep_request", "redact", "scrub"]

Policy = Literal["full", "redacted", "none"]

MAX_DEPTH = 64
"""JSON nested deeper than this is not kept (a record stores ``[nested too deep]`` instead)."""
TOO_DEEP = "[nested too deep]"
YIELD_EVERY_S = 0.0001
"""A thread that redacts lets the GIL go at least this often (between bodies), so the event loop,
which would otherwise wait up to the 5 ms switch interval for it, answers requests meanwhile."""
_since_yield = threading.local()


def keep(body: Any, policy: Policy) -> Any:
    """The part of ``body`` a record may store under ``policy`` (``None`` for ``none``)."""
    if policy == "none" or body is None:
        return None
    kept = redact(body, pii=policy == "redacted")
    _pace()
    return kept


def keep_request(row: RequestRow, policy: Policy) -> RequestRow:
    """``row`` with its request and response bodies as ``keep`` would store them, scanned as one text."""
    if row.request_body is None and row.response_body is None:
        return row
    if policy == "none":
        return replace(row, request_body=None, response_body=None)
    kept = redact([row.request_body, row.response_body], pii=policy == "redacted")
    _pace()
    return replace(row, request_body=kept[0], response_body=kept[1])


def _pace() -> None:
    now = time.perf_counter()
    last = getattr(_since_yield, "at", 0.0)
    if now - last >= YIELD_EVERY_S:
        if last:
            time.sleep(0)  # releases the GIL: a thread waiting for it (the event loop) takes it now
        _since_yield.at = time.perf_counter()


def redact(body: Any, pii: bool) -> Any:
    """A JSON value with secrets masked (and personal data when ``pii``); never raises.

    Nothing to mask (the common case): ``body`` itself comes back, not a copy.
    """
    if isinstance(body, str):
        return scrub(body, pii)
    if not isinstance(body, dict | list):
        return body
    strings: list[str] = []
    if not _collect(body, strings, 0):
        changed = dict(scrub_many(strings, pii)) if strings else {}
        if not changed:
            return body
    else:
        changed = dict(scrub_many(strings, pii))
    slots: list[tuple[Any, Any]] = []
    copy = _copy(body, slots, 0)
    for index, text in changed.items():
        container, key = slots[index]
        container[key] = text
    return copy


_FIELD_VERDICTS: dict[str, bool] = {}  # field name → masked? (names repeat from body to body)
_FIELD_VERDICTS_MAX = 4096


def _is_secret_field(key: Any) -> bool:
    verdict = _FIELD_VERDICTS.get(key) if isinstance(key, str) else False
    if verdict is None:
        verdict = key.lower().endswith(SECRET_FIELD_SUFFIXES)
        if len(_FIELD_VERDICTS) < _FIELD_VERDICTS_MAX:
            _FIELD_VERDICTS[key] = verdict
    return verdict


def _collect(value: Any, strings: list[str], depth: int) -> bool:
    """Append ``value``'s strings in order; whether it also has a field to mask or nesting to cut."""
    if depth >= MAX_DEPTH:
        return True
    masked = False
    if isinstance(value, dict):
        for key, item in value.items():
            if _is_secret_field(key):
                masked = True
            elif isinstance(item, str):
                strings.append(item)
            elif isinstance(item, dict | list):
                masked = _collect(item, strings, depth + 1) or masked
    else:
        for item in value:
            if isinstance(item, str):
                strings.append(item)
            elif isinstance(item, dict | list):
                masked = _collect(item, strings, depth + 1) or masked
    return masked


def _copy(value: Any, slots: list[tuple[Any, Any]], depth: int) -> Any:
    """A copy of ``value`` with fields masked and deep nesting cut; its strings' places, in ``_collect``'s order."""
    if depth >= MAX_DEPTH:
        return TOO_DEEP
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            out[key] = SECRET if _is_secret_field(key) else _place(item, out, key, slots, depth)
        return out
    items: list[Any] = [None] * len(value)
    for index, item in enumerate(value):
        items[index] = _place(item, items, index, slots, depth)
    return items


def _place(item: Any, container: Any, key: Any, slots: list[tuple[Any, Any]], depth: int) -> Any:
    if isinstance(item, str):
        slots.append((container, key))
        return item
    if isinstance(item, dict | list):
        return _copy(item, slots, depth + 1)
    return item
