"""Secrets: API keys and tokens, private keys, and the values of ``password=``-like fields.

Every pattern starts with a literal. One Aho-Corasick pass over the lower-cased text
finds where any of them occurs (a few ms per MB, however many literals there are); each
pattern is then tried only there, with ``finditer``'s rules (left to right, never starting
inside its own previous match). Each checks the character before its literal with a
fixed-width look-behind placed *after* the literal. Every repetition is possessive or
bounded: nothing backtracks over more than a few dozen characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ahocorasick_rs import BytesAhoCorasick, Implementation

from modelswap.gateway.redact._views import Views

Span = tuple[int, int, str]
SECRET = "[secret]"

_T = rb"[A-Za-z0-9_\-]"  # a token character: a token starts where the character before is not one
_TOKENS: tuple[tuple[tuple[bytes, ...], re.Pattern[bytes]], ...] = tuple(
    (literals, re.compile(pattern))
    for literals, pattern in (
        # OpenAI (sk-, sk-proj-, sk-svcacct-), Anthropic (sk-ant-), DeepSeek and other sk- keys
        ((b"sk-",), rb"sk-(?<!" + _T + rb"sk-)[A-Za-z0-9_\-]{16,}+"),
        # Stripe secret and restricted keys
        ((b"sk_",), rb"sk_(?<!" + _T + rb"sk_)(?:live|test)_[A-Za-z0-9]{10,}+"),
        ((b"rk_",), rb"rk_(?<!" + _T + rb"rk_)(?:live|test)_[A-Za-z0-9]{10,}+"),
        # AWS access key ids (long-lived and temporary)
        ((b"akia",), rb"AKIA(?<![A-Za-z0-9]AKIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
        ((b"asia",), rb"ASIA(?<![A-Za-z0-9]ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
        # Google API keys
        ((b"aiza",), rb"AIza(?<!" + _T + rb"AIza)[A-Za-z0-9_\-]{35}(?!" + _T + rb")"),
        # GitHub tokens (classic and fine-grained)
        (tuple(b"gh%c_" % c for c in b"pousr"), rb"gh[pousr]_(?<!" + _T + rb"gh._)[A-Za-z0-9]{36,}+"),
        ((b"github_pat_",), rb"github_pat_(?<!" + _T + rb"github_pat_)[A-Za-z0-9_]{22,}+"),
        # Slack tokens
        (tuple(b"xox%c-" % c for c in b"abposr"), rb"xox[abposr]-(?<!" + _T + rb"xox.-)[A-Za-z0-9\-]{10,}+"),
        # JSON Web Tokens: base64url of '{"' then payload and signature
        ((b"eyj",), rb"eyJ(?<!" + _T + rb"eyJ)[A-Za-z0-9_\-]{8,}+\.[A-Za-z0-9_\-]{8,}+\.[A-Za-z0-9_\-]*+"),
    )
)

_PEM = re.compile(
    rb"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----"
    rb"(?:[A-Za-z0-9+/=\s:,.\\]|-(?!----)){0,16384}+"  # body and headers (Proc-Type, DEK-Info)
    rb"(?:-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----)?"
)

_BEARER = re.compile(rb"bearer(?<![a-z0-9_\-]bearer)[ \t]++(?P<t>[a-z0-9._~+/=\-]{16,}+)")
_MIXED_CASE = re.compile(rb"(?=[^a-z]*[a-z])(?=[^A-Z]*[A-Z])")
_DIGIT = re.compile(rb"[0-9]")

# the 40-character AWS secret access key: base64 alphabet, mixed case and a digit, nothing around
_AWS_SECRET = b" " + b"b" * 40
_MIXED_ALNUM = re.compile(rb"(?=[^a-z]*[a-z])(?=[^A-Z]*[A-Z])(?=[^0-9]*[0-9])")

# ``key: value`` and ``key=value`` in text, JSON inside strings (tool-call arguments), URLs,
# env files; the key is any name ending in one of these, matched lower-cased
_KV_VALUE = (
    rb"(?![a-z0-9_\-])\\{0,3}[\"']?[ \t]*[:=][ \t]*"
    rb"(?:\\{0,3}[\"'](?!\[[a-z]+\])(?P<q>[^\"'\\\r\n\x00]{1,256}+)"
    rb"|(?P<w>(?:(?:basic|bearer|token|digest)[ \t]+)?[^\s\"'\\,;&<>(){}\[\]\x00]{1,256}+))"
)
_KEYS: tuple[tuple[bytes, re.Pattern[bytes]], ...] = tuple(
    (literal, re.compile(key + _KV_VALUE))
    for literal, key in (
        (b"passw", rb"passw(?:or)?d"),
        (b"passphrase", rb"passphrase"),
        (b"pwd", rb"pwd"),
        (b"secret", rb"secret(?:[_\-]?access)?(?:[_\-]?key)?"),
        (b"token", rb"token"),
        (b"api", rb"api[_\-]?key"),
        (b"private", rb"private[_\-]?key"),
        (b"authorization", rb"authorization"),
    )
)

SECRET_FIELD_SUFFIXES = (
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",
    "secret_key",
    "secret_access_key",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "private_key",
    "authorization",
    "cookie",
)
"""A JSON field whose lower-cased name ends in one of these is masked whatever its value."""


# what a match of each pattern masks: all of it, its value (group q or w), or all of it if a bearer token
_WHOLE, _VALUE, _BEARER_TOKEN = range(3)
_DETECTORS: tuple[tuple[re.Pattern[bytes], bool, int], ...] = (
    (_PEM, False, _WHOLE),
    *((pattern, False, _WHOLE) for _, pattern in _TOKENS),
    (_BEARER, True, _BEARER_TOKEN),
    *((pattern, True, _VALUE) for _, pattern in _KEYS),
)
"""Each pattern, whether it runs on the lower-cased text, and what a match masks."""
_LITERALS: tuple[tuple[bytes, int], ...] = (
    (b"-----begin", 0),
    *((literal, 1 + k) for k, (literals, _) in enumerate(_TOKENS) for literal in literals),
    (b"bearer", 1 + len(_TOKENS)),
    *((literal, 2 + len(_TOKENS) + k) for k, (literal, _) in enumerate(_KEYS)),
)
"""Where a match of a detector can start, lower-cased: (literal, detector). A detector's literals all have
one length, so the search reports each detector's candidates in order."""
_SIGNS: tuple[tuple[tuple[bytes, ...], bytes, bool], ...] = (
    ((b"-",), b"-----BEGIN", False),
    ((b"-",), b"sk-", False),
    ((b"_",), b"sk_", False),
    ((b"_",), b"rk_", False),
    ((b"A",), b"AKIA", False),
    ((b"A",), b"ASIA", False),
    ((b"A",), b"AIza", False),
    ((b"_",), b"gh", False),
    ((b"_",), b"github_pat_", False),
    ((b"-",), b"xox", False),
    ((b".",), b"eyJ", False),
    ((b" ", b"\t"), b"bearer", True),
    *(((b":", b"="), literal, True) for literal, _ in _KEYS),
)
"""What a text without candidates to spare must hold for each detector to match: one of some characters
(found by a fast one-byte search) and a literal, in the text or lower-cased."""
_ANCHORS = BytesAhoCorasick([literal for literal, _ in _LITERALS], implementation=Implementation.DFA)
_OWNER = tuple(detector for _, detector in _LITERALS)
_SLICE = 8192  # the literal search runs slice by slice, so that dense candidates are noticed early
_DENSE = 128  # more candidates than this in a slice (one per 64 bytes): searching in C costs less than trying each
_OVERLAP = max(len(literal) for literal, _ in _LITERALS) - 1


def secret_spans(views: Views) -> Iterator[Span]:
    """Where ``views``' text holds a secret: (start, end, ``[secret]``)."""
    hits = _candidates(views.lower)
    if hits is None:  # dense candidates (``password=x`` repeated): each pattern present searches the text
        yield from _searched(views, _present(views))
    elif hits:
        yield from _anchored(views, hits)
    if views.digits and views.capitals:  # an AWS secret key has both
        yield from _aws_secret_keys(views)


def _candidates(lower: bytes) -> list[tuple[int, int, int]] | None:
    """(literal, start, end) of every literal in ``lower``, in order; None if a slice holds too many."""
    if len(lower) <= _SLICE:
        hits = _ANCHORS.find_matches_as_indexes(lower, overlapping=True)
        return None if len(hits) > _DENSE else hits
    view = memoryview(lower)
    found: list[tuple[int, int, int]] = []
    for at in range(0, len(lower), _SLICE):
        hits = _ANCHORS.find_matches_as_indexes(view[at : at + _SLICE + _OVERLAP], overlapping=True)
        if len(hits) > _DENSE:
            return None
        # a literal across the slice's end is found here; one that starts in the overlap, in the next slice
        found += [(literal, start + at, end + at) for literal, start, end in hits if start < _SLICE]
    return found


def _anchored(views: Views, hits: list[tuple[int, int, int]]) -> Iterator[Span]:
    """The matches of the detectors whose literals were found, as ``finditer`` would find them."""
    ab, lower = views.ab, views.lower
    ends = [0] * len(_DETECTORS)  # where each pattern's last match ended: the next cannot start before
    for literal, start, _ in hits:
        k = _OWNER[literal]
        if start < ends[k]:
            continue
        pattern, on_lower, kind = _DETECTORS[k]
        m = pattern.match(lower if on_lower else ab, start)
        if m is not None:
            ends[k] = m.end()
            span = _masked(m, kind, ab)
            if span is not None:
                yield span


def _present(views: Views) -> list[int]:
    """The detectors that may match: their signs are in the text."""
    ab, lower = views.ab, views.lower
    return [
        k
        for k, (gates, literal, on_lower) in enumerate(_SIGNS)
        if any(gate in ab for gate in gates) and literal in (lower if on_lower else ab)
    ]


def _searched(views: Views, detectors: list[int]) -> Iterator[Span]:
    """The matches of ``detectors``, each pattern searching the whole text."""
    for k in detectors:
        pattern, on_lower, kind = _DETECTORS[k]
        matches = pattern.finditer(views.lower if on_lower else views.ab)
        if kind == _VALUE:  # the common case when candidates are dense (``password=x`` repeated), inlined
            for m in matches:
                q = m.span("q")
                yield (*(q if q[0] >= 0 else m.span("w")), SECRET)
        else:
            yield from filter(None, (_masked(m, kind, views.ab) for m in matches))


def _masked(m: re.Match[bytes], kind: int, ab: bytes) -> Span | None:
    """What match ``m`` of a detector of ``kind`` masks, if anything."""
    if kind == _VALUE:
        group = "q" if m.start("q") >= 0 else "w"
        return m.start(group), m.end(group), SECRET
    if kind == _WHOLE or _is_token(ab[m.start("t") : m.end("t")]):
        return m.start(), m.end(), SECRET
    return None


def _is_token(token: bytes) -> bool:
    # a real token has a digit or mixed case; "bearer of this letter-of-credit-arrangement" has neither
    return _DIGIT.search(token) is not None or _MIXED_CASE.match(token) is not None


def _aws_secret_keys(views: Views) -> Iterator[Span]:
    b64 = views.base64
    at = b64.find(_AWS_SECRET)
    while at >= 0:
        # exactly 40 long (the view has one more byte in front: ``at`` is where the key starts in the text)
        if b64[at + 41 : at + 42] != b"b" and _MIXED_ALNUM.match(views.ab, at, at + 40):
            yield at, at + 40, SECRET
        at = b64.find(_AWS_SECRET, at + 41)
