"""Errors the store raises for problems a person has to fix (a bad URL, a database from elsewhere)."""

from __future__ import annotations

import sqlalchemy as sa


class StoreError(Exception):
    """Base class: the store cannot do what was asked; the message says what to change."""


class StoreURLError(StoreError, ValueError):
    """The store URL is malformed or names a backend modelswap does not support."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer modelswap; this one must not touch it."""

    def __init__(self, message: str, *, found: int, supported: int) -> None:
        super().__init__(message)
        self.found = found
        self.supported = supported


class NotAStoreError(StoreError):
    """The database holds tables with modelswap's names but no modelswap schema version."""


class MigrationError(StoreError):
    """An upgrade step failed; the database stays at the last version that completed."""


class DuplicateRowError(StoreError):
    """A row with the same key is already stored (e.g. one (run, case, arm, scorer) result twice)."""


def store_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the store cannot take writes now (down, locked, misconfigured), as
    opposed to refusing the rows themselves (a bad value, a duplicate key)."""
    if isinstance(exc, sa.exc.DBAPIError):
        return exc.connection_invalidated or not isinstance(exc, sa.exc.DataError | sa.exc.IntegrityError)
    return isinstance(exc, OSError | sa.exc.DisconnectionError | sa.exc.TimeoutError)


def driver_error(exc: BaseException) -> BaseException:
    """The driver's (or the value's) exception inside SQLAlchemy's wrapper, whose text holds the parameters."""
    return exc.orig if isinstance(exc, sa.exc.StatementError) and exc.orig is not None else exc
