"""Errors the store raises for problems a person has to fix (a bad URL, a database from elsewhere)."""

from __future__ import annotations


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
