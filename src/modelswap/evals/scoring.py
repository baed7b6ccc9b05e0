"""Scoring one output for one case: the case's own assertions plus any workload-level scorers."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

from modelswap.evals.case import Case
from modelswap.evals.output import Output
from modelswap.evals.scorers.base import Score, Scorer, ScorerContext, spec_of
from modelswap.evals.scorers.registry import build_scorer


def case_scorers(case: Case, context: ScorerContext | None = None) -> list[Scorer]:
    """The scorers a case's assertions describe (built with ``context`` for judges and embedders)."""
    return [build_scorer(spec, context) for spec in case.assertions]


async def _safe_score(scorer: Scorer, case: Case, output: Output) -> Score:
    try:
        spec = spec_of(scorer)
    except TypeError:
        spec = {"type": type(scorer).__name__}
    if output.error is not None:
        return Score(False, 0.0, f"no answer: {output.error}", spec, spec["type"])
    try:
        return await scorer.score(case, output)
    except Exception as exc:  # a scorer's bug must not sink the other scores of a run
        return Score(None, None, f"scorer raised {type(exc).__name__}: {exc}", spec, spec["type"])


def unique_names(scores: Sequence[Score]) -> list[Score]:
    """The scores with names unique within the list: a repeated ``json_field`` becomes ``json_field#2``…"""
    totals = Counter(s.name for s in scores)
    seen: Counter[str] = Counter()
    named = []
    for s in scores:
        seen[s.name] += 1
        named.append(replace(s, name=f"{s.name}#{seen[s.name]}") if totals[s.name] > 1 else s)
    return named


async def score_case(
    case: Case,
    output: Output,
    extra_scorers: Iterable[Scorer] = (),
    *,
    context: ScorerContext | None = None,
) -> list[Score]:
    """Scores of ``output`` by the case's assertions, then by ``extra_scorers``, run concurrently.

    A failed model call (``output.error``) fails every scorer; a scorer that raises gives
    ``passed=None`` with the exception as its reason. Names are unique within the result.
    """
    scorers = [*case_scorers(case, context), *extra_scorers]
    scores = await asyncio.gather(*(_safe_score(s, case, output) for s in scorers))
    return unique_names(scores)


def case_passed(scores: Iterable[Score]) -> bool | None:
    """Whether a case passed: False if any score failed, None if any could not decide (or none ran), else True."""
    verdicts = [s.passed for s in scores]
    if not verdicts:
        return None
    if False in verdicts:
        return False
    return None if None in verdicts else True
