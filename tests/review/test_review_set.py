"""A review set drawn from a real store, verdicts recorded, and the weighted share read back."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelswap.review.answers import answer_of
from modelswap.review.review_set import create_review_set, reviewed
from modelswap.stats.weighted import worse_share
from modelswap.store import Store, open_store
from modelswap.store.rows import RequestRow, ReviewVerdictRow, ShadowPairRow

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def chat(text: str) -> dict[str, object]:
    return {"choices": [{"message": {"role": "assistant", "content": text}}]}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    reqs, pairs = [], []
    for i in range(300):
        workload = "chat" if i % 3 else "triage"
        body = None if i % 50 == 0 else chat(f"answer {i % 7} is fine")
        r = RequestRow(
            ts=T0 + timedelta(seconds=i),
            workload=workload,
            arm="old",
            endpoint="old",
            model="o",
            status=200,
            latency_ms=1.0,
            response_body=body,
        )
        other = chat(f"answer {i % 7} is fine" if i % 4 else "something else entirely")
        reqs.append(r)
        pairs.append(ShadowPairRow(request_id=r.id, ts=r.ts, arm="new", model="n", response_body=other))
    s.insert_records(reqs, pairs)
    yield s
    s.close()


def test_draw_store_and_read_back(store: Store) -> None:
    sample_id, drawn = create_review_set(store, ["chat", "triage"], size=60, floor=10, seed=1, actor="ana", now=T0)
    assert drawn.excluded_no_body == 6  # every 50th request was recorded without its body
    assert sum(drawn.population.values()) == 294
    got = reviewed(store, sample_id)
    assert got is not None and len(got.sample.pairs) == 60 and got.sample.spec["seed"] == 1
    pairs = got.sample.pairs
    verdicts = [
        ReviewVerdictRow(
            pair_id=p.pair_id,
            reviewer=who,
            verdict="loss" if i < 6 else "tie",
            ts=T0,
            sample_id=sample_id,
            judgement="old_better" if i < 6 else "same",
            new_side="left",
        )
        for i, p in enumerate(pairs)
        for who in ("ana", "bo")
    ]
    store.review.add_verdicts(verdicts)
    got = reviewed(store)
    assert got is not None and got.progress() == {"ana": 60, "bo": 60}
    worse, weights = got.worse_and_weights()
    expected = sum(p.weight for p in pairs[:6]) / sum(p.weight for p in pairs)
    assert worse_share(worse, weights).estimate == pytest.approx(expected)


def test_a_judgement_must_match_its_verdict(store: Store) -> None:
    (pair,) = store.requests.shadow_pairs("chat", limit=1)
    assert pair.shadow.id is not None
    bad = ReviewVerdictRow(pair_id=pair.shadow.id, reviewer="a", verdict="win", ts=T0, judgement="old_better")
    with pytest.raises(ValueError, match="does not read as"):
        store.review.add_verdicts([bad])


def test_answers_from_both_wire_formats() -> None:
    a = answer_of({"content": [{"type": "text", "text": "hi [email]"}, {"type": "tool_use", "name": "f", "input": {}}]})
    assert a is not None and a.redacted and a.tool_calls == ({"name": "f", "arguments": {}},)
    assert answer_of(None) is None and answer_of({"weird": 1}) is None
