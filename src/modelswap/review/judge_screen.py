"""Optional LLM-judge pre-screen: the ``pairwise_judge`` scorer rates each pair of a review set
(both orders, so a judge's liking for a position cancels), its ratings are stored as the verdicts
of reviewer ``llm-judge`` (tag ``llm-judge``), and the report compares them with the people's.

The judge's verdicts never count as human review: ``JUDGE`` is left out of the estimate, the gate,
kappa and progress (``review_set.Reviewed`` splits them off).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime

from modelswap.evals.case import Case
from modelswap.evals.output import Output
from modelswap.evals.scorers.base import ScorerContext
from modelswap.evals.scorers.judge import PairwiseJudge
from modelswap.providers.base import Upstream
from modelswap.review.review_set import JUDGE
from modelswap.store.rows import RecordedPair, ReviewVerdictRow

_JUDGEMENT = {"win": "new_better", "loss": "old_better", "tie": "same"}


def _output(body: object) -> Output:
    if isinstance(body, dict) and isinstance(body.get("content"), list):
        return Output.from_anthropic(body)
    return Output.from_openai(body if isinstance(body, dict) else {})


def _case(pair: RecordedPair) -> Case:
    body = pair.request.request_body if isinstance(pair.request.request_body, dict) else {}
    messages = tuple(m for m in body.get("messages") or () if isinstance(m, dict))
    return Case(id=str(pair.shadow.id), workload=pair.request.workload, messages=messages)


async def judge_pairs(
    pairs: Sequence[RecordedPair], judge: Upstream, *, concurrency: int = 8, rubric: str | None = None
) -> dict[int, str]:
    """The judge's four-way verdict (new_better, old_better, same) per shadow pair id; pairs the
    judge could not rate (a failed call, an unreadable answer) are left out."""
    context = ScorerContext(judge=judge)
    scorer = PairwiseJudge(context=context, rubric=rubric) if rubric else PairwiseJudge(context=context)
    gate = asyncio.Semaphore(concurrency)
    out: dict[int, str] = {}

    async def one(pair: RecordedPair) -> None:
        if pair.shadow.id is None:
            return
        served, shadow = _output(pair.request.response_body), _output(pair.shadow.response_body)
        old, new = (shadow, served) if pair.shadow.arm == "old" else (served, shadow)
        async with gate:
            result = await scorer.compare(_case(pair), old, new)
        if result.outcome is not None:
            out[pair.shadow.id] = _JUDGEMENT[result.outcome]

    await asyncio.gather(*(one(p) for p in pairs))
    return out


def judge_rows(ratings: Mapping[int, str], sample_id: int, now: datetime) -> list[ReviewVerdictRow]:
    """The judge's ratings as verdict rows of reviewer ``llm-judge``."""
    verdict = {"new_better": "win", "old_better": "loss", "same": "tie"}
    return [
        ReviewVerdictRow(
            pair_id=pid, reviewer=JUDGE, verdict=verdict[j], ts=now, sample_id=sample_id,  # type: ignore[arg-type]
            judgement=j, tags=[JUDGE], note="LLM judge pre-screen (pairwise, both orders)",
        )
        for pid, j in sorted(ratings.items())
    ]  # fmt: skip
