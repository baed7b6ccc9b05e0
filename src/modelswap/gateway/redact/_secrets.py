"""Secrets: API keys and tokens, private keys, and the values of ``password=``-like fields.

Each pattern starts with a literal (``re`` then searches for it in C) and checks the
character before it with a fixed-width look-behind placed *after* the literal, so a run of
text is tried only where the literal occurs. Every repetition is possessive or bounded:
nothing backtracks over more than a few dozen characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from modelswap.gateway.redact._views import Views

Span = tuple[int, int, str]
SECRET = "[secret]"

_T = rb"[A-Za-z0-9_\-]"  # a token character: a token starts where the character before is not one
_TOKENS: tuple[tuple[bytes, bytes, re.Pattern[bytes]], ...] = tuple(
    (gate, literal, re.compile(pattern))
    for gate, literal, pattern in (
        # OpenAI (sk-, sk-proj-, sk-svcacct-), Anthropic (sk-ant-), DeepSeek and other sk- keys
        (b"-", b"sk-", rb"sk-(?<!" + _T + rb"sk-)[A-Za-z0-9_\-]{16,}+"),
        # Stripe secret and restricted keys
        (b"_", b"sk_", rb"sk_(?<!" + _T + rb"sk_)(?:live|test)_[A-Za-z0-9]{10,}+"),
        (b"_", b"rk_", rb"rk_(?<!" + _T + rb"rk_)(?:live|test)_[A-Za-z0-9]{10,}+"),
        # AWS access key ids (long-lived and temporary)
        (b"A", b"AKIA", rb"AKIA(?<![A-Za-z0-9]AKIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
        (b"A", b"ASIA", rb"ASIA(?<![A-Za-z0-9]ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
        # Google API keys
        (b"A", b"AIza", rb"AIza(?<!" + _T + rb"AIza)[A-Za-z0-9_\-]{35}(?!" + _T + rb")"),
        # GitHub tokens (classic and fine-grained)
        (b"_", b"gh", rb"gh[pousr]_(?<!" + _T + rb"gh._)[A-Za-z0-9]{36,}+"),
        (b"_", b"github_pat_", rb"github_pat_(?<!" + _T + rb"github_pat_)[A-Za-z0-9_]{22,}+"),
        # Slack tokens
        (b"-", b"xox", rb"xox[abposr]-(?<!" + _T + rb"xox.-)[A-Za-z0-9\-]{10,}+"),
        # JSON Web Tokens: base64url of '{"' then payload and signature
        (b".", b"eyJ", rb"eyJ(?<!" + _T + rb"eyJ)[A-Za-z0-9_\-]{8,}+\.[A-Za-z0-9_\-]{8,}+\.[A-Za-z0-9_\-]*+"),
    )
)
_GATES = (b"-", b"_", b"A", b".")  # a character each token above has: most texts lack some

_PEM = re.compile(
    rb"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----"
    rb"(?:[A-Za-z0-9+/=\s:,.\\]|-(?!----)){0,16384}+"  # body and headers (Proc-Type, DEK-Info)
    rb"(?:-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----)?"
)

_TOKEN_RUN = b"b" * 10
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


def secret_spans(views: Views) -> Iterator[Span]:
    """Where ``views``' text holds a secret: (start, end, ``[secret]``)."""
    ab, rare = views.ab, views.rare
    if b"-----B" in rare and b"-----BEGIN" in ab:
        yield from ((m.start(), m.end(), SECRET) for m in _PEM.finditer(ab))
    present = {gate for gate in _GATES if gate in rare}
    if present and _TOKEN_RUN in views.base64:  # every key and JWT has a run of at least 10 letters and digits
        for gate, literal, pattern in _TOKENS:
            if gate in present and literal in ab:
                yield from ((m.start(), m.end(), SECRET) for m in pattern.finditer(ab))
    if rare and views.digits:  # an AWS secret key has capitals and digits
        yield from _aws_secret_keys(views)
    lower = views.lower
    if b"bearer" in lower:
        yield from _bearer_tokens(views)
    if b":" in rare or b"=" in rare:  # a key's value follows one of them
        for literal, pattern in _KEYS:
            if literal in lower:
                for m in pattern.finditer(lower):
                    group = "q" if m.start("q") >= 0 else "w"
                    yield m.start(group), m.end(group), SECRET


def _bearer_tokens(views: Views) -> Iterator[Span]:
    for m in _BEARER.finditer(views.lower):
        token = views.ab[m.start("t") : m.end("t")]
        # a real token has a digit or mixed case; "bearer of this letter-of-credit-arrangement" has neither
        if _DIGIT.search(token) or _MIXED_CASE.match(token):
            yield m.start(), m.end(), SECRET


def _aws_secret_keys(views: Views) -> Iterator[Span]:
    b64 = views.base64
    at = b64.find(_AWS_SECRET)
    while at >= 0:
        # exactly 40 long (the view has one more byte in front: ``at`` is where the key starts in the text)
        if b64[at + 41 : at + 42] != b"b" and _MIXED_ALNUM.match(views.ab, at, at + 40):
            yield at, at + 40, SECRET
        at = b64.find(_AWS_SECRET, at + 41)
