"""What of a request or response body is kept in a record: ``full``, ``redacted`` or ``none``.

Secrets are masked under every policy (a key pasted into a prompt never reaches the
store); ``redacted`` also masks personal data: e-mail addresses, phone and card numbers.
"""

from __future__ import annotations

import re
from typing import Any, Literal

Policy = Literal["full", "redacted", "none"]

_SECRETS = re.compile(
    r"(?:sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{16,}"
    r"|AKIA[0-9A-Z]{16}"
    r"|AIza[0-9A-Za-z_\-]{35}"
    r"|gh[pousr]_[A-Za-z0-9]{36,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"
    r"|(?i:bearer)\s+[A-Za-z0-9._\-]{20,})"
)
_PII = re.compile(
    r"(?P<email>[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})"
    r"|(?P<card>\b\d(?:[ -]?\d){12,18}\b)"
    r"|(?P<phone>(?<![\w.])(?!\d{4}-\d\d-\d\d\b)\+?\d[\d ().\-]{7,}\d(?![\w.]))"  # not an ISO date
)
_SECRET_KEYS = frozenset(
    {"api_key", "apikey", "authorization", "x-api-key", "password", "secret", "token", "access_token"}
)


def _pii(match: re.Match[str]) -> str:
    return f"[{match.lastgroup}]"


def _scrub(text: str, pii: bool) -> str:
    if len(text) < 8:
        return text
    text = _SECRETS.sub("[secret]", text)
    return _PII.sub(_pii, text) if pii else text


def _walk(value: Any, pii: bool) -> Any:
    if isinstance(value, str):
        return _scrub(value, pii)
    if isinstance(value, dict):
        return {k: ("[secret]" if k.lower() in _SECRET_KEYS else _walk(v, pii)) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, pii) for v in value]
    return value


def keep(body: Any, policy: Policy) -> Any:
    """The part of ``body`` a record may store under ``policy`` (``None`` for ``none``)."""
    if policy == "none" or body is None:
        return None
    return _walk(body, pii=policy == "redacted")
