"""The routing state of each workload in the store, and the rollback flag over it.

Every change is an optimistic write (re-read and retry on conflict) with an audited
event in the same transaction, so concurrent CLI calls, admin calls and replicas
never lose or half-apply a flip. Shares here are percent (0–100); the store keeps
fractions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from modelswap.rollout.routing import STAGES, RoutingState, Stage
from modelswap.store.rows import RolloutChange, RolloutEventRow, RolloutStateRow

DEFAULT_STAGE: Stage = "shadow"
_MAX_TRIES = 20


class RolloutStore(Protocol):
    """The two store calls a flag change makes: ``Store``, or the light ``store.flag_fast.FlagStore``."""

    def get_rollout_state(self, workload: str) -> RolloutStateRow | None: ...

    def set_rollout_state(
        self,
        workload: str,
        new: RolloutChange,
        expected_version: int,
        *,
        event: RolloutEventRow | None = None,
        now: datetime | None = None,
    ) -> bool: ...


class FlagError(ValueError):
    """A rollout change that cannot be made, said plainly."""


@dataclass(frozen=True, slots=True)
class Flip:
    """One applied change: the workload and its state before and after."""

    workload: str
    before: RoutingState
    after: RoutingState


def state_of(row: RolloutStateRow | None, mirror_old_when_full: bool = False) -> RoutingState:
    """The routing state a stored row stands for (the default stage when none is stored)."""
    if row is None:
        return RoutingState(stage=DEFAULT_STAGE, share=0.0, rollback=False, mirror_old_when_full=mirror_old_when_full)
    stage = row.stage if row.stage in STAGES else DEFAULT_STAGE
    return RoutingState(
        stage=stage,  # type: ignore[arg-type]
        share=round(row.share * 100, 6),
        rollback=row.rollback,
        mirror_old_when_full=mirror_old_when_full,
        version=row.version,
    )


ChangeFn = Callable[[RoutingState, RolloutStateRow | None], RoutingState | None]


def _as_json(state: RoutingState) -> dict[str, object]:
    return {"stage": state.stage, "share": state.share, "rollback": state.rollback}


ActionFn = Callable[[RoutingState, RoutingState], str]


def _apply(
    store: RolloutStore,
    workload: str,
    action: str | ActionFn,
    actor: str,
    reason: str | None,
    change: ChangeFn,
    at: datetime | None = None,
) -> Flip | None:
    """Write ``change`` of the freshly read state, with its event, retrying on a concurrent write."""
    for _ in range(_MAX_TRIES):
        row = store.get_rollout_state(workload)
        before = state_of(row)
        after = change(before, row)  # re-run on every retry: a decision is never based on a stale read
        if after is None:
            return None
        name = action if isinstance(action, str) else action(before, after)
        previous = _as_json(before) if name == "rollback" else (row.previous if row else None)
        new = RolloutChange(
            stage=after.stage, share=after.share / 100, rollback=after.rollback, previous=previous, actor=actor
        )
        now = at or datetime.now(UTC)
        event = RolloutEventRow(
            workload=workload,
            ts=now,
            actor=actor,
            action=name,
            reason=reason,
            from_state=_as_json(before),
            to_state=_as_json(after),
        )
        expected = row.version if row else 0
        if store.set_rollout_state(workload, new, expected, event=event, now=now):
            return Flip(workload, before, replace(after, version=expected + 1))  # the version now stored
    raise FlagError(f"{workload}: the rollout state kept changing under us; try again")


def rollback(
    store: RolloutStore, workloads: Iterable[str], actor: str, reason: str | None = None, *, at: datetime | None = None
) -> list[Flip]:
    """Flip serving to the old model for each workload (already rolled back: unchanged).

    ``at`` stamps the audit event (default: now; the rollout controller passes its own clock's time).
    """

    def change(before: RoutingState, _: RolloutStateRow | None) -> RoutingState | None:
        if before.rollback:
            return None
        return RoutingState(stage=before.stage, share=before.share, rollback=True)

    return [f for w in workloads if (f := _apply(store, w, "rollback", actor, reason, change, at))]


CONTROLLER = "rollout-controller"
"""The rollout controller's name in the audit trail: its rollbacks rest on a fired trigger's evidence."""


def undo_rollback(
    store: RolloutStore,
    workloads: Iterable[str],
    actor: str,
    reason: str | None = None,
    *,
    at: datetime | None = None,
    spare_evidence: bool = False,
) -> list[Flip]:
    """Restore the state each workload had before its rollback.

    With ``spare_evidence`` (an undo of every workload at once, after an incident), a rollback the
    rollout controller made on a fired trigger is kept: a blanket undo must not put a model the
    evidence rejected back in front of users. Naming the workload undoes it.
    """

    def change(before: RoutingState, row: RolloutStateRow | None) -> RoutingState | None:
        if not before.rollback:
            return None
        if spare_evidence and row is not None and row.updated_by == CONTROLLER:
            return None
        prev = (row.previous if row else None) or {}
        stage = prev.get("stage", before.stage)
        share = float(prev.get("share", before.share))
        return RoutingState(stage=stage if stage in STAGES else DEFAULT_STAGE, share=share, rollback=False)

    return [f for w in workloads if (f := _apply(store, w, "undo_rollback", actor, reason, change, at))]


def evidence_rollbacks(store: RolloutStore, workloads: Iterable[str]) -> list[str]:
    """The workloads held on the old model by a rollback the rollout controller made on evidence."""
    kept = []
    for w in workloads:
        row = store.get_rollout_state(w)
        if row is not None and row.rollback and row.updated_by == CONTROLLER:
            kept.append(w)
    return kept


def set_stage(
    store: RolloutStore,
    workload: str,
    stage: str,
    share: float | None,
    actor: str,
    reason: str | None = None,
    *,
    clear_rollback: bool = False,
    at: datetime | None = None,
) -> Flip:
    """Put a workload in a routing stage (``split`` needs a share in percent).

    An active rollback is never cleared as a side effect: undo it first (``undo_rollback``), or
    pass ``clear_rollback`` with a reason, which is recorded as a ``clear_rollback`` event.
    """
    check_stage(stage, share)
    if clear_rollback and not (reason and reason.strip()):
        raise FlagError("clearing a rollback needs a reason (--reason): it goes in the audit trail")
    pct = {"shadow": 0.0, "full": 100.0, "rolled_back": 0.0}.get(stage, share or 0.0)

    def change(before: RoutingState, _: RolloutStateRow | None) -> RoutingState:
        if before.rollback and not clear_rollback:
            raise FlagError(
                f"{workload} is rolled back (the old model serves all of it); setting a stage would end the "
                f"rollback silently. Undo it first (modelswap rollback --undo -w {workload}, or POST "
                "/admin/rollback/undo), or end it on purpose with a reason (--clear-rollback --reason '...', "
                'or "clear_rollback": true and a "reason")'
            )
        return RoutingState(stage=stage, share=pct, rollback=False)  # type: ignore[arg-type]

    flip = _apply(store, workload, _stage_action, actor, reason, change, at)
    assert flip is not None
    return flip


def _stage_action(before: RoutingState, after: RoutingState) -> str:
    """``clear_rollback`` when a stage change ends a rollback, so the audit trail says so."""
    return "clear_rollback" if before.rollback and not after.rollback else "set_stage"


def check_stage(stage: str, share: float | None) -> None:
    """Refuse an unknown stage, a split without a share, or a share outside 0–100 (``FlagError``)."""
    if stage not in STAGES:
        raise FlagError(f"unknown stage {stage!r}; expected one of: {', '.join(sorted(STAGES))}")
    if stage == "split" and share is None:
        raise FlagError("stage split needs --share (percent of traffic the new model serves, 0–100)")
    if share is not None and (isinstance(share, bool) or not isinstance(share, int | float)):
        raise FlagError(f"share must be a number (percent of traffic, 0–100), got {share!r}")
    if share is not None and not 0 <= share <= 100:
        raise FlagError(f"share is a percent between 0 and 100, got {share:g}")


def states(store: RolloutStore, workloads: Iterable[str]) -> dict[str, RoutingState]:
    """The current routing state of each workload."""
    return {w: state_of(store.get_rollout_state(w)) for w in workloads}
