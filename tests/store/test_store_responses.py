"""Stored Responses API answers: kept, found, forgotten, pruned by age and count; the v4 → v5 upgrade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from modelswap.store import SCHEMA_VERSION, StoredResponse, open_store

from .conftest import rewind
from .test_store_migrations import describe

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _entry(n: int, at: datetime) -> StoredResponse:
    return StoredResponse(
        id=f"resp_{n}",
        created_at=at,
        response={
            "id": f"resp_{n}",
            "output": [{"type": "message", "content": [{"type": "output_text", "text": "é"}]}],
        },
        input_items=[{"role": "user", "content": f"question {n}"}],
    )


def test_put_get_delete_and_prune(store_url: str) -> None:
    with open_store(store_url) as store:
        repo = store.responses
        for n in range(5):
            repo.put(_entry(n, T0 + timedelta(minutes=n)))
        repo.put(_entry(4, T0 + timedelta(minutes=4)))  # the same id again replaces it
        got = repo.get("resp_3")
        assert got == _entry(3, T0 + timedelta(minutes=3))
        assert repo.get("resp_missing") is None
        assert repo.delete("resp_3") and not repo.delete("resp_3")
        # older than minute 1 goes; then only the newest two are kept
        assert repo.prune(before=T0 + timedelta(minutes=1), keep_at_most=2) == 2
        assert [n for n in range(5) if repo.get(f"resp_{n}")] == [2, 4]


def test_upgrade_from_v4_adds_stored_responses(store_url: str, other_url: str) -> None:
    rewind(store_url, 4)
    with open_store(store_url) as store:
        assert store.schema_status.upgraded_from == 4 and store.schema_status.version == SCHEMA_VERSION
        store.responses.put(_entry(1, T0))
        assert store.responses.get("resp_1") is not None
    open_store(other_url).close()
    assert describe(store_url) == describe(other_url)
