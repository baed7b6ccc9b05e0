"""The LLM-judge pre-screen: both orders asked, stored apart from people's verdicts, agreement reported."""

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from modelswap.providers.base import UpstreamError
from modelswap.review.agreement import judge_human_agreement
from modelswap.review.judge_screen import judge_pairs, judge_rows
from modelswap.review.report import build_report
from modelswap.review.review_set import JUDGE, create_review_set, reviewed
from modelswap.store import Store, open_store
from modelswap.store.rows import RequestRow, ReviewVerdictRow, ShadowPairRow

T0 = datetime(2025, 3, 1, tzinfo=UTC)


class PrefersLonger:
    """A judge model that picks the longer response (and fails on one pair)."""

    name, model, dialect = "judge", "judge-1", "openai"

    async def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        prompt = body["messages"][-1]["content"]
        if "broken" in prompt:
            raise UpstreamError("overloaded", kind="overloaded", status=503, provider="fake")
        a = prompt.split("<response_a>")[1].split("</response_a>")[0]
        b = prompt.split("<response_b>")[1].split("</response_b>")[0]
        winner = "A" if len(a) > len(b) else "B" if len(b) > len(a) else "tie"
        text = json.dumps({"reason": "longer", "winner": winner})
        return {"choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}

    async def stream(self, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        raise NotImplementedError
        yield {}

    async def aclose(self) -> None:
        return None


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    reqs, pairs = [], []
    for i, (old, new) in enumerate(
        [("short", "a longer answer"), ("a long old answer", "new"), ("same", "same"), ("x", "broken")]
    ):
        r = RequestRow(
            ts=T0 + timedelta(seconds=i), workload="w", arm="old", endpoint="old", model="o", status=200,
            latency_ms=1.0, request_body={"messages": [{"role": "user", "content": f"q{i}"}]},
            response_body={"choices": [{"message": {"role": "assistant", "content": old}}]},
        )  # fmt: skip
        reqs.append(r)
        body = {"choices": [{"message": {"role": "assistant", "content": new}}]}
        pairs.append(ShadowPairRow(request_id=r.id, ts=r.ts, arm="new", model="n", response_body=body))
    s.insert_records(reqs, pairs)
    yield s
    s.close()


async def test_judge_rates_pairs_apart_from_people(store: Store) -> None:
    sample_id, drawn = create_review_set(store, ["w"], size=4, floor=4, seed=0, actor="a", now=T0)
    found = store.review.pairs_by_id([d.pair_id for d in drawn.pairs])
    ratings = await judge_pairs(list(found.values()), PrefersLonger())  # type: ignore[arg-type]
    by_text = {found[pid].shadow.response_body["choices"][0]["message"]["content"]: j for pid, j in ratings.items()}  # type: ignore[index]
    assert by_text == {
        "a longer answer": "new_better",
        "new": "old_better",
        "same": "same",
    }  # "broken" failed: left out
    store.review.add_verdicts(judge_rows(ratings, sample_id, T0))
    people = [
        ReviewVerdictRow(pair_id=pid, reviewer="ana", verdict="win" if j == "new_better" else "tie", ts=T0,
                         sample_id=sample_id, judgement="new_better" if j == "new_better" else "same")
        for pid, j in ratings.items()
    ]  # fmt: skip
    store.review.add_verdicts(people)
    done = reviewed(store)
    assert done is not None and JUDGE not in done.progress() and done.progress() == {"ana": 3}
    report = build_report(done)
    assert report.judge_pairs == 3 and report.judge_kappa is not None
    assert report.reviewed == 3  # the judge's ratings are not review


def test_agreement_with_the_majority() -> None:
    judge = {1: "new_better", 2: "old_better", 3: "same"}
    humans = {1: {"a": "new_better", "b": "new_better"}, 2: {"a": "old_better"}, 3: {"a": "both_bad"}}
    assert judge_human_agreement(judge, humans) == (3, 1.0)
    assert judge_human_agreement(judge, {}) == (0, None)


async def test_console_lists_pairs_by_judge_rating(store: Store, tmp_path: Path) -> None:
    import httpx
    import yaml

    from modelswap.config import parse_migration
    from modelswap.serving import build_gateway

    sample_id, drawn = create_review_set(store, ["w"], size=4, floor=4, seed=0, actor="a", now=T0)
    ids = [d.pair_id for d in drawn.pairs]
    store.review.add_verdicts(judge_rows({ids[0]: "new_better", ids[1]: "old_better"}, sample_id, T0))
    endpoint = {"provider": "openai", "base_url": "http://127.0.0.1:9/v1", "api_key_env": "MS_JUDGE_TEST_KEY"}
    doc = {
        "store": f"sqlite:///{tmp_path / 'm.db'}",
        "endpoints": {"old": {**endpoint, "model": "o"}, "new": {**endpoint, "model": "n"}},
        "workloads": [{"name": "w"}],
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MODELSWAP_ADMIN_TOKEN", "judge-Vb7Nq2Xr9Kd4Wm6Tz3Hp8Ls1")
        mp.setenv("MS_JUDGE_TEST_KEY", "unused")
        migration = parse_migration(yaml.safe_dump(doc), str(tmp_path / "migration.yaml"), tmp_path)
        app = build_gateway(migration, store=store)
        await app.startup()
        try:
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
                page = await client.get(
                    "/console/review", headers={"authorization": "Bearer judge-Vb7Nq2Xr9Kd4Wm6Tz3Hp8Ls1"}
                )
        finally:
            await app.shutdown()
    assert page.status_code == 200, page.text
    listed = page.text.split('id="by-judge"')[1]
    assert listed.index(f"pair {ids[1]}") < listed.index(f"pair {ids[0]}")  # new worse first
    assert "judge: old better" in listed
