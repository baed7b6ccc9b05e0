"""What a review set says so far: progress per reviewer, agreement, conflicts, and the weighted share
of traffic where the new model is worse, per workload and overall."""

from __future__ import annotations

from dataclasses import dataclass

from modelswap.review.agreement import cohen_kappa, conflicts, fleiss_kappa, judge_human_agreement
from modelswap.review.review_set import Reviewed
from modelswap.stats.weighted import WorseShare, worse_share
from modelswap.store.rows import ReviewVerdictRow

JUDGEMENT_ORDER = ("old_better", "new_better", "same", "both_bad")


@dataclass(frozen=True)
class Agreement:
    """Agreement among reviewers on the pairs several of them judged."""

    pairs: int
    """Pairs judged by two reviewers (Cohen) or by the most common number of reviewers (Fleiss)."""
    kappa: float | None
    method: str


@dataclass(frozen=True)
class ReviewReport:
    sample_id: int
    pairs: int
    reviewed: int
    progress: dict[str, int]
    agreement: Agreement
    conflicts: list[int]
    overall: WorseShare
    by_workload: dict[str, WorseShare]
    excluded_no_body: int
    judge_pairs: int = 0
    """Pairs rated by both the LLM judge and people."""
    judge_kappa: float | None = None
    """Cohen's kappa between the judge and the people's majority verdict; None without a pre-screen."""


def _label(v: ReviewVerdictRow) -> str:
    return v.judgement or {"win": "new_better", "loss": "old_better", "tie": "same"}[v.verdict]


def agreement(done: Reviewed) -> Agreement:
    """Cohen's kappa when pairs have two reviewers, Fleiss' when they have more (four-way verdicts)."""
    multi = {p: by for p, by in done.verdicts.items() if len(by) >= 2}
    if not multi:
        return Agreement(0, None, "no pair has two reviewers yet")
    sizes = [len(by) for by in multi.values()]
    common = max(set(sizes), key=sizes.count)
    chosen = [by for by in multi.values() if len(by) == common]
    if common == 2:
        firsts, seconds = [], []
        for by in chosen:
            a, b = sorted(by)
            firsts.append(_label(by[a]))
            seconds.append(_label(by[b]))
        return Agreement(len(chosen), cohen_kappa(firsts, seconds), "Cohen's kappa (two reviewers per pair)")
    table = [[sum(_label(v) == j for v in by.values()) for j in JUDGEMENT_ORDER] for by in chosen]
    return Agreement(len(chosen), fleiss_kappa(table), f"Fleiss' kappa ({common} reviewers per pair)")


def build_report(done: Reviewed, confidence: float = 0.95) -> ReviewReport:
    """The review set's figures; the share where new is worse uses the sampling weights."""
    worse, weights = done.worse_and_weights()
    workloads = sorted({p.workload for p in done.sample.pairs})
    by_workload = {w: worse_share(*done.worse_and_weights(w), confidence) for w in workloads}
    labels = {p: {r: _label(v) for r, v in by.items()} for p, by in done.verdicts.items()}
    judged, judge_kappa = judge_human_agreement(done.judge, labels)
    return ReviewReport(
        sample_id=done.sample.id,
        pairs=len(done.sample.pairs),
        reviewed=len(worse),
        progress=done.progress(),
        agreement=agreement(done),
        conflicts=conflicts(labels),
        overall=worse_share(worse, weights, confidence),
        by_workload=by_workload,
        excluded_no_body=int(done.sample.spec.get("excluded_no_body", 0)),
        judge_pairs=judged,
        judge_kappa=judge_kappa,
    )
