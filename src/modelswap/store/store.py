"""The ``Store``: one database, its schema status, and a small repository per concept; ``open_store`` to get one.

Everything is synchronous SQLAlchemy Core, and every query modelswap makes lives in this
package. The repositories are attributes: ``store.requests`` (the gateway's records),
``store.evals`` (eval runs and results), ``store.cache`` (responses already paid for),
``store.responses`` (Responses API answers kept for retrieval),
``store.baselines``, ``store.plan`` (ticks), ``store.rollout`` (the state replicas coordinate
through) and ``store.review`` (verdicts and red-team results). Reads return the row
dataclasses from ``rows.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.engine import URL

from modelswap.store.baselines_repo import BaselinesRepo
from modelswap.store.cache_repo import ResponseCacheRepo
from modelswap.store.canary_repo import CanaryRepo
from modelswap.store.connections import Connections
from modelswap.store.engine import DEFAULT_URL, create_store_engine, display_url, normalize_url
from modelswap.store.errors import StoreError
from modelswap.store.evals_repo import EvalsRepo
from modelswap.store.migrations import SchemaStatus, ensure_schema
from modelswap.store.plan_repo import PlanRepo
from modelswap.store.requests_repo import RequestsRepo
from modelswap.store.review_repo import ReviewRepo
from modelswap.store.rollout_repo import RolloutRepo
from modelswap.store.routing_repo import RoutingRepo
from modelswap.store.rows import RequestRow, RolloutChange, RolloutEventRow, RolloutStateRow, ShadowPairRow
from modelswap.store.stored_responses_repo import StoredResponsesRepo


class Store:
    """modelswap's records, results and shared state in one database. Make one with ``open_store``.

    A few methods delegate to a repository in one line (``insert_records`` and the rollout
    ones): they are the interface the gateway's recorder and poller and the rollout flag are
    typed against (with fakes in their tests); everything else is reached through the repositories.
    """

    def __init__(self, engine: sa.Engine, *, display: str, status: SchemaStatus) -> None:
        self._db = Connections(engine, display)
        self.schema_status = status
        """What opening found and did: created, upgraded (from which version), backup path."""
        self.requests = RequestsRepo(self._db)
        self.evals = EvalsRepo(self._db)
        self.cache = ResponseCacheRepo(self._db)
        self.baselines = BaselinesRepo(self._db)
        self.plan = PlanRepo(self._db)
        self.rollout = RolloutRepo(self._db)
        self.review = ReviewRepo(self._db)
        self.responses = StoredResponsesRepo(self._db)
        self.routing = RoutingRepo(self._db)
        """Routing calibrations (``modelswap route calibrate``)."""
        self.canary = CanaryRepo(self._db)
        """Per-arm windows of requests and users' feedback, for the rollout analysis."""

    @property
    def url_for_display(self) -> str:
        """The database URL with any password masked: safe to log and show."""
        return self._db.display

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._db.dialect

    @property
    def engine(self) -> sa.Engine:
        """The underlying engine, for the store's own modules (summaries, evidence, locks, sessions)."""
        return self._db.engine

    def close(self) -> None:
        """Close every pooled connection; the store must not be used afterwards."""
        self._db.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self._db.display!r})"

    # ---- the delegations the gateway and the rollout flag are typed against ----------------

    def insert_records(self, requests: Sequence[RequestRow], shadow_pairs: Sequence[ShadowPairRow]) -> None:
        """Record requests and shadow answers together in one transaction (``requests.insert``)."""
        self.requests.insert(requests, shadow_pairs)

    def get_rollout_state(self, workload: str) -> RolloutStateRow | None:
        """A workload's rollout state, or None (``rollout.state``)."""
        return self.rollout.state(workload)

    def set_rollout_state(
        self,
        workload: str,
        new: RolloutChange,
        expected_version: int,
        *,
        event: RolloutEventRow | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Write ``new`` if the stored version is still ``expected_version`` (``rollout.set_state``)."""
        return self.rollout.set_state(workload, new, expected_version, event=event, now=now)

    def rollout_events(self, workload: str | None = None, *, limit: int = 100) -> list[RolloutEventRow]:
        """Rollout events, newest first (``rollout.events``)."""
        return self.rollout.events(workload, limit=limit)

    def rollout_change_seq(self) -> int:
        """The latest rollout ``change_seq`` (``rollout.change_seq``)."""
        return self.rollout.change_seq()

    def rollout_states_since(self, change_seq: int = 0) -> list[RolloutStateRow]:
        """Rollout states written after ``change_seq`` (``rollout.states_since``)."""
        return self.rollout.states_since(change_seq)


DRIVER_EXTRAS = {"psycopg": "postgres"}
"""Database driver module → the modelswap extra that installs it."""


def missing_driver(display: str, exc: ModuleNotFoundError) -> str:
    """What to install when the store's database driver is missing (one line, no traceback)."""
    module = (exc.name or "").split(".")[0]
    extra = DRIVER_EXTRAS.get(module)
    how = f"pip install 'modelswap[{extra}]'" if extra else f"pip install {module}"
    return f"the store at {display} needs the {module or 'database'} driver, which is not installed: {how}"


def open_store(url: str | URL = DEFAULT_URL, *, connect_args: Mapping[str, Any] | None = None) -> Store:
    """Open the store at ``url``: create it if empty, upgrade it if older, refuse it if newer.

    ``postgres://`` and ``postgresql://`` URLs use psycopg 3. ``connect_args`` go to the
    driver (e.g. ``{"options": "-csearch_path=modelswap"}`` to pick a PostgreSQL schema).
    """
    normalized = normalize_url(url)
    display = display_url(normalized)
    try:
        engine = create_store_engine(normalized, connect_args=connect_args)
    except ModuleNotFoundError as exc:
        raise StoreError(missing_driver(display, exc)) from exc
    try:
        status = ensure_schema(engine, display=display)
    except sa.exc.OperationalError as exc:
        engine.dispose()
        raise StoreError(f"cannot open the store at {display}: {exc.orig}") from exc
    except BaseException:
        engine.dispose()
        raise
    return Store(engine, display=display, status=status)
