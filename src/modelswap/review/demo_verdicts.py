"""SIMULATED reviewer verdicts for the demo, so the review page, kappa and the gate show figures.

Nothing here is a person's judgement: the two reviewers are named ``simulated-reviewer-1`` and
``simulated-reviewer-2`` and every verdict carries the note ``simulated by the demo``. Identical
answers are judged the same; a differing pair is judged old better with a per-workload chance
(higher where the demo's new model is weaker), and the second reviewer agrees with the first most
of the time, so kappa and the conflicts list have something to show.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime

from modelswap.review.blind import new_side
from modelswap.review.exchange import VERDICT_OF
from modelswap.review.review_set import create_review_set, pair_answers
from modelswap.store import Store
from modelswap.store.rows import ReviewVerdictRow

REVIEWERS = ("simulated-reviewer-1", "simulated-reviewer-2")
NOTE = "simulated by the demo"
AGREEMENT = 0.85
"""How often the second simulated reviewer gives the first one's verdict."""


def simulate_review(
    store: Store,
    workloads: list[str],
    now: datetime,
    *,
    worse_chance: Mapping[str, float],
    size: int = 200,
    seed: int = 7,
) -> int:
    """Draw a review set and record two simulated reviewers' verdicts on every pair; returns its id."""
    sample_id, drawn = create_review_set(store, workloads, size=size, floor=20, seed=seed, actor="demo", now=now)
    rng = random.Random(seed)
    found = store.review.pairs_by_id([d.pair_id for d in drawn.pairs])
    choices = ("old_better", "new_better", "same", "both_bad")
    rows: list[ReviewVerdictRow] = []
    for d in drawn.pairs:
        answers = pair_answers(found[d.pair_id]) if d.pair_id in found else None
        if answers is None:
            continue
        if answers.old.text == answers.new.text and answers.old.tool_calls == answers.new.tool_calls:
            first = "same"
        else:
            roll = rng.random()
            chance = worse_chance.get(d.workload, 0.05)
            first = "old_better" if roll < chance else ("new_better" if roll < chance + 0.25 else "same")
        second = first if rng.random() < AGREEMENT else rng.choice([c for c in choices if c != first])
        for reviewer, judgement in zip(REVIEWERS, (first, second), strict=True):
            rows.append(
                ReviewVerdictRow(
                    pair_id=d.pair_id, reviewer=reviewer, verdict=VERDICT_OF[judgement],  # type: ignore[arg-type]
                    ts=now, note=NOTE, sample_id=sample_id, judgement=judgement,
                    new_side=new_side(reviewer, d.pair_id),
                )
            )  # fmt: skip
    store.review.add_verdicts(rows)
    return sample_id
