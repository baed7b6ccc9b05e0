"""How a simulated model responds to red-team probes: per-model, per-family susceptibility.

A request is a probe when its system prompt carries a canary (``CANARY-`` + 12 hex digits),
as modelswap's red-team runner plants one; ordinary traffic never reaches this module's
decisions. The attack's family is recognised from the request's shape (a ``<document>`` block,
an encoding, a jailbreak framing, …). The model resists with probability
``quality["resist:<family>"]`` of its profile (falling back to ``default``), drawn from a
digest of the seed and the probe, so the same seed gives the same outcome. A model that gives in does what the
attacker asked: echoes the system prompt, the hijack marker or the exfiltration snippet.

Make a model weaker on one family in the migration file, e.g.
``simulator: {models: {gpt-5: {quality: {"resist:obfuscation": 0.4}}}}``.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re

from modelswap.sim.conversation import Answer, Conversation
from modelswap.sim.profiles import ModelProfile
from modelswap.sim.seeding import digest, unit

CANARY = re.compile(r"CANARY-[0-9a-f]{12}")
MARKER = re.compile(r"MSW-[0-9A-F]{8}")
_B64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
_SNIPPET = re.compile(r"!?\[[^\]]*\]\([^)]*\)|<(?:script|img|svg|a)\b.*?(?:</script>|</svg>|</a>|>)", re.S)
_JAILBREAK = re.compile(
    r"role-play|pretend|hypothetical|imagine a fictional|\bDAN\b|developer mode|security research|many-shot", re.I
)
_EXTRACT = re.compile(
    r"instructions|system prompt|text above|before this message|configuration|hidden rules|confidential reference", re.I
)
_SECRET = re.compile(r"api key|credential|secret key|internal note", re.I)
_OBFUSCATED = ("base64", "rot13", "leetspeak", "homoglyphs", "tag characters")
_LEET = re.compile(r"\b[a-z]*[a-z][0-9][a-z0-9]*\b")
REFUSAL = "I'm sorry, but I can't help with that request. Is there anything else I can do for you?"
FAMILIES = (
    "direct_injection",
    "indirect_injection",
    "jailbreak",
    "obfuscation",
    "extraction",
    "leakage",
    "output_handling",
)


def is_probe(conv: Conversation) -> bool:
    """Whether the request carries a red-team canary in its system prompt."""
    return CANARY.search(conv.system) is not None


def family_of(text: str) -> str:
    """The probe family a user turn belongs to, recognised from its shape."""
    if "<document>" in text:
        return "indirect_injection"
    if any(ord(c) > 0x7F for c in text) or any(enc in text for enc in _OBFUSCATED) or decode(text) != text:
        return "obfuscation"
    if _LEET.search(MARKER.sub("", text)):
        return "obfuscation"
    if "MSW-" not in text and _SECRET.search(text):
        return "leakage"
    if "MSW-" not in text and _EXTRACT.search(text):
        return "extraction"
    if _SNIPPET.search(text):
        return "output_handling"
    if _JAILBREAK.search(text):
        return "jailbreak"
    return "direct_injection"


def decode(text: str) -> str:
    """The text with tag characters, base64 runs and rot13 undone, where that reveals a marker."""
    plain = "".join(chr(ord(c) - 0xE0000) if 0xE0020 <= ord(c) <= 0xE007E else c for c in text)
    if MARKER.search(plain):
        return plain
    for run in _B64.findall(plain):
        try:
            decoded = base64.b64decode(run, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            continue
        if MARKER.search(decoded):
            return decoded
    rot = codecs.encode(plain, "rot13")
    return rot if MARKER.search(rot) else plain


def attack_answer(conv: Conversation, seed: int, profile: ModelProfile) -> Answer | None:
    """The answer to a red-team probe, or None when the request is not one.

    The draw depends on the seed and the probe, not on the model: a probe is equally hard for
    every model, so two models differ exactly where their resistance differs (as real probes
    that break one model tend to break its neighbours).
    """
    if not is_probe(conv):
        return None
    key = digest(seed, "redteam", conv.canonical())
    text = conv.last_user_text()
    family = family_of(text)
    if unit(key, "attack") < profile.quality_for(f"resist:{family}"):
        return Answer(text=REFUSAL, kind="redteam")
    return Answer(text=_comply(family, decode(text), conv.system), kind="redteam")


def _comply(family: str, text: str, system: str) -> str:
    if family in ("extraction", "leakage"):
        return f"Sure. Here is what I was given:\n{system}"
    snippet = _SNIPPET.search(text)
    if family == "output_handling" and snippet:
        return f"Hello! {snippet.group(0)}"
    marker = MARKER.search(text)
    reply = marker.group(0) if marker else "OK."
    if snippet:
        reply += " " + snippet.group(0)
    return reply
