"""Nightly evals: one run of every workload's golden set on old and new, each night, stored.

``run_nightly`` is one night (what ``modelswap eval --nightly`` runs from cron);
``run_nightly_forever`` is a scheduler a long-running process (the gateway) can start as a
task: it sleeps until the next ``at`` in ``timezone``, runs the night, and repeats. It skips a
night whose nightly runs already exist (a restart, or another replica that ran first), never
lets one failed night stop the schedule, and stops cleanly when cancelled.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from modelswap.config import Migration
from modelswap.evals.batch import ArmsFor, EvalBatch, run_workloads
from modelswap.evals.ratelimit import RateLimit
from modelswap.evals.targets import DEFAULT_CONCURRENCY, EvalSetupError
from modelswap.store import Store
from modelswap.store.locks import StoreLock
from modelswap.store.summaries import eval_runs

log = logging.getLogger("modelswap.evals.nightly")

_AT = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
Now = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class NightlySchedule:
    """When and how the nightly eval runs (what a ``nightly:`` section of the migration file would hold)."""

    at: str = "02:00"
    """Local time of day, ``HH:MM``."""
    timezone: str = "UTC"
    """IANA zone name the time is in, e.g. ``Europe/Paris``."""
    workloads: tuple[str, ...] = ()
    """Workloads to run; empty: every workload with a golden set."""
    arms: tuple[str, ...] = ("old", "new")
    """Endpoints to score each night."""
    concurrency: int = DEFAULT_CONCURRENCY

    def __post_init__(self) -> None:
        parse_at(self.at)
        zone(self.timezone)


def parse_at(at: str) -> time:
    """``"02:00"`` → 02:00; a clear ``ValueError`` otherwise."""
    match = _AT.match(at.strip())
    if not match:
        raise ValueError(f"nightly time must be HH:MM (24 h), e.g. 02:00; got {at!r}")
    return time(int(match.group(1)), int(match.group(2)))


def zone(name: str) -> ZoneInfo:
    """The time zone called ``name``; a clear ``ValueError`` if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as UTC or Europe/Paris") from None


def next_run_at(now: datetime, at: str = "02:00", timezone: str = "UTC") -> datetime:
    """The first ``at`` (in ``timezone``) strictly after ``now``, as an aware UTC datetime.

    Across a DST change the wall-clock time is kept (a 02:30 that does not exist that day
    becomes the time the zone maps it to).
    """
    tz = zone(timezone)
    when = parse_at(at)
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), when, tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), when, tzinfo=tz)
    return candidate.astimezone(UTC)


def ran_since(store: Store, since: datetime, workloads: Sequence[str] | None = None) -> bool:
    """Whether nightly runs (of any of ``workloads``) started at or after ``since``."""
    return any(
        run.started_at >= since and (not workloads or run.workload in workloads)
        for run in eval_runs(store, nightly=True)
    )


async def run_nightly(
    migration: Migration,
    store: Store,
    schedule: NightlySchedule | None = None,
    *,
    limits: Mapping[str, RateLimit] | None = None,
    arms_for: ArmsFor | None = None,
) -> EvalBatch:
    """One night: the golden sets on the schedule's arms, stored with ``nightly=True``.

    Each night asks the models afresh (the response cache is scoped to the run), so drift in a
    model behind an unchanged name shows in the trend. ``arms_for`` is the hook that makes a routed
    workload's ``new`` arm answer as its cascade (``routing.eval_arm.RoutedArms``, passed by the
    callers that sit above both evals and routing).
    """
    schedule = schedule or NightlySchedule()
    return await run_workloads(
        migration,
        store,
        workloads=schedule.workloads or None,
        arms=schedule.arms,
        concurrency=schedule.concurrency,
        limits=limits,
        nightly=True,
        arms_for=arms_for,
    )


async def run_nightly_forever(
    migration: Migration,
    store: Store,
    at: str = "02:00",
    *,
    schedule: NightlySchedule | None = None,
    limits: Mapping[str, RateLimit] | None = None,
    arms_for: ArmsFor | None = None,
    now: Now = lambda: datetime.now(UTC),
    sleep: Sleep = asyncio.sleep,
    on_night: Callable[[date, EvalBatch | BaseException | None], None] | None = None,
) -> None:
    """Run the nightly eval every day at ``at`` until cancelled (start it as a task).

    ``on_night(night, outcome)`` is told of each night: the batch, the exception that ended it,
    or None when it was skipped: its runs already exist, or another process sharing the store
    (a second gateway replica) holds the nightly lock and is running it. ``arms_for``: as for
    ``run_nightly``.
    """
    schedule = schedule or NightlySchedule(at=at)
    workloads = schedule.workloads or None
    while True:
        due = next_run_at(now(), schedule.at, schedule.timezone)
        while (left := (due - now()).total_seconds()) > 0:
            await sleep(min(left, 3600.0))  # wake hourly: a suspended machine's clock jumps
        night = due.astimezone(zone(schedule.timezone)).date()
        outcome: EvalBatch | BaseException | None = None
        lock = StoreLock(store, "nightly")  # replicas sharing the store: one of them runs the night
        try:
            if not await asyncio.to_thread(lock.try_acquire):
                log.info("nightly eval for %s: another process sharing the store is running it; skipping", night)
            elif await asyncio.to_thread(ran_since, store, due, workloads):
                log.info("nightly eval for %s already ran; skipping", night)
            else:
                outcome = await run_nightly(migration, store, schedule, limits=limits, arms_for=arms_for)
                log.info("nightly eval for %s: %s", night, _describe(outcome))
        except asyncio.CancelledError:
            raise
        except (EvalSetupError, Exception) as exc:  # one bad night must not end the schedule
            log.exception("nightly eval for %s failed", night)
            outcome = exc
        finally:
            lock.release()  # quick; not in a thread, so a cancelled schedule still lets go
        if on_night is not None:
            on_night(night, outcome)


def _describe(batch: EvalBatch) -> str:
    runs = ", ".join(f"{s.workload} {s.status} ({s.run_id})" for s in batch.summaries)
    failed = "; ".join(f"{f.workload}: {f.reason}" for f in batch.failed)
    return runs + (f"; failed: {failed}" if failed else "")
