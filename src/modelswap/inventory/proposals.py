"""Workloads for traffic no rule recognises: proposed by clustering on a system-prompt fingerprint.

A *fingerprint* is a short hash of the normalised system prompt (digits masked, whitespace
collapsed, the first ``FINGERPRINT_PREFIX`` characters: the instructions rather than per-request
context), the tool definitions and the model. Fingerprints whose prompts are nearly the same
(word-set Jaccard ≥ ``SIMILARITY``: a template filled with a customer's name) form one proposed
workload, shown with an example so a person can name it. Names a person accepted are written
into the migration file with their fingerprints (``writeback.py``); later runs report those
fingerprints under the accepted name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from modelswap.catalog import lookup
from modelswap.inventory.naming import resolve_names
from modelswap.inventory.scan import FINGERPRINT_PREFIX, Slice

SIMILARITY = 0.7
"""Word-set Jaccard at or above which two prompts are one workload."""
MAX_FINGERPRINTS = 2000
"""Fingerprints compared pairwise (by volume); the rest, rarely seen, are left unassigned."""
MAX_PROPOSALS = 30
"""Proposals listed; smaller clusters are reported together as unassigned traffic."""
UNASSIGNED = "(unassigned)"

_DIGITS = re.compile(r"[0-9]+")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z][a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "for",
        "of",
        "to",
        "in",
        "on",
        "with",
        "your",
        "you",
        "are",
        "is",
        "be",
        "that",
        "this",
        "who",
        "will",
        "as",
        "at",
        "by",
        "from",
        "into",
        "it",
        "its",
        "not",
        "never",
        "always",
        "only",
        "must",
        "should",
        "please",
        "reply",
        "respond",
        "answer",
        "helpful",
        "assistant",
        "ai",
        "model",
        "language",
        "large",
        "act",
        "acting",
        "role",
        "task",
        "job",
        "given",
        "following",
        "below",
        "above",
        "user",
        "users",
    ]
)
_INTRO = re.compile(r"^\s*(you\s+are|you're|act\s+as|as)\s+(a|an|the)?\s*", re.IGNORECASE)


def normalize_prompt(text: str | None) -> str:
    """The part of a system prompt that identifies its workload: digits masked, whitespace collapsed."""
    if not text:
        return ""
    return _SPACE.sub(" ", _DIGITS.sub("#", text[: FINGERPRINT_PREFIX * 2])).strip()[:FINGERPRINT_PREFIX]


def canonical_model(model: str) -> str:
    """The catalog id of a model (snapshots and provider prefixes resolved), or the name as logged."""
    info = lookup(model)
    return info.id if info is not None else model


def fingerprint(system_prompt: str | None, tools: str | None, model: str) -> str:
    """A stable 12-hex-digit fingerprint of (normalised system prompt, tools, canonical model)."""
    tools_digest = hashlib.md5((tools or "").encode(), usedforsecurity=False).hexdigest()
    text = "\x1f".join((normalize_prompt(system_prompt), tools_digest, canonical_model(model)))
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()[:12]


def tool_names(tools: str | None) -> tuple[str, ...]:
    """Function names in a JSON list of tool definitions (OpenAI or Anthropic style)."""
    if not tools:
        return ()
    import json

    try:
        parsed = json.loads(tools)
    except ValueError:
        return ()
    names = []
    for tool in parsed if isinstance(parsed, list) else []:
        if isinstance(tool, dict):
            fn = tool.get("function")
            name = fn.get("name") if isinstance(fn, dict) else tool.get("name")
            if isinstance(name, str):
                names.append(name)
    return tuple(names)


def propose_name(system_prompt: str | None, taken: set[str]) -> str:
    """A slug from the prompt's first meaningful words (``support-agent-acme``), unique among ``taken``."""
    words: list[str] = []
    if system_prompt:
        text = _INTRO.sub("", system_prompt.lower())
        words = [w for w in _WORD.findall(text) if w not in _STOP][:3]
    base = "-".join(words)[:40].strip("-") or ("no-system-prompt" if not system_prompt else "workload")
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


@dataclass(frozen=True, slots=True)
class Proposal:
    """A workload proposed from untagged traffic: what it looks like, so a person can name it."""

    id: str
    """``P1``, ``P2``, ... by volume: a position in this run's table, not a stable key."""
    name: str
    """The proposed name (a slug from the prompt); ``--name FINGERPRINT=support-chat`` changes it."""
    fingerprints: tuple[str, ...]
    """The fingerprints it gathers, most requests first."""
    model: str
    requests: int
    example_system: str | None
    example_user: str | None
    tools: tuple[str, ...]
    example_where: str | None
    """Where an example record is (``file:line N``)."""


@dataclass(frozen=True, slots=True)
class Assignment:
    """Which workload each untagged slice belongs to, and the proposals made."""

    names: dict[int, tuple[str, str]]
    """Slice index → (workload name, origin: ``accepted`` / ``proposed`` / ``unassigned``)."""
    proposals: list[Proposal]


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.lower()))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


@dataclass
class _Cluster:
    model: str
    tools: str | None
    words: frozenset[str]
    fingerprints: list[str]
    requests: int
    lead: Slice


def _clusters(
    slices: Sequence[Slice], by_fp: Mapping[str, list[int]], open_fps: Sequence[str], volume: Mapping[str, int]
) -> list[_Cluster]:
    """The open fingerprints grouped by model, tools and a nearly identical system prompt, largest first."""
    clusters: list[_Cluster] = []
    for fp in open_fps[:MAX_FINGERPRINTS]:
        lead = slices[by_fp[fp][0]]
        model = canonical_model(lead.model)
        words = _words(normalize_prompt(lead.example_system))
        home = next(
            (
                c
                for c in clusters
                if c.model == model and c.tools == lead.tools and _jaccard(c.words, words) >= SIMILARITY
            ),
            None,
        )
        if home is None:
            clusters.append(_Cluster(model, lead.tools, words, [fp], volume[fp], lead))
        else:
            home.fingerprints.append(fp)
            home.requests += volume[fp]
    clusters.sort(key=lambda c: (-c.requests, c.fingerprints[0]))
    return clusters


def cluster_untagged(
    slices: Sequence[Slice],
    *,
    accepted: Mapping[str, str] | None = None,
    taken: Iterable[str] = (),
    names: Mapping[str, str] | None = None,
) -> Assignment:
    """Assign every slice without a workload to an accepted workload, a proposal, or unassigned.

    ``accepted`` maps fingerprints to workload names from the migration file; ``taken`` are
    names already in use; ``names`` renames proposals by fingerprint (or a prefix of at least
    six digits) or, within this run, by P-number: ``{"3f2a9c1b": "support-chat"}``
    (``naming.resolve_names``; a key that names no proposal raises ``NamingError``).
    """
    accepted = accepted or {}
    names = names or {}
    by_fp: dict[str, list[int]] = {}
    for i, s in enumerate(slices):
        if s.workload is None:
            by_fp.setdefault(fingerprint(s.example_system, s.tools, s.model), []).append(i)
    out: dict[int, tuple[str, str]] = {}
    volume = {fp: sum(slices[i].requests for i in idx) for fp, idx in by_fp.items()}
    open_fps = []
    for fp in sorted(by_fp, key=lambda f: (-volume[f], f)):
        if fp in accepted:
            for i in by_fp[fp]:
                out[i] = (accepted[fp], "accepted")
        else:
            open_fps.append(fp)

    clusters = _clusters(slices, by_fp, open_fps, volume)

    used = set(taken)
    listed = clusters[:MAX_PROPOSALS]
    chosen = resolve_names([c.fingerprints for c in listed], names, accepted=accepted, taken=frozenset(used))
    used |= set(chosen.values())
    proposals: list[Proposal] = []
    for n, c in enumerate(listed, 1):
        pid = f"P{n}"
        name = chosen[n - 1] if n - 1 in chosen else propose_name(c.lead.example_system, used)
        proposals.append(
            Proposal(
                id=pid,
                name=name,
                fingerprints=tuple(c.fingerprints),
                model=c.model,
                requests=c.requests,
                example_system=c.lead.example_system,
                example_user=c.lead.example_user,
                tools=tool_names(c.lead.tools),
                example_where=c.lead.example_where,
            )
        )
        for fp in c.fingerprints:
            for i in by_fp[fp]:
                out[i] = (name, "proposed")
    for fp in open_fps:
        for i in by_fp[fp]:
            out.setdefault(i, (UNASSIGNED, "unassigned"))
    return Assignment(out, proposals)
