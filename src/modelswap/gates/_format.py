"""Number formatting for gate reasons and reports (unicode minus, enough decimals to be honest)."""

from __future__ import annotations

import math

MINUS = "\u2212"


def number(value: float, decimals: int = 1) -> str:
    """``-2.0`` → ``−2.0`` (typographic minus); negative zero prints as ``0``."""
    text = f"{value:.{decimals}f}"
    if text.startswith("-"):
        body = text[1:]
        return body if float(body) == 0 else MINUS + body
    return text


def signed(value: float, decimals: int = 1) -> str:
    """Like ``number`` but positive values carry a ``+``."""
    text = number(value, decimals)
    return text if text.startswith(MINUS) or float(text) == 0 else "+" + text


def plain(value: float) -> str:
    """Shortest form of a threshold: ``2.0`` → ``2``, ``-2`` → ``−2``, ``1.25`` → ``1.25``."""
    text = f"{value:g}"
    return MINUS + text[1:] if text.startswith("-") else text


def percent(confidence: float) -> str:
    """``0.95`` → ``95 %``."""
    return f"{confidence * 100:g} %"


def decimals_for(bounds: tuple[float, float], threshold: float, start: int = 1, most: int = 4) -> int:
    """Fewest decimals (from ``start``) at which no rounded bound reads as equal to the threshold.

    So an interval that truly lies above −2 never prints as ``[−2.0, …]``.
    """
    for d in range(start, most + 1):
        if all(round(b, d) != round(threshold, d) or b == threshold for b in bounds):
            return d
    return most


def count(value: int) -> str:
    """``12345`` → ``12,345``."""
    return f"{value:,}"


def bound(value: float, decimals: int) -> str:
    """An interval bound: like ``number``, but infinity prints as ``∞``."""
    if math.isinf(value):
        return "∞" if value > 0 else MINUS + "∞"
    return number(value, decimals)


def latency(ms: float) -> str:
    """``1234.5`` → ``1,235 ms``; below 10 ms one decimal (``4.2 ms``)."""
    return f"{ms:,.1f} ms" if abs(ms) < 10 else f"{ms:,.0f} ms"


def cost(usd: float) -> str:
    """A cost per request as dollars per 1,000 requests: ``9.676e-05`` → ``$0.097 per 1k requests``."""
    per_k = usd * 1000
    if per_k == 0:
        return "$0 per 1k requests"
    decimals = max(2, min(6, 1 - math.floor(math.log10(abs(per_k))))) if abs(per_k) < 1 else 2
    return f"${per_k:,.{decimals}f} per 1k requests"
