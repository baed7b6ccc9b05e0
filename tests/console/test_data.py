"""The console's per-arm figures judge the models: an app's own bad requests are not the model's errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from modelswap.config import Workload
from modelswap.console.data import client_caused, workload_view
from modelswap.rollout.routing import RoutingState
from modelswap.store import RequestRow, open_store


def test_client_caused_statuses() -> None:
    assert [client_caused(s) for s in (400, 401, 404, 413, 422)] == [True] * 5
    assert [client_caused(s) for s in (200, 408, 429, 500, 502, 529, None)] == [False] * 7


def test_client_400s_do_not_count_in_an_arms_error_rate(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'records.db'}")
    try:
        now = datetime.now(UTC)

        def row(arm: str, status: int) -> RequestRow:
            return RequestRow(
                ts=now, workload="support", arm=arm, endpoint=arm, model="m", status=status, latency_ms=10.0
            )

        plan = [("new", 200)] * 6 + [("new", 400)] * 3 + [("new", 503)] * 2 + [("old", 401)] * 4
        rows = [row(arm, status) for arm, status in plan]
        store.requests.insert(rows)
        view = workload_view(store, Workload(name="support"), RoutingState(stage="split", share=50, rollback=False))
        assert view.requests == 15, "every request is still counted as traffic"
        assert view.arms["new"].count == 8 and view.arms["new"].error_rate == 2 / 8
        assert view.arms["old"].error_rate is None, "an arm with only the app's mistakes has no error rate"
    finally:
        store.close()
