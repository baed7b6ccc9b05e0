"""Built-in scorers on an output's text: equality, substrings, patterns, numbers, length, refusals.

Where a scorer's ``value`` is left out (None), it compares with the case's expected answer
(``Case.expected_text()``), so a CSV column ``expected`` plus ``{"type": "equals"}`` is enough.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from modelswap.evals.jsontext import NoJson, json_equal, load_json
from modelswap.evals.scorers.base import Score, SyncScorer, clip
from modelswap.evals.scorers.registry import scorer

if TYPE_CHECKING:
    from modelswap.evals.case import Case
    from modelswap.evals.output import Output

NO_REFERENCE = "no value given and the case has no expected answer"


def reference(value: Any, case: Case) -> str | None:
    """The text to compare with: ``value`` when given, else the case's expected answer."""
    if value is None:
        return case.expected_text()
    return value if isinstance(value, str) else str(value)


def normalized(text: str) -> str:
    """Text as ``normalize`` compares it: Unicode NFKC, case folded, whitespace runs as one space, trimmed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@scorer("equals", aliases=("exact",))
@dataclass(frozen=True, kw_only=True)
class Equals(SyncScorer):
    """Output text equals ``value`` (after ``strip``, optionally ignoring case; with ``normalize``
    also ignoring Unicode form and runs of whitespace — the default for a case with only ``expected``).

    A dict or list ``value`` is compared as JSON with the output parsed as JSON.
    """

    value: Any = None
    strip: bool = True
    ignore_case: bool = False
    normalize: bool = False

    def check(self, case: Case, output: Output) -> Score:
        if isinstance(self.value, (dict, list)):
            try:
                same = json_equal(load_json(output.text), self.value)
            except NoJson as exc:
                return self.verdict(False, str(exc))
            return self.verdict(same, "output JSON equals the value" if same else "output JSON differs from the value")
        want = reference(self.value, case)
        if want is None:
            return self.verdict(None, NO_REFERENCE)
        got = output.text.strip() if self.strip else output.text
        want = want.strip() if self.strip else want
        if self.normalize:
            same = normalized(got) == normalized(want)
        else:
            same = got.casefold() == want.casefold() if self.ignore_case else got == want
        return self.verdict(same, f"output equals {clip(want)}" if same else f"expected {clip(want)}, got {clip(got)}")


@scorer("contains")
@dataclass(frozen=True, kw_only=True)
class Contains(SyncScorer):
    """Output text contains ``value`` — every one of a list (``mode: all``) or at least one (``any``).

    Case-insensitive by default, as the simulator's golden sets define ``contains``.
    """

    value: str | list[str] | None = None
    ignore_case: bool = True
    mode: Literal["all", "any"] = "all"

    def check(self, case: Case, output: Output) -> Score:
        wanted = [self.value] if isinstance(self.value, str) else self.value
        if wanted is None:
            ref = case.expected_text()
            if ref is None:
                return self.verdict(None, NO_REFERENCE)
            wanted = [ref]
        fold = str.casefold if self.ignore_case else str
        text = fold(output.text)
        found = [w for w in wanted if fold(w) in text]
        missing = [w for w in wanted if w not in found]
        ok = bool(found) if self.mode == "any" else not missing
        if ok:
            return self.verdict(True, f"output contains {', '.join(map(clip, found))}")
        return self.verdict(False, f"output lacks {', '.join(map(clip, missing))}")


@scorer("regex")
@dataclass(frozen=True, kw_only=True)
class Regex(SyncScorer):
    """Output text matches ``pattern`` (anywhere, or entirely with ``fullmatch``)."""

    pattern: str
    ignore_case: bool = False
    multiline: bool = False
    dotall: bool = False
    fullmatch: bool = False
    _compiled: re.Pattern[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        flags = (re.I if self.ignore_case else 0) | (re.M if self.multiline else 0) | (re.S if self.dotall else 0)
        try:
            object.__setattr__(self, "_compiled", re.compile(self.pattern, flags))
        except re.error as exc:
            raise ValueError(f"bad regex {self.pattern!r}: {exc}") from None

    def check(self, case: Case, output: Output) -> Score:
        match = (self._compiled.fullmatch if self.fullmatch else self._compiled.search)(output.text)
        if match:
            return self.verdict(True, f"matched {clip(match.group(0))}")
        return self.verdict(False, f"no match for /{self.pattern}/ in {clip(output.text)}")


_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+(?:[eE][-+]?\d+)?")


def first_number(text: str) -> float | None:
    """The first number written in ``text`` (``1,378.19`` and ``-2.5e3`` included), or None."""
    match = _NUMBER.search(text)
    return float(match.group(0).replace(",", "")) if match else None


@scorer("numeric")
@dataclass(frozen=True, kw_only=True)
class Numeric(SyncScorer):
    """The first number in the output is within ``abs_tol`` or ``rel_tol`` (a fraction) of ``value``."""

    value: float | str | None = None
    abs_tol: float = 0.0
    rel_tol: float = 0.0

    def __post_init__(self) -> None:
        if self.abs_tol < 0 or self.rel_tol < 0:
            raise ValueError("abs_tol and rel_tol must be >= 0")
        if isinstance(self.value, str) and first_number(self.value) is None:
            raise ValueError(f"value {self.value!r} holds no number")

    def check(self, case: Case, output: Output) -> Score:
        ref = reference(self.value, case)
        want = None if ref is None else first_number(ref)
        if want is None:
            return self.verdict(None, NO_REFERENCE if ref is None else f"expected answer {clip(ref)} holds no number")
        got = first_number(output.text)
        if got is None:
            return self.verdict(False, f"no number in output {clip(output.text)}")
        ok = math.isclose(got, want, rel_tol=self.rel_tol, abs_tol=self.abs_tol)
        return self.verdict(ok, f"{got:g} {'is' if ok else 'is not'} within tolerance of {want:g}", got=got)


@scorer("length")
@dataclass(frozen=True, kw_only=True)
class Length(SyncScorer):
    """Output length, in characters or words, is within [``min``, ``max``]."""

    min: int | None = None
    max: int | None = None
    unit: Literal["chars", "words"] = "chars"

    def __post_init__(self) -> None:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if (self.min or 0) < 0 or (self.max is not None and self.max < 0):
            raise ValueError("min and max must be >= 0")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")

    def check(self, case: Case, output: Output) -> Score:
        size = len(output.text.split()) if self.unit == "words" else len(output.text)
        ok = (self.min is None or size >= self.min) and (self.max is None or size <= self.max)
        bounds = f"[{'' if self.min is None else self.min}, {'' if self.max is None else self.max}]"
        return self.verdict(ok, f"{size} {self.unit} {'within' if ok else 'outside'} {bounds}", size=size)


REFUSAL_PHRASES = (
    r"\bi(?: am|'m) (?:sorry|afraid),? (?:but )?i (?:can(?:no|')?t|won't|am not able|'m not able|am unable|'m unable)",
    r"\bi (?:can(?:no|')?t|won't|will not) (?:help|assist|comply|provide|do that|fulfil+|answer|share|support)",
    r"\bi(?: am|'m) (?:not able|unable) to (?:help|assist|comply|provide|do that|fulfil+|answer|share)",
    r"\bi (?:must|have to) (?:decline|refuse)",
    r"\bi(?: am|'m) not (?:allowed|permitted) to\b",
    r"\bas an ai(?: language model)?,? i (?:can(?:no|')?t|don't|do not|am not|'m not)",
    r"\b(?:against|violates?) (?:my|our|the) (?:guidelines|policies|policy|principles)",
    r"\bi(?: am|'m) (?:sorry|afraid),? (?:but )?(?:that|this) (?:is not|isn't) something i can",
)
_REFUSAL = re.compile("|".join(f"(?:{p})" for p in REFUSAL_PHRASES))


@scorer("refusal")
@dataclass(frozen=True, kw_only=True)
class Refusal(SyncScorer):
    """The output is (``expect: true``) or is not (``expect: false``) a refusal, by common phrasings."""

    expect: bool = True
    phrases: list[str] = field(default_factory=list)

    def check(self, case: Case, output: Output) -> Score:
        text = output.text.replace("\u2019", "'").casefold()
        match = _REFUSAL.search(text)
        hit = match.group(0) if match else next((p for p in self.phrases if p.casefold() in text), None)
        refused = hit is not None
        what = f"refusal ({clip(hit)})" if hit is not None else "no refusal"
        return self.verdict(refused == self.expect, f"{what}; expected {'a' if self.expect else 'no'} refusal")


@scorer("not")
@dataclass(frozen=True, kw_only=True)
class Not(SyncScorer):
    """Passes when the ``inner`` scorer fails (promptfoo's ``not-`` prefix). The inner one must be pure."""

    inner: dict[str, Any]
    _inner: SyncScorer = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        from modelswap.evals.scorers.base import spec_of
        from modelswap.evals.scorers.registry import build_scorer

        inner = build_scorer(self.inner)
        if not isinstance(inner, SyncScorer):
            raise ValueError(f"'not' wraps only scorers that decide without a model call, not {self.inner.get('type')}")
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "inner", spec_of(inner))

    def check(self, case: Case, output: Output) -> Score:
        verdict = self._inner.check(case, output)
        passed = None if verdict.passed is None else not verdict.passed
        score = None if verdict.score is None else 1.0 - verdict.score
        return self.verdict(passed, f"not ({verdict.reason})", score)


@scorer("latency")
@dataclass(frozen=True, kw_only=True)
class Latency(SyncScorer):
    """The answer came within ``max_ms`` milliseconds."""

    max_ms: float

    def check(self, case: Case, output: Output) -> Score:
        if output.latency_ms is None:
            return self.verdict(None, "no latency measured")
        ok = output.latency_ms <= self.max_ms
        return self.verdict(ok, f"{output.latency_ms:.0f} ms {'<=' if ok else '>'} {self.max_ms:g} ms")


@scorer("cost")
@dataclass(frozen=True, kw_only=True)
class Cost(SyncScorer):
    """The answer cost at most ``max_usd``."""

    max_usd: float

    def check(self, case: Case, output: Output) -> Score:
        if output.cost_usd is None:
            return self.verdict(None, "no cost known")
        ok = output.cost_usd <= self.max_usd
        return self.verdict(ok, f"${output.cost_usd:.6f} {'<=' if ok else '>'} ${self.max_usd:g}")
