"""Failed calls in an eval run, as the gates see them: what a user of each model would have got.

A call that still failed after its retries is a failed case for that model (an app calling it
would have got the error, not an answer). A case is left out of the paired comparison only when
the two models cannot be compared on it, and the report says why: both calls failed (the case
itself is probably at fault, e.g. longer than both models' context), or a scorer could not
decide one of the answers (a judge that was down). Error *kinds* group the messages the
providers gave (``HTTP 500 server_error``, ``HTTP 400 invalid_request_error``, ``timeout``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

_HTTP = re.compile(r"\bHTTP (\d{3})(?: ([A-Za-z][\w.-]{0,60}(?: [A-Za-z][\w.-]{0,60})?):)?")
"""The status and the vendor's error ``type`` (and ``code`` when it gave one): ``HTTP 400
invalid_request_error context_length_exceeded``."""
_KINDS = (
    ("timeout", re.compile(r"within [\d.]+s|timed? ?out", re.I)),
    ("connection", re.compile(r"could not connect|connection|refused|reset by peer", re.I)),
    ("cancelled", re.compile(r"cancel", re.I)),
    ("stream error", re.compile(r"error during stream", re.I)),
)
BOTH_FAILED = "both models' calls failed"
UNDECIDED = "a scorer could not decide one model's answer"


class Outcome(Protocol):
    """What ``pair_outcomes`` reads of one arm's result on one case."""

    @property
    def passed(self) -> bool | None: ...
    @property
    def error(self) -> str | None: ...


def error_kind(message: str) -> str:
    """A short class of a failed call's message: ``HTTP 500 server_error``, ``timeout``, …"""
    found = _HTTP.search(message)
    if found:
        status, label = found.groups()
        return f"HTTP {status} {label}" if label else f"HTTP {status}"
    for kind, pattern in _KINDS:
        if pattern.search(message):
            return kind
    return "other error"


def describe_kinds(kinds: Mapping[str, int]) -> str:
    """``HTTP 500 server_error ×30, timeout ×2`` (most frequent first)."""
    return ", ".join(f"{kind} ×{count:,}" for kind, count in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True, slots=True)
class ArmErrors:
    """One model's calls that failed after their retries, by kind."""

    count: int = 0
    kinds: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PairedOutcomes:
    """Old and new on the cases both were asked: pass/fail for the pass-rate gate (a failed call
    is a fail), errored-or-not for the error-rate gate, and what was left out and why."""

    old: list[bool]
    new: list[bool]
    old_errors: list[bool]
    """Over every case both models were asked, in the same order as ``new_errors``."""
    new_errors: list[bool]
    errors: Mapping[str, ArmErrors]
    """Per arm (``old``, ``new``)."""
    excluded: Mapping[str, int]
    """Reason → cases left out of the pass-rate comparison."""
    excluded_kinds: Mapping[str, int] = field(default_factory=dict)
    """Error kinds of the cases left out because both calls failed."""

    def note(self, old: str = "old", new: str = "new") -> str:
        """One sentence for the report: failed calls per model and the cases left out, or ``""``."""
        parts = []
        for arm in (old, new):
            e = self.errors.get(arm, ArmErrors())
            if e.count:
                parts.append(f"{arm}: {e.count:,} failed call{'s' if e.count != 1 else ''} ({describe_kinds(e.kinds)})")
        text = ""
        if parts:
            text = "; ".join(parts) + " — each counts as a failed case for that model"
        left = [f"{n:,} case{'s' if n != 1 else ''} left out because {why}" for why, n in self.excluded.items()]
        if self.excluded_kinds:
            left = [f"{s} ({describe_kinds(self.excluded_kinds)})" if BOTH_FAILED in s else s for s in left]
        return "; ".join(p for p in (text, "; ".join(left)) if p)


def pair_outcomes(by_arm: Mapping[str, Mapping[str, Outcome]], old: str = "old", new: str = "new") -> PairedOutcomes:
    """The paired outcomes of ``old`` and ``new`` on the cases both were asked, in case order."""
    a, b = by_arm.get(old, {}), by_arm.get(new, {})
    out_old: list[bool] = []
    out_new: list[bool] = []
    err_old: list[bool] = []
    err_new: list[bool] = []
    kinds: dict[str, Counter[str]] = {old: Counter(), new: Counter()}
    excluded: Counter[str] = Counter()
    both_kinds: Counter[str] = Counter()
    for case_id, x in a.items():
        y = b.get(case_id)
        if y is None:
            continue
        err_old.append(x.error is not None)
        err_new.append(y.error is not None)
        for arm, o in ((old, x), (new, y)):
            if o.error is not None:
                kinds[arm][error_kind(o.error)] += 1
        if x.error is not None and y.error is not None:
            excluded[BOTH_FAILED] += 1
            both_kinds.update({error_kind(x.error), error_kind(y.error)})
            continue
        u = False if x.error is not None else x.passed
        v = False if y.error is not None else y.passed
        if u is None or v is None:
            excluded[UNDECIDED] += 1
            continue
        out_old.append(bool(u))
        out_new.append(bool(v))
    errors = {arm: ArmErrors(sum(c.values()), dict(c)) for arm, c in kinds.items()}
    return PairedOutcomes(out_old, out_new, err_old, err_new, errors, dict(excluded), dict(both_kinds))
