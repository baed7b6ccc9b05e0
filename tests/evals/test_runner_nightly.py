"""Nightly runs: stored with ``nightly=True``, the trend night by night, and the scheduler."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelswap.cli.app import app
from modelswap.config import Migration, load_migration
from modelswap.evals.batch import EvalBatch
from modelswap.evals.nightly import NightlySchedule, next_run_at, run_nightly_forever
from modelswap.evals.runner import run_eval
from modelswap.evals.targets import limited
from modelswap.evals.trend import nightly_trend
from modelswap.store import EvalRunRow, Store, open_store
from modelswap.store.locks import StoreLock
from modelswap.store.summaries import eval_runs

from .runner_fakes import FakeModel, arithmetic_cases, right_answer, write_golden

Z95 = 1.959963984540054


def wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return centre - half, centre + half


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'evals.db'}") as s:
        yield s


def wrong_every(k: int) -> FakeModel:
    """A model that gets case i wrong when i is a multiple of ``k``."""

    def reply(body: dict[str, object]) -> str:
        answer = right_answer(body)
        return "no idea" if (int(answer) - 7) % k == 0 else answer

    return FakeModel("weaker", reply=reply)


async def test_the_trend_has_one_point_per_night_with_both_pass_rates(tmp_path: Path, store: Store) -> None:
    golden = write_golden(tmp_path / "g.jsonl", arithmetic_cases(10))

    async def night(at: datetime, k: int, nightly: bool = True) -> str:
        endpoints = limited({"old": FakeModel("strong"), "new": wrong_every(k)})
        summary = await run_eval(store, "w", golden, endpoints, nightly=nightly, started_at=at)
        assert summary.nightly is nightly and summary.status == "finished"
        return summary.run_id

    day1 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    first = await night(day1, 4)  # new fails cases 0, 4, 8: 7/10
    await night(day1 + timedelta(days=1), 2)  # replaced by the later run of the same night
    second = await night(day1 + timedelta(days=1, hours=1), 5)  # new fails 0 and 5: 8/10
    await night(day1 + timedelta(days=1, hours=2), 1, nightly=False)  # an ad hoc run: not part of the trend
    cancelled = EvalRunRow(
        started_at=day1 + timedelta(days=2), workload="w", golden_set_path="g", golden_set_sha256="0" * 64,
        endpoints=["old", "new"], spec={}, nightly=True,
    )  # fmt: skip
    store.evals.start(cancelled)
    store.evals.finish(cancelled.id, status="cancelled", finished_at=day1 + timedelta(days=2))

    points = nightly_trend(store, "w")
    assert [(p.night, p.run_id) for p in points] == [(date(2026, 3, 1), first), (date(2026, 3, 2), second)]
    for p, new_passed in zip(points, (7, 8), strict=True):
        old, new = p.arms["old"], p.arms["new"]
        assert (old.passed, old.decided, new.passed, new.decided) == (10, 10, new_passed, 10)
        assert (new.interval.lower, new.interval.upper) == pytest.approx(wilson(new_passed, 10))  # type: ignore[union-attr]
        assert (old.interval.lower, old.interval.upper) == pytest.approx(wilson(10, 10))  # type: ignore[union-attr]
        assert p.difference is not None and p.difference.n == 10
        assert p.difference.points == pytest.approx(10 * (new_passed - 10))
        assert p.difference.interval.lower < p.difference.points < p.difference.interval.upper
    assert [p.run_id for p in nightly_trend(store, "w", last=1)] == [second]
    assert len([r for r in eval_runs(store, "w", nightly=True) if r.status == "finished"]) == 3


def test_next_run_at_is_the_next_wall_clock_time_in_the_zone() -> None:
    at = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    assert next_run_at(at, "02:00") == datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    assert next_run_at(datetime(2026, 3, 1, 2, 0, tzinfo=UTC), "02:00") == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)  # 02:00 in Paris (CEST, UTC+2)
    assert next_run_at(summer, "02:00", "Europe/Paris") == datetime(2026, 7, 2, 0, 0, tzinfo=UTC)
    assert next_run_at(summer, "03:15", "Europe/Paris") == datetime(2026, 7, 1, 1, 15, tzinfo=UTC)
    winter = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert next_run_at(winter, "02:00", "Europe/Paris") == datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="HH:MM"):
        next_run_at(at, "2am")
    with pytest.raises(ValueError, match="unknown time zone"):
        NightlySchedule(timezone="Mars/Olympus")


@pytest.fixture
def migration_file(tmp_path: Path) -> Path:
    assert CliRunner().invoke(app, ["init", str(tmp_path / "m")]).exit_code == 0
    path = tmp_path / "m" / "migration.yaml"
    text = (
        path.read_text().replace("time_scale: 1.0 ", "time_scale: 0 ").replace("seed: 7", "seed: 7\n  error_scale: 0")
    )
    path.write_text(text)
    return path


class OneNight:
    """Runs the schedule on a fake clock until its first night is over, and keeps what it was told."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.slept: list[float] = []
        self.nights: list[tuple[date, EvalBatch | BaseException | None]] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)
        await asyncio.sleep(0)

    async def run(self, migration: Migration, store: Store) -> None:
        def on_night(night: date, outcome: EvalBatch | BaseException | None) -> None:
            self.nights.append((night, outcome))
            task.cancel()

        task = asyncio.ensure_future(
            run_nightly_forever(migration, store, "02:00", now=lambda: self.now, sleep=self.sleep, on_night=on_night)
        )
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_the_scheduler_runs_a_night_and_skips_a_night_that_already_ran(migration_file: Path) -> None:
    migration = load_migration(migration_file)
    clock = OneNight(datetime(2030, 1, 1, 1, 0, tzinfo=UTC))
    with open_store(migration.store) as store:
        await clock.run(migration, store)
        assert clock.slept[0] == 3600.0 and clock.now >= datetime(2030, 1, 1, 2, 0, tzinfo=UTC)
        ((night, batch),) = clock.nights
        assert night == date(2030, 1, 1) and isinstance(batch, EvalBatch) and batch.ok
        runs = eval_runs(store, nightly=True)
        assert sorted(r.workload for r in runs) == ["extraction", "order-tools", "ticket-triage"]
        assert all(r.status == "finished" and r.endpoints == ["old", "new"] for r in runs)

        clock.now = datetime(2020, 1, 1, 1, 0, tzinfo=UTC)  # tonight's runs exist already (they are newer)
        await clock.run(migration, store)
        assert clock.nights[-1] == (date(2020, 1, 1), None)
        assert len(eval_runs(store, nightly=True)) == 3


async def test_the_scheduler_skips_a_night_another_replica_is_running(migration_file: Path) -> None:
    migration = load_migration(migration_file)
    clock = OneNight(datetime(2030, 1, 1, 1, 59, tzinfo=UTC))
    with open_store(migration.store) as store, open_store(migration.store) as replica:
        other = StoreLock(replica, "nightly")  # the other gateway replica, running tonight's eval
        assert other.try_acquire()
        await clock.run(migration, store)
        assert clock.nights == [(date(2030, 1, 1), None)]
        assert eval_runs(store, nightly=True) == [], "only the replica holding the lock runs the night"
        other.release()
        with StoreLock(store, "nightly") as held:
            assert held, "the schedule holds nothing once it stopped"
