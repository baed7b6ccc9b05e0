"""Each replica's routing table: fresh from the store, never going back to an older state."""

from __future__ import annotations

from datetime import UTC, datetime

from modelswap.rollout import flag
from modelswap.rollout.table import RoutingTable
from modelswap.store import RolloutStateRow, Store

W = "support"


def row(version: int, change_seq: int, *, rollback: bool) -> RolloutStateRow:
    return RolloutStateRow(
        workload=W,
        stage="split",
        share=0.5,
        rollback=rollback,
        previous=None,
        version=version,
        change_seq=change_seq,
        updated_at=datetime.now(UTC),
        updated_by="test",
    )


class Reads(Store):
    """A store whose rollout reads are scripted: what each refresh saw, in the order the refreshes
    finish (a read issued before a concurrent refresh finished returns what it saw then)."""

    def __init__(self, store: Store, *reads: tuple[int, list[RolloutStateRow]]) -> None:
        super().__init__(store.engine, display=store.url_for_display, status=store.schema_status)
        self.reads = list(reads)
        self.current: list[RolloutStateRow] = []

    def rollout_change_seq(self) -> int:
        seq, self.current = self.reads.pop(0)
        return seq

    def rollout_states_since(self, change_seq: int = 0) -> list[RolloutStateRow]:
        return list(self.current)


def test_a_slow_refresh_never_undoes_a_newer_state(store: Store) -> None:
    # the admin API's refresh sees the rollback (version 2) first; the poll, which read the
    # store just before the rollback, lands afterwards with version 1
    reads = ((6, [row(2, 6, rollback=True)]), (5, [row(1, 5, rollback=False)]), (6, [row(2, 6, rollback=True)]))
    table = RoutingTable(Reads(store, *reads), [W])
    assert table.refresh()
    assert table.get(W).rollback
    table.refresh()
    assert table.get(W).rollback and table.get(W).version == 2
    assert table.seq == 6
    assert table.refresh() is False, "nothing new"


def test_refresh_picks_up_changes_and_ignores_unknown_workloads(store: Store) -> None:
    table = RoutingTable(store, [W])
    assert table.get(W).stage == "shadow"
    flag.set_stage(store, W, "split", 10, "alice")
    flag.set_stage(store, "other", "full", None, "alice")
    assert table.refresh() is True
    assert (table.get(W).stage, table.get(W).share) == ("split", 10.0)
    assert set(table.snapshot()) == {W}
    assert table.refresh() is False
