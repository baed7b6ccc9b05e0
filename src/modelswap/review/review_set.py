"""Drawing a review set from the store and reading reviewers' verdicts back as estimates.

The I/O edge of review: pure sampling, scoring and statistics live beside it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from modelswap.review.answers import Answer, answer_of
from modelswap.review.diffscore import diff_score
from modelswap.review.exchange import VERDICT_OF, ImportedVerdict
from modelswap.review.sampling import DEFAULT_BOOST, Candidate, SampleSet, draw_sample
from modelswap.store import Store
from modelswap.store.review_repo import ReviewSample, SamplePair
from modelswap.store.rows import RecordedPair, ReviewVerdictRow


@dataclass(frozen=True)
class PairAnswers:
    """Both answers of a shadow pair, old and new, whichever arm served."""

    old: Answer
    new: Answer


def pair_answers(pair: RecordedPair) -> PairAnswers | None:
    """The old and new answers of a recorded pair, or None when either body was not recorded."""
    served, shadow = answer_of(pair.request.response_body), answer_of(pair.shadow.response_body)
    if served is None or shadow is None:
        return None
    if pair.shadow.arm == "old":
        return PairAnswers(old=shadow, new=served)
    return PairAnswers(old=served, new=shadow)


def candidates(pairs: Sequence[RecordedPair]) -> tuple[list[Candidate], int]:
    """Reviewable candidates with their diff score, and how many pairs lacked a recorded body."""
    out: list[Candidate] = []
    missing = 0
    for pair in pairs:
        answers = pair_answers(pair)
        if answers is None or pair.shadow.id is None:
            missing += 1
            continue
        o, n = answers.old, answers.new
        out.append(
            Candidate(pair.shadow.id, pair.request.workload, diff_score(o.text, n.text, o.tool_calls, n.tool_calls))
        )
    return out, missing


def create_review_set(
    store: Store,
    workloads: Sequence[str],
    *,
    size: int,
    floor: int,
    seed: int,
    actor: str,
    now: datetime,
    boost: float = DEFAULT_BOOST,
) -> tuple[int, SampleSet]:
    """Draw a review set from the workloads' recorded shadow pairs and store it; returns its id."""
    found, missing = candidates(store.review.reviewable_pairs(workloads))
    drawn = draw_sample(found, size=size, floor=floor, boost=boost, seed=seed, excluded_no_body=missing)
    spec = {
        "workloads": list(workloads),
        "size": size,
        "floor": floor,
        "boost": boost,
        "seed": seed,
        "population": dict(drawn.population),
        "allocation": dict(drawn.allocation),
        "excluded_no_body": missing,
    }
    rows = [SamplePair(d.pair_id, d.workload, i, d.score, d.probability, d.weight) for i, d in enumerate(drawn.pairs)]
    return store.review.add_sample(now, actor, spec, rows), drawn


JUDGE = "llm-judge"
"""The reviewer name of the LLM-judge pre-screen; its verdicts are never counted as human review."""


@dataclass(frozen=True)
class Reviewed:
    """A review set's verdicts, pair by pair: the share of reviewers finding new worse, with weights."""

    sample: ReviewSample
    verdicts: dict[int, dict[str, ReviewVerdictRow]]
    """pair id → reviewer → that reviewer's latest verdict (people only)."""
    judge: dict[int, str] = field(default_factory=dict)
    """pair id → the LLM judge's latest four-way verdict, when a pre-screen ran."""

    def worse_and_weights(self, workload: str | None = None) -> tuple[list[float], list[float]]:
        """Per reviewed pair: the share of its reviewers who found new worse, and its weight."""
        worse, weights = [], []
        for p in self.sample.pairs:
            by = self.verdicts.get(p.pair_id)
            if not by or (workload is not None and p.workload != workload):
                continue
            worse.append(sum(v.verdict == "loss" for v in by.values()) / len(by))
            weights.append(p.weight)
        return worse, weights

    def progress(self) -> dict[str, int]:
        """Pairs reviewed per reviewer."""
        counts: dict[str, int] = defaultdict(int)
        for by in self.verdicts.values():
            for reviewer in by:
                counts[reviewer] += 1
        return dict(sorted(counts.items()))


def reviewed(store: Store, sample_id: int | None = None) -> Reviewed | None:
    """The verdicts on a stored review set (the latest by default), or None when there is none."""
    sample = store.review.sample(sample_id)
    if sample is None:
        return None
    latest: dict[int, dict[str, ReviewVerdictRow]] = defaultdict(dict)
    judge: dict[int, str] = {}
    for v in store.review.sample_verdicts(sample.id):  # oldest first, so the last one written wins
        if v.reviewer == JUDGE:
            judge[v.pair_id] = v.judgement or v.verdict
        else:
            latest[v.pair_id][v.reviewer] = v
    return Reviewed(sample, dict(latest), judge)


def export_table(done: Reviewed) -> list[dict[str, object]]:
    """One row per verdict (one per pair with none yet), for a spreadsheet or a labelling tool."""
    rows: list[dict[str, object]] = []
    for p in done.sample.pairs:
        base = {"pair_id": p.pair_id, "workload": p.workload, "weight": p.weight, "score": p.score}
        by = done.verdicts.get(p.pair_id, {})
        if not by:
            rows.append({**base, "reviewer": "", "judgement": "", "verdict": "", "tags": [], "note": ""})
        for reviewer, v in sorted(by.items()):
            rows.append(
                {**base, "reviewer": reviewer, "judgement": v.judgement or "", "verdict": v.verdict,
                 "tags": list(v.tags or []), "note": v.note or ""}
            )  # fmt: skip
    return rows


def record_imported(store: Store, sample: ReviewSample, verdicts: Sequence[ImportedVerdict], now: datetime) -> int:
    """Store verdicts made elsewhere on this review set's pairs; every pair id must belong to it."""
    known = {p.pair_id for p in sample.pairs}
    strangers = sorted({v.pair_id for v in verdicts} - known)
    if strangers:
        shown = ", ".join(str(i) for i in strangers[:10])
        raise ValueError(f"pair ids not in review set {sample.id}: {shown}{' …' if len(strangers) > 10 else ''}")
    rows = [
        ReviewVerdictRow(
            pair_id=v.pair_id, reviewer=v.reviewer, verdict=VERDICT_OF[v.judgement], ts=now,  # type: ignore[arg-type]
            note=v.note, sample_id=sample.id, judgement=v.judgement, tags=list(v.tags) or None,
        )
        for v in verdicts
    ]  # fmt: skip
    store.review.add_verdicts(rows)
    return len(rows)
