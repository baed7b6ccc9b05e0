"""Masking text: every detector's spans, merged, replaced by placeholders.

Long texts are cut into windows (with a little context before and an overhang after, so a
match across a cut is still found once, in the window where it starts). Each window is a
handful of C calls of bounded length, and between windows the thread lets the GIL go, so a
4 MB body never holds the event loop for more than about a millisecond at a time
(one C call scans at most a window).
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Iterator

from modelswap.gateway.redact._personal import personal_spans
from modelswap.gateway.redact._secrets import SECRET, Span, secret_spans
from modelswap.gateway.redact._views import Views

WINDOW = 256 * 1024
"""Characters scanned per window of a long text."""
_CONTEXT = 96  # characters before a window the detectors may need: a key before its value, a local part
OVERHANG = 17 * 1024
"""Characters scanned past a window: the longest match that may start in it (a PEM block)."""
SEPARATOR = "\x00"
"""Joins a body's strings into one text; no detector matches across it."""


def find_spans(text: str, pii: bool, window: int = WINDOW, overhang: int = OVERHANG) -> list[Span]:
    """Non-overlapping (start, end, placeholder) spans of ``text`` to mask, in order."""
    if len(text) <= window + overhang:
        return _merge(_spans(text, pii))
    found: list[Span] = []
    start = last = 0
    while start < len(text):
        lo = max(0, start - _CONTEXT)
        piece = text[lo : start + window + overhang]
        for s, e, label in _merge(_spans(piece, pii)):
            if start <= s + lo < start + window and s + lo >= last:
                found.append((s + lo, e + lo, label))
                last = e + lo
        start = max(start + window, last)
        time.sleep(0)  # let the event loop take the GIL between windows
    return found


def _spans(text: str, pii: bool) -> list[Span]:
    views = Views(text)
    spans = list(secret_spans(views))
    if pii:
        spans.extend(personal_spans(views))
    return spans


def _merge(spans: list[Span]) -> list[Span]:
    """Overlapping spans become one; a secret wins over personal data."""
    merged: list[Span] = []
    for s, e, label in sorted(spans):
        if merged and s < merged[-1][1]:
            ps, pe, pl = merged[-1]
            merged[-1] = (ps, max(pe, e), SECRET if SECRET in (pl, label) else pl)
        else:
            merged.append((s, e, label))
    return merged


def mask(text: str, spans: list[Span], offset: int = 0) -> str:
    """``text`` with each span (shifted by ``offset``) replaced by its placeholder."""
    parts: list[str] = []
    at = 0
    for s, e, label in spans:
        parts += (text[at : s - offset], label)
        at = e - offset
    parts.append(text[at:])
    return "".join(parts)


def scrub(text: str, pii: bool) -> str:
    """``text`` with secrets masked, and personal data too when ``pii``."""
    spans = find_spans(text, pii)
    return mask(text, spans) if spans else text


def scrub_many(strings: list[str], pii: bool) -> Iterator[tuple[int, str]]:
    """(index, masked text) for each of ``strings`` that has something to mask, scanned as one text."""
    joined = SEPARATOR.join(strings)
    spans = find_spans(joined, pii)
    if not spans:
        return
    starts, at = [], 0
    for text in strings:
        starts.append(at)
        at += len(text) + 1
    by_string: dict[int, list[Span]] = {}
    for span in spans:
        by_string.setdefault(bisect_right(starts, span[0]) - 1, []).append(span)
    for index, own in by_string.items():
        yield index, mask(strings[index], own, starts[index])
