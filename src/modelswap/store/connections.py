"""Connections to the store's database: a read connection, or one inside a write transaction.

Every repository (``requests_repo``, ``evals_repo`` …) takes one ``Connections`` and opens what
it needs through it, so the write flag SQLite uses to take its lock up front
(``engine.WRITE_OPTION``) is set in one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from modelswap.store.engine import WRITE_OPTION


class Connections:
    """The engine of one store and how its repositories open connections on it."""

    def __init__(self, engine: sa.Engine, display: str) -> None:
        self.engine = engine
        self.display = display
        """The database URL with any password masked, for messages."""

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A connection inside a write transaction, committed when the block ends cleanly."""
        with self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection for reading."""
        with self.engine.connect() as conn:
            yield conn
