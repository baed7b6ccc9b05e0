"""The canary readiness check: gates and shadow days, cached per workload while the evidence holds."""

from __future__ import annotations

from pathlib import Path

from modelswap.config import Migration, load_migration
from modelswap.evals.batch import run_workloads
from modelswap.rollout.readiness import canary_blockers
from modelswap.starter import write_starter
from modelswap.store import open_store

W = "ticket-triage"


def starter_migration(directory: Path) -> Migration:
    write_starter(directory)
    config = directory / "migration.yaml"
    config.write_text(config.read_text().replace("time_scale: 1.0 ", "time_scale: 0.0 "))
    return load_migration(config)


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


async def test_readiness_is_reused_until_a_new_eval_run_or_the_ttl(tmp_path: Path) -> None:
    migration = starter_migration(tmp_path)
    with open_store(migration.store) as store:
        readiness = canary_blockers(migration, store)
        clock = FakeClock()
        readiness.clock = clock
        first = readiness(W)
        assert any("no golden-set run" in r for r in first) and any("shadow days" in r for r in first)
        for _ in range(5):  # a poll every few seconds: a store read, not a gate computation
            clock.t += 2
            assert readiness(W) == first
        assert readiness.computed == 1

        await run_workloads(migration, store, workloads=[W], arms=["old", "new"], limit=20, concurrency=32)
        assert readiness(W) == first and readiness.computed == 1, "a run on the first 20 cases is no gate evidence"
        await run_workloads(migration, store, workloads=[W], arms=["old", "new"], concurrency=32)
        after_run = readiness(W)
        assert readiness.computed == 2, "a new eval run is new evidence"
        assert not any("no golden-set run" in r for r in after_run), after_run
        assert readiness(W) == after_run and readiness.computed == 2

        readiness("order-tools")
        assert readiness.computed == 3, "each workload has its own entry"
        clock.t += readiness.ttl_s
        readiness(W)
        assert readiness.computed == 4, "shadow days grow with time: the answer expires"
        # the controller, the Argo endpoint and each console page view share the store's cache
        assert canary_blockers(migration, store) is readiness
        assert canary_blockers(starter_migration(tmp_path / "other"), store) is not readiness
