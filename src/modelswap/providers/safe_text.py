"""Making an upstream's error text safe to show: to the app, in a log line, in a record.

Upstream errors mix modelswap's own words with text a vendor (or a proxy in front of it)
sent back, and that text can echo what the vendor was sent or where it lives: the base URL
with credentials in it, an internal address, a key. ``safe_error_text`` is the one place
that cleans such text; ``UpstreamError`` applies it to every message it is given, so every
consumer (the app's error, a mid-stream error event, a record, a log line) sees the same
safe words. The rules are deliberately blunt: any URL, IP address or key-shaped token goes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["MAX_ERROR_CHARS", "safe_error_text"]

MAX_ERROR_CHARS = 1000
"""An error message is cut to this many characters (a vendor's error body can be megabytes)."""

_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>`]*")
_USERINFO = re.compile(r"[^\s/:@\"'<>`]+:[^\s/@\"'<>`]*@(?=[\w\[])")  # user:password@host without a scheme
_ADDRESS = re.compile(
    r"\(\s*'[0-9A-Fa-f:.%\w]+'\s*,\s*\d+[^)]*\)"  # ('10.0.0.5', 8000) as socket errors print them
    r"|\[[0-9A-Fa-f:.%\w]*:[0-9A-Fa-f:.%\w]*\](?::\d+)?"  # [fd00::1]:8000
    r"|\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b"  # 10.0.0.5:8000
)
_KEY = re.compile(
    r"\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{8,}"
    r"|AKIA[0-9A-Z]{16}"
    r"|AIza[0-9A-Za-z_\-]{35}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"
    r"|(?i:bearer|basic)\s+(?=[A-Za-z]*[0-9._~+/=\-])[A-Za-z0-9._~+/=\-]{8,})"  # a token, not a word
)
_NAMED_SECRET = re.compile(
    r"(?i)\b(api[_-]?key|x-api-key|access[_-]?token|token|password|passwd|secret|authorization)"
    r"(\s*[=:]\s*|\"\s*:\s*\")[^\s,;&\"'}]+"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def safe_error_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with URLs, credentials, IP addresses and keys replaced by ``[url]``,
    ``[credentials]``, ``[address]`` and ``[secret]``; control characters (line breaks that
    could forge a log line) become spaces, and the result is at most ``MAX_ERROR_CHARS`` long.

    ``secrets`` are exact values to hide as well (a key that matches no known shape).
    Applying it twice changes nothing more.
    """
    text = text[: 4 * MAX_ERROR_CHARS]  # bound the regex work before anything else
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "[secret]")
    text = _URL.sub("[url]", text)
    text = _USERINFO.sub("[credentials]@", text)
    text = _KEY.sub("[secret]", text)
    text = _NAMED_SECRET.sub(r"\1\2[secret]", text)
    text = _ADDRESS.sub("[address]", text)
    text = _CONTROL.sub(" ", text)
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1] + "…"
    return text
